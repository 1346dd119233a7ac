/**
 * The arm as its joint states report it: arm joint positions (URDF order), the finger opening, the header stamp,
 * and whether the gripper holds something. In simulation the policy is told `holding` by the physics (an object
 * locked between the fingers); on a robot it comes from a grasp sensor topic (std_msgs/Bool, topics.holding) or,
 * without one, from the fingers as measured: commanded closed, stopped (speed below STALL_SPEED) and at least
 * robot.holdingMinOpening apart, i.e. stalled on an object, as the simulator's fingers stall on what they grasp.
 * Finger speed comes from the JointState's velocities when it has them, else from the positions of the last two
 * samples with different stamps (a repeated sample says nothing about motion).
 */
import type { ArmModel } from '../../sim/robot/index.js';
import { parseJointState } from './messages.js';

/** Fingers slower than this (fraction of the full opening per second) count as stopped. */
export const STALL_SPEED = 0.1;

export class ArmState {
  /** Arm joint positions, URDF order, radians (the newest accepted joint state). */
  readonly joints: Float64Array;
  /** Mean finger opening, 0 (closed) .. 1 (fully open); 1 when the arm has no fingers or none are reported. */
  fingerOpening = 1;
  /** Header stamp of the newest joint state (s; 0 when it had none). */
  stamp = 0;
  /** performance.now() when the newest joint state arrived, ms. */
  arrivedAt = -Infinity;
  /** A joint state has been accepted since the last reset(). */
  have = false;
  /** The grasp sensor's last word (topics.holding), or null without one. */
  sensor: boolean | null = null;
  private readonly arm: ArmModel;
  private readonly rosNames: readonly string[];
  private readonly fingerRosNames: readonly string[];
  private readonly minOpening: number;
  private readonly index: Int32Array;
  /** Finger opening speed, fraction per second; NaN until measured. */
  private fingerSpeed = NaN;
  private lastFingerStamp = NaN;

  constructor(arm: ArmModel, rosNames: readonly string[], fingerRosNames: readonly string[], minOpening: number) {
    this.arm = arm;
    this.rosNames = rosNames;
    this.fingerRosNames = fingerRosNames;
    this.minOpening = minOpening;
    this.joints = new Float64Array(arm.armDof);
    this.index = new Int32Array(arm.armDof);
  }

  /** Takes a JointState message; returns why it was refused, or null when taken. */
  read(msg: unknown): string | null {
    const p = parseJointState(msg);
    if (!p.ok) return p.reason;
    const s = p.value;
    const at = this.index;
    for (let i = 0; i < this.rosNames.length; i++) at[i] = s.names.indexOf(this.rosNames[i]!);
    if (at.some((k) => k < 0)) {
      const missing = this.rosNames.filter((n) => !s.names.includes(n));
      return `JointState lacks joints ${missing.join(', ')} (has ${s.names.join(', ')})`;
    }
    for (let i = 0; i < this.rosNames.length; i++) {
      const v = s.positions[at[i]!]!;
      if (!Number.isFinite(v)) return `JointState position of ${this.rosNames[i]} is ${v}`;
    }
    for (let i = 0; i < this.rosNames.length; i++) this.joints[i] = s.positions[at[i]!]!;
    this.arrivedAt = performance.now();
    const stamp = s.stamp > 0 ? s.stamp : this.arrivedAt / 1000;
    this.readFingers(s.names, s.positions, s.velocities, stamp);
    this.stamp = s.stamp;
    this.have = true;
    return null;
  }

  private readFingers(names: readonly string[], positions: readonly number[], velocities: readonly number[], stamp: number): void {
    const max = this.arm.maxFingerOpening;
    if (this.fingerRosNames.length === 0 || !(max > 0)) return;
    let sum = 0;
    let vsum = 0;
    let n = 0;
    let nv = 0;
    for (const f of this.fingerRosNames) {
      const i = names.indexOf(f);
      const v = i < 0 ? NaN : positions[i]!;
      if (!Number.isFinite(v)) continue;
      sum += v;
      n++;
      const w = velocities[i];
      if (w !== undefined && Number.isFinite(w)) {
        vsum += w;
        nv++;
      }
    }
    if (n === 0) return;
    const opening = Math.min(1, Math.max(0, sum / n / max));
    if (nv === n) this.fingerSpeed = vsum / nv / max;
    else if (stamp !== this.lastFingerStamp) {
      const dt = stamp - this.lastFingerStamp;
      this.fingerSpeed = dt > 0 ? (opening - this.fingerOpening) / dt : NaN;
    }
    this.lastFingerStamp = stamp;
    this.fingerOpening = opening;
  }

  /** What the policy is told: the sensor's word, else closed fingers stalled apart. */
  holding(gripperClosed: boolean): boolean {
    if (this.sensor !== null) return this.sensor;
    return gripperClosed && this.fingerOpening >= this.minOpening && Math.abs(this.fingerSpeed) < STALL_SPEED;
  }

  /** Forget what was measured (after a disconnect only fresh data counts). */
  reset(): void {
    this.have = false;
    this.fingerSpeed = NaN;
    this.lastFingerStamp = NaN;
  }
}
