/**
 * Forward and inverse kinematics of an ArmModel.
 *
 * Forward: every link's world transform T_link = T_parent * T_origin(joint) * M(joint value), with M a rotation
 * about the joint axis (revolute/continuous, radians) or a translation along it (prismatic, metres). Runs with no
 * allocation: module-level and per-instance scratch objects only (the physics calls it PHYSICS_HZ times a second).
 *
 * Inverse: damped least squares (Levenberg-Marquardt) on a 6-D task error, after Wampler (1986, "Manipulator
 * inverse kinematic solutions based on vector formulations and damped least-squares methods", IEEE SMC 16(1))
 * and Buss (2004, "Introduction to inverse kinematics with Jacobian transpose, pseudoinverse and damped least
 * squares methods"):
 *   dq = (J^T J + lambda^2 I)^-1 J^T e,   e = [p_target - p_tcp ; w * log(R_target R_tcp^T)]   (3 m + 3 rad)
 * with J the geometric Jacobian (J_i = [a_i x (p_tcp - p_i) ; a_i] for a revolute joint with world axis a_i at
 * p_i; orientation rows scaled by w m/rad), the error clamped before each step (Buss & Kim 2005), lambda adapted
 * (halved after a step that lowers |e|^2, quadrupled and the step retried otherwise), and q clamped into the
 * joint limits after every step. The target frame points the tool z axis straight down (world -z) with the
 * requested yaw. A parallel gripper is symmetric, so yaw and yaw + pi are the same grasp: the one nearer to the
 * seed's current TCP yaw is tried first. Restarts: the seed turned to face the target, then seeded random
 * configurations (the same every call, so IK is a pure function of its inputs).
 */
import { Matrix4, Quaternion, Vector3 } from 'three';
import type { EePose } from '../types.js';
import type { ArmModel } from './ArmModel.js';
import type { IkOptions, IkResult } from './armTypes.js';
import { choleskySolve, wrapAngle } from './mathUtil.js';
import { Rng } from '../util/Rng.js';

const JOINT_FIXED = 0;
const JOINT_REVOLUTE = 1;
const JOINT_PRISMATIC = 2;
const TIGHT_POSITION = 1e-7; // m: an attempt stops iterating below these
const TIGHT_ANGLE = 1e-6; // rad
// An attempt that ends within these ends the search; a looser one (e.g. pressed against a joint limit, within the
// caller's tolerances only by compromise) is kept as the best so far while other yaws and seeds are tried.
const GOOD_POSITION = 1e-5; // m
const GOOD_ANGLE = 1e-4; // rad
const ERROR_CLAMP_POSITION = 0.1; // m (Buss & Kim 2005: clamp the error, not the target)
const ERROR_CLAMP_ANGLE = 0.5; // rad
const MAX_JOINT_STEP = 0.5; // rad per iteration
const LAMBDA_START = 0.1;
const LAMBDA_MIN = 1e-4;
const LAMBDA_MAX = 1e3;
const RESTART_SEED = 0x9e3779b9;

// Module-level scratch (no allocation in FK or IK iterations).
const sM = new Matrix4();
const sCur = new Matrix4();
const sQc = new Quaternion();
const sQt = new Quaternion();
const sPose: EePose = { x: 0, y: 0, z: 0, yaw: 0 };

export class Kinematics {
  readonly model: ArmModel;
  /** Number of arm joints. */
  readonly n: number;
  private readonly base = new Matrix4();
  private readonly origins: Matrix4[];
  private readonly axes: Vector3[];
  private readonly types: Uint8Array;
  /** Per joint: arm index (revolute) or finger index (prismatic), else -1. */
  private readonly varIndex: Int32Array;
  private readonly parentLink: Int32Array;
  private readonly parentJoint: Int32Array;
  private readonly chainJoints: Int32Array;
  /** Joint index of the first arm joint (the one aim() turns). */
  private readonly firstArmJoint: number;
  /** World frame of each arm joint (before its own motion), from the last chainFk. */
  private readonly frames: Matrix4[];
  private readonly tcp = new Matrix4();
  private readonly lower: Float64Array;
  private readonly upper: Float64Array;
  private readonly sampleLo: Float64Array;
  private readonly sampleHi: Float64Array;
  // IK scratch: J is 6 x n row-major; JtJ n x n; chol n x n; g, dq, qCur, qTry, qBest n; err and eCur 6.
  private readonly J: Float64Array;
  private readonly JtJ: Float64Array;
  private readonly chol: Float64Array;
  private readonly g: Float64Array;
  private readonly dq: Float64Array;
  private readonly qCur: Float64Array;
  private readonly qTry: Float64Array;
  private readonly qBest: Float64Array;
  private readonly qStart: Float64Array;
  private readonly err = new Float64Array(6);
  private readonly eCur = new Float64Array(6);
  private readonly rng = new Rng(0);
  /** Iterations of the last attempt(). */
  private lastIterations = 0;

