/**
 * `vla train --recipe FILE --out DIR`: a model from nothing. Collects every dataset the recipe names that the cache
 * lacks (src/recipe/DatasetCache.ts), trains every stage in order (the first from scratch, each next from the one
 * before), evaluates the result on the recipe's report seeds, and leaves in DIR the policy, its training record and
 * `provenance.json` (which recipe, its hash, the git commit, the minutes of each part, the dataset hashes, the
 * evaluation).
 *
 * While it runs, DIR/run/ holds the work: state.json (written atomically after each part), one folder per stage
 * (a resumable `vla train` output), the evaluation's answers. Killed at any point, the same command continues where
 * it stopped; a finished run removes DIR/run/, so DIR then holds only files that describe its own weights.
 * It never writes into a folder that holds anything else: another model, another recipe's run, other files.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { resolvePolicyConfig } from '../policy/config.js';
import { CHECKPOINT_FILES } from '../policy/checkpoint.js';
import { train, TRAIN_DEFAULTS, type TrainProgress } from '../train/train.js';
import { renderLossCurvePng } from '../viz/lossCurve.js';
import type { CollectProgress } from '../train/collect.js';
import { cacheRoot, datasetDir, datasetKey, ensureDataset, readComplete, type Rendering } from './DatasetCache.js';
import { evaluateModel, type ModelEvaluation } from '../eval/protocol.js';
import { formatModelEvaluation } from '../eval/format.js';
import { recipeHash, readRecipe, type Recipe } from './Recipe.js';
import { estimateCollectMinutes, estimateEvalMinutes, estimateTrainMinutes } from './estimates.js';
import { makeDir, readJsonFile, readJsonLines, writeAtomic } from '../io/files.js';

export interface PlanStep {
  kind: 'collect' | 'train' | 'evaluate';
  name: string;
  /** What it does, in a few words. */
  what: string;
  estimatedMinutes: number;
  /** Already done: in the cache (collect) or in this run's state (train, evaluate). */
  done: boolean;
}

interface RunState {
  recipeHash: string;
  recipe: string;
  startedAt: string;
  /** Minutes spent, by part ("collect:NAME", "train:NAME", "evaluate"), accumulated over resumed runs. */
  minutes: Record<string, number>;
  done: string[];
  datasets: Record<string, { key: string; contentHash: string; episodes: number; successes: number }>;
  /** Each process that worked on the run: when it started and the code it ran (a resumed run may span commits). */
  processes?: Array<{ startedAt: string; commit: string | null; dirty: boolean | null }>;
}

export interface RecipeRunOptions {
  recipePath: string;
  out: string;
  /** Processes or threads for collection and evaluation; training takes its own from the stage's options. */
  workers: number;
  log: (line: string) => void;
  onCollect?: (name: string, p: CollectProgress) => void;
  onTrain?: (stage: string, p: TrainProgress) => void;
  cache?: string;
}

const statePath = (out: string) => join(out, 'run', 'state.json');
const stageDir = (out: string, i: number, name: string) => join(out, 'run', 'stages', `${i + 1}-${name}`);

export const renderingOf = (r: Recipe): Rendering => {
  const c = resolvePolicyConfig(r.policy);
  return { imageSize: c.imageSize, supersampling: c.supersampling };
};

/** What the recipe will do in DIR, with each part's estimated minutes; changes nothing. */
export function planRecipe(recipe: Recipe, out: string, workers: number, cache = cacheRoot()): PlanStep[] {
  const state = readState(out);
  const done = new Set(state?.recipeHash === recipeHash(recipe) ? state.done : []);
  const render = renderingOf(recipe);
  const steps: PlanStep[] = [];
  for (const [name, spec] of Object.entries(recipe.datasets)) {
    const n = spec.episodes * spec.tasks.length;
    steps.push({
      kind: 'collect',
      name,
      what: `${n} episodes (${spec.tasks.join(', ')}) into ${datasetDir(spec, render, cache)}`,
      estimatedMinutes: estimateCollectMinutes(spec, render, workers),
      done: readComplete(datasetDir(spec, render, cache)) !== null,
    });
  }
  recipe.stages.forEach((s, i) => {
    const o = { ...TRAIN_DEFAULTS, ...s.train };
    steps.push({
      kind: 'train',
      name: s.name,
      what: `${o.steps} steps of ${o.batchSize} on ${s.data.join(', ')}, ${i === 0 ? 'from scratch' : `from stage ${recipe.stages[i - 1]!.name}`}`,
      estimatedMinutes: estimateTrainMinutes(o, resolvePolicyConfig(recipe.policy)),
      done: done.has(`train:${s.name}`),
    });
  });
  const e = recipe.evaluation;
  steps.push({
    kind: 'evaluate',
    name: 'report',
    what: `${e.tasks.join(', ')} x ${e.splits.join(', ')}, ${e.episodes} episodes each, seeds from ${e.seed}${e.languageScenes ? `; language on ${e.languageScenes} scenes` : ''}`,
    estimatedMinutes: estimateEvalMinutes(e, workers),
    done: done.has('evaluate'),
  });
  return steps;
}

