/**
 * `vla ros`: runs an actor (the VLA policy) against an arm through rosbridge at a fixed control rate.
 *
 * Inputs: sensor_msgs/JointState, a camera (sensor_msgs/Image or CompressedImage), commands (std_msgs/String: a
 * new command starts an episode, "" or "stop" ends it), an e-stop (std_msgs/Bool: true engages and latches,
 * false releases; anything malformed on it engages), and optionally an episode result (std_msgs/String JSON
 * {success, reason}, from `vla ros-sim`). Outputs: joint commands (trajectory_msgs/JointTrajectory or
 * std_msgs/Float64MultiArray), only ever SafeJointCommands from the SafetyFilter, and a status topic
 * (std_msgs/String JSON: state, episode, outcome, interventions).
 *
 * Each tick: stop (publish one hold, then nothing) if disconnected, e-stopped, or joint states / camera frames
 * are stale; otherwise build the observation from the newest joint state and frame, take the next action of the
 * actor's chunk, filter it, publish. After a drop, data from before the drop never counts: commanding resumes only
 * on joint states and a frame received after the reconnect, from the measured positions (re-anchored). A new
 * episode likewise starts only on a joint state and a frame that arrived after its command, re-anchored.
 *
 * Lockstep (control.lockstep, for `vla ros-sim --lockstep`): no control clock. A tick runs when a new observation
 * is complete (a joint state and a frame with the same header stamp, newer than the last one acted on); its command
 * carries that stamp, and the simulator steps once per command. When the same observation comes again (the
 * simulator repeats it when no command arrived), the same command is sent again. Nothing depends on wall-clock
 * speed, so staleness is not judged by arrival time in this mode.
 */
import { CommandError } from '../../sim/tasks/language.js';
import { commandWithoutScene, policyReading, STOP_WORDS, type Understood } from '../language/index.js';
import type { ArmModel } from '../../sim/robot/index.js';
import type { CameraImage, EeAction, EePose, Observation } from '../../sim/types.js';
import type { RosConfig } from './config.js';
import { fitImage, readFrame } from './images.js';
import {
  MESSAGE_TYPES,
  float64MultiArrayMsg,
  jointTrajectoryMsg,
  parseBoolMsg,
  parseStringMsg,
  type RosVersion,
} from './messages.js';
import type { Actor } from './policyActor.js';
import { ChunkExecutor, parseExecution } from '../policy/ChunkExecutor.js';
import { ArmState } from './ArmState.js';
import { detectRosVersion } from './rosVersion.js';
import type { RosTransport } from './RosTransport.js';
import { INTERVENTION_KINDS, SafetyFilter, type Intervention, type InterventionKind, type SafeJointCommand } from './SafetyFilter.js';
import { Watchdog } from './Watchdog.js';
import type { CommandEvent, ControllerState, ControllerStatus, EpisodeOutcome, EpisodeRecord } from './controllerTypes.js';
import { RateLimitedLog } from './RateLimitedLog.js';

export { CONTROLLER_STATES, type CommandEvent, type ControllerState, type ControllerStatus, type EpisodeOutcome, type EpisodeRecord } from './controllerTypes.js';

export interface RosControllerOptions {
  config: RosConfig;
  transport: RosTransport;
  arm: ArmModel;
  actor: Actor;
  /** One line per log entry; default stderr. */
  log?: (line: string) => void;
  onCommand?: (e: CommandEvent) => void;
  /** Called when an episode ends. */
  onEpisodeEnd?: (r: EpisodeRecord) => void;
  /** ROS version already known (e.g. detected by the caller); default config.rosVersion, detected if "auto". */
  rosVersion?: RosVersion;
}

/** Stamps closer than this (s) are the same observation. */
const SAME_STAMP = 1e-6;
/** control.trigger "frame": a frame starts a tick if at least this fraction of the control period has passed. */
const FRAME_TICK_SPACING = 0.75;
/** How often status is published in lockstep while nothing else happens, ms. */
const LOCKSTEP_STATUS_MS = 250;

const LOG_REPEAT_MS = 1000;

