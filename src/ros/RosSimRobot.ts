/**
 * `vla ros-sim`: the simulator as a ROS robot behind rosbridge, so a ROS setup (and `vla ros`) can be tried
 * without hardware. It publishes sensor_msgs/JointState (arm and finger joints, URDF names) and a camera frame
 * (sensor_msgs/Image rgb8, or CompressedImage PNG), both stamped with the time of the control step they show,
 * obeys joint commands (JointTrajectory: first point, by joint name; Float64MultiArray: arm joints then fingers,
 * URDF order), starts a new episode on every std_msgs/String command (a scene containing what it names), and
 * publishes the episode's end as std_msgs/String JSON {success, reason} on the episode topic.
 *
 * Real time (default): physics runs at CONTROL_HZ on the wall clock, joint states at jointStateHz.
 * Lockstep: simulated time. After a reset or a step it publishes the observation (a joint state and a frame with
 * the same stamp, the simulated time) and waits; a JointTrajectory whose header stamp is that observation's makes
 * it step once (others are ignored as stale). If nothing comes for REPEAT_MS it publishes the observation again
 * (a message lost on the way cannot stall it). Nothing is published between episodes.
 *
 * Episodes: each command starts one (episode k, from 0, uses seed + k). With `tasks`, the simulator runs
 * `vla eval`'s episodes itself: episode i is task tasks[i % T], index j = floor(i / T), seed
 * hashSeed(`${task}:${seed + j}`) and split evalSplit(j), exactly as `vla eval --task ... --seed ...` samples
 * them; it publishes each episode's command on the command topic (so the controller starts too) once the
 * controller's status says it is not running one.
 */
import { resetWithCommand, STOP_WORDS } from '../language/index.js';
import { Environment } from '../../sim/env/Environment.js';
import { evalSplit } from '../eval/evaluate.js';
import type { CameraName } from '../../sim/render/cameras.js';
import { encodePng } from '../../sim/render/imageIO.js';
import type { TaskName } from '../../sim/tasks/index.js';
import { CONTROL_HZ, type Observation } from '../../sim/types.js';
import { hashSeed } from '../../sim/util/Rng.js';
import {
  MESSAGE_TYPES,
  compressedImageMsg,
  imageMsg,
  jointStateMsg,
  parseJointCommand,
  parseStringMsg,
  type JointCommandType,
  type RosVersion,
} from './messages.js';
import { resolveRosVersion } from './rosVersion.js';
import type { RosTransport } from './RosTransport.js';

export interface RosSimOptions {
  transport: RosTransport;
  /** Time fields on the wire; default "auto" (asked of rosbridge). Nothing is published until it is known. */
  rosVersion?: RosVersion | 'auto';
  topics?: Partial<RosSimTopics>;
  camera?: CameraName;
  /** Published frame size, pixels. Default 64x64. */
  imageWidth?: number;
  imageHeight?: number;
  /** Samples per pixel side of the camera (CameraSpec.supersampling; a real camera's pixels average light). Default 1. */
  supersampling?: number;
  compressed?: boolean;
  jointStateHz?: number;
  /** Seed of the first episode; episode k (from 0) uses seed + k. */
  seed?: number;
  /** Control steps before an episode times out. Default 200 (10 s), as in `vla eval`. */
  maxSteps?: number;
  /** Simulated time: step once per joint command answering the current observation. */
  lockstep?: boolean;
  /** Run `vla eval`'s episodes of these tasks, publishing their commands (see the file comment). */
  tasks?: TaskName[];
  /** With tasks: how many episodes in all. */
  episodes?: number;
  log?: (line: string) => void;
}

export interface RosSimTopics {
  jointStates: string;
  camera: string;
  command: string;
  jointCommand: string;
  jointCommandType: JointCommandType;
  episodeResult: string;
  /** The controller's status (std_msgs/String JSON), read to know when it is ready for the next episode. */
  status: string;
}

export const ROS_SIM_TOPICS: RosSimTopics = {
  jointStates: '/joint_states',
  camera: '/camera/image_raw',
  command: '/vla/command',
  jointCommand: '/arm_controller/joint_trajectory',
  jointCommandType: MESSAGE_TYPES.jointTrajectory,
  episodeResult: '/vla_sim/episode',
  status: '/vla/status',
};

/** One finished episode. */
export interface SimEpisodeResult {
  seed: number;
  task: string;
  command: string;
  success: boolean;
  reason: string;
  steps: number;
}

