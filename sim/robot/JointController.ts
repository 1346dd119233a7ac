/**
 * JointController: the commanded joint positions and velocities of the arm and the fingers, moved towards their
 * targets under per-joint velocity and acceleration limits, and the conversion of end-effector delta actions
 * (the policy's and the expert's format) into joint targets through IK.
 *
 * Tracking (update(dt)) is a discrete-time trapezoidal profile per joint: accelerate at the limit, cruise at the
 * velocity limit, brake so as to stop exactly on the target. Each step takes
 *   v <- clamp(sign(e) * min(v_max, v_brake(|e|)), v - a*dt, v + a*dt),   x <- x + v*dt,
 * where v_brake(d) is the largest speed from which the sequence v, v - a*dt, v - 2a*dt, ..., (last one in
 * (0, a*dt]), 0 covers exactly d: with D = d / (a*dt^2), m = the largest integer with m(m+1)/2 <= D and
 * f = (D - m(m+1)/2) / (m+1), v_brake = a*dt*(m + f). Following it, the speed drops by exactly a*dt per step and
 * the last step lands on the target, so from rest (or any speed <= v_brake) a joint never passes its target and
 * never exceeds its acceleration limit. If a new target lies behind a joint moving too fast to stop, it brakes at
 * the limit, passes, and comes back. Positions never leave the joint limits (targets are clamped into them).
 *
 * Synchronisation (option, default on): each step every arm joint's profile is stretched in time (velocity limit
 * times s, acceleration times s^2, 0 < s <= 1) so that it needs as long as the slowest joint (time-scaling
 * synchronisation of point-to-point moves, e.g. Biagiotti & Melchiorri 2008, "Trajectory Planning for Automatic
 * Machines and Robots", ch. 5); the joints then arrive together and the arm moves close to the straight line in
 * joint space. The slowest joint keeps its full limits; each step may still use the full acceleration, so the
 * no-overshoot argument above holds unchanged. The fingers are not synchronised. No allocation in update().
 *
 * Units: radians, rad/s, rad/s^2 for arm joints; metres, m/s, m/s^2 for fingers (metres from the gripper centre).
 */
import { MAX_EE_STEP, MAX_YAW_STEP, type EeAction, type EePose } from '../types.js';
import type { ArmModel } from './ArmModel.js';
import { ARM_WORKSPACE, type IkOptions, type IkResult, type JointLimit, type WorkspaceBox } from './armTypes.js';
import { wrapAngle } from './mathUtil.js';

export interface JointControllerOptions {
  /** Box the TCP must stay in under end-effector actions (world, metres). Default ARM_WORKSPACE. */
  workspace?: WorkspaceBox;
  /**
   * What an end-effector delta is added to: 'current' = the TCP pose of the current joint positions;
   * 'commanded' = the pose the previous end-effector action commanded (no lag from tracking), as long as the
   * joint targets are still the ones it produced. Default 'current'. Note: with 'commanded', deltas computed
   * from the observed pose (target - eePose, as a closed-loop expert does) integrate the tracking lag and
   * oscillate; compute them from `commandedPose` instead.
   */
  deltaFrom?: 'current' | 'commanded';
  /** Options for the IK run by eeActionToTargets. */
  ik?: IkOptions;
  /** Slow the faster arm joints so that all arrive together (see update()). Default true. */
  synchronize?: boolean;
  /** Initial finger positions, metres from the centre. Default fully open. */
  fingers?: number;
}

/** Gripper command: a number (>= 0.5 closes, as EeAction.gripper) or a word. */
export type GripperCommand = number | 'open' | 'close';

/** Largest speed from which braking by acc*dt per step stops after exactly distance d (see the file comment). */
export function brakingSpeed(d: number, acc: number, dt: number): number {
  if (!(d > 0)) return 0;
  const adt = acc * dt;
  const D = d / (adt * dt);
  let m = Math.floor((Math.sqrt(1 + 8 * D) - 1) / 2);
  while (m > 0 && (m * (m + 1)) / 2 > D) m--; // guard against rounding either way
  while (((m + 1) * (m + 2)) / 2 <= D) m++;
  return adt * (m + (D - (m * (m + 1)) / 2) / (m + 1));
}

/**
 * Time (s) a joint at signed distance e from its target, moving at v, needs to stop on it under limits (vmax, a)
 * (continuous-time estimate: brake first if moving away or too fast, then a trapezoid or triangle).
 */
