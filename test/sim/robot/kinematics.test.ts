import { describe, expect, it } from 'vitest';
import { Matrix4, Vector3 } from 'three';
import { ARM_WORKSPACE, ArmModel, graspYaw, wrapAngle } from '../../../sim/robot/index.js';
import { ARM_BASE, type EePose } from '../../../sim/types.js';
import { Rng } from '../../../sim/util/Rng.js';

const arm = ArmModel.loadDefault();
const { x: BX, y: BY } = ARM_BASE;

/** A seeded uniform [0, 1) generator (the project's mulberry32, sim/util/Rng.ts). */
function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.nextFloat();
}

function randomTarget(r: () => number): EePose {
  const ws = ARM_WORKSPACE;
  const u = (range: readonly [number, number]) => range[0] + (range[1] - range[0]) * r();
  return { x: u(ws.x), y: u(ws.y), z: u(ws.z), yaw: -Math.PI / 2 + Math.PI * r() };
}

function expectWithinLimits(q: ArrayLike<number>): void {
  arm.armLimits.forEach((l, i) => {
    expect(q[i]).toBeGreaterThanOrEqual(l.lower);
    expect(q[i]).toBeLessThanOrEqual(l.upper);
  });
}

const translation = (m: Matrix4) => new Vector3().setFromMatrixPosition(m);

describe('forward kinematics', () => {
  const mats = arm.linkNames.map(() => new Matrix4());

  it('all zeros: the arm stands straight up; joint heights and the TCP are where the URDF says', () => {
    arm.linkTransforms([0, 0, 0, 0, 0], 0, mats);
    const z = (name: string) => translation(mats[arm.linkIndex(name)]!).z;
    expect(z('base_link')).toBeCloseTo(0, 12);
    expect(z('turret')).toBeCloseTo(0.08, 12);
    expect(z('upper_arm')).toBeCloseTo(0.24, 12);
    expect(z('forearm')).toBeCloseTo(0.68, 12);
    expect(z('wrist')).toBeCloseTo(1.09, 12);
    expect(z('hand')).toBeCloseTo(1.14, 12);
    const tcp = translation(mats[arm.tcpLink]!);
    expect([tcp.x, tcp.y, tcp.z].map((v) => +v.toFixed(12))).toEqual([BX, BY, 1.26]);
    const pose = arm.tcpPose([0, 0, 0, 0, 0]);
    expect(pose.z).toBeCloseTo(1.26, 12);
    // The tcp frame is turned by pi about z relative to the hand: pointing up, its x axis is world -x.
    expect(Math.abs(pose.yaw)).toBeCloseTo(Math.PI, 12);
  });

  it('shoulder at +90 degrees lays the arm along +x at shoulder height', () => {
    const p = arm.tcpPose([0, Math.PI / 2, 0, 0, 0]);
    expect(p.x).toBeCloseTo(BX + 0.44 + 0.41 + 0.17, 12);
    expect(p.y).toBeCloseTo(0, 12);
    expect(p.z).toBeCloseTo(0.24, 12);
  });

  it('elbow and wrist at +90 degrees point the gripper down; yaw = base_yaw - wrist_roll', () => {
    const p = arm.tcpPose([0, 0, Math.PI / 2, Math.PI / 2, 0]);
    expect(p.x).toBeCloseTo(BX + 0.41, 12);
    expect(p.z).toBeCloseTo(0.68 - 0.17, 12);
    expect(p.yaw).toBeCloseTo(0, 12);
    const m = new Matrix4();
    arm.kinematics.tcpTransform([0, 0, Math.PI / 2, Math.PI / 2, 0], m);
    expect(m.elements[10]).toBeCloseTo(-1, 12); // tool z = world -z
    const turned = arm.tcpPose([Math.PI / 2, 0, Math.PI / 2, Math.PI / 2, 0.3]);
    expect(turned.x).toBeCloseTo(BX, 12);
    expect(turned.y).toBeCloseTo(0.41, 12);
    expect(turned.yaw).toBeCloseTo(Math.PI / 2 - 0.3, 12);
  });

  it('fingers slide along the hand y axis, left +y and right -y, from the centre', () => {
    arm.linkTransforms([0, 0, 0, 0, 0], 0.03, mats);
    const hand = translation(mats[arm.linkIndex('hand')]!);
    const left = translation(mats[arm.linkIndex('finger_left_link')]!);
    const right = translation(mats[arm.linkIndex('finger_right_link')]!);
    expect(left.clone().sub(hand).toArray().map((v) => +v.toFixed(12))).toEqual([0, 0.03, 0.06]);
    expect(right.clone().sub(hand).toArray().map((v) => +v.toFixed(12))).toEqual([0, -0.03, 0.06]);
    arm.linkTransforms([0, 0, 0, 0, 0], [0.01, 0.02], mats);
    expect(translation(mats[arm.linkIndex('finger_right_link')]!).y).toBeCloseTo(-0.02, 12);
  });

  it('honours the base pose', () => {
    const moved = ArmModel.loadDefault({ basePose: { x: 0, y: 0.1, z: 0.05, yaw: Math.PI / 2 } });
    const p = moved.tcpPose([0, Math.PI / 2, 0, 0, 0]);
    expect(p.x).toBeCloseTo(0, 12);
    expect(p.y).toBeCloseTo(0.1 + 1.02, 12);
    expect(p.z).toBeCloseTo(0.29, 12);
  });

  it('linkTransforms reuses the given matrices (no allocation) and is fast', () => {
    const out = arm.linkNames.map(() => new Matrix4());
    const same = [...out];
    const q = new Float64Array([0.1, 0.2, 0.3, 0.4, 0.5]);
    const N = 100_000;
    const t0 = performance.now();
    for (let i = 0; i < N; i++) {
      q[0] = i * 1e-5;
      arm.linkTransforms(q, 0.02, out);
    }
    const us = ((performance.now() - t0) * 1000) / N;
    expect(out.every((m, i) => m === same[i])).toBe(true);
    expect(out.length).toBe(arm.linkCount);
    // Measured, not asserted (timing depends on the machine).
    console.log(`linkTransforms: ${us.toFixed(2)} us per call (${arm.linkCount} links)`);
    expect(() => arm.linkTransforms(q, 0, out.slice(0, 3))).toThrow(/out has 3 matrices, the arm has 9 links/);
  });
});

