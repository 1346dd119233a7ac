/**
 * A recipe's evaluation protocol, run on a finished model: every task on every split, `episodes` each, on the report
 * seeds (split k of a task: seed + k * episodes onwards), and language sensitivity; each part is one `vla eval` child
 * process, as many at once as there are workers, its JSON answer kept in `workDir` so that a run cut short evaluates
 * only what is missing. Rates come with their 95% Wilson intervals.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wilsonInterval } from '../../sim/util/wilson.js';
import { canonicalJson, type EvaluationSpec } from '../recipe/Recipe.js';
import { makeDir, writeAtomic } from '../io/files.js';
import { untilFirstFailure } from '../io/untilFirstFailure.js';
import { formatZodError } from '../io/zodIssues.js';
import { EvalOutputSchema, type EvalOutput } from './schema.js';

const binPath = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/vla.js');

export interface Rate {
  episodes: number;
  successes: number;
  rate: number;
  ci95: [number, number];
}

export interface ModelEvaluation {
  seeds: [number, number];
  /** task -> split -> rate, and task -> 'overall'. */
  perTask: Record<string, Record<string, Rate>>;
  overall: Rate;
  languageSensitivity: (Rate & { scenes: number; confusions: Record<string, number> }) | null;
  /** Failure reasons per task, over all splits. */
  failures: Record<string, Record<string, number>>;
  minutes: number;
}

export function rateOf(successes: number, episodes: number): Rate {
  const ci = wilsonInterval(successes, episodes);
  return { episodes, successes, rate: episodes ? successes / episodes : 0, ci95: [ci.low, ci.high] };
}

export interface Job {
  id: string;
  args: string[];
}

function jobsOf(policy: string, e: EvaluationSpec): Job[] {
  const jobs: Job[] = [];
  for (const task of e.tasks) {
    e.splits.forEach((split, k) => {
      const seed = e.seed + k * e.episodes;
      jobs.push({ id: `${task}-${split}`, args: ['eval', '--policy', policy, '--task', task, '--split', split, '--episodes', String(e.episodes), '--seed', String(seed), '--json'] });
    });
  }
  if (e.languageScenes > 0) {
    jobs.push({ id: 'language', args: ['eval', '--policy', policy, '--task', 'pick', '--episodes', '1', '--seed', String(e.seed), '--language', String(e.languageScenes), '--json'] });
  }
  return jobs;
}

/**
 * Runs `vla ARGS` and resolves with the JSON object on its last stdout line; `stop` kills it. Settles on 'close',
 * not 'exit': at 'exit' the child's stdout may not have been read to its end.
 */
function runJson(args: string[], env: NodeJS.ProcessEnv, stop: AbortSignal): Promise<unknown> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [binPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env, signal: stop });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.on('error', fail);
    child.on('close', (code, signal) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return fail(new Error(`vla ${args.join(' ')} ${signal ? `was stopped (${signal})` : `exited with ${code}`}: ${err.trim().split('\n').pop() ?? ''}`));
      try {
        ok(JSON.parse(last));
      } catch {
        fail(new Error(`vla ${args.join(' ')}: no JSON on the last line of its output`));
      }
    });
  });
}

/** Runs one job's `vla` arguments to its JSON answer; the signal aborts it. */
export type JobRunner = (args: string[], stop: AbortSignal) => Promise<unknown>;

/**
 * Runs the jobs not yet answered in workDir, `workers` at a time. The first job that fails stops the others (no new
 * job starts, running ones are aborted) and its error is the one thrown; answers already written stay for a rerun.
 */
export async function runJobs(jobs: Job[], workDir: string, workers: number, log: (line: string) => void, run?: JobRunner): Promise<Map<string, EvalOutput>> {
  makeDir(workDir);
  const answers = new Map<string, EvalOutput>();
  const todo: Job[] = [];
  for (const j of jobs) {
    const path = join(workDir, `${j.id}.json`);
    if (existsSync(path)) answers.set(j.id, parseAnswer(readFileSync(path, 'utf8'), path));
    else todo.push(j);
  }
  // One wasm thread per child: the children share the cores between them. Each job runs all its episodes: a shard
  // of a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, VLA_SHARD_COUNT) must not make them run a part.
  const { JOB_COMPLETION_INDEX: _index, VLA_SHARD_COUNT: _count, ...inherited } = process.env;
  const env = { ...inherited, VLA_BACKEND: process.env.VLA_BACKEND ?? 'wasm' };
  const runJob: JobRunner = run ?? ((args, stop) => runJson(args, env, stop));
  let next = 0;
  const lane = async (stop: AbortSignal) => {
    while (!stop.aborted && next < todo.length) {
      const j = todo[next++]!;
      const t0 = performance.now();
      const a = parseAnswer(JSON.stringify(await runJob(j.args, stop)), `the answer of vla ${j.args.join(' ')}`);
      writeAtomic(join(workDir, `${j.id}.json`), JSON.stringify(a));
      answers.set(j.id, a);
      log(`evaluated ${j.id} in ${((performance.now() - t0) / 1000).toFixed(0)} s (${answers.size}/${jobs.length})`);
    }
  };
  await untilFirstFailure(Array.from({ length: Math.max(1, workers) }, () => lane));
  return answers;
}