export function timeToTarget(e: number, v: number, vmax: number, a: number): number {
  const d = Math.abs(e);
  let s = e >= 0 ? v : -v; // speed towards the target
  let t = 0;
  let dist = d;
  if (s < 0 || (s * s) / (2 * a) > d) {
    // Moving away, or too fast to stop in time: stop first, then start from rest.
    t = Math.abs(s) / a;
    dist = s < 0 ? d + (s * s) / (2 * a) : (s * s) / (2 * a) - d;
    s = 0;
  }
  const peak = Math.min(vmax, Math.sqrt(a * dist + (s * s) / 2));
  const ramps = (peak * peak - s * s) / (2 * a) + (peak * peak) / (2 * a);
  return t + (peak - s) / a + peak / a + (peak > 0 ? Math.max(0, dist - ramps) / peak : 0);
}

/**
 * The scale s in (0, 1] whose stretched profile (velocity limit s*v, acceleration s^2*a) takes the joint to its
 * target in time T. Stretching time by 1/s maps a state (e, v) to (e, v/s) of the unstretched profile, so the
 * time is timeToTarget(e, v/s, vmax, a)/s; bisection on s (it grows as s shrinks).
 */
function syncScale(e: number, v: number, lim: JointLimit, T: number): number {
  if (stretchedTime(e, v, lim, 1) >= T) return 1;
  let lo = 1e-3;
  let hi = 1;
  if (stretchedTime(e, v, lim, lo) <= T) return lo;
  for (let k = 0; k < 30; k++) {
    const mid = 0.5 * (lo + hi);
    if (stretchedTime(e, v, lim, mid) > T) lo = mid;
    else hi = mid;
  }
  return hi;
}

function stretchedTime(e: number, v: number, lim: JointLimit, s: number): number {
  return timeToTarget(e, v / s, lim.velocity, lim.acceleration) / s;
}

/**
 * One trapezoidal tracking step of joint i of (pos, vel) towards tgt[i]; see the file comment. `scale` in (0, 1]
 * slows the profile (velocity limit times scale, acceleration times scale^2: the same motion stretched by
 * 1/scale in time) so that joints arrive together; the step itself may use the full acceleration. No allocation.
 */
function trackJoint(pos: Float64Array, vel: Float64Array, tgt: Float64Array, i: number, lim: JointLimit, dt: number, scale: number): void {
  const x = pos[i]!;
  const v = vel[i]!;
  const target = tgt[i]!;
  const e = target - x;
  const dir = e > 0 ? 1 : e < 0 ? -1 : 0;
  const adt = lim.acceleration * dt;
  const vDes = dir * Math.min(lim.velocity * scale, brakingSpeed(dir * e, lim.acceleration * scale * scale, dt));
  let vNew = vDes < v - adt ? v - adt : vDes > v + adt ? v + adt : vDes;
  if (vNew > lim.velocity) vNew = lim.velocity;
  else if (vNew < -lim.velocity) vNew = -lim.velocity;
  let xNew = x + vNew * dt;
  // The last braking step lands on the target (up to rounding): put it exactly there. The speed of that step
  // is at most a*dt, so stopping on the next step keeps within the acceleration limit.
  if (dir !== 0 && (xNew - target) * dir >= -1e-12 && Math.abs(vNew) <= adt * (1 + 1e-9)) xNew = target;
  // Targets lie inside the limits and the speed never exceeds the braking speed towards the limit ahead, so
  // this only trims rounding; the velocity becomes the displacement actually made.
  if (xNew < lim.lower || xNew > lim.upper) {
    xNew = xNew < lim.lower ? lim.lower : lim.upper;
    vNew = (xNew - x) / dt;
  }
  pos[i] = xNew;
  vel[i] = vNew;
}