  constructor(model: ArmModel) {
    this.model = model;
    const n = model.armJointNames.length;
    this.n = n;
    const bp = model.basePose;
    this.base.makeRotationZ(bp.yaw).setPosition(bp.x, bp.y, bp.z);
    this.origins = model.joints.map((j) => {
      const [qx, qy, qz, qw] = j.originQuaternion;
      return new Matrix4().makeRotationFromQuaternion(new Quaternion(qx, qy, qz, qw)).setPosition(...j.originPosition);
    });
    this.axes = model.joints.map((j) => new Vector3(...j.axis));
    this.types = Uint8Array.from(model.joints, (j) =>
      j.type === 'fixed' ? JOINT_FIXED : j.type === 'prismatic' ? JOINT_PRISMATIC : JOINT_REVOLUTE,
    );
    this.varIndex = Int32Array.from(model.joints, (j) => (j.armIndex >= 0 ? j.armIndex : j.fingerIndex));
    this.parentJoint = Int32Array.from(model.linkParentJoint);
    this.parentLink = Int32Array.from(model.linkParentJoint, (j) => (j < 0 ? -1 : (model.joints[j] as { parentLink: number }).parentLink));
    this.chainJoints = Int32Array.from(model.chainLinks.slice(1), (l) => model.linkParentJoint[l] as number);
    this.firstArmJoint = model.joints.findIndex((j) => j.armIndex === 0);
    this.frames = Array.from({ length: n }, () => new Matrix4());
    this.lower = Float64Array.from(model.armLimits, (l) => l.lower);
    this.upper = Float64Array.from(model.armLimits, (l) => l.upper);
    this.sampleLo = Float64Array.from(model.armLimits, (l) => (Number.isFinite(l.lower) ? l.lower : -Math.PI));
    this.sampleHi = Float64Array.from(model.armLimits, (l) => (Number.isFinite(l.upper) ? l.upper : Math.PI));
    this.J = new Float64Array(6 * n);
    this.JtJ = new Float64Array(n * n);
    this.chol = new Float64Array(n * n);
    this.g = new Float64Array(n);
    this.dq = new Float64Array(n);
    this.qCur = new Float64Array(n);
    this.qTry = new Float64Array(n);
    this.qBest = new Float64Array(n);
    this.qStart = new Float64Array(n);
  }

  /**
   * World transform of every link, in model.linkNames order, written into out[0..linkCount-1] (the caller owns
   * the Matrix4s; nothing is allocated). q: arm joints, radians. fingers: metres from the centre, one number for
   * every finger or one per finger joint.
   */
  linkTransforms(q: ArrayLike<number>, fingers: number | ArrayLike<number>, out: readonly Matrix4[]): void {
    const links = this.parentLink.length;
    if (out.length < links) throw new Error(`linkTransforms: out has ${out.length} matrices, the arm has ${links} links`);
    (out[0] as Matrix4).copy(this.base);
    for (let li = 1; li < links; li++) {
      const j = this.parentJoint[li] as number;
      const o = out[li] as Matrix4;
      o.multiplyMatrices(out[this.parentLink[li] as number] as Matrix4, this.origins[j] as Matrix4);
      const t = this.types[j];
      if (t === JOINT_REVOLUTE) {
        o.multiply(sM.makeRotationAxis(this.axes[j] as Vector3, q[this.varIndex[j] as number] ?? 0));
      } else if (t === JOINT_PRISMATIC) {
        const d = typeof fingers === 'number' ? fingers : (fingers[this.varIndex[j] as number] ?? 0);
        const a = this.axes[j] as Vector3;
        o.multiply(sM.makeTranslation(a.x * d, a.y * d, a.z * d));
      }
    }
  }

