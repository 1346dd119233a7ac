/**
 * Evaluate a driver over many seeded episodes: every task, episode i on seed + i with its split drawn in turn
 * (3 seen : 1 held-out combination : 1 held-out template), optionally sharded, rephrased, recorded as GIFs; success
 * rates per task, split and target with 95% Wilson intervals.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { expertDriver, type Driver } from '../../sim/env/Driver.js';
import { Environment, type CameraSpec } from '../../sim/env/Environment.js';
import { SPLITS, type Split, type TaskName } from '../../sim/tasks/index.js';
import { hashSeed } from '../../sim/util/Rng.js';
import { LOCKSTEP_EPISODES, rephrasedPlan, runEpisodes, type EpisodePlan, type Rephrasing } from './episode.js';
import type { EpisodeResult } from './EpisodeRun.js';
import { addToTally, newTally, summariseTally, type Evaluation } from './tally.js';

export interface EvaluateOptions {
  tasks: TaskName[];
  episodes: number;
  seed: number;
  driverFactory?: (seed: number) => Driver;
  /** Cameras the driver needs; default one 64x64 scene camera. */
  cameras?: CameraSpec[];
  /** Steps before an episode times out; default the environment's (200). */
  maxSteps?: number;
  /** Record GIFs of the first `count` episodes of each task into `dir` (named TASK-INDEX-success|failure.gif). */
  videos?: { count: number; dir: string; size?: number };
  progress?: 'bar' | 'lines' | 'none';
  /** Draw every episode's command from this split; default the mix of evalSplit (3 seen : 1 : 1). */
  split?: Split;
  /**
   * Run only episodes i with i % count === index (one machine's part of a sharded evaluation). Episode i keeps its
   * seed and split, so the shards' results add up to those of the whole evaluation. Default: every episode.
   */
  shard?: { index: number; count: number };
  /**
   * Say each sampled command in other words before it is carried out (free-form English or Korean): `say` gets
   * the sampled command and scene and returns a Rephrased. Episodes are reported under `split`, with the text as
   * their command.
   */
  rephrase?: Rephrasing;
  /** Called after each episode with its result, task and index (e.g. to log it), in episode order; awaited. */
  onEpisode?: (r: EpisodeResult, task: TaskName, i: number) => void | Promise<void>;
  /**
   * Episodes run in lockstep (each on its own environment), so a policy predicts for all of them in one batch;
   * default LOCKSTEP_EPISODES. The results do not depend on it.
   */
  lockstep?: number;
}


/**
 * The split of evaluation episode i: three in five from the seen split, one from held-out colour-shape
 * combinations, one from held-out templates (see sim/tasks/SPLITS.md).
 */
export function evalSplit(i: number): Split {
  const k = i % 5;
  return k < 3 ? SPLITS[0] : k === 3 ? SPLITS[1] : SPLITS[2];
}

export async function evaluate(o: EvaluateOptions): Promise<Evaluation> {
  // Episode i uses seed + i: past 2^53 those sums are equal (1e99 + i === 1e99) and every episode is the same scene.
  if (!Number.isSafeInteger(o.seed) || o.seed < 0 || !Number.isSafeInteger(o.seed + o.episodes)) {
    throw new Error(`evaluate: seed must be a non-negative integer with seed + episodes below 2^53, got ${o.seed}`);
  }
  if (o.tasks.length === 0 || !Number.isInteger(o.episodes) || o.episodes < 1) {
    throw new Error(`evaluate: expected at least one task and one episode, got ${o.tasks.length} tasks and ${o.episodes} episodes`);
  }
  const t0 = performance.now();
  const envs = Array.from({ length: o.lockstep ?? LOCKSTEP_EPISODES }, () => new Environment({ ...(o.cameras ? { cameras: o.cameras } : {}), ...(o.maxSteps ? { maxSteps: o.maxSteps } : {}) }));
  const mine = Array.from({ length: o.episodes }, (_, i) => i).filter((i) => !o.shard || i % o.shard.count === o.shard.index);
  const total = o.tasks.length * mine.length;
  const bar = o.progress === 'bar' ? new cliProgress.SingleBar({ format: 'eval [{bar}] {value}/{total} episodes | success {rate} | ETA {eta}s' }, cliProgress.Presets.shades_classic) : null;
  bar?.start(total, 0, { rate: '-' });
  const perTask: Evaluation['perTask'] = {};
  let done = 0;
  let successes = 0;
  let stepSum = 0;
  for (const task of o.tasks) {
    const tally = newTally();
    const plans = mine.map((i): EpisodePlan => {
      const seed = o.seed + i;
      const driver = o.driverFactory ? o.driverFactory(seed) : expertDriver(seed);
      const record = o.videos && i < o.videos.count ? { size: o.videos.size ?? 128 } : undefined;
      const episode = { seed: hashSeed(`${task}:${seed}`), task, split: o.split ?? evalSplit(i), driver, ...(record ? { record } : {}) };
      return o.rephrase ? rephrasedPlan(episode, o.rephrase) : { options: episode };
    });
    await runEpisodes(plans, envs, async (r, k) => {
      const i = mine[k]!;
      await o.onEpisode?.(r, task, i);
      if (r.gif) {
        mkdirSync(o.videos!.dir, { recursive: true });
        writeFileSync(join(o.videos!.dir, `${task}-${i}-${r.success ? 'success' : 'failure'}.gif`), r.gif);
      }
      addToTally(tally, r);
      done++;
      successes += r.success ? 1 : 0;
      stepSum += r.steps;
      bar?.update(done, { rate: `${((100 * successes) / done).toFixed(1)}%` });
      if (o.progress === 'lines' && (done % 10 === 0 || done === total)) {
        process.stderr.write(`[eval] ${done}/${total} episodes, success ${((100 * successes) / done).toFixed(1)}%\n`);
      }
    });
    perTask[task] = summariseTally(tally, task, mine.length);
  }
  bar?.stop();
  return { successRate: total ? successes / total : 0, episodes: total, meanSteps: total ? stepSum / total : 0, perTask, seconds: (performance.now() - t0) / 1000 };
}
