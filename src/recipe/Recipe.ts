/**
 * A training recipe: everything that makes a model, in one versioned, validated file (LeRobot's "a training run is
 * reproducible from one saved config"). `vla train --recipe FILE --out DIR` reads it and does the rest
 * (src/recipe/RecipeRun.ts):
 *
 *   datasets    named demonstration sets: tasks, episodes per task, seed, and the expert perturbations that make the
 *               data show recoveries and hard scenes (src/train/collect.ts explains each). Frames are rendered the
 *               way the recipe's policy reads them (its imageSize and supersampling), so a dataset cannot disagree
 *               with the policy it trains.
 *   policy      the policy config (fields of PolicyConfig over the defaults).
 *   stages      training stages, run in order, each from the weights of the one before (the first from scratch): the
 *               datasets it learns from and its training options (steps, batch, learning rate and schedule, loss
 *               weights, augmentation, paraphrasing; TrainOptions of src/train/train.ts).
 *   evaluation  the protocol the finished model is reported on: tasks, episodes per task and split, the report seed
 *               and the seeds already used to choose anything (which the report seed must stay clear of).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CONFUSER_SHAPES, SPLITS, TASK_NAMES } from '../../sim/tasks/index.js';
import { MAX_EE_STEP, MAX_SEED } from '../../sim/types.js';
import { MAX_BLEND, MAX_RELEASE_BAND } from '../../sim/expert/ScriptedExpert.js';
import { TrainOptionsSchema } from '../train/train.js';
import { resolvePolicyConfig, type PolicyConfig } from '../policy/config.js';

export const RECIPE_FORMAT = 'vla-recipe';
export const RECIPE_VERSION = 1;

const share = z.number().min(0).max(1);
const name = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'expected lower-case letters, digits, "-" or "_"');

/** One named dataset: what `vla collect` makes, every perturbation a named field (0 or absent: off). */
export const DatasetSpecSchema = z
  .object({
    tasks: z.array(z.enum(TASK_NAMES)).min(1),
    /** Episodes per task. */
    episodes: z.number().int().positive(),
    seed: z.number().int().nonnegative(),
    /** DART drift: standard deviation in m per step added to the expert's executed moves. */
    noise: z.number().min(0).max(MAX_EE_STEP).optional(),
    /** The share of pick and place episodes whose first grasp is made to miss. */
    misses: share.optional(),
    /** The share of episodes whose arm is parked beside its way down for a while. */
    stalls: share.optional(),
    /** Episodes per scene, each naming another object. */
    siblings: z.number().int().min(1).max(8).optional(),
    /** The share of scenes drawn again with objects easily taken for the target. */
    confusers: share.optional(),
    confuserShapes: z.enum(CONFUSER_SHAPES).optional(),
    /** The expert turns down within this horizontal distance (m) of the point above. */
    blend: z.number().min(0).max(MAX_BLEND).optional(),
    /** Placing, the expert lets go within this height (m) above its release point. */
    releaseBand: z.number().min(0).max(MAX_RELEASE_BAND).optional(),
  })
  .strict();
export type DatasetSpec = z.infer<typeof DatasetSpecSchema>;

/** A training stage: the datasets it learns from and its training options (the rest are TRAIN_DEFAULTS). */
export const StageSchema = z
  .object({
    name,
    data: z.array(name).min(1),
    train: TrainOptionsSchema.partial().extend({ steps: z.number().int().positive() }).strict(),
  })
  .strict();
export type Stage = z.infer<typeof StageSchema>;

const seedRange = z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]);

export const EvaluationSpecSchema = z
  .object({
    tasks: z.array(z.enum(TASK_NAMES)).min(1),
    splits: z.array(z.enum(SPLITS)).min(1),
    /** Episodes per task and split. */
    episodes: z.number().int().positive(),
    /** The first report seed: split k of a task runs the seeds seed + k * episodes ... + episodes - 1. */
    seed: z.number().int().nonnegative(),
    /** Language sensitivity: counterfactual pick commands on this many scenes (0: skip), from the report seed. */
    languageScenes: z.number().int().nonnegative(),
    /** Evaluation seed ranges [first, last] that chose anything (a checkpoint, a setting, a recipe): never reported. */
    usedForChoosing: z.array(seedRange),
  })
  .strict();
export type EvaluationSpec = z.infer<typeof EvaluationSpecSchema>;

export const RecipeSchema = z
  .object({
    format: z.literal(RECIPE_FORMAT),
    version: z.literal(RECIPE_VERSION),
    description: z.string().optional(),
    datasets: z.record(name, DatasetSpecSchema),
    policy: z.record(z.string(), z.unknown()),
    stages: z.array(StageSchema).min(1),
    evaluation: EvaluationSpecSchema,
  })
  .strict();