describe('inverse kinematics (damped least squares)', () => {
  const home = arm.homeConfiguration();

  it('home puts the TCP at the home pose, gripper down', () => {
    const p = arm.tcpPose(home);
    expect(p.x).toBeCloseTo(-0.1, 6);
    expect(p.z).toBeCloseTo(0.25, 6);
    expect(p.yaw).toBeCloseTo(0, 6);
    expectWithinLimits(home);
  });

  function sweep(count: number, seedOf: (r: () => number) => number[], label: string) {
    const r = rng(12345);
    let maxPos = 0;
    let maxYaw = 0;
    let maxTilt = 0;
    const iterations: number[] = [];
    const attempts: number[] = [];
    const t0 = performance.now();
    for (let k = 0; k < count; k++) {
      const target = randomTarget(r);
      const res = arm.solveIk(target, seedOf(r));
      expect(res.ok, JSON.stringify({ target, res })).toBe(true);
      expectWithinLimits(res.q);
      const p = arm.tcpPose(res.q);
      const pos = Math.hypot(p.x - target.x, p.y - target.y, p.z - target.z);
      const yaw = Math.abs(graspYaw(p.yaw - target.yaw)); // yaw and yaw + pi are the same grasp
      expect(pos).toBeLessThanOrEqual(1e-3);
      expect(yaw).toBeLessThanOrEqual(0.01);
      expect(res.tiltError).toBeLessThanOrEqual(0.01);
      maxPos = Math.max(maxPos, pos);
      maxYaw = Math.max(maxYaw, yaw);
      maxTilt = Math.max(maxTilt, res.tiltError);
      iterations.push(res.iterations);
      attempts.push(res.attempts);
    }
    const ms = (performance.now() - t0) / count;
    iterations.sort((a, b) => a - b);
    attempts.sort((a, b) => a - b);
    const pct = (a: number[], f: number) => a[Math.min(a.length - 1, Math.floor(f * a.length))];
    console.log(
      `IK ${label}: ${count} targets, max position error ${maxPos.toExponential(2)} m, max yaw error ${maxYaw.toExponential(2)} rad, ` +
        `max tilt ${maxTilt.toExponential(2)} rad; iterations median ${pct(iterations, 0.5)}, p95 ${pct(iterations, 0.95)}, ` +
        `max ${iterations.at(-1)}; attempts max ${attempts.at(-1)}; ${ms.toFixed(3)} ms per solve`,
    );
  }

  it('FK(IK(target)) within 1 mm and 0.01 rad over 300 random workspace targets, seeded from home', () => {
    sweep(300, () => home, 'from home');
  });

  it('... and from 200 random seeds inside the limits (restarts needed)', () => {
    sweep(200, (r) => arm.armLimits.map((l) => l.lower + r() * (l.upper - l.lower)), 'from random seeds');
  });

  it('... and from the singular straight-up configuration', () => {
    sweep(100, () => [0, 0, 0, 0, 0], 'from q = 0');
  });

  it('reaches the corners of the workspace at yaw -pi/2, 0, pi/2', () => {
    for (const x of ARM_WORKSPACE.x) for (const y of ARM_WORKSPACE.y) for (const z of ARM_WORKSPACE.z) {
      for (const yaw of [-Math.PI / 2, 0, Math.PI / 2]) {
        const res = arm.solveIk({ x, y, z, yaw }, home);
        expect(res.ok, JSON.stringify({ x, y, z, yaw })).toBe(true);
      }
    }
  });

  it('picks yaw or yaw + pi, whichever is nearer the current wrist', () => {
    const start = arm.solveIk({ x: 0.1, y: 0, z: 0.1, yaw: 0.2 }, home);
    expect(start.ok).toBe(true);
    // Asking for 0.2 + pi - 0.1 from there: the same grasp as 0.1, which is nearer.
    const res = arm.solveIk({ x: 0.1, y: 0, z: 0.1, yaw: 0.2 + Math.PI - 0.1 }, start.q);
    expect(res.ok).toBe(true);
    expect(res.yaw).toBeCloseTo(0.1, 12);
    expect(arm.tcpPose(res.q).yaw).toBeCloseTo(0.1, 5);
    expect(Math.abs(res.q[4]! - start.q[4]!)).toBeLessThan(0.2); // the wrist turned by 0.1, not by pi - 0.1
  });

  it('falls back to the other yaw when the nearer one is beyond the wrist roll limit', () => {
    // At q = 0 the TCP yaw is pi, so yaw pi - 0.1 is the nearer one; at y = 0 (base_yaw 0) it needs
    // wrist_roll = base_yaw - yaw = 0.1 - pi, outside +-2.967; yaw -0.1 (wrist_roll 0.1) is the same grasp.
    const res = arm.solveIk({ x: 0.1, y: 0, z: 0.1, yaw: Math.PI - 0.1 }, [0, 0, 0, 0, 0]);
    expect(res.ok).toBe(true);
    expect(res.yaw).toBeCloseTo(-0.1, 12);
    expect(res.q[4]).toBeCloseTo(0.1, 4);
  });

  it('an unreachable target gives ok = false, the closest attempt, inside the limits', () => {
    const res = arm.solveIk({ x: 1.5, y: 0, z: 0.1, yaw: 0 }, home);
    expect(res.ok).toBe(false);
    expect(res.positionError).toBeGreaterThan(0.3);
    expectWithinLimits(res.q);
  });

  it('is deterministic and writes into out', () => {
    const out = new Float64Array(5);
    const t = { x: 0.05, y: -0.2, z: 0.05, yaw: 1 };
    const a = arm.solveIk(t, [0.5, 1, 1, 1, 1], out);
    expect(a.q).toBe(out);
    const b = arm.solveIk(t, [0.5, 1, 1, 1, 1]);
    expect(Array.from(b.q)).toEqual(Array.from(out));
    expect(() => arm.solveIk({ x: NaN, y: 0, z: 0, yaw: 0 }, home)).toThrow(/finite/);
  });

  it('wrapAngle and graspYaw', () => {
    expect(wrapAngle(3 * Math.PI / 2)).toBeCloseTo(-Math.PI / 2, 12);
    expect(graspYaw(Math.PI - 0.1)).toBeCloseTo(-0.1, 12);
    expect(graspYaw(0.3)).toBeCloseTo(0.3, 12);
  });
});
