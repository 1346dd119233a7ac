/** The command translator: a parallel English-Korean corpus from the task templates, the encoder-decoder, its training and pictures. */
export {
  buildCorpus,
  canonicalEnglish,
  koreanOf,
  withDirectionParticle,
  withObjectParticle,
  KOREAN_WORDS,
  PAIR_SPLITS,
  TRANSLATION_DIRECTIONS,
  Vocabulary,
  type Meaning,
  type Pair,
  type PairSplit,
  type TranslationDirection,
} from './corpus.js';
export { Translator, sinusoidalPositions, type Encoded, type TranslatorConfig, type TranslatorOutput } from './Translator.js';
export {
  EVAL_EVERY,
  TRANSLATE_DEFAULTS,
  attentionOf,
  evaluateTranslator,
  meanOverHeads,
  trainTranslator,
  translateAll,
  vocabularies,
  type PairAttention,
  type TrainedTranslator,
  type TranslateEvaluation,
  type TranslateOptions,
  type TranslateProgress,
} from './train.js';
export { COMPARED_VARIANTS, comparisonSeeds, comparisonTable, summarise, variantOptions, type RunSummary, type Variant } from './compare.js';
export { comparisonFigure, translationFigure } from './figures.js';
