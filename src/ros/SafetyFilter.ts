/**
 * The one gate between the policy and the wire. Every joint command `vla ros` publishes is a SafeJointCommand,
 * and only this class makes them. Always on; per control tick, in this order:
 *
 *   1. the policy's end-effector action must be finite (NaN/Inf: rejected, nothing is sent, the arm holds);
 *   2. the last command is compared with the measured joint positions: if any joint is further from it than
 *      maxTrackingError, the filter holds and re-anchors on the measured positions (the arm is not where the
 *      filter thinks: a reset, a collision, a controller that did not follow);
 *   3. deltas are capped at MAX_EE_STEP / MAX_YAW_STEP per tick and added to the measured tool pose (as the
 *      simulator does);
 *   4. the target is projected into the workspace box: a target outside goes to the nearest point inside, moving
 *      at most MAX_EE_STEP per axis from the measured pose (so a tool outside the box is brought back in steps);
 *   5. IK (damped least squares, the URDF's kinematics, seeded with the measured joints) gives joint targets,
 *      which must be finite;
 *   6. velocity limit, acceleration limit and cap on the change per tick of every joint (against the last
 *      command), met by scaling the whole joint step by one factor so the tool keeps its direction (a joint that
 *      must brake against its motion is limited on its own);
 *   7. joint position limits from the URDF, shrunk by a margin (a joint already outside may only move back in);
 *   8. the commanded pose (forward kinematics) must be inside the workspace, or closer to it than before. If the
 *      step fails that (joint-space steps bend the tool's path; IK may answer on another branch), a local step
 *      towards the box (or the target) from the last command is tried (LocalStep.ts), and where even that gains
 *      almost nothing, the single-joint move that brings the tool closest: limited steps therefore keep making
 *      progress instead of being rejected tick after tick. Only if all that fails is the command rejected (and
 *      the arm, sent nothing, stops at the last command).
 *
 * Each clamp or rejection is an Intervention with its reason. Joint vectors are arm joints in URDF order, radians.
 */
import type { ArmModel } from '../../sim/robot/index.js';
import { wrapAngle } from '../../sim/robot/index.js';
import { MAX_EE_STEP, MAX_YAW_STEP, type EeAction, type EePose } from '../../sim/types.js';
import type { RosConfig } from './config.js';
import { LocalStep, outsideBox } from './LocalStep.js';

export const INTERVENTION_KINDS = [
  'non_finite',
  'ee_step',
  'workspace',
  'ik',
  'velocity',
  'acceleration',
  'step',
  'joint_limit',
  'stale_joint_states',
  'stale_image',
  'disconnected',
  'estop',
  'bad_message',
  'tracking',
] as const;
export type InterventionKind = (typeof INTERVENTION_KINDS)[number];

export interface Intervention {
  kind: InterventionKind;
  /** What happened, with numbers, e.g. "elbow: 1.40 rad/s > 1.00". */
  detail: string;
}

declare const safeBrand: unique symbol;
/** A command that passed the filter; the publisher accepts nothing else. */
export interface SafeJointCommand {
  readonly [safeBrand]: true;
  /** Arm joint targets, URDF order, radians. */
  readonly arm: readonly number[];
  /** Target of every finger joint (m), or null when fingers are not commanded. */
  readonly finger: number | null;
}

export interface FilterResult {
  /** null: rejected, publish nothing (the arm holds its last target). */
  command: SafeJointCommand | null;
  interventions: Intervention[];
}

export type SafetyOptions = RosConfig['safety'] & { rateHz: number; commandFingers: boolean };

/** IK of the main step: the simulator's own (JointController.eeActionToTargets uses the defaults). */
const IK_OPTIONS = {} as const;
/** A local step that gains less than this (m) is not progress enough: single-joint moves are tried too. */
const LOCAL_PROGRESS = 1e-4;
const WORKSPACE_TOLERANCE = 1e-3; // m
const sPose: EePose = { x: 0, y: 0, z: 0, yaw: 0 };
const sPose2: EePose = { x: 0, y: 0, z: 0, yaw: 0 };
const sTarget: EePose = { x: 0, y: 0, z: 0, yaw: 0 };
const AXES = ['x', 'y', 'z'] as const;
const SIGNS = [-1, 1] as const;
const sDelta = { x: 0, y: 0, z: 0 };

