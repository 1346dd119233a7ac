/**
 * Whole episodes: run one with a driver (the scripted expert for now; a policy later), optionally recording a
 * GIF, and evaluate a driver over many seeded episodes with success rates per task and per split.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { GifRecorder, encodePng } from '../render/imageIO.js';
import { ScriptedExpert, type ExpertOptions } from '../expert/ScriptedExpert.js';
import { hashSeed, Rng } from '../util/Rng.js';
import { getTask, resolveCommand, SPLITS, type Split, type TaskName } from '../tasks/index.js';
import type { EeAction, Observation, Scene } from '../types.js';
import { Environment, type CameraSpec, type EpisodeInfo } from './Environment.js';
import { objectHeight } from '../scene/geometry.js';
import { median } from '../util/median.js';
import { formatRate, wilsonInterval } from '../util/wilson.js';

/** Anything that maps an observation (and, for the expert, privileged state) to an action. */
export interface Driver {
  reset(env: Environment): void;
  act(obs: Observation, env: Environment): EeAction;
}

/**
 * A command said in other words: the text a user would type, the command the simulator carries out (null: the text
 * was not understood, which counts as a failure, "not understood"), and, when the driver's policy reads other words
 * than that command (a Korean command in Korean words), those words.
 */
export interface Rephrased {
  text: string;
  command: string | null;
  reads?: string;
}

/** `driver` given `command` as every observation's command (what its policy reads instead of the episode's). */
export function readingAs(driver: Driver, command: string): Driver {
  return {
    reset: (env) => driver.reset(env),
    act: (obs, env) => {
      obs.command = command; // each step's observation is a new object
      return driver.act(obs, env);
    },
  };
}

export function expertDriver(seed: number, options: ExpertOptions = {}): Driver {
  const expert = new ScriptedExpert(hashSeed(`expert:${seed}`), options);
  return {
    reset: (env) => expert.reset(env.info, env.snapshot()),
    act: (obs, env) => expert.act(obs, env.snapshot()),
  };
}

export interface EpisodeOptions {
  seed: number;
  task?: TaskName;
  /** Split to sample the command from when no command is given; default 'seen'. */
  split?: Split;
  command?: string | undefined;
  scene?: Scene | undefined;
  driver?: Driver;
  env?: Environment;
  /** Record a GIF from the scene camera at this size (supersampling: CameraSpec.supersampling, default 1). */
  record?: { size: number; every?: number; supersampling?: number };
}

export interface EpisodeResult {
  seed: number;
  task: TaskName;
  command: string;
  split: string;
  /** The named object as "colour kind", e.g. "purple ball". */
  target: string;
  success: boolean;
  reason: string;
  steps: number;
  time: number;
  gif?: Uint8Array;
  firstFramePng?: Buffer;
  /**
   * The gripper moved less than PARKED_PATH (2 cm, path length) over the episode's last PARKED_STEPS (50) steps:
   * the episode ended with the arm standing still (for a failure: it gave up moving, rather than ran out of time).
   */
  parked: boolean;
  /**
   * Where the gripper first came down (its z below the target's top + APPROACH_MARGIN): pick and place, the
   * horizontal distance (m) from the target's centre; push, the distance from the line through the target's start
   * along the push direction. null when it never came that low. The expert comes down within a few mm; a policy's
   * episodes that come down 3 cm or more off mostly fail.
   */
  approachError: number | null;
  /**
   * Pick and place: the object nearest the gripper (horizontally, the destination left out) when it first came
   * down, as for approachError, and whether that is the target; null when it never came down, and for push (whose
   * descent is behind the object). Tells a failure that went for another object ("which object") from one that
   * came down by the target and failed there ("where", "how"). name: "colour kind", as `target`.
   */
  cameDownBy: { id: string; name: string; isTarget: boolean } | null;
}

/** Margin (m) above the target's top below which the gripper counts as having come down (approachError). */
export const APPROACH_MARGIN = 0.02;

/** Steps and path length (m) of the "parked at the end" test (EpisodeResult.parked). */
export const PARKED_STEPS = 50;
export const PARKED_PATH = 0.02;