/** Lockstep: the observation is published again after this long without a command for it, ms. */
const REPEAT_MS = 200;
const SAME_STAMP = 1e-6;

export class RosSimRobot {
  readonly env: Environment;
  readonly topics: RosSimTopics;
  /** Joint commands obeyed / refused / ignored (lockstep: not for the current observation). */
  commandsApplied = 0;
  commandsRefused = 0;
  commandsIgnored = 0;
  /** Episodes started. */
  episodes = 0;
  readonly results: SimEpisodeResult[] = [];
  /** Smallest time_from_start (s) of the JointTrajectory commands obeyed; NaN before the first. */
  minTimeFromStart = NaN;
  private readonly transport: RosTransport;
  private version: RosVersion | null;
  private readonly camera: CameraName;
  private readonly compressed: boolean;
  private readonly jointStateHz: number;
  private readonly seed: number;
  private readonly lockstep: boolean;
  private readonly tasks: TaskName[] | null;
  private readonly total: number;
  private readonly log: (line: string) => void;
  private obs: Observation;
  private running = false;
  private targets: number[];
  private gripper = 0;
  private timers: ReturnType<typeof setInterval>[] = [];
  private readonly names: string[];
  /** Simulated control steps since start (lockstep stamps), and the stamp of the current observation. */
  private clock = 0;
  private stamp = 0;
  private lastPublishAt = 0;
  private current: { seed: number; task: string } = { seed: 0, task: '' };
  /** The command this simulator published itself (not to be taken as a new one when it comes back). */
  private ownCommand: string | null = null;
  private finished: (() => void) | null = null;

  constructor(options: RosSimOptions) {
    this.transport = options.transport;
    this.version = options.rosVersion === undefined || options.rosVersion === 'auto' ? null : options.rosVersion;
    this.topics = { ...ROS_SIM_TOPICS, ...options.topics };
    this.camera = options.camera ?? 'scene';
    this.compressed = options.compressed ?? false;
    this.jointStateHz = options.jointStateHz ?? 50;
    this.seed = options.seed ?? 0;
    this.lockstep = options.lockstep ?? false;
    this.tasks = options.tasks && options.tasks.length ? options.tasks : null;
    this.total = options.episodes ?? Infinity;
    this.log = options.log ?? ((l) => process.stderr.write(`${l}\n`));
    if (this.lockstep && this.topics.jointCommandType !== MESSAGE_TYPES.jointTrajectory) {
      throw new Error(`lockstep needs ${MESSAGE_TYPES.jointTrajectory} commands (their header stamp names the observation they answer)`);
    }
    const cameras = [{ name: this.camera, width: options.imageWidth ?? 64, height: options.imageHeight ?? 64, supersampling: options.supersampling ?? 1 }];
    this.env = new Environment({ cameras, maxSteps: options.maxSteps ?? 200 });
    this.obs = this.env.reset({ seed: this.seed, command: 'pick up the red ball' });
    this.targets = [...this.obs.joints];
    this.names = [...this.env.arm.armJointNames, ...this.env.arm.fingerJointNames];
    this.stamp = this.nextStamp();
  }

  /** The ROS version in use (null while it is being asked of rosbridge). */
  get rosVersion(): RosVersion | null {
    return this.version;
  }

  start(): void {
    const t = this.topics;
    const tr = this.transport;
    tr.advertise(t.jointStates, MESSAGE_TYPES.jointState);
    tr.advertise(t.camera, this.compressed ? MESSAGE_TYPES.compressedImage : MESSAGE_TYPES.image);
    tr.advertise(t.episodeResult, MESSAGE_TYPES.string);
    // An exception in a handler would escape into the websocket's event loop and end the process: log it instead.
    const handle = (what: string, fn: (m: unknown) => void) => (m: unknown) => {
      try {
        fn(m);
      } catch (e) {
        this.log(`[vla ros-sim] a ${what} message could not be handled: ${(e as Error).message}`);
      }
    };
    tr.subscribe(t.jointCommand, t.jointCommandType, handle('joint command', (m) => this.onJointCommand(m)), { queueLength: 1 });
    tr.subscribe(t.command, MESSAGE_TYPES.string, handle('command', (m) => this.onCommand(m)), { queueLength: 10 });
    if (this.tasks) {
      tr.advertise(t.command, MESSAGE_TYPES.string);
      tr.subscribe(t.status, MESSAGE_TYPES.string, handle('status', (m) => this.onStatus(m)), { queueLength: 1 });
    }
    tr.on('connection', () => this.learnVersion());
    tr.start();
    if (tr.connected) this.learnVersion();
    const guard = (what: string, fn: () => void) => () => {
      try {
        fn();
      } catch (e) {
        this.running = false;
        this.log(`[vla ros-sim] ${what} failed: ${(e as Error).message}; episode stopped`);
      }
    };
    if (this.lockstep) {
      this.timers.push(setInterval(guard('repeating the observation', () => this.repeatObservation()), REPEAT_MS / 4));
      return;
    }
    this.timers.push(setInterval(guard('publishing joint states', () => this.publishJointState()), 1000 / this.jointStateHz));
    this.timers.push(setInterval(guard('the control step', () => this.controlStep()), 1000 / CONTROL_HZ));
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.transport.close();
    this.finished?.();
  }