export class SafetyFilter {
  readonly arm: ArmModel;
  private readonly dt: number;
  private readonly lower: Float64Array;
  private readonly upper: Float64Array;
  private readonly vmax: Float64Array;
  private readonly amax: Float64Array;
  private readonly options: SafetyOptions;
  private readonly prev: Float64Array;
  private readonly prevVel: Float64Array;
  private readonly ikOut: Float64Array;
  private readonly local: LocalStep;
  private readonly candidate: Float64Array;
  private readonly trial: Float64Array;
  private readonly next: Float64Array;
  private readonly vel: Float64Array;
  private finger: number | null = null;
  private anchoredFlag = false;

  constructor(arm: ArmModel, options: SafetyOptions) {
    this.arm = arm;
    this.options = options;
    this.dt = 1 / options.rateHz;
    const n = arm.armDof;
    for (const name of Object.keys(options.perJoint)) {
      if (!arm.armJointNames.includes(name)) {
        throw new Error(`safety.perJoint names "${name}", which is not an arm joint of ${arm.source} (arm joints: ${arm.armJointNames.join(', ')})`);
      }
    }
    const m = options.jointLimitMargin;
    this.lower = Float64Array.from(arm.armLimits, (l) => Math.min(l.lower + m, (l.lower + l.upper) / 2));
    this.upper = Float64Array.from(arm.armLimits, (l) => Math.max(l.upper - m, (l.lower + l.upper) / 2));
    this.vmax = Float64Array.from(arm.armJointNames, (j) => options.perJoint[j]?.maxVelocity ?? options.maxVelocity);
    this.amax = Float64Array.from(arm.armJointNames, (j) => options.perJoint[j]?.maxAcceleration ?? options.maxAcceleration);
    this.prev = new Float64Array(n);
    this.prevVel = new Float64Array(n);
    this.ikOut = new Float64Array(n);
    this.local = new LocalStep(arm, this.lower, this.upper, options.workspace);
    this.candidate = new Float64Array(n);
    this.trial = new Float64Array(n);
    this.next = new Float64Array(n);
    this.vel = new Float64Array(n);
  }

  get anchored(): boolean {
    return this.anchoredFlag;
  }

  /** Position limits the filter enforces (URDF limits shrunk by the margin), per arm joint. */
  get limits(): { lower: readonly number[]; upper: readonly number[] } {
    return { lower: Array.from(this.lower), upper: Array.from(this.upper) };
  }

  /** The finger target of the last command (m), or null when fingers are not commanded. */
  get fingerTarget(): number | null {
    return this.finger;
  }

  /** (Re)starts from the measured joint positions at rest; needed before apply() and after every stop. */
  anchor(measured: ArrayLike<number>, fingerOpening?: number): void {
    for (let i = 0; i < this.arm.armDof; i++) {
      const v = measured[i];
      if (v === undefined || !Number.isFinite(v)) throw new Error(`SafetyFilter.anchor: joint ${this.arm.armJointNames[i]} is ${v}`);
      this.prev[i] = v;
      this.prevVel[i] = 0;
    }
    if (this.options.commandFingers && this.arm.fingerCount > 0) this.finger = fingerOpening ?? this.finger ?? this.arm.maxFingerOpening;
    else this.finger = null;
    this.anchoredFlag = true;
  }

  /** Forgets the anchor: apply() refuses until anchor() is called again with fresh measurements. */
  release(): void {
    this.anchoredFlag = false;
  }

  /** The last command again, with the velocity reset: what "hold position" publishes. */
  hold(): SafeJointCommand {
    this.prevVel.fill(0);
    return this.make();
  }

  /** The TCP pose of the last command. */
  commandedPose(out: EePose = { x: 0, y: 0, z: 0, yaw: 0 }): EePose {
    return this.arm.tcpPose(this.prev, out);
  }

