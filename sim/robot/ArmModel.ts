/**
 * ArmModel: the kinematic and visual description of a serial arm with a parallel gripper, read from URDF.
 *
 * Parsing is roslib's (`ROSLIB.UrdfModel`, see parseUrdf.ts); the model lays out what the simulator needs:
 * - links in tree order from the root (every link's parent comes before it): `linkNames`;
 * - the serial chain root -> tool centre point (a link named `tcp`, or the child of a fixed joint named `tcp`);
 * - arm joints: the revolute/continuous joints on that chain, root to tip (`armJointNames`);
 * - finger joints: prismatic joints below the last arm joint, in document order (`fingerJointNames`);
 * - per-link primitive visuals (box/cylinder/sphere, pose in the link frame, sRGB colour) for physics and
 *   rendering (`visuals`); URDF cylinders lie along their local z axis (three.js and cannon-es ones along y);
 * - limits: position limits from the URDF; velocity and acceleration limits from ArmModelOptions (roslib drops
 *   <limit velocity>, URDF has no acceleration limit). Defaults: arm 2.0 rad/s and 8.0 rad/s^2, fingers 0.1 m/s
 *   and 1.0 m/s^2.
 *
 * Kinematics (forward, Jacobian, inverse) live in Kinematics.ts; `linkTransforms`, `tcpPose` and `solveIk` here
 * forward to `this.kinematics`.
 *
 * Units: metres, radians, seconds. Joint vectors q are arm joints only, in armJointNames order (radians); finger
 * positions are metres from the gripper centre per finger (0 = closed, maxFingerOpening = fully open).
 */
import { readFileSync } from 'node:fs';
import type { Matrix4 } from 'three';
import type { EePose } from '../types.js';
import {
  DEFAULT_URDF_PATH,
  HOME_TCP_POSE,
  type ArmModelOptions,
  type BasePose,
  type IkOptions,
  type IkResult,
  type JointLimit,
  type LinkVisual,
  type ModelJoint,
} from './armTypes.js';
import { Kinematics } from './Kinematics.js';
import { UrdfError, parseArmUrdf } from './parseUrdf.js';

export class ArmModel {
  readonly name: string;
  /** The file path, or 'URDF text'; error messages start with it. */
  readonly source: string;
  /** Every link, parents before children; index 0 is the root (placed at basePose). */
  readonly linkNames: readonly string[];
  /** joints[i] is the parent joint of link i + 1 (the root has none). */
  readonly joints: readonly ModelJoint[];
  /** Per link: index into `joints` of its parent joint, -1 for the root. */
  readonly linkParentJoint: readonly number[];
  readonly armJointNames: readonly string[];
  readonly fingerJointNames: readonly string[];
  /** Arm limits then finger limits (armJointNames order, then fingerJointNames order). */
  readonly limits: readonly JointLimit[];
  readonly armLimits: readonly JointLimit[];
  readonly fingerLimits: readonly JointLimit[];
  readonly visuals: readonly LinkVisual[];
  /** World pose of the root link (default ARM_BASE, yaw 0). */
  readonly basePose: Readonly<Required<BasePose>>;
  /** Index in linkNames of the tool-centre-point frame. */
  readonly tcpLink: number;
  /** Link indices from the root to the tcp link, inclusive. */
  readonly chainLinks: readonly number[];
  /** Largest opening of one finger (upper limit of the first finger joint), metres from the centre; 0 without fingers. */
  readonly maxFingerOpening: number;
  readonly kinematics: Kinematics;
  private readonly homePose: EePose;
  private home: number[] | null = null;