  /** World transform of the TCP frame into out. No allocation. */
  tcpTransform(q: ArrayLike<number>, out: Matrix4): Matrix4 {
    this.chainFk(q);
    return out.copy(this.tcp);
  }

  /** TCP position (m, world) and yaw (rad, (-pi, pi]): the heading of the tool x axis about world z. */
  tcpPose(q: ArrayLike<number>, out: EePose = { x: 0, y: 0, z: 0, yaw: 0 }): EePose {
    this.chainFk(q);
    const e = this.tcp.elements;
    out.x = e[12] as number;
    out.y = e[13] as number;
    out.z = e[14] as number;
    out.yaw = Math.atan2(e[1] as number, e[0] as number);
    return out;
  }

  /**
   * Joint positions putting the TCP at target (x, y, z) with the gripper pointing straight down at target.yaw
   * (or yaw + pi, whichever is nearer the seed's TCP yaw and reachable). Always inside the joint limits; when no
   * attempt reaches the tolerances the best one is returned with ok = false.
   */
  solveIk(target: EePose, seed: ArrayLike<number>, out?: number[] | Float64Array, options: IkOptions = {}): IkResult {
    const n = this.n;
    if (![target.x, target.y, target.z, target.yaw].every(Number.isFinite)) {
      throw new Error(`solveIk: target must be finite numbers, got ${JSON.stringify(target)}`);
    }
    const maxIter = options.maxIterations ?? 100;
    const restarts = options.restarts ?? 8;
    const tolP = options.positionTolerance ?? 1e-3;
    const tolA = options.angleTolerance ?? 0.01;
    const w = options.orientationWeight ?? 0.2;
    const q = out ?? new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) this.qStart[i] = seed[i] ?? 0;
    this.clamp(this.qStart);

    const current = this.tcpPose(this.qStart, sPose).yaw;
    const y0 = wrapAngle(target.yaw);
    const y1 = wrapAngle(target.yaw + Math.PI);
    const nearFirst = Math.abs(wrapAngle(y0 - current)) <= Math.abs(wrapAngle(y1 - current));
    const yaws = options.symmetricYaw === false ? [y0] : nearFirst ? [y0, y1] : [y1, y0];

