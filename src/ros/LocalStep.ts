/**
 * The SafetyFilter's way back when a step fails its workspace check: from the last command, one damped-least-
 * squares step of the tool position only (orientation left as it is) towards the nearest point inside the
 * workspace box (when the tool is outside it) or towards the target, at most LOCAL_STEP long, using only joints
 * that are not pushed past their limits. To first order it moves the tool straight there.
 */
import type { ArmModel } from '../../sim/robot/index.js';
import type { EePose } from '../../sim/types.js';
import type { RosConfig } from './config.js';

/** Largest tool move of a local step, m, and the damping of its least-squares solve (m). */
const LOCAL_STEP = 0.01;
const LOCAL_DAMPING = 0.01;
const WORKSPACE_TOLERANCE = 1e-3; // m
const AXES = ['x', 'y', 'z'] as const;
const sFrom: EePose = { x: 0, y: 0, z: 0, yaw: 0 };
const sLocal: EePose = { x: 0, y: 0, z: 0, yaw: 0 };
const sLocal2: EePose = { x: 0, y: 0, z: 0, yaw: 0 };

type Workspace = RosConfig['safety']['workspace'];

/** Distance (m) of a pose outside the box, 0 inside. */
export function outsideBox(p: EePose, ws: Workspace): number {
  let s = 0;
  for (const ax of AXES) {
    const v = p[ax];
    const d = v < ws[ax][0] ? ws[ax][0] - v : v > ws[ax][1] ? v - ws[ax][1] : 0;
    s += d * d;
  }
  return Math.sqrt(s);
}

export class LocalStep {
  private readonly arm: ArmModel;
  private readonly lower: Float64Array;
  private readonly upper: Float64Array;
  private readonly workspace: Workspace;
  /** Position Jacobian, 3 x n row-major, its 3 x 3 system and the step (scratch). */
  private readonly jac: Float64Array;
  private readonly m3 = new Float64Array(9);
  private readonly e3 = new Float64Array(3);
  private readonly localOut: Float64Array;

  constructor(arm: ArmModel, lower: Float64Array, upper: Float64Array, workspace: Workspace) {
    this.arm = arm;
    this.lower = lower;
    this.upper = upper;
    this.workspace = workspace;
    this.jac = new Float64Array(3 * arm.armDof);
    this.localOut = new Float64Array(arm.armDof);
  }

  /**
   * The joints of a local step from `prev`: one damped-least-squares step of the tool position only (orientation is
   * left as it is), towards the nearest point inside the box when the last command's tool is outside it, else
   * towards `target`, at most LOCAL_STEP long. To first order it moves the tool straight there, so (scaled down
   * by the rate limits) it always gets closer: the filter cannot lock up on a step that leaves the box.
   */
  toward(prev: Float64Array, target: EePose): Float64Array {
    const n = this.arm.armDof;
    const from = this.arm.tcpPose(prev, sFrom);
    const ws = this.workspace;
    const out = outsideBox(from, ws) > 0;
    for (const ax of AXES) {
      const [lo, hi] = ws[ax];
      const inward = Math.min(WORKSPACE_TOLERANCE, (hi - lo) / 2);
      sLocal[ax] = out ? Math.min(hi - inward, Math.max(lo + inward, from[ax])) : target[ax];
    }
    let ex = sLocal.x - from.x;
    let ey = sLocal.y - from.y;
    let ez = sLocal.z - from.z;
    const d = Math.hypot(ex, ey, ez);
    if (d > LOCAL_STEP) {
      ex *= LOCAL_STEP / d;
      ey *= LOCAL_STEP / d;
      ez *= LOCAL_STEP / d;
    }
    // Position Jacobian by central differences (n forward-kinematics pairs; no allocation).
    const J = this.jac;
    const q = this.localOut;
    q.set(prev);
    for (let i = 0; i < n; i++) {
      const h = 1e-6;
      q[i] = prev[i]! + h;
      const p1 = this.arm.tcpPose(q, sLocal2);
      const x1 = p1.x, y1 = p1.y, z1 = p1.z;
      q[i] = prev[i]! - h;
      const p0 = this.arm.tcpPose(q, sLocal2);
      J[i] = (x1 - p0.x) / (2 * h);
      J[n + i] = (y1 - p0.y) / (2 * h);
      J[2 * n + i] = (z1 - p0.z) / (2 * h);
      q[i] = prev[i]!;
    }
    // Back into the box, only the axes it is out along matter: the others are left free (rows of J cleared).
    if (out) AXES.forEach((ax, r) => {
      if (from[ax] >= ws[ax][0] && from[ax] <= ws[ax][1]) J.fill(0, r * n, (r + 1) * n);
    });
    // dq = J^T (J J^T + lambda^2 I)^-1 e (3 x 3, Cramer's rule); a joint at a position limit that dq would push
    // further out is taken out of J and the step solved again with the others.
    const e = this.e3;
    e[0] = ex;
    e[1] = ey;
    e[2] = ez;
    for (let pass = 0; pass <= n; pass++) {
      this.dlsStep(prev, J, e, q);
      let blocked = false;
      for (let i = 0; i < n; i++) {
        const dq = q[i]! - prev[i]!;
        const atLimit = (dq < 0 && prev[i]! <= this.lower[i]!) || (dq > 0 && prev[i]! >= this.upper[i]!);
        if (atLimit && Math.abs(dq) > 1e-12) {
          J[i] = J[n + i] = J[2 * n + i] = 0;
          blocked = true;
        }
      }
      if (!blocked) break;
    }
    return q;
  }

  /** q = prev + J^T (J J^T + LOCAL_DAMPING^2 I)^-1 e for a 3 x n position Jacobian (Cramer's rule). */
  private dlsStep(prev: Float64Array, J: Float64Array, e: Float64Array, q: Float64Array): void {
    const n = this.arm.armDof;
    const m = this.m3;
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) {
        let sum = r === c ? LOCAL_DAMPING * LOCAL_DAMPING : 0;
        for (let i = 0; i < n; i++) sum += J[r * n + i]! * J[c * n + i]!;
        m[r * 3 + c] = sum;
      }
    }
    const D = det3(m, -1, e);
    const y0 = det3(m, 0, e) / D;
    const y1 = det3(m, 1, e) / D;
    const y2 = det3(m, 2, e) / D;
    for (let i = 0; i < n; i++) q[i] = prev[i]! + J[i]! * y0 + J[n + i]! * y1 + J[2 * n + i]! * y2;
  }
}

/** Determinant of the 3 x 3 row-major m, with column `col` replaced by e (col -1: m itself). */
function det3(m: Float64Array, col: number, e: Float64Array): number {
  const a = (r: number, c: number) => (c === col ? e[r]! : m[r * 3 + c]!);
  return a(0, 0) * (a(1, 1) * a(2, 2) - a(1, 2) * a(2, 1)) - a(0, 1) * (a(1, 0) * a(2, 2) - a(1, 2) * a(2, 0)) + a(0, 2) * (a(1, 0) * a(2, 1) - a(1, 1) * a(2, 0));
}