export class RosController {
  readonly config: RosConfig;
  readonly filter: SafetyFilter;
  readonly watchdog: Watchdog;
  /** Every intervention so far (the last 10000), oldest first. */
  readonly interventions: Intervention[] = [];
  readonly counts: Record<InterventionKind, number>;
  /** Ended episodes, oldest first. */
  readonly episodes: EpisodeRecord[] = [];
  /** Joint commands published. */
  published = 0;
  ticks = 0;
  jointStatesReceived = 0;
  imagesReceived = 0;
  private readonly transport: RosTransport;
  private readonly arm: ArmModel;
  private readonly actor: Actor;
  private readonly log: (line: string) => void;
  private readonly limitedLog: RateLimitedLog;
  private readonly onCommand: ((e: CommandEvent) => void) | null;
  private readonly onEpisodeEnd: ((r: EpisodeRecord) => void) | null;
  private readonly rosNames: string[];
  private readonly fingerRosNames: string[];
  private readonly armState: ArmState;
  private version: RosVersion | null;
  private image: CameraImage | null = null;
  private imageStamp = 0;
  private imageArrivedAt = -Infinity;
  private stateValue: ControllerState = 'waiting';
  private episode = 0;
  private command: string | null = null;
  /** What the actor reads instead of the command, or null (see startEpisode). */
  private reads: string | null = null;
  private episodeStartedAt = 0;
  private step = 0;
  private outcome: EpisodeOutcome | null = null;
  private gripperClosed = false;
  private readonly executor: ChunkExecutor;
  private estop = false;
  private stopping = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private nextTick = 0;
  private tickInterventions: Intervention[] = [];
  private readonly eePose: EePose = { x: 0, y: 0, z: 0, yaw: 0 };
  /** Lockstep: the stamp of the last observation acted on, and the command sent for it. */
  private lastActedStamp = -Infinity;
  private lastSent: Record<string, unknown> | null = null;
  /** control.trigger "frame": ticks act on new camera frames (the clock only checks and reports). */
  private readonly onFrames: boolean;
  private lastActAt = -Infinity;

  constructor(options: RosControllerOptions) {
    const { config, arm } = options;
    this.config = config;
    this.transport = options.transport;
    this.arm = arm;
    this.actor = options.actor;
    this.executor = new ChunkExecutor(parseExecution(config.control.execution));
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.limitedLog = new RateLimitedLog(this.log, LOG_REPEAT_MS);
    this.onCommand = options.onCommand ?? null;
    this.onEpisodeEnd = options.onEpisodeEnd ?? null;
    this.version = options.rosVersion ?? (config.rosVersion === 'auto' ? null : config.rosVersion);
    this.onFrames = !config.control.lockstep && config.control.trigger === 'frame';
    if (config.control.lockstep && config.topics.jointCommand.type !== MESSAGE_TYPES.jointTrajectory) {
      throw new Error(`control.lockstep needs ${MESSAGE_TYPES.jointTrajectory} joint commands (their header carries the observation's stamp), not ${config.topics.jointCommand.type}`);
    }
    const map = config.robot.jointNames;
    const known = [...arm.armJointNames, ...arm.fingerJointNames];
    for (const k of Object.keys(map)) {
      if (!known.includes(k)) throw new Error(`robot.jointNames names "${k}", which is not a joint of ${arm.source} (joints: ${known.join(', ')})`);
    }
    this.rosNames = arm.armJointNames.map((n) => map[n] ?? n);
    this.fingerRosNames = arm.fingerJointNames.map((n) => map[n] ?? n);
    this.armState = new ArmState(arm, this.rosNames, this.fingerRosNames, config.robot.holdingMinOpening);
    this.filter = new SafetyFilter(arm, { ...config.safety, rateHz: config.control.rateHz, commandFingers: config.robot.commandFingers });
    this.watchdog = new Watchdog(config.safety.jointStateTimeout, config.safety.imageTimeout);
    this.counts = Object.fromEntries(INTERVENTION_KINDS.map((k) => [k, 0])) as Record<InterventionKind, number>;
  }