export class JointController {
  readonly model: ArmModel;
  /** Commanded arm joint positions, rad (armJointNames order). */
  readonly positions: Float64Array;
  /** Commanded arm joint velocities, rad/s. */
  readonly velocities: Float64Array;
  /** Arm joint targets, rad, inside the limits. */
  readonly targets: Float64Array;
  /** Finger positions, metres from the gripper centre (fingerJointNames order). */
  readonly fingerPositions: Float64Array;
  readonly fingerVelocities: Float64Array;
  readonly fingerTargets: Float64Array;
  /** The IK result of the last eeActionToTargets, or null. */
  lastIk: IkResult | null = null;
  /** The TCP pose the last eeActionToTargets commanded (after clamping). */
  readonly commandedPose: EePose = { x: 0, y: 0, z: 0, yaw: 0 };
  private readonly workspace: WorkspaceBox;
  private readonly deltaFrom: 'current' | 'commanded';
  private readonly ikOptions: IkOptions;
  private readonly synchronize: boolean;
  private readonly eeTargets: Float64Array;
  private hasCommanded = false;
  private readonly refPose: EePose = { x: 0, y: 0, z: 0, yaw: 0 };

  /** initial: arm joint positions, rad (default: the model's homeConfiguration()); they start at rest. */
  constructor(model: ArmModel, initial?: ArrayLike<number>, options: JointControllerOptions = {}) {
    this.model = model;
    const n = model.armDof;
    const m = model.fingerCount;
    this.positions = new Float64Array(n);
    this.velocities = new Float64Array(n);
    this.targets = new Float64Array(n);
    this.eeTargets = new Float64Array(n);
    this.fingerPositions = new Float64Array(m);
    this.fingerVelocities = new Float64Array(m);
    this.fingerTargets = new Float64Array(m);
    this.workspace = options.workspace ?? ARM_WORKSPACE;
    this.deltaFrom = options.deltaFrom ?? 'current';
    this.ikOptions = options.ik ?? {};
    this.synchronize = options.synchronize ?? true;
    this.reset(initial ?? model.homeConfiguration(), options.fingers);
  }

  /** Puts the arm at rest at q (clamped into the limits) with targets = positions; fingers at `fingers` m (default open). */
  reset(q: ArrayLike<number>, fingers?: number): void {
    const n = this.model.armDof;
    if (q.length !== n) throw new Error(`JointController.reset: expected ${n} joint positions, got ${q.length}`);
    this.model.clampArm(q, this.positions);
    this.targets.set(this.positions);
    this.velocities.fill(0);
    this.model.fingerLimits.forEach((l, i) => {
      const f = fingers ?? l.upper;
      this.fingerPositions[i] = Math.min(Math.max(f, l.lower), l.upper);
    });
    this.fingerTargets.set(this.fingerPositions);
    this.fingerVelocities.fill(0);
    this.hasCommanded = false;
    this.lastIk = null;
  }

  /** Mean finger position, metres from the centre (0 = closed, model.maxFingerOpening = open); 0 without fingers. */
  get fingerOpening(): number {
    const m = this.fingerPositions.length;
    let s = 0;
    for (let i = 0; i < m; i++) s += this.fingerPositions[i]!;
    return m > 0 ? s / m : 0;
  }