function readState(out: string): RunState | null {
  const path = statePath(out);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as RunState;
  } catch (e) {
    throw new Error(`${path}: unreadable (${(e as Error).message}); delete ${join(out, 'run')} to start the run over`);
  }
}

/** How often a training stage's minutes so far are written to the run's state. */
const MINUTES_SAVE_MS = 30_000;
const saveState = (out: string, s: RunState) => writeAtomic(statePath(out), JSON.stringify(s, null, 2));

/**
 * Whether DIR may hold this recipe's run: empty or absent, or holding this recipe's own run or result. Anything
 * else is refused with what is there.
 */
function checkOut(out: string, hash: string): 'new' | 'resume' | 'finished' {
  if (!existsSync(out)) return 'new';
  const entries = readdirSync(out);
  if (entries.length === 0) return 'new';
  const state = readState(out);
  if (state) {
    if (state.recipeHash === hash) return 'resume';
    throw new Error(`${out} holds an unfinished run of another recipe (${state.recipe}, hash ${state.recipeHash.slice(0, 12)}); use another --out`);
  }
  const prov = join(out, 'provenance.json');
  if (existsSync(prov)) {
    const p = readJsonFile(prov, `move ${out} aside or use another --out`) as { recipeHash?: string; recipe?: string };
    if (p.recipeHash === hash) return 'finished';
    const which = `${p.recipe ?? 'unknown'}, hash ${typeof p.recipeHash === 'string' ? p.recipeHash.slice(0, 12) : 'unknown'}`;
    throw new Error(`${out} holds a model trained by another recipe or another version of it (${which}); use another --out`);
  }
  if (entries.includes('config.json') || entries.includes('weights.bin')) {
    throw new Error(`${out} holds another model (it has ${entries.includes('config.json') ? 'config.json' : 'weights.bin'}); use another --out, or delete it first`);
  }
  throw new Error(`${out} is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''}); use an empty or new folder for --out`);
}

function gitCommit(): { commit: string | null; dirty: boolean | null } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { commit, dirty: status.trim() !== '' };
  } catch {
    return { commit: null, dirty: null };
  }
}

async function collectAll(recipe: Recipe, o: RecipeRunOptions, state: RunState): Promise<Record<string, string>> {
  const render = renderingOf(recipe);
  const dirs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(recipe.datasets)) {
    const t0 = performance.now();
    const before = readComplete(datasetDir(spec, render, o.cache ?? cacheRoot()));
    if (!before) o.log(`collecting ${name} (${spec.episodes * spec.tasks.length} episodes) into the cache`);
    const r = await ensureDataset(spec, render, { workers: o.workers, ...(o.cache ? { root: o.cache } : {}), onProgress: (p) => o.onCollect?.(name, p) });
    dirs[name] = r.dir;
    state.datasets[name] = { key: datasetKey(spec, render), contentHash: r.record.contentHash, episodes: r.record.episodes, successes: r.record.successes };
    if (r.collected) {
      state.minutes[`collect:${name}`] = (state.minutes[`collect:${name}`] ?? 0) + (performance.now() - t0) / 60000;
      o.log(`${name}: ${r.record.episodes} episodes, expert success ${((100 * r.record.successes) / r.record.episodes).toFixed(1)}%, ${((performance.now() - t0) / 60000).toFixed(1)} min`);
    } else {
      // Collected by an earlier run (or vla collect --recipe): its time as measured then, so that the minutes of a
      // recipe always include making its data.
      state.minutes[`collect:${name}`] ??= r.record.collectSeconds / 60;
      o.log(`${name}: in the cache (${r.dir}; collected in ${(r.record.collectSeconds / 60).toFixed(1)} min${r.record.resumed ? ', resumed' : ''})`);
    }
    saveState(o.out, state);
  }
  return dirs;
}

async function trainStages(recipe: Recipe, o: RecipeRunOptions, state: RunState, dirs: Record<string, string>): Promise<string> {
  let previous: string | undefined;
  for (const [i, s] of recipe.stages.entries()) {
    const dir = stageDir(o.out, i, s.name);
    const key = `train:${s.name}`;
    if (!state.done.includes(key)) {
      // The stage's minutes so far (earlier processes of this run) plus this process's, saved as training goes, so
      // that a run killed mid-stage still counts the time it spent (also on steps redone after the last checkpoint).
      const before = state.minutes[key] ?? 0;
      const t0 = performance.now();
      let savedAt = t0;
      const tick = () => {
        state.minutes[key] = before + (performance.now() - t0) / 60000;
        savedAt = performance.now();
        saveState(o.out, state);
      };
      o.log(`stage ${i + 1}/${recipe.stages.length} "${s.name}": ${s.train.steps} steps on ${s.data.join(', ')}`);
      await train({
        data: s.data.map((d) => dirs[d]!),
        init: previous,
        out: dir,
        policy: i === 0 ? (recipe.policy as Record<string, never>) : {},
        train: s.train,
        log: o.log,
        onProgress: (p) => {
          if (performance.now() - savedAt > MINUTES_SAVE_MS) tick();
          o.onTrain?.(s.name, p);
        },
      });
      state.done.push(key);
      tick();
    }
    previous = dir;
  }
  return previous!;
}