export async function runEpisode(o: EpisodeOptions): Promise<EpisodeResult> {
  const env = o.env ?? new Environment();
  let obs = env.reset({ seed: o.seed, task: o.task ?? 'pick', split: o.split ?? 'seen', ...(o.command ? { command: o.command } : {}), ...(o.scene ? { scene: o.scene } : {}) });
  const driver = o.driver ?? expertDriver(o.seed);
  driver.reset(env);
  const info: EpisodeInfo = env.info;
  let gif: GifRecorder | null = null;
  let firstFramePng: Buffer | undefined;
  const size = o.record?.size ?? 0;
  const frame = () => env.render('scene', size, size, { supersampling: o.record?.supersampling ?? 1 });
  if (o.record) {
    gif = new GifRecorder({ delayMs: 1000 / 20 * (o.record.every ?? 2) });
    const f = frame();
    firstFramePng = encodePng(f);
    gif.addFrame(f);
  }
  let steps = 0;
  let result = { success: false, reason: 'timeout', time: 0 };
  // The gripper's positions over the last PARKED_STEPS + 1 steps, a ring of x, y, z (one array per episode).
  const ring = new Float64Array(3 * (PARKED_STEPS + 1));
  const targetSpec = info.scene.objects[info.target]!;
  const comeDown = objectHeight(targetSpec) + APPROACH_MARGIN;
  const start = env.snapshot().objects[info.target]!.position;
  const startX = start.x;
  const startY = start.y;
  let approachError: number | null = null;
  let cameDownBy: EpisodeResult['cameDownBy'] = null;
  for (;;) {
    const r = env.step(driver.act(obs, env));
    obs = r.observation;
    if (approachError === null && obs.eePose.z < comeDown) {
      const e = obs.eePose;
      if (info.task === 'push' && info.direction) {
        const d = info.direction;
        approachError = Math.abs((e.x - startX) * d.y - (e.y - startY) * d.x);
      } else {
        const objects = env.snapshot().objects;
        const p = objects[info.target]!.position;
        approachError = Math.hypot(e.x - p.x, e.y - p.y);
        let nearest = info.target;
        let best = approachError;
        for (let k = 0; k < objects.length; k++) {
          const q = objects[k]!.position;
          const d = Math.hypot(e.x - q.x, e.y - q.y);
          if (k !== info.destination && d < best) [nearest, best] = [k, d];
        }
        cameDownBy = { id: objects[nearest]!.id, name: objectName(info.scene.objects[nearest]!), isTarget: nearest === info.target };
      }
    }
    const at = 3 * (steps % (PARKED_STEPS + 1));
    ring[at] = obs.eePose.x;
    ring[at + 1] = obs.eePose.y;
    ring[at + 2] = obs.eePose.z;
    steps++;
    if (gif && (steps % (o.record!.every ?? 2) === 0 || r.done)) gif.addFrame(frame());
    if (r.done) {
      result = { success: r.info.success, reason: r.info.reason ?? 'timeout', time: r.info.time };
      break;
    }
  }
  return {
    seed: o.seed,
    task: info.task,
    command: info.command,
    split: info.split,
    target: objectName(targetSpec),
    success: result.success,
    reason: result.reason,
    steps,
    time: result.time,
    ...(gif ? { gif: gif.finish(), firstFramePng } : {}),
    parked: steps > PARKED_STEPS && pathLength(ring, steps) < PARKED_PATH,
    approachError,
    cameDownBy,
  };
}

/** "colour kind", as commands name an object ("purple ball"). */
function objectName(o: { colour: string; kind: string }): string {
  return `${o.colour} ${o.kind}`;
}