    let bestCost = Infinity;
    let bestYaw = yaws[0] as number;
    let iterations = 0;
    let attempts = 0;
    let done = false;
    this.rng.setState(RESTART_SEED);
    // Attempt plan: [seed, seed aimed at the target] for each yaw, then random restarts for each yaw.
    for (let round = 0; round < 2 + restarts && !done; round++) {
      for (let y = 0; y < yaws.length && !done; y++) {
        const yaw = yaws[y] as number;
        if (round === 0) this.qTry.set(this.qStart);
        else if (round === 1) {
          this.qTry.set(this.qStart);
          if (!this.aim(this.qTry, target)) continue;
        } else {
          if (y === 0) for (let i = 0; i < n; i++) this.qStart[i] = this.sampleLo[i]! + this.random() * (this.sampleHi[i]! - this.sampleLo[i]!);
          this.qTry.set(this.qStart);
          this.aim(this.qTry, target);
        }
        attempts++;
        const cost = this.attempt(target, yaw, w, maxIter);
        iterations += this.lastIterations;
        if (cost < bestCost) {
          bestCost = cost;
          bestYaw = yaw;
          this.qBest.set(this.qCur);
        }
        done = this.withinTolerance(yaw, Math.min(tolP, GOOD_POSITION), Math.min(tolA, GOOD_ANGLE));
      }
    }
    for (let i = 0; i < n; i++) q[i] = this.qBest[i] as number;
    const pose = this.tcpPose(this.qBest, sPose);
    const positionError = Math.hypot(pose.x - target.x, pose.y - target.y, pose.z - target.z);
    const yawError = Math.abs(wrapAngle(pose.yaw - bestYaw));
    const tiltError = Math.acos(Math.max(-1, Math.min(1, -(this.tcp.elements[10] as number))));
    return {
      q,
      ok: positionError <= tolP && yawError <= tolA && tiltError <= tolA,
      positionError,
      yawError,
      tiltError,
      yaw: bestYaw,
      iterations,
      attempts,
    };
  }

  /** One damped-least-squares run from this.qTry; leaves the result in this.qCur and returns its cost. */
  private attempt(target: EePose, yaw: number, w: number, maxIter: number): number {
    const n = this.n;
    const { J, JtJ, chol, g, dq, qCur, qTry, err, eCur } = this;
    // Target orientation Rz(yaw) * Rx(pi) as a quaternion: (x, y, z, w) = (cos(yaw/2), sin(yaw/2), 0, 0).
    sQt.set(Math.cos(yaw / 2), Math.sin(yaw / 2), 0, 0);
    this.clamp(qTry);
    qCur.set(qTry);
    let cost = this.evalError(qCur, target, w);
    eCur.set(err);
    let lambda = LAMBDA_START;
    let it = 0;
    for (; it < maxIter; it++) {
      const pe = Math.hypot(eCur[0]!, eCur[1]!, eCur[2]!);
      const oe = Math.hypot(eCur[3]!, eCur[4]!, eCur[5]!) / w;
      if (pe < TIGHT_POSITION && oe < TIGHT_ANGLE) break;
      this.jacobian(w); // frames and tcp are those of qCur (the last evaluation)
      // Clamped error (Buss & Kim 2005) -> g = J^T e; JtJ = J^T J.
      const sp = pe > ERROR_CLAMP_POSITION ? ERROR_CLAMP_POSITION / pe : 1;
      const so = oe > ERROR_CLAMP_ANGLE ? ERROR_CLAMP_ANGLE / oe : 1;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let r = 0; r < 6; r++) s += J[r * n + i]! * eCur[r]! * (r < 3 ? sp : so);
        g[i] = s;
        for (let k = 0; k <= i; k++) {
          let t = 0;
          for (let r = 0; r < 6; r++) t += J[r * n + i]! * J[r * n + k]!;
          JtJ[i * n + k] = t;
          JtJ[k * n + i] = t;
        }
      }
      let accepted = false;
      while (!accepted && lambda <= LAMBDA_MAX) {
        for (let i = 0; i < n * n; i++) chol[i] = JtJ[i]!;
        for (let i = 0; i < n; i++) chol[i * n + i]! += lambda * lambda;
        choleskySolve(chol, g, dq, n);
        let big = 0;
        for (let i = 0; i < n; i++) big = Math.max(big, Math.abs(dq[i]!));
        const scale = big > MAX_JOINT_STEP ? MAX_JOINT_STEP / big : 1;
        for (let i = 0; i < n; i++) qTry[i] = qCur[i]! + scale * dq[i]!;
        this.clamp(qTry);
        const c = this.evalError(qTry, target, w);
        if (c < cost) {
          accepted = true;
          cost = c;
          qCur.set(qTry);
          eCur.set(err);
          lambda = Math.max(lambda * 0.5, LAMBDA_MIN);
        } else lambda *= 4;
      }
      if (!accepted) {
        this.evalError(qCur, target, w); // stuck (a local minimum or a joint limit): restore qCur's frames
        break;
      }
    }
    this.lastIterations = it;
    return cost;
  }

  /** FK of the chain for q (this.frames, this.tcp), error into this.err (orientation rows times w); returns |err|^2. */
  private evalError(q: ArrayLike<number>, target: EePose, w: number): number {
    this.chainFk(q);
    const e = this.tcp.elements;
    const err = this.err;
    err[0] = target.x - e[12]!;
    err[1] = target.y - e[13]!;
    err[2] = target.z - e[14]!;
    // Rotation error as a rotation vector: log(R_t R_c^T) via the quaternion q_t * conj(q_c).
    sQc.setFromRotationMatrix(this.tcp).invert().premultiply(sQt);
    let { x, y, z } = sQc;
    if (sQc.w < 0) {
      x = -x;
      y = -y;
      z = -z;
    }
    const s = Math.hypot(x, y, z);
    const k = s > 1e-12 ? (2 * Math.atan2(s, Math.abs(sQc.w))) / s : 2;
    err[3] = w * k * x;
    err[4] = w * k * y;
    err[5] = w * k * z;
    return err[0] ** 2 + err[1] ** 2 + err[2] ** 2 + err[3] ** 2 + err[4] ** 2 + err[5] ** 2;
  }

  /** Geometric Jacobian at the last chainFk into this.J (6 x n, orientation rows times w). */
  private jacobian(w: number): void {
    const n = this.n;
    const J = this.J;
    const t = this.tcp.elements;
    for (let c = 0; c < this.chainJoints.length; c++) {
      const j = this.chainJoints[c] as number;
      if (this.types[j] !== JOINT_REVOLUTE) continue;
      const i = this.varIndex[j] as number;
      const f = (this.frames[i] as Matrix4).elements;
      const a = this.axes[j] as Vector3;
      const ax = f[0]! * a.x + f[4]! * a.y + f[8]! * a.z;
      const ay = f[1]! * a.x + f[5]! * a.y + f[9]! * a.z;
      const az = f[2]! * a.x + f[6]! * a.y + f[10]! * a.z;
      const rx = t[12]! - f[12]!;
      const ry = t[13]! - f[13]!;
      const rz = t[14]! - f[14]!;
      J[i] = ay * rz - az * ry;
      J[n + i] = az * rx - ax * rz;
      J[2 * n + i] = ax * ry - ay * rx;
      J[3 * n + i] = w * ax;
      J[4 * n + i] = w * ay;
      J[5 * n + i] = w * az;
    }
  }

  /** FK along the chain only: this.frames[armIndex] (joint frames) and this.tcp. */
  private chainFk(q: ArrayLike<number>): void {
    sCur.copy(this.base);
    for (let c = 0; c < this.chainJoints.length; c++) {
      const j = this.chainJoints[c] as number;
      sCur.multiply(this.origins[j] as Matrix4);
      if (this.types[j] === JOINT_REVOLUTE) {
        const i = this.varIndex[j] as number;
        (this.frames[i] as Matrix4).copy(sCur);
        sCur.multiply(sM.makeRotationAxis(this.axes[j] as Vector3, q[i] ?? 0));
      }
    }
    this.tcp.copy(sCur);
  }

  /** Turns the first arm joint (if its axis is vertical) so the TCP's azimuth matches the target's. */
  private aim(q: Float64Array, target: EePose): boolean {
    this.chainFk(q);
    const f = (this.frames[0] as Matrix4).elements;
    const a = this.axes[this.firstArmJoint] as Vector3;
    const az = f[2]! * a.x + f[6]! * a.y + f[10]! * a.z;
    if (Math.abs(az) < 0.99) return false;
    const t = this.tcp.elements;
    const cx = t[12]! - f[12]!;
    const cy = t[13]! - f[13]!;
    if (Math.hypot(cx, cy) < 1e-3) return false; // TCP on the axis: no azimuth to turn
    const delta = wrapAngle(Math.atan2(target.y - f[13]!, target.x - f[12]!) - Math.atan2(cy, cx)) * Math.sign(az);
    let v = q[0]! + delta;
    if (v > this.upper[0]!) v -= 2 * Math.PI;
    if (v < this.lower[0]!) v += 2 * Math.PI;
    q[0] = v;
    this.clamp(q);
    return true;
  }

  /** Whether this.qCur (error in this.eCur) is within the `ok` tolerances for the given yaw. */
  private withinTolerance(yaw: number, tolP: number, tolA: number): boolean {
    const e = this.eCur;
    if (Math.hypot(e[0]!, e[1]!, e[2]!) > tolP) return false;
    const pose = this.tcpPose(this.qCur, sPose);
    const tilt = Math.acos(Math.max(-1, Math.min(1, -(this.tcp.elements[10] as number))));
    return Math.abs(wrapAngle(pose.yaw - yaw)) <= tolA && tilt <= tolA;
  }

  private clamp(q: Float64Array): void {
    for (let i = 0; i < this.n; i++) {
      const v = q[i]!;
      q[i] = v < this.lower[i]! ? this.lower[i]! : v > this.upper[i]! ? this.upper[i]! : v;
    }
  }

  /** Uniform [0, 1) for the restarts, from a fixed seed so that results repeat. */
  private random(): number {
    return this.rng.nextFloat();
  }
}