  private constructor(xml: string, options: ArmModelOptions) {
    const p = parseArmUrdf(xml, options);
    this.name = p.name;
    this.source = p.source;
    this.linkNames = p.linkNames;
    this.joints = p.joints;
    this.linkParentJoint = p.linkParentJoint;
    this.armJointNames = p.armJointNames;
    this.fingerJointNames = p.fingerJointNames;
    this.armLimits = p.armLimits;
    this.fingerLimits = p.fingerLimits;
    this.limits = [...p.armLimits, ...p.fingerLimits];
    this.visuals = p.visuals;
    this.basePose = p.basePose;
    this.tcpLink = p.tcpLink;
    this.chainLinks = p.chainLinks;
    this.maxFingerOpening = p.fingerLimits[0]?.upper ?? 0;
    this.homePose = { ...(options.homePose ?? HOME_TCP_POSE) };
    this.kinematics = new Kinematics(this);
  }

  /** Parses URDF text (with roslib) and checks it; errors are UrdfError naming options.source. */
  static fromUrdf(xml: string, options: ArmModelOptions = {}): ArmModel {
    return new ArmModel(xml, options);
  }

  /** Reads and checks a URDF file; errors are UrdfError naming the file. */
  static load(path: string, options: ArmModelOptions = {}): ArmModel {
    let xml: string;
    try {
      xml = readFileSync(path, 'utf8');
    } catch (e) {
      throw new UrdfError(path, `cannot read the file (${(e as Error).message})`);
    }
    return new ArmModel(xml, { ...options, source: options.source ?? path });
  }

  /** The project's arm, sim/robot/vla_arm.urdf. */
  static loadDefault(options: ArmModelOptions = {}): ArmModel {
    return ArmModel.load(DEFAULT_URDF_PATH, options);
  }

  /** Number of arm joints (the length of q). */
  get armDof(): number {
    return this.armJointNames.length;
  }

  get fingerCount(): number {
    return this.fingerJointNames.length;
  }

  get linkCount(): number {
    return this.linkNames.length;
  }

  /** Index of a link by name; throws if there is none. */
  linkIndex(name: string): number {
    const i = this.linkNames.indexOf(name);
    if (i < 0) throw new Error(`${this.source}: no link named '${name}' (links: ${this.linkNames.join(', ')})`);
    return i;
  }

  /**
   * Joint positions (radians, armJointNames order) that put the TCP at options.homePose (default HOME_TCP_POSE:
   * gripper down above the workspace). Solved by IK once, then copied. If IK cannot reach it (another URDF), the
   * best IK result is used, which is still inside the joint limits.
   */
  homeConfiguration(): number[] {
    if (!this.home) {
      // Seed: every joint at the middle of its range (0 for continuous joints).
      const seed = this.armLimits.map((l) => (Number.isFinite(l.lower + l.upper) ? (l.lower + l.upper) / 2 : 0));
      this.home = Array.from(this.kinematics.solveIk(this.homePose, seed).q);
    }
    return this.home.slice();
  }

  /** Copies q into [lower, upper] of every arm joint (in place when out === q). Returns out. */
  clampArm<T extends { [i: number]: number; length: number }>(q: ArrayLike<number>, out: T): T {
    for (let i = 0; i < this.armLimits.length; i++) {
      const l = this.armLimits[i] as JointLimit;
      const v = q[i] ?? 0;
      out[i] = v < l.lower ? l.lower : v > l.upper ? l.upper : v;
    }
    return out;
  }

  /** World transform of every link (linkNames order) into `out`; see Kinematics.linkTransforms. No allocation. */
  linkTransforms(q: ArrayLike<number>, fingers: number | ArrayLike<number>, out: readonly Matrix4[]): void {
    this.kinematics.linkTransforms(q, fingers, out);
  }

  /** TCP position (m) and yaw about world z (rad, (-pi, pi]); see Kinematics.tcpPose. */
  tcpPose(q: ArrayLike<number>, out?: EePose): EePose {
    return this.kinematics.tcpPose(q, out);
  }

  /** Inverse kinematics to a gripper-down pose; see Kinematics.solveIk. */
  solveIk(target: EePose, seed: ArrayLike<number>, out?: number[] | Float64Array, options?: IkOptions): IkResult {
    return this.kinematics.solveIk(target, seed, out, options);
  }
}