/** Path length of the ring's last PARKED_STEPS moves, oldest to newest; `steps` positions were written. */
function pathLength(ring: Float64Array, steps: number): number {
  const n = PARKED_STEPS + 1;
  let len = 0;
  for (let k = 1; k < n; k++) {
    const a = 3 * ((steps - n + k - 1) % n);
    const b = 3 * ((steps - n + k) % n);
    len += Math.hypot(ring[b]! - ring[a]!, ring[b + 1]! - ring[a + 1]!, ring[b + 2]! - ring[a + 2]!);
  }
  return len;
}

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
  rephrase?: { split: string; say: (command: string, scene: Scene, seed: number) => Rephrased };
  /** Called after each episode with its result, task and index (e.g. to log it); awaited. */
  onEpisode?: (r: EpisodeResult, task: TaskName, i: number) => void | Promise<void>;
}

export interface RateTable {
  episodes: number;
  successes: number;
  successRate: number;
  /** The 95% Wilson interval of successRate: [low, high] (sim/util/wilson.ts). */
  ci95: [number, number];
}

/**
 * One target ("purple ball") of one task: its episodes, and for pick and place the failed ones that came down by
 * another object, counted by that object's name (which object it was taken for).
 */
export type TargetTable = RateTable & { cameDownBy: Record<string, number> };

export interface Evaluation {
  /** Overall success rate, 0..1 (the field scripts read). */
  successRate: number;
  episodes: number;
  meanSteps: number;
  /**
   * failures: by reason; parked: failed episodes that ended with the arm standing still (EpisodeResult.parked);
   * approach: where the gripper came down (EpisodeResult.approachError), over the episodes where it did;
   * failedBy: pick and place, where the failed episodes came down (EpisodeResult.cameDownBy), null for push;
   * perTarget: by the named object ("purple ball"), sorted by name.
   */
  perTask: Record<
    string,
    RateTable & {
      meanSteps: number;
      perSplit: Record<string, RateTable>;
      failures: Record<string, number>;
      parked: number;
      approach: ApproachSummary;
      failedBy: FailureSites | null;
      perTarget: Record<string, TargetTable>;
    }
  >;
  seconds: number;
}

/**
 * The split of evaluation episode i: three in five from the seen split, one from held-out colour-shape
 * combinations, one from held-out templates (see sim/tasks/SPLITS.md).
 */
export function evalSplit(i: number): Split {
  const k = i % 5;
  return k < 3 ? SPLITS[0] : k === 3 ? SPLITS[1] : SPLITS[2];
}

export interface ApproachSummary {
  /** Episodes where the gripper came down. */
  measured: number;
  /** Median approachError (m) over them; null when none. */
  median: number | null;
  /** How many came down within APPROACH_CLOSE (2 cm). */
  close: number;
}

/** Where failed episodes first came down (EpisodeResult.cameDownBy): by the target, by another object, never. */
export interface FailureSites {
  byTarget: number;
  byOther: number;
  never: number;
}

/** Counts a failed episode in `sites` by where it first came down. */
export function countFailureSite(sites: FailureSites, r: Pick<EpisodeResult, 'cameDownBy'>): void {
  if (!r.cameDownBy) sites.never++;
  else if (r.cameDownBy.isTarget) sites.byTarget++;
  else sites.byOther++;
}

/** An approach within this distance (m) counts as close in ApproachSummary. */
export const APPROACH_CLOSE = 0.02;

export function summariseApproach(errors: readonly number[]): ApproachSummary {
  const n = errors.length;
  return { measured: n, median: n === 0 ? null : median(errors), close: errors.filter((e) => e < APPROACH_CLOSE).length };
}

const rate = (episodes: number, successes: number): RateTable => {
  const ci = wilsonInterval(successes, episodes);
  return { episodes, successes, successRate: episodes ? successes / episodes : 0, ci95: [ci.low, ci.high] };
};

/** One task's episodes as evaluate() runs them, before they become its row of Evaluation.perTask. */
interface TaskTally {
  splits: Record<string, { e: number; s: number }>;
  failures: Record<string, number>;
  parked: number;
  approaches: number[];
  failedBy: FailureSites;
  targets: Record<string, { e: number; s: number; by: Record<string, number> }>;
  successes: number;
  steps: number;
}

const newTally = (): TaskTally => ({ splits: {}, failures: {}, parked: 0, approaches: [], failedBy: { byTarget: 0, byOther: 0, never: 0 }, targets: {}, successes: 0, steps: 0 });

