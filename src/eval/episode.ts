/**
 * One episode: run it with a driver (the scripted expert unless another is given), optionally recording a GIF in
 * memory, and measure how it went: success and reason, whether the arm ended parked, where the gripper first came
 * down and by which object. A command can be said in other words first (free-form English or Korean).
 */
import { GifRecorder, encodePng } from '../../sim/render/imageIO.js';
import { expertDriver, type Driver } from '../../sim/env/Driver.js';
import { Rng } from '../../sim/util/Rng.js';
import { getTask, resolveCommand, type Split, type TaskName } from '../../sim/tasks/index.js';
import type { Scene } from '../../sim/types.js';
import { Environment, type EpisodeInfo } from '../../sim/env/Environment.js';
import { objectHeight } from '../../sim/scene/geometry.js';

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

/** How a sampled command is said in other words, and the split its episodes are reported under. */
export interface Rephrasing {
  split: string;
  say: (command: string, scene: Scene, seed: number) => Rephrased;
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

/** The episode runEpisode would sample, said in other words first (EvaluateOptions.rephrase). */
export async function rephrasedEpisode(o: EpisodeOptions & { task: TaskName; split: Split }, rephrase: Rephrasing): Promise<EpisodeResult> {
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