/** The final stage's policy into DIR, with every stage's metrics in one metrics.jsonl (a "stage" field on each row). */
function assemble(recipe: Recipe, out: string, last: string): void {
  for (const f of CHECKPOINT_FILES) copyFileSync(join(last, f), join(out, f));
  const rows: string[] = [];
  const history: Array<{ step: number; loss: number; valLoss: number | null }> = [];
  let offset = 0;
  recipe.stages.forEach((s, i) => {
    const path = join(stageDir(out, i, s.name), 'metrics.jsonl');
    if (!existsSync(path)) return;
    for (const row of readJsonLines(path, 'remove the line, or delete the stage folder to train that stage again')) {
      const m = row as { step: number; loss: number; valLoss: number | null };
      rows.push(JSON.stringify({ stage: s.name, ...m, totalStep: offset + m.step }));
      history.push({ step: offset + m.step, loss: m.loss, valLoss: m.valLoss });
    }
    offset += s.train.steps;
  });
  writeAtomic(join(out, 'metrics.jsonl'), rows.length ? `${rows.join('\n')}\n` : '');
  writeFileSync(join(out, 'loss.png'), renderLossCurvePng(history, { title: `${out}: loss, all stages` }));
}

export interface Provenance {
  recipe: string;
  recipeHash: string;
  /** The code the run started with; `processes` lists every process that worked on it, with its code. */
  commit: string | null;
  commitDirty: boolean | null;
  processes: NonNullable<RunState['processes']>;
  startedFrom: 'scratch';
  startedAt: string;
  finishedAt: string;
  /** Collection + training, the figure the recipe's time budget is about. */
  wallMinutes: number;
  minutes: Record<string, number>;
  datasets: RunState['datasets'];
  machine: { cpus: number; node: string; backend: string };
  evaluation: ModelEvaluation;
}

/** Runs (or continues, or reports the finished run of) a recipe into o.out. */
export async function runRecipe(o: RecipeRunOptions): Promise<Provenance> {
  const recipe = readRecipe(o.recipePath);
  const recipeText = readFileSync(o.recipePath, 'utf8'); // what recipe.json will hold: the file as this process read it
  const hash = recipeHash(recipe);
  const mode = checkOut(o.out, hash);
  if (mode === 'finished') {
    o.log(`${o.out} already holds this recipe's model; nothing to do`);
    return readJsonFile(join(o.out, 'provenance.json'), `move ${o.out} aside and run again`) as Provenance;
  }
  makeDir(join(o.out, 'run'));
  const state: RunState = readState(o.out) ?? { recipeHash: hash, recipe: relative(process.cwd(), resolve(o.recipePath)), startedAt: new Date().toISOString(), minutes: {}, done: [], datasets: {} };
  if (mode === 'resume') o.log(`continuing the run in ${o.out} (done: ${state.done.join(', ') || 'nothing yet'})`);
  const git = gitCommit();
  (state.processes ??= []).push({ startedAt: new Date().toISOString(), commit: git.commit, dirty: git.dirty });
  saveState(o.out, state);

  const dirs = await collectAll(recipe, o, state);
  const last = await trainStages(recipe, o, state, dirs);
  assemble(recipe, o.out, last);

  const t0 = performance.now();
  const evaluation = await evaluateModel(o.out, recipe.evaluation, join(o.out, 'run', 'eval'), o.workers, o.log);
  state.minutes.evaluate = (state.minutes.evaluate ?? 0) + (performance.now() - t0) / 60000;
  const wall = Object.entries(state.minutes).filter(([k]) => k !== 'evaluate').reduce((a, [, v]) => a + v, 0);
  const first = state.processes[0]!;
  const prov: Provenance = {
    recipe: state.recipe,
    recipeHash: hash,
    commit: first.commit,
    commitDirty: first.dirty,
    processes: state.processes,
    startedFrom: 'scratch',
    startedAt: state.startedAt,
    finishedAt: new Date().toISOString(),
    wallMinutes: wall,
    minutes: state.minutes,
    datasets: state.datasets,
    machine: { cpus: availableParallelism(), node: process.version, backend: process.env.VLA_BACKEND ?? 'auto' },
    evaluation,
  };
  writeAtomic(join(o.out, 'recipe.json'), recipeText);
  writeAtomic(join(o.out, 'provenance.json'), JSON.stringify(prov, null, 2));
  writeAtomic(join(o.out, 'evaluation.md'), `${formatModelEvaluation(evaluation, recipe.evaluation.splits)}\n`);
  rmSync(join(o.out, 'run'), { recursive: true, force: true });
  return prov;
}
