/**
 * The plan of `vla experiment attention`: which runs (variant x training seed), each a recipe derived from the base
 * recipe (its datasets, its first stage's training options, its policy with the variant's score kind, heads and
 * fusion), all with the same number of steps, and the evaluation every run gets. The step count comes from the
 * budget: the minutes left after collecting what the cache lacks and evaluating every run, shared out by the
 * estimated speed of each variant (src/recipe/estimates.ts), so the same budget always gives the same steps.
 */
import { resolvePolicyConfig } from '../policy/config.js';
import { cacheRoot, datasetDir, readComplete } from '../recipe/DatasetCache.js';
import { estimateCollectMinutes, estimateEvalMinutes, estimateTrainMinutes } from '../recipe/estimates.js';
import { parseRecipe, RECIPE_FORMAT, RECIPE_VERSION, recipeHash, type EvaluationSpec, type Recipe } from '../recipe/Recipe.js';
import { renderingOf } from '../recipe/RecipeRun.js';
import { TRAIN_DEFAULTS } from '../train/train.js';
import type { AttentionVariant } from './variants.js';

/** The first evaluation seed of the experiments (their seeds: EXPERIMENT_SEED onwards, clear of the recipes' report seeds). */
export const EXPERIMENT_SEED = 3_000_000;
/** Minutes per run besides training and the recipe evaluation: loading the data, starting the workers, attention on target, inference time. */
const PER_RUN_MINUTES = 1;
/**
 * The success rate the experiment's evaluations are planned for: runs this short succeed about a third of the time
 * or less (the default variant: 29% after 1200 steps), so most episodes run to the step limit.
 */
const SHORT_RUN_SUCCESS = 0.25;
/** Steps are a multiple of this (a round number in the report). */
const STEP_QUANTUM = 50;

export interface ExperimentOptions {
  variants: readonly AttentionVariant[];
  /** Training seeds per variant: 0 .. seeds - 1. */
  seeds: number;
  /** Minutes for the whole experiment: collection, training and evaluation of every run. */
  budgetMinutes: number;
  /** Episodes per task and split in each run's evaluation. */
  episodes: number;
  /** Scenes of counterfactual commands for language sensitivity in each run's evaluation. */
  languageScenes: number;
  /** Processes for collection and evaluation. */
  workers: number;
  cache?: string;
}

export interface PlannedRun {
  /** "dot-4-s0": the variant and the training seed. */
  id: string;
  variant: AttentionVariant;
  seed: number;
  recipe: Recipe;
  estimatedMinutes: { train: number; evaluate: number };
}

export interface ExperimentPlan {
  base: { path: string; hash: string };
  budgetMinutes: number;
  seeds: number;
  steps: number;
  batchSize: number;
  evaluation: EvaluationSpec;
  estimatedMinutes: { collect: number; train: number; evaluate: number; total: number };
  /** How many of the datasets the cache already holds (their collection is budgeted all the same). */
  cachedDatasets: number;
  runs: PlannedRun[];
}

/** The recipe of one run: the base recipe's data and first stage, the variant's attention, `steps` steps. */
export function variantRecipe(base: Recipe, variant: AttentionVariant, seed: number, steps: number, evaluation: EvaluationSpec): Recipe {
  const stage = base.stages[0]!;
  const t = { ...stage.train, steps, seed };
  // A short run keeps a short moving average: the weights of its last tenth or so, not of steps it never took.
  if (t.emaDecay !== undefined && t.emaDecay > 0) t.emaDecay = Math.min(t.emaDecay, 1 - 10 / steps);
  t.warmupSteps = Math.min(t.warmupSteps ?? TRAIN_DEFAULTS.warmupSteps, Math.floor(steps / 10));
  return {
    format: RECIPE_FORMAT,
    version: RECIPE_VERSION,
    description: `Attention experiment run: ${variant.what}, training seed ${seed}, ${steps} steps of the base recipe's first stage.`,
    datasets: Object.fromEntries(stage.data.map((d) => [d, base.datasets[d]!])),
    policy: { ...base.policy, scoreKind: variant.scoreKind, heads: variant.heads, fusion: variant.fusion, seed },
    stages: [{ name: stage.name, data: stage.data, train: t }],
    evaluation,
  };
}

export function planExperiment(base: Recipe, basePath: string, o: ExperimentOptions): ExperimentPlan {
  const cache = o.cache ?? cacheRoot();
  const e = base.evaluation;
  const evaluation: EvaluationSpec = { tasks: e.tasks, splits: e.splits, episodes: o.episodes, seed: EXPERIMENT_SEED, languageScenes: o.languageScenes, usedForChoosing: e.usedForChoosing };
  const stage = base.stages[0]!;
  const render = renderingOf(base);
  // The budget counts the whole collection, cached or not, so that one budget gives one step count on every machine.
  const collect = stage.data.map((d) => base.datasets[d]!).reduce((a, spec) => a + estimateCollectMinutes(spec, render, o.workers), 0);
  const cached = stage.data.filter((d) => readComplete(datasetDir(base.datasets[d]!, render, cache)) !== null).length;
  const pairs = o.variants.flatMap((variant) => Array.from({ length: o.seeds }, (_, seed) => ({ variant, seed })));
  const evalPerRun = estimateEvalMinutes(evaluation, o.workers, SHORT_RUN_SUCCESS) + PER_RUN_MINUTES;
  const trainTotal = o.budgetMinutes - collect - pairs.length * evalPerRun;
  // Minutes one step costs each run, at its variant's estimated speed.
  const perStep = pairs.map(({ variant }) => estimateTrainMinutes({ ...stage.train, steps: 1 }, resolvePolicyConfig({ ...base.policy, scoreKind: variant.scoreKind, heads: variant.heads, fusion: variant.fusion })));
  const stepsByBudget = Math.floor(trainTotal / perStep.reduce((a, b) => a + b, 0) / STEP_QUANTUM) * STEP_QUANTUM;
  const steps = Math.min(stepsByBudget, stage.train.steps);
  if (steps < 1) {
    const need = collect + pairs.length * evalPerRun + STEP_QUANTUM * perStep.reduce((a, b) => a + b, 0);
    throw new Error(
      `--budget ${o.budgetMinutes}: too small for ${pairs.length} runs (collection ~${collect.toFixed(0)} min and evaluation ~${(pairs.length * evalPerRun).toFixed(0)} min leave ` +
        `no time to train); give at least ${Math.ceil(need)} minutes, or fewer --variants or --seeds`,
    );
  }
  const runs = pairs.map(({ variant, seed }, i): PlannedRun => {
    const recipe = parseRecipe(variantRecipe(base, variant, seed, steps, evaluation), `the recipe of run ${variant.name}-s${seed}`);
    return { id: `${variant.name}-s${seed}`, variant, seed, recipe, estimatedMinutes: { train: steps * perStep[i]!, evaluate: evalPerRun } };
  });
  const train = runs.reduce((a, r) => a + r.estimatedMinutes.train, 0);
  const evaluate = runs.reduce((a, r) => a + r.estimatedMinutes.evaluate, 0);
  return {
    base: { path: basePath, hash: recipeHash(base) },
    budgetMinutes: o.budgetMinutes,
    seeds: o.seeds,
    steps,
    batchSize: stage.train.batchSize ?? TRAIN_DEFAULTS.batchSize,
    evaluation,
    estimatedMinutes: { collect, train, evaluate, total: collect + train + evaluate },
    cachedDatasets: cached,
    runs,
  };
}
