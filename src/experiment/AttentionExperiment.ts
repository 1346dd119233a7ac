/**
 * `vla experiment attention`: trains every planned run (ExperimentPlan.ts) as a recipe of its own into
 * DIR/runs/ID (resumable, as any recipe run), measures each finished run (runMeasures.ts, kept in DIR/measures/ID.json),
 * then adds the runs up by variant into DIR/attention.json, DIR/report.md and the pictures (figures.ts).
 *
 * DIR/experiment.json holds what was planned; run again with the same options, the experiment continues where it
 * stopped (a finished run is not trained again, a measured one not measured again); other options into the same DIR
 * are refused, naming the difference.
 */
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { rateOf, type ModelEvaluation, type Rate } from '../eval/protocol.js';
import { canonicalJson } from '../recipe/Recipe.js';
import { runRecipe, type Provenance, type RecipeRunOptions } from '../recipe/RecipeRun.js';
import { makeDir, readJsonFile, writeAtomic } from '../io/files.js';
import type { ExperimentPlan, PlannedRun } from './ExperimentPlan.js';
import { measureRun, type RunMeasures } from './runMeasures.js';

export const EXPERIMENT_FORMAT = 'vla-attention-experiment';

export interface RunResult {
  id: string;
  variant: string;
  seed: number;
  provenance: Provenance;
  measures: RunMeasures;
  measureMinutes: number;
}

export interface VariantSummary {
  name: string;
  what: string;
  scoreKind: string;
  heads: number;
  fusion: string;
  /** Success over every task, split and training seed (episodes pooled), 0..1, with its 95% Wilson interval. */
  successRate: number;
  success: Rate;
  /** task -> split -> rate (and 'overall'), pooled over the training seeds. */
  perTask: Record<string, Record<string, Rate>>;
  languageSensitivity: number | null;
  language: Rate | null;
  /** Mean over the seeds: share of the target words' attention on the target's patches, the uniform share, their ratio. */
  attentionOnTarget: { targetShare: number; uniformShare: number; ratio: number };
  /** Mean training minutes of one run (wall clock, as measured). */
  trainMinutes: number;
  parameters: number;
  inferenceMs: number;
  perSeed: Array<{ seed: number; successRate: number; languageSensitivity: number | null; attentionRatio: number; trainMinutes: number }>;
}

/** The plan as written to DIR/experiment.json: what decides the results (recipes by hash), not the estimates. */
function planRecord(plan: ExperimentPlan): Record<string, unknown> {
  return {
    format: EXPERIMENT_FORMAT,
    base: plan.base,
    budgetMinutes: plan.budgetMinutes,
    seeds: plan.seeds,
    steps: plan.steps,
    evaluation: plan.evaluation,
    runs: plan.runs.map((r) => ({ id: r.id, recipe: canonicalJson(r.recipe) })),
  };
}

/** Refuses a DIR that holds anything but this experiment (a new or empty folder, or its own unfinished run). */
function checkExperimentOut(out: string, plan: ExperimentPlan): void {
  if (!existsSync(out) || readdirSync(out).length === 0) return;
  const path = join(out, 'experiment.json');
  if (!existsSync(path)) throw new Error(`${out} is not empty and holds no experiment; use a new or empty folder for --out`);
  const was = readJsonFile(path, `use a new or empty folder for --out`) as Record<string, unknown>;
  const now = planRecord(plan);
  const differs = Object.keys(now).filter((k) => canonicalJson(was[k]) !== canonicalJson(now[k]));
  if (differs.length) {
    throw new Error(`${out} holds an experiment planned otherwise (${differs.join(', ')} differ); run it with its own options, or use another --out`);
  }
}

async function runOne(run: PlannedRun, plan: ExperimentPlan, o: ExperimentRunOptions): Promise<RunResult> {
  const recipePath = join(o.out, 'recipes', `${run.id}.json`);
  if (!existsSync(recipePath)) writeAtomic(recipePath, `${JSON.stringify(run.recipe, null, 2)}\n`);
  const runDir = join(o.out, 'runs', run.id);
  const provenance = await runRecipe({
    recipePath,
    out: runDir,
    workers: o.workers,
    log: (line) => o.log(`${run.id}: ${line}`),
    ...(o.onCollect ? { onCollect: o.onCollect } : {}),
    ...(o.onTrain ? { onTrain: (_stage, p) => o.onTrain!(run.id, p) } : {}),
    ...(o.cache ? { cache: o.cache } : {}),
  });
  const measuresPath = join(o.out, 'measures', `${run.id}.json`);
  if (existsSync(measuresPath)) {
    const kept = readJsonFile(measuresPath, 'delete it to measure that run again') as { measures: RunMeasures; minutes: number };
    return { id: run.id, variant: run.variant.name, seed: run.seed, provenance, measures: kept.measures, measureMinutes: kept.minutes };
  }
  const t0 = performance.now();
  const measures = measureRun(runDir, { seed: plan.evaluation.seed, attentionEpisodes: o.attentionEpisodes, tasks: plan.evaluation.tasks });
  const minutes = (performance.now() - t0) / 60000;
  writeAtomic(measuresPath, JSON.stringify({ measures, minutes }));
  return { id: run.id, variant: run.variant.name, seed: run.seed, provenance, measures, measureMinutes: minutes };
}