  /**
   * Policy action -> safe joint command (steps 1-8). `measured`: the arm's joint positions now (default: the last
   * command, for a robot that follows exactly).
   */
  apply(action: EeAction, measured: ArrayLike<number> = this.prev): FilterResult {
    if (!this.anchoredFlag) throw new Error('SafetyFilter.apply: anchor() first');
    const interventions: Intervention[] = [];
    for (const k of ['dx', 'dy', 'dz', 'dyaw', 'gripper'] as const) {
      if (typeof action[k] !== 'number' || !Number.isFinite(action[k])) {
        interventions.push({ kind: 'non_finite', detail: `action.${k} is ${action[k]}; command rejected` });
      }
    }
    if (interventions.length) return { command: null, interventions };
    const off = this.trackingError(measured);
    if (off) {
      // The arm is not where the last command put it: hold where it is and start again from there.
      interventions.push({ kind: 'tracking', detail: `${off}; holding and re-anchoring on the measured position` });
      this.anchor(measured, this.finger ?? undefined);
      return { command: this.make(), interventions };
    }
    const target = this.target(action, measured, interventions);
    const ik = this.arm.solveIk(target, measured, this.ikOut, IK_OPTIONS);
    if (ik.positionError > 0.01) {
      interventions.push({ kind: 'ik', detail: `target not reached by IK (position error ${(ik.positionError * 1000).toFixed(1)} mm); moving towards it` });
    }
    const before = this.finger;
    if (this.options.commandFingers && this.arm.fingerCount > 0) {
      const l = this.arm.fingerLimits[0]!;
      this.finger = action.gripper >= 0.5 ? l.lower : l.upper;
    }
    const r = this.filterJoints(this.ikOut, interventions, target);
    if (!r.command) this.finger = before; // a rejected action changes nothing, the gripper included
    return r;
  }

  /** Why the measured joints are too far from the last command (null when they are not). */
  private trackingError(measured: ArrayLike<number>): string | null {
    const bound = this.options.maxTrackingError;
    for (let i = 0; i < this.arm.armDof; i++) {
      const m = measured[i]!;
      if (!Number.isFinite(m)) return `measured ${this.arm.armJointNames[i]} is ${m}`;
      const d = Math.abs(m - this.prev[i]!);
      if (d > bound) return `${this.arm.armJointNames[i]} measured ${m.toFixed(3)} rad, last command ${this.prev[i]!.toFixed(3)} (off by ${d.toFixed(3)} > ${bound})`;
    }
    return null;
  }

  /** Steps 3-4: the measured tool pose plus the capped delta, projected into the workspace box (into sTarget). */
  private target(action: EeAction, measured: ArrayLike<number>, interventions: Intervention[]): EePose {
    const cap = (v: number, c: number, name: string): number => {
      if (Math.abs(v) <= c) return v;
      interventions.push({ kind: 'ee_step', detail: `${name} ${v.toFixed(4)} capped at ${c}` });
      return Math.sign(v) * c;
    };
    const ref = this.arm.tcpPose(measured, sPose);
    sDelta.x = cap(action.dx, MAX_EE_STEP, 'dx');
    sDelta.y = cap(action.dy, MAX_EE_STEP, 'dy');
    sDelta.z = cap(action.dz, MAX_EE_STEP, 'dz');
    const ws = this.options.workspace;
    for (const ax of AXES) {
      const [lo, hi] = ws[ax];
      const want = ref[ax] + sDelta[ax];
      const inBox = Math.min(hi, Math.max(lo, want));
      if (inBox !== want) interventions.push({ kind: 'workspace', detail: `target ${ax} ${want.toFixed(3)} m projected into [${lo}, ${hi}]` });
      // From outside the box, come back at most MAX_EE_STEP per tick (the simulator's rule).
      sTarget[ax] = ref[ax] + Math.min(MAX_EE_STEP, Math.max(-MAX_EE_STEP, inBox - ref[ax]));
    }
    sTarget.yaw = wrapAngle(ref.yaw + cap(action.dyaw, MAX_YAW_STEP, 'dyaw'));
    return sTarget;
  }

