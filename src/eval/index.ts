/**
 * Evaluation in one place: an episode and its measures (EpisodeRun.ts), running one or many in lockstep
 * (episode.ts), a policy's batched predictions for a lockstep group (PolicyBatcher.ts), evaluating a driver over seeded episodes
 * (evaluate.ts, tally.ts), who drives (drivers.ts), language sensitivity (language.ts), attention on target
 * (attention.ts), a recipe's evaluation protocol (protocol.ts), the printed text (format.ts) and the JSON's schema
 * (schema.ts).
 */
export { EpisodeRun, APPROACH_MARGIN, PARKED_STEPS, PARKED_PATH, type EpisodeOptions, type EpisodeResult } from './EpisodeRun.js';
export { runEpisode, runEpisodes, readingAs, rephrasedEpisode, rephrasedPlan, type EpisodePlan, type Rephrased, type Rephrasing } from './episode.js';
export { PolicyBatcher } from './PolicyBatcher.js';
export { evaluate, evalSplit, type EvaluateOptions } from './evaluate.js';
export { rate, summariseApproach, countFailureSite, APPROACH_CLOSE } from './tally.js';
export type { Evaluation, RateTable, TargetTable, ApproachSummary, FailureSites } from './tally.js';
export { resolveDriver, policyDriver, type DriverSource } from './drivers.js';
export { languageSensitivity, LANGUAGE_TASKS, type LanguageSensitivity, type LanguageTask } from './language.js';
export { attentionOnTarget, nearestObject, expectedPosition, maskCentroid, coveredPatches, type AttentionOnTarget, type Pointing } from './attention.js';
export { evaluateModel, evaluateWithRecipe, rateOf, type ModelEvaluation, type Rate } from './protocol.js';
export { formatEvaluation, formatLanguageSensitivity, formatAttentionOnTarget, formatModelEvaluation, weakestTargets, countsMostFirst } from './format.js';
export { EvaluationSchema, EvalOutputSchema, LanguageSensitivitySchema, AttentionOnTargetSchema, RateSchema, TaskTableSchema, type EvalOutput } from './schema.js';