  /** Sets the arm joint targets (rad, armJointNames order), clamped into the joint limits. */
  setTargets(targets: ArrayLike<number>): void {
    const n = this.model.armDof;
    if (targets.length !== n) throw new Error(`JointController.setTargets: expected ${n} targets, got ${targets.length}`);
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(targets[i])) throw new Error(`JointController.setTargets: target ${i} is ${targets[i]}`);
    }
    this.model.clampArm(targets, this.targets);
  }

  /** Closes (>= 0.5 or 'close': fingers to their lower limit, 0) or opens (to their upper limit) the gripper. */
  setGripper(command: GripperCommand): void {
    const close = command === 'close' || (typeof command === 'number' && command >= 0.5);
    this.model.fingerLimits.forEach((l, i) => {
      this.fingerTargets[i] = close ? l.lower : l.upper;
    });
  }

  /** Stops the fingers where they are (they stall on a grasped object, as a force-limited gripper does). */
  holdFingers(): void {
    this.fingerTargets.set(this.fingerPositions);
    this.fingerVelocities.fill(0);
  }

  /** Advances every joint and finger by dt seconds towards its target (trapezoidal profile). No allocation. */
  update(dt: number): void {
    if (!(dt > 0)) throw new Error(`JointController.update: dt must be > 0, got ${dt}`);
    const arm = this.model.armLimits;
    const { positions: p, velocities: v, targets: t } = this;
    // Synchronisation: every arm joint is slowed to arrive with the slowest one, so the arm moves roughly along
    // the straight line in joint space (and, for the short moves of end-effector actions, in space).
    let slowest = 0;
    if (this.synchronize) {
      for (let i = 0; i < arm.length; i++) {
        const l = arm[i]!;
        slowest = Math.max(slowest, timeToTarget(t[i]! - p[i]!, v[i]!, l.velocity, l.acceleration));
      }
    }
    for (let i = 0; i < arm.length; i++) {
      const l = arm[i]!;
      const scale = slowest > 0 ? syncScale(t[i]! - p[i]!, v[i]!, l, slowest) : 1;
      trackJoint(p, v, t, i, l, dt, scale);
    }
    const fingers = this.model.fingerLimits;
    for (let i = 0; i < fingers.length; i++) {
      trackJoint(this.fingerPositions, this.fingerVelocities, this.fingerTargets, i, fingers[i]!, dt, 1);
    }
  }

  /** Whether every joint and finger is at its target and at rest. */
  get settled(): boolean {
    for (let i = 0; i < this.positions.length; i++) if (this.positions[i] !== this.targets[i] || this.velocities[i] !== 0) return false;
    for (let i = 0; i < this.fingerPositions.length; i++) {
      if (this.fingerPositions[i] !== this.fingerTargets[i] || this.fingerVelocities[i] !== 0) return false;
    }
    return true;
  }

  /**
   * End-effector delta action -> arm joint targets (written into out, which is returned; out is not applied:
   * pass it to setTargets). dx, dy, dz are clamped to +-MAX_EE_STEP and dyaw to +-MAX_YAW_STEP, added to the
   * reference pose (see JointControllerOptions.deltaFrom), the position is kept inside the workspace box (and
   * moves at most MAX_EE_STEP per axis towards it when the reference lies outside), and IK, seeded with currentQ
   * (default: the commanded positions), gives the targets. If IK misses its tolerances the closest solution it
   * found is returned (inside the joint limits); `lastIk` says how close. action.gripper is ignored here.
   *
   * Between targets the joints move in joint space (synchronised), so the TCP path bends slightly off the
   * straight line (a few millimetres at full speed). When yaw keeps turning one way until wrist_roll reaches its
   * limit, IK switches to the equivalent yaw + pi and the wrist turns back through half a turn (the gripper
   * passes through other yaws meanwhile); yaw commands within (-pi/2, pi/2], as graspYaw gives, never need this.
   */
  eeActionToTargets<T extends number[] | Float64Array>(action: EeAction, out: T, currentQ: ArrayLike<number> = this.positions): T {
    for (const k of ['dx', 'dy', 'dz', 'dyaw'] as const) {
      if (!Number.isFinite(action[k])) throw new Error(`eeActionToTargets: action.${k} must be a finite number, got ${action[k]}`);
    }
    const kin = this.model.kinematics;
    const n = this.model.armDof;
    let sameTargets = this.hasCommanded;
    for (let i = 0; i < n && sameTargets; i++) sameTargets = this.targets[i] === this.eeTargets[i];
    const ref = this.refPose;
    if (this.deltaFrom === 'commanded' && sameTargets) Object.assign(ref, this.commandedPose);
    else kin.tcpPose(currentQ, ref);

    const ws = this.workspace;
    const step = (delta: number, max: number) => Math.min(Math.max(delta, -max), max);
    const axis = (from: number, delta: number, box: readonly [number, number]) => {
      const inBox = Math.min(Math.max(from + step(delta, MAX_EE_STEP), box[0]), box[1]);
      return from + step(inBox - from, MAX_EE_STEP);
    };
    const target: EePose = {
      x: axis(ref.x, action.dx, ws.x),
      y: axis(ref.y, action.dy, ws.y),
      z: axis(ref.z, action.dz, ws.z),
      yaw: wrapAngle(ref.yaw + step(action.dyaw, MAX_YAW_STEP)),
    };
    const ik = kin.solveIk(target, currentQ, out, this.ikOptions);
    this.lastIk = ik;
    Object.assign(this.commandedPose, target, { yaw: ik.yaw });
    this.model.clampArm(out, this.eeTargets);
    this.hasCommanded = true;
    return out;
  }

  /** Convenience: eeActionToTargets, setTargets and setGripper(action.gripper) in one call. */
  applyEeAction(action: EeAction, currentQ: ArrayLike<number> = this.positions): IkResult {
    const out = new Float64Array(this.model.armDof);
    this.setTargets(this.eeActionToTargets(action, out, currentQ));
    this.setGripper(action.gripper);
    return this.lastIk as IkResult;
  }
}
