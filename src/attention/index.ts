/** The attention library: every kind of attention the project uses, from one place. */
export { MASKED_SCORE, causalMask, combineMasks, maskedSoftmax } from './masks.js';
export {
  scaledDotProductAttention,
  dotProductScores,
  type AttentionOptions,
  type AttentionResult,
  type DotProductOptions,
} from './scaledDotProduct.js';
export { additiveAttention, additiveScores, type AdditiveParams } from './additive.js';
export {
  MultiHeadAttention,
  SCORE_KINDS,
  resolveMultiHeadAttentionConfig,
  type MhaWeightName,
  type MultiHeadAttentionConfig,
  type MultiHeadAttentionOptions,
  type ResolvedMultiHeadAttentionConfig,
  type ScoreKind,
  type WeightArray,
} from './MultiHeadAttention.js';
export { chunkedAttention, type ChunkedOptions } from './chunkedAttention.js';