export interface ExperimentRunOptions {
  out: string;
  workers: number;
  /** First frames for attention on target, per run. */
  attentionEpisodes: number;
  log: (line: string) => void;
  onCollect?: RecipeRunOptions['onCollect'];
  onTrain?: (run: string, p: Parameters<NonNullable<RecipeRunOptions['onTrain']>>[1]) => void;
  cache?: string;
}

/** Runs (or continues) the plan into o.out and returns every run's result, in the plan's order. */
export async function runExperiment(plan: ExperimentPlan, o: ExperimentRunOptions): Promise<RunResult[]> {
  checkExperimentOut(o.out, plan);
  makeDir(join(o.out, 'recipes'));
  makeDir(join(o.out, 'measures'));
  if (!existsSync(join(o.out, 'experiment.json'))) writeAtomic(join(o.out, 'experiment.json'), `${JSON.stringify(planRecord(plan), null, 2)}\n`);
  const results: RunResult[] = [];
  for (const [i, run] of plan.runs.entries()) {
    o.log(`run ${i + 1}/${plan.runs.length}: ${run.id} (${run.variant.what}, seed ${run.seed}, ${plan.steps} steps)`);
    results.push(await runOne(run, plan, o));
  }
  return results;
}

const sumRates = (rates: readonly Rate[]): Rate => rateOf(rates.reduce((a, r) => a + r.successes, 0), rates.reduce((a, r) => a + r.episodes, 0));
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

function pooledPerTask(evals: readonly ModelEvaluation[]): Record<string, Record<string, Rate>> {
  const out: Record<string, Record<string, Rate>> = {};
  for (const [task, splits] of Object.entries(evals[0]!.perTask)) {
    out[task] = Object.fromEntries(Object.keys(splits).map((k) => [k, sumRates(evals.map((e) => e.perTask[task]![k]!))]));
  }
  return out;
}

/** The runs added up by variant, in the plan's variant order. */
export function summariseVariants(plan: ExperimentPlan, results: readonly RunResult[]): VariantSummary[] {
  const variants = [...new Map(plan.runs.map((r) => [r.variant.name, r.variant])).values()];
  return variants.map((v) => {
    const runs = results.filter((r) => r.variant === v.name);
    const evals = runs.map((r) => r.provenance.evaluation);
    const success = sumRates(evals.map((e) => e.overall));
    const langs = evals.map((e) => e.languageSensitivity).filter((l) => l !== null);
    const language = langs.length ? sumRates(langs) : null;
    const at = runs.map((r) => r.measures.attentionOnTarget);
    const trainMinutes = (r: RunResult) => Object.entries(r.provenance.minutes).filter(([k]) => k.startsWith('train:')).reduce((a, [, m]) => a + m, 0);
    return {
      name: v.name,
      what: v.what,
      scoreKind: v.scoreKind,
      heads: v.heads,
      fusion: v.fusion,
      successRate: success.rate,
      success,
      perTask: pooledPerTask(evals),
      languageSensitivity: language?.rate ?? null,
      language,
      attentionOnTarget: { targetShare: mean(at.map((a) => a.targetShare)), uniformShare: mean(at.map((a) => a.uniformShare)), ratio: mean(at.map((a) => a.ratio)) },
      trainMinutes: mean(runs.map(trainMinutes)),
      parameters: runs[0]!.measures.parameters,
      inferenceMs: mean(runs.map((r) => r.measures.inferenceMs)),
      perSeed: runs.map((r) => ({
        seed: r.seed,
        successRate: r.provenance.evaluation.overall.rate,
        languageSensitivity: r.provenance.evaluation.languageSensitivity?.rate ?? null,
        attentionRatio: r.measures.attentionOnTarget.ratio,
        trainMinutes: trainMinutes(r),
      })),
    };
  });
}

/**
 * Minutes the experiment's work took, by part: training, evaluation and measures summed over the runs (as measured,
 * over every process that worked on them); collection counted once per dataset, because every run shares the same
 * cached datasets and each run's provenance repeats what collecting them once cost.
 */
export function experimentMinutes(results: readonly RunResult[]): { collect: number; train: number; evaluate: number; measure: number; total: number } {
  const part = (prefix: string) => results.reduce((a, r) => a + Object.entries(r.provenance.minutes).filter(([k]) => k.startsWith(prefix)).reduce((s, [, m]) => s + m, 0), 0);
  const perDataset = new Map<string, number>();
  for (const r of results) {
    for (const [k, m] of Object.entries(r.provenance.minutes)) if (k.startsWith('collect:')) perDataset.set(k, Math.max(perDataset.get(k) ?? 0, m));
  }
  const collect = [...perDataset.values()].reduce((a, m) => a + m, 0);
  const train = part('train:');
  const evaluate = part('evaluate');
  const measure = results.reduce((a, r) => a + r.measureMinutes, 0);
  return { collect, train, evaluate, measure, total: collect + train + evaluate + measure };
}

export function machine(): { cpus: number; node: string; backend: string } {
  return { cpus: availableParallelism(), node: process.version, backend: process.env.VLA_BACKEND ?? 'auto' };
}