  /** Header stamp (s) of the newest joint state taken. */
  get jointStateStamp(): number {
    return this.armState.stamp;
  }

  get state(): ControllerState {
    return this.stateValue;
  }

  /** The ROS version time fields are written in (null while it is being asked of rosbridge). */
  get rosVersion(): RosVersion | null {
    return this.version;
  }

  /** Subscribes, advertises and starts the control loop (the transport connects and reconnects by itself). */
  start(): void {
    const t = this.config.topics;
    const tr = this.transport;
    tr.on('close', () => this.onDisconnect());
    tr.on('error', (e) => this.logLimited('transport-error', `[vla ros] rosbridge: ${e instanceof Error ? e.message : (e as { message?: string })?.message ?? String(e)}`));
    tr.on('connection', () => this.learnVersion());
    tr.advertise(t.jointCommand.name, t.jointCommand.type);
    tr.advertise(t.status, MESSAGE_TYPES.string);
    // An exception in a handler would escape into the websocket's event loop and end the process: refuse instead.
    const guard = (what: string, fn: (m: unknown) => void) => (m: unknown) => {
      try {
        fn(m);
      } catch (e) {
        this.bad(what, `handling it failed: ${(e as Error).message}`);
      }
    };
    tr.subscribe(t.jointStates, MESSAGE_TYPES.jointState, guard('joint state', (m) => this.onJointState(m)), { queueLength: 1 });
    tr.subscribe(t.camera.name, t.camera.type, guard('image', (m) => this.onImage(m)), { queueLength: 1 });
    tr.subscribe(t.command, MESSAGE_TYPES.string, guard('command', (m) => this.onCommandText(m)), { queueLength: 10 });
    tr.subscribe(t.estop, MESSAGE_TYPES.bool, guard('e-stop', (m) => this.onEstop(m)), { queueLength: 10 });
    if (t.episodeResult) tr.subscribe(t.episodeResult, MESSAGE_TYPES.string, guard('episode result', (m) => this.onEpisodeResult(m)), { queueLength: 10 });
    if (t.holding) tr.subscribe(t.holding, MESSAGE_TYPES.bool, guard('holding', (m) => this.onHolding(m)), { queueLength: 1 });
    tr.start();
    if (tr.connected) this.learnVersion();
    if (this.config.control.lockstep) return this.startStatusClock();
    const period = 1000 / this.config.control.rateHz;
    this.nextTick = performance.now() + period;
    const loop = () => {
      this.safely(() => this.tick(!this.onFrames));
      // Fixed rate without drift; a late tick is not made up for (skip to the next slot).
      const now = performance.now();
      this.nextTick += period;
      if (this.nextTick < now) this.nextTick = now + period - ((now - this.nextTick) % period);
      this.timer = setTimeout(loop, this.nextTick - now);
    };
    this.timer = setTimeout(loop, period);
  }

  /** Lockstep: status on a slow clock while waiting (the robot side sees the controller is there). */
  private startStatusClock(): void {
    const loop = () => {
      if (this.transport.connected) this.publishStatus();
      this.timer = setTimeout(loop, LOCKSTEP_STATUS_MS);
    };
    this.timer = setTimeout(loop, LOCKSTEP_STATUS_MS);
  }