function addToTally(t: TaskTally, r: EpisodeResult): void {
  const sp = (t.splits[r.split] ??= { e: 0, s: 0 });
  const tg = (t.targets[r.target] ??= { e: 0, s: 0, by: {} });
  sp.e++;
  tg.e++;
  if (r.success) {
    sp.s++;
    tg.s++;
    t.successes++;
  } else {
    if (r.cameDownBy && !r.cameDownBy.isTarget) tg.by[r.cameDownBy.name] = (tg.by[r.cameDownBy.name] ?? 0) + 1;
    t.failures[r.reason] = (t.failures[r.reason] ?? 0) + 1;
    if (r.parked) t.parked++;
    countFailureSite(t.failedBy, r);
  }
  if (r.approachError !== null) t.approaches.push(r.approachError);
  t.steps += r.steps;
}

function summariseTally(t: TaskTally, task: TaskName, episodes: number): Evaluation['perTask'][string] {
  return {
    ...rate(episodes, t.successes),
    meanSteps: episodes ? t.steps / episodes : 0,
    perSplit: Object.fromEntries(Object.entries(t.splits).map(([k, v]) => [k, rate(v.e, v.s)])),
    failures: t.failures,
    parked: t.parked,
    approach: summariseApproach(t.approaches),
    failedBy: task === 'push' ? null : t.failedBy,
    perTarget: Object.fromEntries(
      Object.keys(t.targets)
        .sort()
        .map((k) => [k, { ...rate(t.targets[k]!.e, t.targets[k]!.s), cameDownBy: t.targets[k]!.by }]),
    ),
  };
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
  const env = new Environment({ ...(o.cameras ? { cameras: o.cameras } : {}), ...(o.maxSteps ? { maxSteps: o.maxSteps } : {}) });
  const mine = (i: number) => !o.shard || i % o.shard.count === o.shard.index;
  const perTaskEpisodes = Array.from({ length: o.episodes }, (_, i) => i).filter(mine).length;
  const total = o.tasks.length * perTaskEpisodes;
  const bar = o.progress === 'bar' ? new cliProgress.SingleBar({ format: 'eval [{bar}] {value}/{total} episodes | success {rate} | ETA {eta}s' }, cliProgress.Presets.shades_classic) : null;
  bar?.start(total, 0, { rate: '-' });
  const perTask: Evaluation['perTask'] = {};
  let done = 0;
  let successes = 0;
  let stepSum = 0;
  for (const task of o.tasks) {
    const tally = newTally();
    for (let i = 0; i < o.episodes; i++) {
      if (!mine(i)) continue;
      const seed = o.seed + i;
      const driver = o.driverFactory ? o.driverFactory(seed) : expertDriver(seed);
      const record = o.videos && i < o.videos.count ? { size: o.videos.size ?? 128 } : undefined;
      const episode = { seed: hashSeed(`${task}:${seed}`), task, split: o.split ?? evalSplit(i), driver, env, ...(record ? { record } : {}) };
      const r = o.rephrase ? await rephrasedEpisode(episode, o.rephrase) : await runEpisode(episode);
      await o.onEpisode?.(r, task, i);
      if (record && r.gif) {
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
    }
    perTask[task] = summariseTally(tally, task, perTaskEpisodes);
  }
  bar?.stop();
  return { successRate: total ? successes / total : 0, episodes: total, meanSteps: total ? stepSum / total : 0, perTask, seconds: (performance.now() - t0) / 1000 };
}

/** The episode runEpisode would sample, said in other words first (EvaluateOptions.rephrase). */
async function rephrasedEpisode(o: EpisodeOptions & { task: TaskName; split: Split }, rephrase: NonNullable<EvaluateOptions['rephrase']>): Promise<EpisodeResult> {
  const sampled = getTask(o.task).sampleEpisode(new Rng(o.seed), o.split); // as Environment.reset samples it
  const said = rephrase.say(sampled.command, sampled.scene, o.seed);
  if (said.command === null) {
    const ref = resolveCommand(sampled.command, sampled.scene);
    const target = sampled.scene.objects.find((x) => x.id === ref.targetId)!;
    return { seed: o.seed, task: o.task, command: said.text, split: rephrase.split, target: objectName(target), success: false, reason: 'not understood', steps: 0, time: 0, parked: false, approachError: null, cameDownBy: null };
  }
  const driver = said.reads !== undefined && o.driver ? readingAs(o.driver, said.reads) : o.driver;
  const r = await runEpisode({ ...o, command: said.command, scene: sampled.scene, ...(driver ? { driver } : {}) });
  return { ...r, command: said.text, split: rephrase.split };
}

export function formatEvaluation(e: Evaluation): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const lines = [`task      episodes  success  mean steps  per split (95% Wilson intervals) / failures`];
  for (const [task, t] of Object.entries(e.perTask)) {
    const splits = Object.entries(t.perSplit).map(([k, v]) => `${k} ${formatRate(v.successes, v.episodes)}`).join(', ');
    const fails = (Object.entries(t.failures).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none') + (t.parked ? ` (${t.parked} of them parked at the end)` : '');
    lines.push(`${task.padEnd(9)} ${String(t.episodes).padStart(8)}  ${pct(t.successRate).padStart(7)}  ${t.meanSteps.toFixed(1).padStart(10)}  ${splits}; failures: ${fails}`);
  }
  lines.push(`overall   ${String(e.episodes).padStart(8)}  ${pct(e.successRate).padStart(7)}  ${e.meanSteps.toFixed(1).padStart(10)}  (${e.seconds.toFixed(1)} s, ${(e.episodes / e.seconds).toFixed(2)} episodes/s)`);
  for (const [task, t] of Object.entries(e.perTask)) lines.push(`${task}: ${formatRate(t.successes, t.episodes)}`);
  const overall = Object.values(e.perTask).reduce((n, t) => n + t.successes, 0);
  lines.push(`overall: ${formatRate(overall, e.episodes)}`);
  for (const [task, t] of Object.entries(e.perTask)) {
    const a = t.approach;
    if (!a || a.measured === 0) continue;
    lines.push(`${task}: the gripper came down a median ${(100 * a.median!).toFixed(1)} cm ${task === 'push' ? 'beside the line of the push' : 'from the target'}, ${a.close} of ${a.measured} within ${100 * APPROACH_CLOSE} cm`);
  }
  for (const [task, t] of Object.entries(e.perTask)) {
    const f = t.failedBy;
    if (!f || f.byTarget + f.byOther + f.never === 0) continue;
    lines.push(`${task} failures: ${f.byTarget} came down by the target, ${f.byOther} by another object, ${f.never} never came down`);
  }
  for (const [task, t] of Object.entries(e.perTask)) {
    const weak = weakestTargets(t.perTarget);
    if (weak) lines.push(`${task}: ${weak}`);
  }
  return lines.join('\n');
}

/** Counts as "name n", most first (ties by name): ["orange cylinder 4", "yellow cylinder 1"]. */
export function countsMostFirst(counts: Readonly<Record<string, number>>): string[] {
  return Object.entries(counts)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([name, n]) => `${name} ${n}`);
}

/**
 * The targets with failures, lowest success rate first (at most `max`), each with what its failures came down by:
 * "the targets that failed most: orange cube 14/18 (came down by orange ball 2, red cube 1), ...". '' when none failed.
 */
export function weakestTargets(perTarget: Record<string, TargetTable>, max = 4): string {
  const failed = Object.entries(perTarget)
    .filter(([, t]) => t.successes < t.episodes)
    .sort(([a, x], [b, y]) => x.successRate - y.successRate || y.episodes - x.episodes || a.localeCompare(b));
  if (failed.length === 0) return '';
  const show = failed.slice(0, max).map(([name, t]) => {
    const by = countsMostFirst(t.cameDownBy);
    return `${name} ${t.successes}/${t.episodes}${by.length ? ` (came down by ${by.join(', ')})` : ''}`;
  });
  const more = failed.length > max ? `, and ${failed.length - max} more` : '';
  return `the targets that failed most: ${show.join(', ')}${more}`;
}
