/**
 * Records episodes into an MCAP file for Foxglove: at every control step the camera frames (foxglove.RawImage on
 * /camera/NAME), the joints (foxglove.JointStates on /joint_states), the end effector's and the objects' poses
 * (foxglove.FrameTransforms on /tf) with the objects' shapes (foxglove.SceneUpdate on /scene, once an episode), the
 * command the driver chose (vla.EeAction on /action); every
 * `attentionEvery` steps, when a policy drives, one picture per command word of where that word looks
 * (foxglove.CompressedImage PNG on /attention/I_WORD); and per episode its command and outcome (vla.Episode on
 * /episode, foxglove.Log on /log).
 *
 * Episodes follow one another on one clock: each starts a second after the last one ended, stepping at the
 * control rate, so a file of many episodes plays as one timeline.
 *
 * Driver.act is synchronous and the writer is not, so messages go into a queue in order; `flush()` waits for it
 * and rethrows the first write error.
 */
import type { Driver } from '../../../sim/env/Driver.js';
import type { Environment } from '../../../sim/env/Environment.js';
import { CONTROL_HZ, type EeAction, type Observation, type SceneObject } from '../../../sim/types.js';
import type { SnapshotObject } from '../../../sim/tasks/types.js';
import { averageHeads, cameraSlice, type AttentionMaps } from '../../policy/index.js';
import { renderAttentionOverlayPng } from '../../viz/attentionOverlay.js';
import { McapFile } from './McapFile.js';
import { ACTION_SCHEMA, EPISODE_SCHEMA, SCHEMAS, actionMessage, jointStates, logMessage, pngImage, poseTransforms, rawImage, sceneUpdate, stamp } from './messages.js';

/** Anything with the policy's attention maps (VlaPolicy has them). */
export interface AttentionSource {
  attentionMaps(observation: Observation): AttentionMaps;
}

export interface RecorderOptions {
  /** Log time of the first episode's first step (ns since the Unix epoch); default now. */
  startNs?: bigint;
  /** Where a policy drives: record its attention maps every this many steps (0: never). Default 5. */
  attentionEvery?: number;
}

/** One step's state, from the simulator or a live robot. */
export interface StepState {
  observation: Observation;
  jointNames: readonly string[];
  objects: readonly SnapshotObject[];
}

export interface EpisodeStart {
  command: string;
  seed: number;
  task: string;
  driver: string;
}

export interface EpisodeEnd {
  success: boolean;
  reason: string;
  steps: number;
}

const STEP_NS = BigInt(Math.round(1e9 / CONTROL_HZ));
const GAP_NS = 1_000_000_000n;

export class EpisodeRecorder {
  private queue: Promise<void> = Promise.resolve();
  private error: unknown = null;
  private episodeStart: bigint;
  private lastTime: bigint;
  private readonly attentionEvery: number;

  constructor(readonly file: McapFile, o: RecorderOptions = {}) {
    this.episodeStart = o.startNs ?? BigInt(Date.now()) * 1_000_000n;
    this.lastTime = this.episodeStart - GAP_NS;
    this.attentionEvery = o.attentionEvery ?? 5;
  }

  static async create(path: string, o: RecorderOptions = {}): Promise<EpisodeRecorder> {
    return new EpisodeRecorder(await McapFile.create(path, 'vla'), o);
  }

  /** The log time of step `step` of the current episode. */
  timeOf(step: number): bigint {
    return this.episodeStart + BigInt(step) * STEP_NS;
  }

  /** Whether attention maps are due at this step. */
  attentionDue(step: number): boolean {
    return this.attentionEvery > 0 && step % this.attentionEvery === 0;
  }

  private post(topic: string, schemaName: string, schema: object, t: bigint, message: object): void {
    if (t > this.lastTime) this.lastTime = t;
    this.queue = this.queue.then(() => this.file.write(topic, schemaName, schema, t, message)).catch((e) => void (this.error ??= e));
  }

  private foxglove(topic: string, name: keyof typeof SCHEMAS, t: bigint, message: object): void {
    this.post(topic, `foxglove.${name}`, SCHEMAS[name], t, message);
  }

