/**
 * The one simulation every viewer watches: an Environment, the driver of the current episode (the policy or the
 * scripted expert) and, when a policy is loaded, its cross-attention maps for every control step.
 *
 * It knows nothing of sockets: it hands each message, serialised once, to `emit`. Frames are `droppable` (a
 * slow viewer may skip them); scene, final-frame and error messages are not. The episode loop runs on timers
 * paced at `stepsPerSecond` and never waits for a viewer.
 */
import { Matrix4 } from 'three';
import { Environment, type CameraSpec } from '../../sim/env/Environment.js';
import { expertDriver, type Driver } from '../../sim/env/Driver.js';
import { CAMERA_PRESETS } from '../../sim/render/cameras.js';
import { listScenes, loadScene } from '../../sim/scene/index.js';
import { CONTROL_HZ, type Observation, type Scene, type SceneObject } from '../../sim/types.js';
import type { VlaPolicy } from '../policy/index.js';
import { policyDriver } from '../eval/drivers.js';
import type {
  AttentionWords,
  DriverName,
  FrameAttention,
  FrameMessage,
  HelloMessage,
  ResetMessage,
  RunMessage,
  SceneMessage,
  Status,
} from './protocol.js';
import { sceneJson } from './sceneJson.js';
import { alignToTokens, policyReading, readsKorean, resetWithCommand, type PolicyWords, type Understood } from '../language/index.js';

export interface ViewerSessionOptions {
  /** The policy whose attention is shown and which can drive; null = expert only, no attention panel. */
  policy: VlaPolicy | null;
  policyLabel?: string;
  /** Shown on the page when there is no policy. */
  note?: string | null;
  /** Control steps per wall-clock second; default CONTROL_HZ (real time); 0 = as fast as the machine goes. */
  stepsPerSecond?: number;
  /** Control steps before an episode times out; default the Environment's (200). */
  maxSteps?: number;
}

export type Emit = (json: string, droppable: boolean) => void;