/** One job's answer (a `vla eval --json` line), checked; `where` names the file or command in the error. */
function parseAnswer(text: string, where: string): EvalOutput {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: not JSON (${(e as Error).message}); delete it to evaluate that part again`);
  }
  const r = EvalOutputSchema.safeParse(json);
  if (!r.success) throw new Error(`${where}: not an evaluation of vla eval --json: ${formatZodError(r.error)}`);
  return r.data;
}

/** The part of a task's answer that is there (the answer of job TASK-SPLIT names TASK). */
function taskOf(answers: Map<string, EvalOutput>, task: string, split: string) {
  const t = answers.get(`${task}-${split}`)?.perTask[task];
  if (!t) throw new Error(`the evaluation of ${task} on ${split} has no row for ${task}`);
  return t;
}

export async function evaluateModel(policy: string, e: EvaluationSpec, workDir: string, workers: number, log: (line: string) => void): Promise<ModelEvaluation> {
  const t0 = performance.now();
  const answers = await runJobs(jobsOf(policy, e), workDir, workers, log);
  const perTask: ModelEvaluation['perTask'] = {};
  const failures: ModelEvaluation['failures'] = {};
  let all = 0;
  let won = 0;
  for (const task of e.tasks) {
    perTask[task] = {};
    failures[task] = {};
    let n = 0;
    let s = 0;
    for (const split of e.splits) {
      const t = taskOf(answers, task, split);
      if (t.episodes !== e.episodes) throw new Error(`the evaluation of ${task} on ${split} ran ${t.episodes} episodes where the protocol says ${e.episodes}; delete its answer to evaluate that part again`);
      perTask[task][split] = rateOf(t.successes, t.episodes);
      for (const [k, v] of Object.entries(t.failures)) failures[task][k] = (failures[task][k] ?? 0) + v;
      n += t.episodes;
      s += t.successes;
    }
    perTask[task].overall = rateOf(s, n);
    all += n;
    won += s;
  }
  const lang = e.languageScenes > 0 ? answers.get('language')?.languageSensitivity : null;
  if (e.languageScenes > 0 && !lang) throw new Error('the language job answered without languageSensitivity');
  const seeds: [number, number] = [e.seed, e.seed + e.splits.length * e.episodes - 1];
  return {
    seeds,
    perTask,
    overall: rateOf(won, all),
    languageSensitivity: lang ? { ...rateOf(lang.successes, lang.commands), scenes: lang.scenes, confusions: lang.confusions } : null,
    failures,
    minutes: (performance.now() - t0) / 60000,
  };
}

/**
 * A recipe's evaluation protocol on any policy folder (`vla eval --policy DIR --recipe FILE`): the same jobs as a
 * recipe run's, their answers kept in the cache under a key of the policy's files and the protocol, so a run cut
 * short continues and another model or protocol never reuses them.
 */
export async function evaluateWithRecipe(policyDir: string, e: EvaluationSpec, o: { cache: string; workers: number; log: (line: string) => void }): Promise<ModelEvaluation> {
  const h = createHash('sha256');
  for (const f of ['config.json', 'weights.json', 'weights.bin', 'normalization.json', 'tokenizer.json']) {
    const path = join(policyDir, f);
    if (!existsSync(path)) throw new Error(`${policyDir}: not a policy folder (no ${f})`);
    h.update(f).update(readFileSync(path));
  }
  h.update(canonicalJson({ ...e, usedForChoosing: undefined }));
  const workDir = join(o.cache, 'evaluations', h.digest('hex').slice(0, 20));
  o.log(`answers kept in ${workDir}`);
  return evaluateModel(resolve(policyDir), e, workDir, o.workers, o.log);
}