  /**
   * Starts an episode a second after the last message (or at `at`, ns since the epoch, for a live robot's wall
   * clock); its command goes to /episode and /log.
   */
  beginEpisode(e: EpisodeStart, at?: bigint): void {
    this.episodeStart = at ?? this.lastTime + GAP_NS;
    const t = this.timeOf(0);
    this.post('/episode', 'vla.Episode', EPISODE_SCHEMA, t, { timestamp: stamp(t), ...e, phase: 'start', success: null, reason: null, steps: null });
    this.foxglove('/log', 'Log', t, logMessage(t, `"${e.command}" (task ${e.task}, seed ${e.seed}, ${e.driver})`));
  }

  /** The scene's objects as shapes on /scene (replacing the last episode's), locked to their /tf frames. */
  recordScene(objects: readonly SceneObject[], at?: bigint): void {
    const t = at ?? this.timeOf(0);
    this.foxglove('/scene', 'SceneUpdate', t, sceneUpdate(t, objects));
  }

  /** One control step: cameras, joints, poses, and the command chosen from this observation (if known); at: log time. */
  recordStep(s: StepState, action: EeAction | null, at?: bigint): void {
    const obs = s.observation;
    const t = at ?? this.timeOf(obs.step);
    for (const [name, img] of Object.entries(obs.images)) this.foxglove(`/camera/${name}`, 'RawImage', t, rawImage(t, `camera/${name}`, img));
    this.foxglove('/joint_states', 'JointStates', t, jointStates(t, s.jointNames, obs.joints, obs.gripperOpening));
    this.foxglove('/tf', 'FrameTransforms', t, poseTransforms(t, obs.eePose, s.objects));
    if (action) this.post('/action', 'vla.EeAction', ACTION_SCHEMA, t, actionMessage(t, action));
  }

  /** Each word's map (last fusion layer, heads averaged) over the first camera's frame, one topic per word. */
  recordAttention(policy: AttentionSource, obs: Observation, at?: bigint): void {
    const maps = policy.attentionMaps(obs);
    const heads = maps.layers[maps.layers.length - 1];
    const camera = maps.cameras[0];
    if (!heads || !camera || !obs.images[camera]) return;
    const words = averageHeads([heads])[0]!;
    const t = at ?? this.timeOf(obs.step);
    maps.words.forEach((word, i) => {
      const label = maps.unknown.includes(word) ? `${word} (unknown)` : word;
      const png = renderAttentionOverlayPng(obs.images[camera]!, [{ label, map: cameraSlice(words[i]!, maps.grid, 0) }], { grid: maps.grid, panelSize: 160 });
      this.foxglove(`/attention/${i}_${word.replace(/[^\p{L}\p{N}_]/gu, '_')}`, 'CompressedImage', t, pngImage(t, `camera/${camera}`, png));
    });
  }

  /** Ends the episode: its outcome on /episode and /log (a failure as a warning). */
  endEpisode(e: EpisodeStart, end: EpisodeEnd, at?: bigint): void {
    const t = at ?? this.timeOf(end.steps);
    this.post('/episode', 'vla.Episode', EPISODE_SCHEMA, t, { timestamp: stamp(t), ...e, phase: 'end', ...end });
    const outcome = end.success ? 'success' : `failure (${end.reason})`;
    this.foxglove('/log', 'Log', t, logMessage(t, `"${e.command}": ${outcome} after ${end.steps} steps`, !end.success));
  }

  /**
   * A driver that records every step it is asked to act on (and, with `policy`, the attention maps every
   * attentionEvery steps) before handing its action back unchanged.
   */
  wrap(driver: Driver, policy: AttentionSource | null = null): Driver {
    return {
      reset: (env: Environment) => {
        this.recordScene(env.info.scene.objects);
        driver.reset(env);
      },
      act: (obs: Observation, env: Environment) => {
        const action = driver.act(obs, env);
        this.recordStep({ observation: obs, jointNames: env.arm.armJointNames, objects: env.snapshot().objects }, action);
        if (policy && this.attentionDue(obs.step)) this.recordAttention(policy, obs);
        return action;
      },
    };
  }

  /** Waits until every queued message is written; throws the first write error. */
  async flush(): Promise<void> {
    await this.queue;
    if (this.error) throw this.error;
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.file.close();
    }
  }
}