  /** Resolves when the episodes asked for (options.episodes) have ended, or on stop(). */
  done(): Promise<void> {
    if (this.results.length >= this.total) return Promise.resolve();
    return new Promise((resolve) => (this.finished = resolve));
  }

  /** Starts an episode for a command (as a command message does). */
  startEpisode(command: string): void {
    const seed = this.seed + this.episodes;
    this.obs = resetWithCommand(this.env, command, seed).observation; // the user's words, grounded in this scene
    this.begin({ seed, task: this.env.info.task });
  }

  private begin(current: { seed: number; task: string }): void {
    this.episodes++;
    this.current = current;
    this.targets = [...this.obs.joints];
    this.gripper = 0;
    this.running = true;
    this.stamp = this.nextStamp();
    this.log(`[vla ros-sim] episode ${this.episodes}: "${this.obs.command}" (seed ${current.seed}${this.tasks ? `, task ${current.task}` : ''})`);
    this.publishObservation();
  }

  /** With tasks: episode i of `vla eval`'s plan, its command published for the controller. */
  private startPlannedEpisode(): void {
    const tasks = this.tasks!;
    const i = this.episodes;
    const task = tasks[i % tasks.length]!;
    const j = Math.floor(i / tasks.length);
    const seed = hashSeed(`${task}:${this.seed + j}`);
    this.obs = this.env.reset({ seed, task, split: evalSplit(j) });
    this.ownCommand = this.obs.command;
    this.transport.publish(this.topics.command, { data: this.obs.command });
    this.begin({ seed, task });
  }

  private learnVersion(): void {
    if (this.version !== null) return;
    resolveRosVersion(this.transport, 'auto').then(
      (v) => {
        this.version = v;
        this.log(`[vla ros-sim] rosbridge runs ROS ${v}`);
      },
      (e: Error) => this.log(`[vla ros-sim] ${e.message}; publishing nothing until it is known`),
    );
  }

  private onStatus(msg: unknown): void {
    const p = parseStringMsg(msg);
    if (!p.ok || this.version === null) return;
    let st: { state?: unknown; episode?: unknown; outcome?: { reason?: unknown } | null };
    try {
      st = JSON.parse(p.value) as typeof st;
    } catch {
      return;
    }
    if (st === null || typeof st !== 'object') return; // "null" or "42" is JSON but not a status
    if (typeof st.episode !== 'number' || st.episode < this.episodes || st.state === 'running') return;
    if (this.running) {
      // The controller ended the episode this simulator is running (its own timeout, an error): so does this.
      if (st.episode === this.episodes && (st.state === 'done' || st.state === 'idle')) {
        this.finish(false, `the controller ended it (${String(st.outcome?.reason ?? st.state)})`);
      }
      return;
    }
    // The controller is not running what this simulator last commanded (or anything yet): the next episode.
    if (this.results.length === this.episodes && this.episodes < this.total) this.startPlannedEpisode();
  }

  private onCommand(msg: unknown): void {
    const p = parseStringMsg(msg);
    if (!p.ok) return this.log(`[vla ros-sim] command refused: ${p.reason}`);
    const text = p.value.trim();
    if (this.ownCommand !== null && text === this.ownCommand) {
      this.ownCommand = null;
      return;
    }
    if (STOP_WORDS.includes(text.toLowerCase())) {
      this.running = false;
      return;
    }
    if (this.tasks) return this.log(`[vla ros-sim] command "${text}" ignored: this simulator runs its own episodes (--task)`);
    try {
      this.startEpisode(text);
    } catch (e) {
      this.log(`[vla ros-sim] command "${text}" refused: ${(e as Error).message}`);
    }
  }