  /** Runs a tick; never lets a bug end the loop with the arm mid-motion: stop commanding, end the episode. */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log(`[vla ros] control tick failed: ${(e as Error).message}; holding, episode ended`);
      this.halt();
      this.endEpisode({ success: false, reason: `internal error: ${(e as Error).message}` });
    }
  }

  private learnVersion(): void {
    if (this.version !== null) return;
    detectRosVersion(this.transport).then(
      (v) => {
        this.version = v;
        this.log(`[vla ros] rosbridge runs ROS ${v}: time fields are written as ${v === 1 ? '{secs, nsecs}' : '{sec, nanosec}'}`);
      },
      (e: Error) => this.logLimited('ros-version', `[vla ros] ${e.message}; not commanding until it is known`),
    );
  }

  /** Stops the loop and closes the connection (publishes nothing more). */
  stop(): void {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.transport.close();
  }

  status(): ControllerStatus {
    return { state: this.stateValue, episode: this.episode, command: this.command, step: this.step, outcome: this.outcome, interventions: this.tickInterventions };
  }

  /**
   * Starts an episode as a command message would (tests, and the CLI's --command); `reads`: what the actor is given
   * instead of the command (a Korean command's Korean words), or null.
   */
  startEpisode(command: string, reads: string | null = null): void {
    if (this.command !== null) this.endEpisode({ success: false, reason: 'replaced by a new command' });
    this.episode++;
    this.command = command;
    this.reads = reads;
    this.episodeStartedAt = performance.now();
    this.stateValue = 'running';
    this.step = 0;
    this.outcome = null;
    this.gripperClosed = false;
    this.executor.reset();
    this.actor.reset();
    this.filter.release(); // re-anchor on the measured state at the episode's first tick
    this.log(`[vla ros] episode ${this.episode}: "${command}"`);
  }

  // ---- inputs ----

  private onJointState(msg: unknown): void {
    const reason = this.armState.read(msg);
    if (reason) return this.bad('joint state', reason);
    this.jointStatesReceived++;
    this.watchdog.jointStateArrived();
    if (this.config.control.lockstep) this.safely(() => this.lockstepTick(true));
  }

  private onImage(msg: unknown): void {
    const lim = this.config.image;
    const decoded = readFrame(msg, this.config.topics.camera.type, lim);
    if (!decoded.ok) return this.bad('image', decoded.reason);
    const stamp = decoded.value.stamp;
    const fresh = stamp !== this.imageStamp || stamp === 0;
    this.image = fitImage(decoded.value.image, this.actor.imageSize, lim.fit);
    this.imageStamp = stamp;
    this.imageArrivedAt = performance.now();
    this.imagesReceived++;
    this.watchdog.imageArrived();
    // Ticks follow the camera: act as soon as a new frame is in, at most at the control rate.
    if (this.onFrames && fresh && this.imageArrivedAt - this.lastActAt >= FRAME_TICK_SPACING * (1000 / this.config.control.rateHz)) this.safely(() => this.tick(true));
    if (this.config.control.lockstep) this.safely(() => this.lockstepTick(false));
  }

  private onCommandText(msg: unknown): void {
    const p = parseStringMsg(msg);
    if (!p.ok) return this.bad('command', p.reason);
    const text = p.value.trim();
    if (STOP_WORDS.includes(text.toLowerCase())) return this.endEpisode({ success: false, reason: 'stopped by command' });
    if (this.estop) return this.bad('command', `"${text}" ignored: the e-stop is engaged (publish false on ${this.config.topics.estop} to release)`);
    let understood: Understood;
    try {
      understood = commandWithoutScene(text); // English or Korean, in the templates' words
    } catch (e) {
      if (e instanceof CommandError) return this.bad('command', e.message);
      throw e;
    }
    const command = understood.command;
    const reads = policyReading(understood, this.actor.readsKorean ?? false).words;
    if (command !== text) this.log(`[vla ros] read "${text}" as "${command}"${reads ? `; the policy reads "${reads.words.join(' ')}"` : ''}`);
    this.startEpisode(command, reads ? reads.words.join(' ') : null);
    if (this.config.control.lockstep) this.safely(() => this.lockstepTick(false));
  }

  private onHolding(msg: unknown): void {
    const p = parseBoolMsg(msg);
    if (!p.ok) return this.bad('holding', p.reason);
    this.armState.sensor = p.value;
  }

  private onEstop(msg: unknown): void {
    const p = parseBoolMsg(msg);
    const engage = p.ok ? p.value : true; // fail safe: anything malformed on the e-stop topic engages it
    if (!p.ok) this.bad('e-stop', `${p.reason}; treated as engaged`);
    if (engage && !this.estop) {
      this.estop = true;
      this.intervene('estop', 'e-stop engaged: holding, commands ignored until released');
      this.halt();
      if (this.command !== null) this.endEpisode({ success: false, reason: 'e-stop' });
      this.stateValue = 'estop';
    } else if (!engage && this.estop) {
      this.estop = false;
      this.log('[vla ros] e-stop released; send a new command to move again');
      this.stateValue = 'idle';
    }
  }

  private onEpisodeResult(msg: unknown): void {
    const p = parseStringMsg(msg);
    if (!p.ok) return this.bad('episode result', p.reason);
    let v: unknown;
    try {
      v = JSON.parse(p.value);
    } catch {
      return this.bad('episode result', 'not JSON');
    }
    const o = v as { success?: unknown; reason?: unknown };
    if (typeof o?.success !== 'boolean') return this.bad('episode result', 'expected JSON {success: boolean, reason}');
    if (this.command !== null) this.endEpisode({ success: o.success, reason: typeof o.reason === 'string' ? o.reason : o.success ? 'success' : 'failure' });
    if (this.config.control.lockstep) this.publishStatus();
  }

  private onDisconnect(): void {
    this.watchdog.reset();
    this.armState.reset();
    this.image = null;
    if (this.filter.anchored && !this.stopping) this.intervene('disconnected', 'connection to rosbridge lost: stopped commanding; nothing is sent until fresh data arrives after reconnecting');
    this.filter.release();
  }

  // ---- the loop ----

  /** One control tick (public for tests that step by hand); `mayAct` false: checks and status only. */
  tick(mayAct = true): void {
    const tickAt = performance.now();
    this.ticks++;
    const stale = this.watchdog.check();
    if (this.estop) this.stateValue = 'estop';
    else if (!this.transport.connected) this.hold('disconnected', 'not connected to rosbridge');
    else if (!this.armState.have || stale.jointStates) this.hold('stale_joint_states', `no joint state for ${fmtAge(stale.jointStateAge)} (limit ${this.config.safety.jointStateTimeout} s)`);
    else if (!this.image || stale.image) this.hold('stale_image', `no camera frame for ${fmtAge(stale.imageAge)} (limit ${this.config.safety.imageTimeout} s)`);
    else if (this.command === null) this.stateValue = this.outcome ? 'done' : 'idle';
    else if (this.version === null) this.stateValue = 'waiting';
    else if (this.armState.arrivedAt < this.episodeStartedAt || this.imageArrivedAt < this.episodeStartedAt) this.stateValue = 'running'; // data from before the command
    else if (mayAct) this.act(tickAt);
    this.publishStatus();
    this.tickInterventions = []; // the next status carries what happens from now on (also between ticks)
  }

  /** Lockstep: acts once per new complete observation; repeats the last command when it comes again. */
  private lockstepTick(jointStateArrived: boolean): void {
    if (this.estop || !this.transport.connected) return;
    if (this.command === null || this.version === null || !this.armState.have || !this.image) return;
    const stamp = this.armState.stamp;
    if (Math.abs(stamp - this.imageStamp) > SAME_STAMP) return; // the other half of the observation is on its way
    if (stamp > this.lastActedStamp + SAME_STAMP) {
      this.ticks++;
      this.lastActedStamp = stamp;
      this.lastSent = null;
      this.act(performance.now());
      this.publishStatus();
      this.tickInterventions = [];
    } else if (jointStateArrived && Math.abs(stamp - this.lastActedStamp) <= SAME_STAMP && this.lastSent) {
      if (this.transport.publish(this.config.topics.jointCommand.name, this.lastSent)) this.published++;
    }
  }

  private act(tickAt: number): void {
    this.lastActAt = tickAt;
    const js = this.armState;
    if (!this.filter.anchored) this.filter.anchor(js.joints, this.arm.fingerCount > 0 ? js.fingerOpening * this.arm.maxFingerOpening : undefined);
    this.stateValue = 'running';
    const obs: Observation = {
      images: { [this.actor.camera]: this.image! },
      joints: Array.from(js.joints),
      gripperOpening: js.fingerOpening,
      holding: js.holding(this.gripperClosed),
      eePose: { ...this.arm.tcpPose(js.joints, this.eePose) },
      command: this.reads ?? this.command!,
      step: this.step,
    };
    let action: EeAction;
    try {
      action = this.executor.next(() => this.actor.act(obs));
    } catch (e) {
      this.log(`[vla ros] ${this.actor.label} failed: ${(e as Error).message}; episode ended`);
      this.halt();
      this.endEpisode({ success: false, reason: `policy error: ${(e as Error).message}` });
      return;
    }
    const r = this.filter.apply(action, js.joints);
    for (const i of r.interventions) this.intervene(i.kind, i.detail);
    if (r.command) {
      if (Number.isFinite(action.gripper)) this.gripperClosed = action.gripper >= 0.5;
      this.send(r.command, this.config.control.lockstep ? this.armState.stamp : 0);
      this.onCommand?.({ imageStamp: this.imageStamp, imageArrivedAt: this.imageArrivedAt, tickAt, publishedAt: performance.now(), command: r.command });
    }
    this.step++;
    if (this.step >= this.config.control.maxSteps) this.endEpisode({ success: false, reason: 'timeout' });
  }

  /** Stops commanding for a reason (once per stop): one hold message if possible, then nothing. */
  private hold(kind: InterventionKind, detail: string): void {
    if (this.command === null && !this.filter.anchored) {
      this.stateValue = this.outcome ? 'done' : this.armState.have || this.image ? 'idle' : 'waiting';
      return;
    }
    if (this.filter.anchored) {
      this.intervene(kind, `${detail}: holding position`);
      this.halt();
    }
    this.stateValue = 'holding';
  }

  /** Publishes one hold (the last command at zero velocity) if connected, and forgets the anchor. */
  private halt(): void {
    if (!this.filter.anchored) return;
    if (this.transport.connected && this.version !== null) this.send(this.filter.hold(), 0);
    this.filter.release();
    this.executor.reset();
  }

  private endEpisode(outcome: EpisodeOutcome): void {
    if (this.command === null) return;
    this.outcome = outcome;
    this.log(`[vla ros] episode ${this.episode} ended: ${outcome.success ? 'success' : `failure (${outcome.reason})`} after ${this.step} steps`);
    const record: EpisodeRecord = { episode: this.episode, command: this.command, outcome, steps: this.step };
    this.episodes.push(record);
    this.command = null;
    this.executor.reset();
    this.filter.release();
    this.stateValue = 'done';
    this.onEpisodeEnd?.(record);
  }

  private send(cmd: SafeJointCommand, stamp: number): void {
    const jc = this.config.topics.jointCommand;
    const names = cmd.finger === null ? this.rosNames : [...this.rosNames, ...this.fingerRosNames];
    const positions = cmd.finger === null ? cmd.arm : [...cmd.arm, ...this.fingerRosNames.map(() => cmd.finger as number)];
    const msg =
      jc.type === MESSAGE_TYPES.jointTrajectory
        ? jointTrajectoryMsg(names, positions, 1 / this.config.control.rateHz, this.version ?? 2, stamp)
        : float64MultiArrayMsg(positions);
    if (this.transport.publish(jc.name, msg)) this.published++;
    if (this.config.control.lockstep) this.lastSent = msg;
  }

  private publishStatus(): void {
    if (!this.transport.connected) return;
    this.transport.publish(this.config.topics.status, { data: JSON.stringify(this.status()) });
  }

  private intervene(kind: InterventionKind, detail: string): void {
    const i = { kind, detail };
    this.counts[kind]++;
    this.interventions.push(i);
    if (this.interventions.length > 10_000) this.interventions.splice(0, 1000);
    this.tickInterventions.push(i);
    this.logLimited(kind, `[vla ros] safety ${kind}: ${detail}`);
  }

  private bad(what: string, reason: string): void {
    this.intervene('bad_message', `${what} refused: ${reason}`);
  }

  /** Logs a line, at most once a second per kind, saying how many were suppressed in between. */
  private logLimited(key: string, line: string): void {
    this.limitedLog.line(key, line);
  }
}

function fmtAge(s: number): string {
  return Number.isFinite(s) ? `${s.toFixed(3)} s` : 'ever (none received)';
}
