/** Experiments: `vla experiment attention` (which attention variant works better, and why). */
export { ATTENTION_VARIANTS, VARIANT_NAMES, variantsByName, type AttentionVariant, type VariantName } from './variants.js';
export { planExperiment, variantRecipe, EXPERIMENT_SEED, type ExperimentPlan, type ExperimentOptions, type PlannedRun } from './ExperimentPlan.js';
export { runExperiment, summariseVariants, experimentMinutes, EXPERIMENT_FORMAT, type RunResult, type VariantSummary, type ExperimentRunOptions } from './AttentionExperiment.js';
export { measureRun, figureScene, type RunMeasures } from './runMeasures.js';
export { formatExperimentReport, intervalsOverlap, type ExperimentReport } from './report.js';
export { writeExperimentResults } from './writeResults.js';