  private onJointCommand(msg: unknown): void {
    const p = parseJointCommand(msg, this.topics.jointCommandType);
    const refuse = (reason: string) => {
      this.commandsRefused++;
      this.log(`[vla ros-sim] joint command refused: ${reason}`);
    };
    if (!p.ok) return refuse(p.reason);
    if (this.lockstep && (!this.running || Math.abs(p.value.stamp - this.stamp) > SAME_STAMP)) {
      this.commandsIgnored++;
      return;
    }
    const arm = this.env.arm;
    const { names, positions } = p.value;
    const next = [...this.targets];
    let fingers: number[] = [];
    if (names === null) {
      if (positions.length !== arm.armDof && positions.length !== arm.armDof + arm.fingerCount) {
        return refuse(`Float64MultiArray has ${positions.length} values; expected ${arm.armDof} (arm) or ${arm.armDof + arm.fingerCount} (arm + fingers)`);
      }
      for (let i = 0; i < arm.armDof; i++) next[i] = positions[i]!;
      fingers = positions.slice(arm.armDof);
    } else {
      const unknown = names.filter((n) => !this.names.includes(n));
      if (unknown.length) return refuse(`unknown joints ${unknown.join(', ')} (this arm has ${this.names.join(', ')})`);
      names.forEach((n, i) => {
        const a = arm.armJointNames.indexOf(n);
        if (a >= 0) next[a] = positions[i]!;
        else fingers.push(positions[i]!);
      });
    }
    if (![...next, ...fingers].every(Number.isFinite)) return refuse('non-finite position');
    this.targets = next;
    if (fingers.length) this.gripper = fingers.reduce((s, v) => s + v, 0) / fingers.length < arm.maxFingerOpening / 2 ? 1 : 0;
    this.commandsApplied++;
    if (names !== null && !(this.minTimeFromStart <= p.value.timeFromStart)) this.minTimeFromStart = p.value.timeFromStart;
    if (this.lockstep) this.controlStep();
  }

  private controlStep(): void {
    if (!this.running) {
      if (!this.lockstep) this.publishImage(); // a camera keeps publishing between episodes
      return;
    }
    const r = this.env.step({ kind: 'joint', targets: this.targets, gripper: this.gripper });
    this.obs = r.observation;
    this.stamp = this.nextStamp();
    if (r.done) return this.finish(r.info.success, r.info.reason ?? '');
    this.publishObservation(); // the joint state of this step with its frame (real time: also at jointStateHz)
  }

  private finish(success: boolean, reason: string): void {
    this.running = false;
    const steps = this.obs.step;
    this.results.push({ ...this.current, command: this.obs.command, success, reason, steps });
    this.log(`[vla ros-sim] episode ${this.episodes}: ${success ? 'success' : `failure (${reason})`} after ${steps} steps`);
    this.transport.publish(this.topics.episodeResult, { data: JSON.stringify({ success, reason }) });
    if (this.results.length >= this.total) this.finished?.();
  }

  /** Real time: the stamp is the wall clock of the step; lockstep: the simulated time since start. */
  private nextStamp(): number {
    this.clock++;
    return this.lockstep ? this.clock / CONTROL_HZ : Date.now() / 1000;
  }

  private repeatObservation(): void {
    if (this.running && performance.now() - this.lastPublishAt >= REPEAT_MS) this.publishObservation();
  }

  private publishObservation(): void {
    this.publishJointState();
    this.publishImage();
  }

  private publishJointState(): void {
    if (this.version === null) return;
    const arm = this.env.arm;
    const fingerPos = this.obs.gripperOpening * arm.maxFingerOpening;
    const positions = [...this.obs.joints, ...arm.fingerJointNames.map(() => fingerPos)];
    this.transport.publish(this.topics.jointStates, jointStateMsg(this.names, positions, [], this.stamp, this.version));
    this.lastPublishAt = performance.now();
  }

  private publishImage(): void {
    const img = this.obs.images[this.camera];
    if (!img || this.version === null) return;
    const msg = this.compressed
      ? compressedImageMsg('png', encodePng(img), this.stamp, 'camera', this.version)
      : imageMsg(img.width, img.height, img.rgb, this.stamp, 'camera', this.version);
    this.transport.publish(this.topics.camera, msg);
  }
}