  /**
   * Joint targets -> safe command (steps 5-8): finiteness, rate limits, position limits, workspace. `target` (the
   * tool pose the joints were solved for) lets a step that fails the workspace check be replaced by a local step
   * towards it; without it such a step is shortened (halved up to 4 times) and otherwise rejected.
   */
  filterJoints(proposed: ArrayLike<number>, interventions: Intervention[] = [], target?: EePose): FilterResult {
    if (!this.anchoredFlag) throw new Error('SafetyFilter.filterJoints: anchor() first');
    const n = this.arm.armDof;
    const names = this.arm.armJointNames;
    if (proposed.length !== n) {
      interventions.push({ kind: 'non_finite', detail: `${proposed.length} joint targets for ${n} joints; command rejected` });
      return { command: null, interventions };
    }
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(proposed[i])) {
        interventions.push({ kind: 'non_finite', detail: `${names[i]} target is ${proposed[i]}; command rejected` });
        return { command: null, interventions };
      }
    }
    const next = this.next;
    this.limitStep(proposed, next, interventions);
    this.clampPositions(next, interventions);
    // The tool must stay in the workspace (or get closer to it).
    const before = this.outside(this.commandedPose(sPose2));
    let after = this.outside(this.arm.tcpPose(next, sPose));
    const fine = () => after <= WORKSPACE_TOLERANCE || after < before - 1e-9;
    if (!fine() && target) {
      this.limitStep(this.local.toward(this.prev, target), next, []);
      this.clampPositions(next, []);
      after = this.outside(this.arm.tcpPose(next, sPose));
      if (!fine() || after > before - LOCAL_PROGRESS) after = Math.min(after, this.searchStep(next, before));
      if (fine()) interventions.push({ kind: 'workspace', detail: 'the step would leave the workspace; a local step towards it was taken instead' });
    }
    let halved = 0;
    for (; halved < 4 && !fine(); halved++) {
      for (let i = 0; i < n; i++) next[i] = (this.prev[i]! + next[i]!) / 2;
      after = this.outside(this.arm.tcpPose(next, sPose));
    }
    if (halved > 0 && fine()) interventions.push({ kind: 'workspace', detail: `step shortened to 1/${2 ** halved} to stay in the workspace` });
    if (!fine()) {
      interventions.push({ kind: 'workspace', detail: `commanded pose would be ${(after * 1000).toFixed(1)} mm outside the workspace; command rejected` });
      this.prevVel.fill(0); // nothing is sent: the arm stops at the last command
      return { command: null, interventions };
    }
    const vel = this.vel;
    for (let i = 0; i < n; i++) vel[i] = (next[i]! - this.prev[i]!) / this.dt;
    this.prev.set(next);
    this.prevVel.set(vel);
    return { command: this.make(), interventions };
  }

  /**
   * Where the local step barely helps (a joint at its limit, a saddle of the tool's distance), one joint moved
   * alone by as much as the rate limits allow, the one that brings the tool closest to the box: written into
   * `next` if it beats `next`; returns the tool's distance outside the box for what `next` then holds.
   */
  private searchStep(next: Float64Array, before: number): number {
    const n = this.arm.armDof;
    const cand = this.candidate;
    const trial = this.trial;
    let best = this.outside(this.arm.tcpPose(next, sPose));
    for (let i = 0; i < n; i++) {
      for (const sign of SIGNS) {
        cand.set(this.prev);
        cand[i] = this.prev[i]! + sign * this.options.maxStepPerTick;
        this.limitStep(cand, trial, []);
        this.clampPositions(trial, []);
        const d = this.outside(this.arm.tcpPose(trial, sPose));
        if (d < best && d < before) {
          best = d;
          next.set(trial);
        }
      }
    }
    return best;
  }

  /**
   * Step 6 into `next`: velocity, acceleration and per-tick limits against the last command, by one common scale
   * of the whole step where one exists (the tool keeps its direction), else joint by joint.
   */
  private limitStep(proposed: ArrayLike<number>, next: Float64Array, interventions: Intervention[]): void {
    const n = this.arm.armDof;
    const names = this.arm.armJointNames;
    const dt = this.dt;
    const ms = this.options.maxStepPerTick;
    let sLo = 0;
    let sHi = 1;
    let binding: Intervention | null = null;
    const bound = (s: number, kind: InterventionKind, detail: () => string) => {
      if (s < sHi) {
        sHi = s;
        binding = { kind, detail: detail() };
      }
    };
    for (let i = 0; i < n; i++) {
      const d = proposed[i]! - this.prev[i]!;
      if (d === 0) {
        // Scaling cannot change a joint that is not asked to move: one moving too fast to stop at once must brake.
        if (Math.abs(this.prevVel[i]!) > this.amax[i]! * dt) sLo = Infinity;
        continue;
      }
      const ad = Math.abs(d);
      const v = ad / dt;
      if (v > this.vmax[i]!) bound((this.vmax[i]! * dt) / ad, 'velocity', () => `${names[i]}: ${v.toFixed(3)} rad/s > ${this.vmax[i]}; step scaled`);
      if (ad > ms) bound(ms / ad, 'step', () => `${names[i]}: change ${ad.toFixed(4)} rad per tick > ${ms}; step scaled`);
      // pv - a dt <= s d / dt <= pv + a dt
      const pv = this.prevVel[i]!;
      const dv = this.amax[i]! * dt;
      const a = ((pv - dv) * dt) / d;
      const b = ((pv + dv) * dt) / d;
      const lo = Math.min(a, b);
      const hi = Math.max(a, b);
      if (hi < sHi) bound(hi, 'acceleration', () => `${names[i]}: ${(Math.abs(d / dt - pv) / dt).toFixed(2)} rad/s^2 > ${this.amax[i]}; step scaled`);
      if (lo > sLo) sLo = lo;
    }
    // A common scale must lie in [0, 1]; a negative one would mean moving the other way.
    if (Math.max(0, sLo) <= sHi + 1e-12) {
      const scale = Math.max(0, sHi);
      if (binding) interventions.push(binding);
      for (let i = 0; i < n; i++) next[i] = this.prev[i]! + scale * (proposed[i]! - this.prev[i]!);
      return;
    }
    // No common factor: a joint moving fast the other way must brake first. Limit each joint on its own.
    for (let i = 0; i < n; i++) {
      const pv = this.prevVel[i]!;
      const dv = this.amax[i]! * dt;
      let v = (proposed[i]! - this.prev[i]!) / dt;
      if (v > pv + dv || v < pv - dv) {
        interventions.push({ kind: 'acceleration', detail: `${names[i]}: ${(Math.abs(v - pv) / dt).toFixed(2)} rad/s^2 > ${this.amax[i]}` });
        v = Math.min(pv + dv, Math.max(pv - dv, v));
      }
      v = Math.min(this.vmax[i]!, Math.max(-this.vmax[i]!, v));
      next[i] = this.prev[i]! + Math.min(ms, Math.max(-ms, v * dt));
    }
  }

  /** Step 7: a joint already outside the margin may stay where it is or move back in, never further out. */
  private clampPositions(next: Float64Array, interventions: Intervention[]): void {
    const names = this.arm.armJointNames;
    for (let i = 0; i < this.arm.armDof; i++) {
      const p = this.prev[i]!;
      const q = next[i]!;
      const lo = Math.min(this.lower[i]!, p);
      const hi = Math.max(this.upper[i]!, p);
      if (q < lo || q > hi) {
        const c = Math.min(hi, Math.max(lo, q));
        interventions.push({ kind: 'joint_limit', detail: `${names[i]}: ${q.toFixed(4)} rad clamped to ${c.toFixed(4)} (limits [${this.lower[i]!.toFixed(4)}, ${this.upper[i]!.toFixed(4)}])` });
        next[i] = c;
      }
    }
  }

  /** Distance (m) of a pose outside the workspace box, 0 inside. */
  outside(p: EePose): number {
    return outsideBox(p, this.options.workspace);
  }

  private make(): SafeJointCommand {
    return { arm: Array.from(this.prev), finger: this.finger } as unknown as SafeJointCommand;
  }
}