export type Recipe = z.infer<typeof RecipeSchema>;

/** The seeds the evaluation reports: [first, last]. */
export function reportSeeds(e: EvaluationSpec): [number, number] {
  return [e.seed, e.seed + e.splits.length * e.episodes - 1];
}

/** Problems zod cannot see: references between the parts, and report seeds that chose something. */
function crossCheck(r: Recipe): string[] {
  const problems: string[] = [];
  const names = new Set(Object.keys(r.datasets));
  const stageNames = new Set<string>();
  r.stages.forEach((s, i) => {
    if (stageNames.has(s.name)) problems.push(`stages.${i}.name: "${s.name}" is used by an earlier stage; stage names must differ`);
    stageNames.add(s.name);
    s.data.forEach((d, j) => {
      if (!names.has(d)) problems.push(`stages.${i}.data.${j}: no dataset named "${d}" (datasets: ${[...names].join(', ') || 'none'})`);
    });
  });
  const [lo, hi] = reportSeeds(r.evaluation);
  r.evaluation.usedForChoosing.forEach(([a, b], i) => {
    if (a > b) problems.push(`evaluation.usedForChoosing.${i}: [${a}, ${b}] is not a range (first > last)`);
    else if (a <= hi && lo <= b) {
      problems.push(`evaluation.seed: the report seeds ${lo}-${hi} overlap seeds ${a}-${b}, which were used for choosing (evaluation.usedForChoosing.${i}); report on seeds that chose nothing`);
    }
  });
  if (hi > MAX_SEED) problems.push(`evaluation.seed: the report seeds run to ${hi}, past the largest seed ${MAX_SEED}; give a smaller seed`);
  // A task or split named twice would be counted twice (its answers share one job and one cached file).
  const repeats = (xs: readonly string[]) => [...new Set(xs.filter((x, i) => xs.indexOf(x) !== i))];
  for (const [field, xs] of [['evaluation.tasks', r.evaluation.tasks], ['evaluation.splits', r.evaluation.splits]] as const) {
    if (repeats(xs).length) problems.push(`${field}: ${repeats(xs).join(', ')} named more than once`);
  }
  for (const [n, d] of Object.entries(r.datasets)) {
    if (d.confuserShapes === 'all' && !d.confusers) problems.push(`datasets.${n}.confuserShapes: "all" needs confusers above 0 to act on`);
    if (repeats(d.tasks).length) problems.push(`datasets.${n}.tasks: ${repeats(d.tasks).join(', ')} named more than once`);
  }
  return problems;
}

/** Validates parsed JSON as a recipe; throws one Error naming `where`, each bad field and what was expected. */
export function parseRecipe(json: unknown, where: string): Recipe {
  const top = z.object({ format: z.unknown(), version: z.unknown() }).passthrough().safeParse(json);
  if (!top.success) throw new Error(`${where}: expected a JSON object with "format": "${RECIPE_FORMAT}"`);
  if (top.data.format !== RECIPE_FORMAT) throw new Error(`${where}: format: expected "${RECIPE_FORMAT}", got ${JSON.stringify(top.data.format)}`);
  if (top.data.version !== RECIPE_VERSION) {
    throw new Error(`${where}: version: this vla reads recipe version ${RECIPE_VERSION}, the file says ${JSON.stringify(top.data.version)}`);
  }
  const parsed = RecipeSchema.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`${where}: ${lines.join('; ')}`);
  }
  const problems = crossCheck(parsed.data);
  if (problems.length > 0) throw new Error(`${where}: ${problems.join('; ')}`);
  try {
    resolvePolicyConfig(parsed.data.policy as Partial<PolicyConfig>); // checked here, before a run folder is written
  } catch (e) {
    throw new Error(`${where}: policy: ${(e as Error).message}`);
  }
  return parsed.data;
}

/** Reads and validates a recipe file. */
export function readRecipe(path: string): Recipe {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${path}: ${code === 'ENOENT' ? 'no such recipe file' : code === 'EISDIR' ? 'is a folder, expected a recipe JSON file' : (e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return parseRecipe(json, path);
}

/** JSON with object keys sorted at every level: the same content always gives the same text (and hash). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const sha256 = (text: string | Uint8Array): string => createHash('sha256').update(text).digest('hex');

/** The recipe's hash: of its canonical JSON, so key order and whitespace do not change it. */
export const recipeHash = (r: Recipe): string => sha256(canonicalJson(r));