const toBase64 = (a: Uint8Array | Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

export class ViewerSession {
  readonly policy: VlaPolicy | null;
  readonly stepsPerSecond: number;
  private readonly env: Environment;
  private readonly hello: HelloMessage;
  private readonly scenes = new Map<string, Scene>();
  private emit: Emit = () => {};
  private driver: Driver | null = null;
  private obs: Observation | null = null;
  /** What the policy reads instead of the episode's command (a Korean command's Korean words), or null. */
  private reads: string | null = null;
  private status: Status = { state: 'ready', step: 0, time: 0, reason: null, driver: null };
  private episode = 0;
  private timer: NodeJS.Timeout | null = null;
  private startedAt = 0;
  private stepsAtStart = 0;
  private sceneMsg: SceneMessage | null = null;
  private lastFrame = '';
  private closed = false;
  private linkPoses: Matrix4[] = [];
  /** Counters for `stats`. */
  episodes = 0;
  steps = 0;

  constructor(options: ViewerSessionOptions) {
    this.policy = options.policy;
    this.stepsPerSecond = options.stepsPerSecond ?? CONTROL_HZ;
    if (!(this.stepsPerSecond >= 0) || !Number.isFinite(this.stepsPerSecond)) {
      throw new Error(`steps per second must be a finite number >= 0, got ${this.stepsPerSecond}`);
    }
    const p = this.policy;
    const cameras: CameraSpec[] = p
      ? p.config.cameras.map((c) => {
          if (!(c in CAMERA_PRESETS)) throw new Error(`the policy reads camera "${c}", which the simulator does not have`);
          return { name: c as CameraSpec['name'], width: p.config.imageSize, height: p.config.imageSize, supersampling: p.config.supersampling };
        })
      : [{ name: 'scene', width: 64, height: 64 }];
    this.env = new Environment({ cameras, ...(options.maxSteps ? { maxSteps: options.maxSteps } : {}) });
    this.hello = {
      type: 'hello',
      scenes: listScenes(),
      drivers: p ? ['policy', 'expert'] : ['expert'],
      policy: p
        ? {
            label: options.policyLabel ?? 'policy',
            cameras: [...p.config.cameras],
            grid: p.grid,
            layers: p.config.fusionLayers,
            heads: p.config.heads,
            imageSize: p.config.imageSize,
          }
        : null,
      note: p ? null : (options.note ?? 'no policy loaded: the attention panel is empty and only the scripted expert drives'),
      controlHz: CONTROL_HZ,
    };
    this.reset({ op: 'reset', seed: 0 });
  }

  /** Where messages for every viewer go (the server broadcasts them). */
  setEmitter(emit: Emit): void {
    this.emit = emit;
  }

  /** What a viewer that just connected needs: hello, the current scene and its latest frame. */
  welcome(): string[] {
    const scene = this.sceneMsg ? JSON.stringify({ ...this.sceneMsg, status: this.status }) : '';
    return [JSON.stringify(this.hello), scene, this.lastFrame].filter((s) => s !== '');
  }

  /** Shows the start of an episode without running it. Throws a clear Error on a bad scene or command. */
  reset(m: ResetMessage): void {
    const scene = m.scene ? this.scene(m.scene) : undefined;
    let command = m.command?.trim() || undefined;
    // A scene file needs a command; default to picking up its first graspable object.
    if (!command && scene) command = defaultCommand(scene);
    this.begin(m.seed, command, scene, m.scene ?? null, null);
  }

  /** Resets to the scene and runs the episode. Throws a clear Error on a bad scene, command or driver. */
  run(m: RunMessage): void {
    if (m.driver === 'policy' && !this.policy) throw new Error(this.hello.note ?? 'no policy loaded; choose the scripted expert');
    const scene = m.scene ? this.scene(m.scene) : undefined;
    this.begin(m.seed, m.command, scene, m.scene ?? null, m.driver);
  }

  /** Stops the running episode where it is. */
  stop(): void {
    if (this.status.state !== 'running') return;
    this.cancelTimer();
    this.status = { ...this.status, state: 'stopped', reason: 'stopped' };
    this.publishFrame(false);
  }

  close(): void {
    this.closed = true;
    this.cancelTimer();
  }

  private scene(name: string): Scene {
    if (!this.hello.scenes.includes(name)) throw new Error(`unknown scene "${name}": choose one of ${this.hello.scenes.join(', ')}`);
    let s = this.scenes.get(name);
    if (!s) {
      s = loadScene(name);
      this.scenes.set(name, s);
    }
    return s;
  }

  private begin(seed: number, command: string | undefined, scene: Scene | undefined, sceneName: string | null, driver: DriverName | null): void {
    // Reset first: it throws on an absent object ("there is no purple ball on the table") before anything changes.
    // The user's words are read (English or Korean) and grounded in the scene; the policy gets the templates' words.
    const understood = command ? resetWithCommand(this.env, command, seed, scene) : null;
    const obs = understood ? understood.observation : this.env.reset({ seed, ...(scene ? { scene } : {}) });
    // A policy that reads Korean is given a Korean command's Korean words, in every observation of the episode.
    const reads = understood && this.policy ? policyReading(understood.understood, readsKorean(this.policy.tokenizer)) : null;
    this.reads = reads?.words ? reads.text : null;
    if (this.reads !== null) obs.command = this.reads;
    this.cancelTimer();
    this.obs = obs;
    this.episode++;
    this.driver = driver === 'policy' ? policyDriver(this.policy!) : driver === 'expert' ? expertDriver(seed) : null;
    this.driver?.reset(this.env);
    this.status = { state: driver ? 'running' : 'ready', step: 0, time: 0, reason: null, driver };
    const info = this.env.info;
    const json = sceneJson(info.scene, this.env.arm);
    const cam = CAMERA_PRESETS.scene;
    let words: AttentionWords | null = null;
    const attention = this.attention(obs, (w) => (words = w));
    const msg: SceneMessage = {
      type: 'scene',
      episode: this.episode,
      seed,
      scene: sceneName,
      command: info.command,
      reading: understood ? readingSummary(understood.understood, words, reads?.words ?? null) : null,
      ...json,
      camera: { position: cam.position, target: cam.target },
      attention: words,
      status: this.status,
    };
    this.sceneMsg = msg;
    this.emit(JSON.stringify(msg), false);
    this.publishFrame(false, attention);
    if (driver) {
      this.episodes++;
      this.startedAt = performance.now();
      this.stepsAtStart = 0;
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.closed) return;
    let delay = 0;
    if (this.stepsPerSecond > 0) {
      const interval = 1000 / this.stepsPerSecond;
      const now = performance.now();
      let due = this.startedAt + (this.status.step - this.stepsAtStart + 1) * interval;
      // After a stall (a long GC, a busy machine) carry on from now rather than rushing to catch up.
      if (due < now - 250) {
        this.startedAt = now;
        this.stepsAtStart = this.status.step;
        due = now + interval;
      }
      delay = Math.max(0, due - now);
    }
    this.timer = setTimeout(() => this.tick(), delay);
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private tick(): void {
    this.timer = null;
    if (this.status.state !== 'running' || !this.driver || !this.obs) return;
    try {
      const r = this.env.step(this.driver.act(this.obs, this.env));
      this.obs = r.observation;
      if (this.reads !== null) this.obs.command = this.reads;
      this.steps++;
      const done = r.done;
      this.status = {
        ...this.status,
        step: r.observation.step,
        time: r.info.time,
        reason: done ? (r.info.reason ?? 'timeout') : null,
        state: done ? (r.info.success ? 'success' : 'failure') : 'running',
      };
      this.publishFrame(!done);
      if (!done) this.schedule();
    } catch (e) {
      const message = `the episode stopped: ${(e as Error).message}`;
      this.status = { ...this.status, state: 'failure', reason: 'error' };
      this.publishFrame(false);
      this.emit(JSON.stringify({ type: 'error', message, op: null }), false);
    }
  }

  private publishFrame(droppable: boolean, attention?: FrameAttention | null): void {
    const snap = this.env.snapshot();
    const objects: number[] = [];
    for (const o of snap.objects) {
      const q = o.quaternion ?? { x: 0, y: 0, z: 0, w: 1 };
      objects.push(o.position.x, o.position.y, o.position.z, q.x, q.y, q.z, q.w);
    }
    const links: number[] = [];
    const obs = this.obs!;
    const arm = this.env.arm;
    if (this.linkPoses.length !== arm.linkNames.length) this.linkPoses = arm.linkNames.map(() => new Matrix4());
    arm.linkTransforms(obs.joints, obs.gripperOpening * arm.maxFingerOpening, this.linkPoses);
    for (const m of this.linkPoses) links.push(...m.elements);
    const frame: FrameMessage = {
      type: 'frame',
      episode: this.episode,
      status: this.status,
      objects: objects.map(round),
      links: links.map(round),
      attention: attention === undefined ? this.attention(obs) : attention,
    };
    this.lastFrame = JSON.stringify(frame);
    this.emit(this.lastFrame, droppable);
  }

  /** The policy's view and its cross-attention maps for this observation; null without a policy. */
  private attention(obs: Observation, onWords?: (w: AttentionWords) => void): FrameAttention | null {
    const p = this.policy;
    if (!p) return null;
    const maps = p.attentionMaps(obs);
    onWords?.({ words: maps.words, unknown: maps.unknown, dropped: maps.dropped });
    const per = maps.cameras.length * maps.grid[0] * maps.grid[1];
    const count = maps.layers.length * (maps.layers[0]?.length ?? 0) * maps.words.length;
    const flat = new Float32Array(count * per);
    let k = 0;
    for (const heads of maps.layers) for (const head of heads) for (const word of head) flat.set(word, k++ * per);
    const first = obs.images[maps.cameras[0]!]!;
    return {
      images: maps.cameras.map((c) => toBase64(obs.images[c]!.rgb)),
      width: first.width,
      height: first.height,
      maps: toBase64(flat),
    };
  }
}

/** Poses to 0.1 mm / 1e-5: plenty for drawing, and a third of the bytes. */
const round = (v: number) => Math.round(v * 1e5) / 1e5;

function defaultCommand(scene: Scene): string {
  const o: SceneObject | undefined = scene.objects.find((x) => x.kind !== 'bowl' && x.kind !== 'plate');
  if (!o) throw new Error(`scene "${scene.name}" has nothing to pick up; type a command`);
  return `pick up the ${o.colour} ${o.kind}`;
}

/** The reading of the user's command for the page: what they typed and, in a line, how it was understood. */
function readingSummary(u: Understood, words: AttentionWords | null, korean: PolicyWords | null): SceneMessage['reading'] {
  const r = u.reading;
  const parts = [`read as "${u.command}"`];
  if (korean) parts.push(`the policy reads "${korean.words.join(' ')}"`);
  if (r.ignored.length) parts.push(`ignored: ${r.ignored.join(', ')}`);
  if (r.unknown.length) parts.push(`not known: ${r.unknown.join(', ')}`);
  const own = words !== null && u.command !== r.text; // the page shows the user's words over the policy's maps
  return { text: r.text, summary: parts.join(' · '), ...(own ? { panels: alignToTokens(u, words.words, korean) } : {}) };
}
