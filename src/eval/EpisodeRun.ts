/**
 * One episode as a stepper: reset on construction, then `prepare()` and `step()` until `done`, then `result()`:
 * success and reason, whether the arm ended parked, where the gripper first came down and by which object, and a GIF
 * when asked. `prepare` lets the driver see this step's observation before any episode of a lockstep group acts, so
 * a policy can predict for the whole group in one forward pass (runEpisodes).
 */
import { GifRecorder, encodePng } from '../../sim/render/imageIO.js';
import { expertDriver, type Driver } from '../../sim/env/Driver.js';
import type { Split, TaskName } from '../../sim/tasks/index.js';
import type { Observation, Scene } from '../../sim/types.js';
import { Environment, type EpisodeInfo } from '../../sim/env/Environment.js';
import { objectHeight } from '../../sim/scene/geometry.js';

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

export class EpisodeRun {
  readonly env: Environment;
  readonly driver: Driver;
  observation: Observation;
  done = false;
  private readonly o: EpisodeOptions;
  private readonly info: EpisodeInfo;
  private readonly gif: GifRecorder | null = null;
  private readonly firstFramePng: Buffer | undefined;
  private steps = 0;
  private outcome = { success: false, reason: 'timeout', time: 0 };
  /** The gripper's positions over the last PARKED_STEPS + 1 steps, a ring of x, y, z. */
  private readonly ring = new Float64Array(3 * (PARKED_STEPS + 1));
  private readonly comeDown: number;
  private readonly startX: number;
  private readonly startY: number;
  private approachError: number | null = null;
  private cameDownBy: EpisodeResult['cameDownBy'] = null;

  constructor(o: EpisodeOptions) {
    this.o = o;
    this.env = o.env ?? new Environment();
    const env = this.env;
    this.observation = env.reset({ seed: o.seed, task: o.task ?? 'pick', split: o.split ?? 'seen', ...(o.command ? { command: o.command } : {}), ...(o.scene ? { scene: o.scene } : {}) });
    this.driver = o.driver ?? expertDriver(o.seed);
    this.driver.reset(env);
    this.info = env.info;
    if (o.record) {
      this.gif = new GifRecorder({ delayMs: (1000 / 20) * (o.record.every ?? 2) });
      const f = this.frame();
      this.firstFramePng = encodePng(f);
      this.gif.addFrame(f);
    }
    this.comeDown = objectHeight(this.info.scene.objects[this.info.target]!) + APPROACH_MARGIN;
    const start = env.snapshot().objects[this.info.target]!.position;
    this.startX = start.x;
    this.startY = start.y;
  }

  /** Shows the driver this step's observation ahead of `step` (a no-op for drivers that do not batch). */
  prepare(): void {
    this.driver.prepare?.(this.observation, this.env);
  }

  /** One control step: the driver acts, the environment steps, the measures update. */
  step(): void {
    if (this.done) throw new Error('EpisodeRun.step: the episode is over');
    const r = this.env.step(this.driver.act(this.observation, this.env));
    this.observation = r.observation;
    const e = this.observation.eePose;
    if (this.approachError === null && e.z < this.comeDown) this.measureApproach();
    const at = 3 * (this.steps % (PARKED_STEPS + 1));
    this.ring[at] = e.x;
    this.ring[at + 1] = e.y;
    this.ring[at + 2] = e.z;
    this.steps++;
    if (this.gif && (this.steps % (this.o.record!.every ?? 2) === 0 || r.done)) this.gif.addFrame(this.frame());
    if (r.done) {
      this.outcome = { success: r.info.success, reason: r.info.reason ?? 'timeout', time: r.info.time };
      this.done = true;
    }
  }

  result(): EpisodeResult {
    const info = this.info;
    return {
      seed: this.o.seed,
      task: info.task,
      command: info.command,
      split: info.split,
      target: objectName(info.scene.objects[info.target]!),
      success: this.outcome.success,
      reason: this.outcome.reason,
      steps: this.steps,
      time: this.outcome.time,
      ...(this.gif ? { gif: this.gif.finish(), firstFramePng: this.firstFramePng } : {}),
      parked: this.steps > PARKED_STEPS && pathLength(this.ring, this.steps) < PARKED_PATH,
      approachError: this.approachError,
      cameDownBy: this.cameDownBy,
    };
  }

  private frame() {
    const size = this.o.record?.size ?? 0;
    return this.env.render('scene', size, size, { supersampling: this.o.record?.supersampling ?? 1 });
  }

  /** The gripper has just come down: how far from the target (or its push line), and by which object. */
  private measureApproach(): void {
    const info = this.info;
    const e = this.observation.eePose;
    if (info.task === 'push' && info.direction) {
      const d = info.direction;
      this.approachError = Math.abs((e.x - this.startX) * d.y - (e.y - this.startY) * d.x);
      return;
    }
    const objects = this.env.snapshot().objects;
    const p = objects[info.target]!.position;
    this.approachError = Math.hypot(e.x - p.x, e.y - p.y);
    let nearest = info.target;
    let best = this.approachError;
    for (let k = 0; k < objects.length; k++) {
      const q = objects[k]!.position;
      const d = Math.hypot(e.x - q.x, e.y - q.y);
      if (k !== info.destination && d < best) [nearest, best] = [k, d];
    }
    this.cameDownBy = { id: objects[nearest]!.id, name: objectName(info.scene.objects[nearest]!), isTarget: nearest === info.target };
  }
}

/** "colour kind", as commands name an object ("purple ball"). */
export function objectName(o: { colour: string; kind: string }): string {
  return `${o.colour} ${o.kind}`;
}

/** Path length of the ring's last PARKED_STEPS moves, oldest to newest; `steps` positions were written. */
export function pathLength(ring: Float64Array, steps: number): number {
  const n = PARKED_STEPS + 1;
  let len = 0;
  for (let k = 1; k < n; k++) {
    const a = 3 * ((steps - n + k - 1) % n);
    const b = 3 * ((steps - n + k) % n);
    len += Math.hypot(ring[b]! - ring[a]!, ring[b + 1]! - ring[a + 1]!, ring[b + 2]! - ring[a + 2]!);
  }
  return len;
}

