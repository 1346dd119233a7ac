/**
 * `vla ros-sim`: the simulator as a ROS robot behind rosbridge, so a ROS setup (and `vla ros`) can be tried
 * without hardware. It publishes sensor_msgs/JointState (arm and finger joints, URDF names) at jointStateHz and a
 * camera frame (sensor_msgs/Image rgb8, or CompressedImage PNG) after every control step, obeys joint commands
 * (JointTrajectory: first point, by joint name; Float64MultiArray: arm joints then fingers, URDF order), starts a
 * new episode on every std_msgs/String command (a scene containing what it names), and publishes the episode's
 * end as std_msgs/String JSON {success, reason} on the episode topic. Physics runs in real time at CONTROL_HZ.
 */
import { Environment } from '../../sim/env/Environment.js';
import type { CameraName } from '../../sim/render/cameras.js';
import { encodePng } from '../../sim/render/imageIO.js';
import { CONTROL_HZ, type Observation } from '../../sim/types.js';
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
import type { RosTransport } from './RosTransport.js';

export interface RosSimOptions {
  transport: RosTransport;
  rosVersion?: RosVersion;
  topics?: Partial<RosSimTopics>;
  camera?: CameraName;
  /** Published frame size, pixels. Default 64x64. */
  imageWidth?: number;
  imageHeight?: number;
  /** Samples per pixel side of the camera (CameraSpec.supersampling; a real camera's pixels average light). Default 1. */
  supersampling?: number;
  compressed?: boolean;
  jointStateHz?: number;
  /** Seed of the first episode; episode k uses seed + k. */
  seed?: number;
  /** Control steps before an episode times out. Default 400 (20 s). */
  maxSteps?: number;
  /** Command of the scene shown before the first command arrives. */
  initialCommand?: string;
  log?: (line: string) => void;
}

export interface RosSimTopics {
  jointStates: string;
  camera: string;
  command: string;
  jointCommand: string;
  jointCommandType: JointCommandType;
  episodeResult: string;
}

export const ROS_SIM_TOPICS: RosSimTopics = {
  jointStates: '/joint_states',
  camera: '/camera/image_raw',
  command: '/vla/command',
  jointCommand: '/arm_controller/joint_trajectory',
  jointCommandType: MESSAGE_TYPES.jointTrajectory,
  episodeResult: '/vla_sim/episode',
};

export class RosSimRobot {
  readonly env: Environment;
  readonly topics: RosSimTopics;
  /** Joint commands obeyed / refused. */
  commandsApplied = 0;
  commandsRefused = 0;
  episodes = 0;
  private readonly transport: RosTransport;
  private readonly version: RosVersion;
  private readonly camera: CameraName;
  private readonly compressed: boolean;
  private readonly jointStateHz: number;
  private readonly seed: number;
  private readonly log: (line: string) => void;
  private obs: Observation;
  private running = false;
  private targets: number[];
  private gripper = 0;
  private timers: ReturnType<typeof setInterval>[] = [];
  private readonly names: string[];

  constructor(options: RosSimOptions) {
    this.transport = options.transport;
    this.version = options.rosVersion ?? 2;
    this.topics = { ...ROS_SIM_TOPICS, ...options.topics };
    this.camera = options.camera ?? 'scene';
    this.compressed = options.compressed ?? false;
    this.jointStateHz = options.jointStateHz ?? 50;
    this.seed = options.seed ?? 0;
    this.log = options.log ?? ((l) => process.stderr.write(`${l}\n`));
    this.env = new Environment({ cameras: [{ name: this.camera, width: options.imageWidth ?? 64, height: options.imageHeight ?? 64, supersampling: options.supersampling ?? 1 }], maxSteps: options.maxSteps ?? 400 });
    this.obs = this.env.reset({ seed: this.seed, command: options.initialCommand ?? 'pick up the red ball' });
    this.targets = [...this.obs.joints];
    this.names = [...this.env.arm.armJointNames, ...this.env.arm.fingerJointNames];
  }

  start(): void {
    const t = this.topics;
    const tr = this.transport;
    tr.advertise(t.jointStates, MESSAGE_TYPES.jointState);
    tr.advertise(t.camera, this.compressed ? MESSAGE_TYPES.compressedImage : MESSAGE_TYPES.image);
    tr.advertise(t.episodeResult, MESSAGE_TYPES.string);
    tr.subscribe(t.jointCommand, t.jointCommandType, (m) => this.onJointCommand(m), { queueLength: 1 });
    tr.subscribe(t.command, MESSAGE_TYPES.string, (m) => this.onCommand(m), { queueLength: 10 });
    tr.start();
    const guard = (what: string, fn: () => void) => () => {
      try {
        fn();
      } catch (e) {
        this.running = false;
        this.log(`[vla ros-sim] ${what} failed: ${(e as Error).message}; episode stopped`);
      }
    };
    this.timers.push(setInterval(guard('publishing joint states', () => this.publishJointState()), 1000 / this.jointStateHz));
    this.timers.push(setInterval(guard('the control step', () => this.controlStep()), 1000 / CONTROL_HZ));
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.transport.close();
  }

  /** Starts an episode (as a command message does). */
  startEpisode(command: string): void {
    this.episodes++;
    this.obs = this.env.reset({ seed: this.seed + this.episodes, command });
    this.targets = [...this.obs.joints];
    this.gripper = 0;
    this.running = true;
    this.log(`[vla ros-sim] episode ${this.episodes}: "${command}" (seed ${this.seed + this.episodes})`);
    this.publishImage();
  }

  private onCommand(msg: unknown): void {
    const p = parseStringMsg(msg);
    if (!p.ok) return this.log(`[vla ros-sim] command refused: ${p.reason}`);
    const text = p.value.trim();
    if (text === '' || text.toLowerCase() === 'stop') {
      this.running = false;
      return;
    }
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
  }

  private controlStep(): void {
    if (!this.running) {
      this.publishImage(); // a camera keeps publishing between episodes
      return;
    }
    const r = this.env.step({ kind: 'joint', targets: this.targets, gripper: this.gripper });
    this.obs = r.observation;
    this.publishImage();
    if (r.done) {
      this.running = false;
      this.log(`[vla ros-sim] episode ${this.episodes}: ${r.info.success ? 'success' : `failure (${r.info.reason})`} after ${this.obs.step} steps`);
      this.transport.publish(this.topics.episodeResult, { data: JSON.stringify({ success: r.info.success, reason: r.info.reason ?? '' }) });
    }
  }

  private publishJointState(): void {
    const arm = this.env.arm;
    const fingerPos = (this.obs.gripperOpening * arm.maxFingerOpening);
    const positions = [...this.obs.joints, ...arm.fingerJointNames.map(() => fingerPos)];
    this.transport.publish(this.topics.jointStates, jointStateMsg(this.names, positions, [], Date.now() / 1000, this.version));
  }

  private publishImage(): void {
    const img = this.obs.images[this.camera];
    if (!img) return;
    const stamp = Date.now() / 1000;
    const msg = this.compressed
      ? compressedImageMsg('png', encodePng(img), stamp, 'camera', this.version)
      : imageMsg(img.width, img.height, img.rgb, stamp, 'camera', this.version);
    this.transport.publish(this.topics.camera, msg);
  }
}
