import { describe, expect, it } from 'vitest';
import { ArmModel, JointController, brakingSpeed, timeToTarget, type JointLimit } from '../../../sim/robot/index.js';
import { CONTROL_HZ, MAX_EE_STEP, MAX_YAW_STEP, PHYSICS_HZ, type EeAction } from '../../../sim/types.js';
import { Rng } from '../../../sim/util/Rng.js';

const arm = ArmModel.loadDefault();
const DT = 1 / PHYSICS_HZ;
const SUBSTEPS = PHYSICS_HZ / CONTROL_HZ;
const TOL = 1e-9;

/** A seeded uniform [0, 1) generator (the project's mulberry32, sim/util/Rng.ts). */
function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.nextFloat();
}

/**
 * Steps the controller and checks velocity, acceleration and position limits of every joint and finger after
 * every step (plain comparisons, one expect at the end: vitest's expect is slow in loops of thousands).
 */
function stepChecked(c: JointController, steps: number, onStep?: () => void): void {
  const problems: string[] = [];
  const check = (step: number, pos: Float64Array, vel: Float64Array, prevVel: Float64Array, limits: readonly JointLimit[]) => {
    limits.forEach((l, i) => {
      if (Math.abs(vel[i]!) > l.velocity * (1 + TOL)) problems.push(`step ${step} ${l.name}: speed ${vel[i]}`);
      if (Math.abs(vel[i]! - prevVel[i]!) > l.acceleration * DT * (1 + 1e-6)) {
        problems.push(`step ${step} ${l.name}: velocity change ${vel[i]! - prevVel[i]!} > ${l.acceleration * DT}`);
      }
      if (!(pos[i]! >= l.lower && pos[i]! <= l.upper)) problems.push(`step ${step} ${l.name}: position ${pos[i]} outside limits`);
    });
  };
  const v0 = new Float64Array(c.velocities.length);
  const f0 = new Float64Array(c.fingerVelocities.length);
  for (let s = 0; s < steps && problems.length === 0; s++) {
    v0.set(c.velocities);
    f0.set(c.fingerVelocities);
    c.update(DT);
    check(s, c.positions, c.velocities, v0, arm.armLimits);
    check(s, c.fingerPositions, c.fingerVelocities, f0, arm.fingerLimits);
    onStep?.();
  }
  expect(problems).toEqual([]);
}

describe('profile helpers', () => {
  it('brakingSpeed: braking by a*dt per step from it covers exactly d; timeToTarget from rest is the trapezoid time', () => {
    const r = rng(3);
    for (let k = 0; k < 200; k++) {
      const d = r() * 2;
      const a = 8;
      let v = brakingSpeed(d, a, DT);
      let covered = 0;
      while (v > 1e-15) {
        covered += v * DT;
        v = brakingSpeed(d - covered, a, DT);
      }
      expect(covered).toBeCloseTo(d, 9);
      const vmax = 2;
      const t = d >= (vmax * vmax) / a ? d / vmax + vmax / a : 2 * Math.sqrt(d / a);
      expect(timeToTarget(d, 0, vmax, a)).toBeCloseTo(t, 12);
      expect(timeToTarget(-d, 0, vmax, a)).toBeCloseTo(t, 12);
    }
    expect(brakingSpeed(0, 8, DT)).toBe(0);
  });
});

describe('JointController: tracking', () => {
  it('starts at rest at home with the gripper open', () => {
    const c = new JointController(arm);
    expect(Array.from(c.positions)).toEqual(arm.homeConfiguration());
    expect(c.velocities.every((v) => v === 0)).toBe(true);
    expect(c.fingerOpening).toBe(arm.maxFingerOpening);
    expect(c.settled).toBe(true);
  });

  for (const synchronize of [false, true]) {
    it(`reaches targets from rest in about the trapezoidal minimum time, never passing them (synchronize: ${synchronize})`, () => {
      const r = rng(1);
      let worst = 0;
      for (let trial = 0; trial < 20; trial++) {
        const start = arm.armLimits.map((l) => l.lower + r() * (l.upper - l.lower));
        const goal = arm.armLimits.map((l) => l.lower + r() * (l.upper - l.lower));
        const c = new JointController(arm, start, { synchronize });
        c.setTargets(goal);
        const dir = goal.map((g, i) => Math.sign(g - start[i]!));
        let steps = 0;
        let overshoot = 0;
        stepChecked(c, 2000, () => {
          steps += c.settled ? 0 : 1;
          c.positions.forEach((p, i) => (overshoot = Math.max(overshoot, (p - goal[i]!) * dir[i]!)));
        });
        expect(overshoot).toBeLessThanOrEqual(0);
        expect(Array.from(c.positions)).toEqual(goal);
        expect(c.settled).toBe(true);
        // Minimum time of the slowest joint: d/v + v/a when it reaches v, else 2 sqrt(d/a).
        const tMin = Math.max(
          ...arm.armLimits.map((l, i) => {
            const d = Math.abs(goal[i]! - start[i]!);
            return d >= (l.velocity * l.velocity) / l.acceleration ? d / l.velocity + l.velocity / l.acceleration : 2 * Math.sqrt(d / l.acceleration);
          }),
        );
        expect(steps * DT).toBeGreaterThanOrEqual(tMin - 2 * DT);
        worst = Math.max(worst, steps - tMin / DT);
      }
      // Unsynchronised, each joint runs its own time-optimal profile; synchronised, the others follow the slowest
      // one and the discrete-time end of the moves costs a few more steps.
      expect(worst).toBeLessThanOrEqual(synchronize ? 10 : 3);
      console.log(`synchronize ${synchronize}: at most ${worst.toFixed(1)} steps over the minimum time`);
    });
  }

  it('synchronised joints arrive together', () => {
    const c = new JointController(arm, [0, 0.2, 1.5, 1.4, 0]);
    c.setTargets([0.8, 0.5, 1.2, 1.5, -1]);
    const arrival = [0, 0, 0, 0, 0];
    for (let s = 1; s <= 1000; s++) {
      c.update(DT);
      c.positions.forEach((p, i) => {
        if (arrival[i] === 0 && p === c.targets[i]) arrival[i] = s;
      });
    }
    expect(Math.max(...arrival) - Math.min(...arrival)).toBeLessThanOrEqual(3);
  });

  it('respects the limits while targets jump around every control step', () => {
    const r = rng(2);
    const c = new JointController(arm);
    for (let k = 0; k < 200; k++) {
      c.setTargets(arm.armLimits.map((l) => l.lower + r() * (l.upper - l.lower)));
      c.setGripper(r());
      stepChecked(c, SUBSTEPS);
    }
  });

  it('clamps targets into the joint limits; positions stay inside', () => {
    const c = new JointController(arm);
    c.setTargets([10, -10, 10, -10, 10]);
    expect(Array.from(c.targets)).toEqual(arm.armLimits.map((l, i) => (i % 2 === 0 ? l.upper : l.lower)));
    stepChecked(c, 2000);
    expect(Array.from(c.positions)).toEqual(Array.from(c.targets));
    expect(() => c.setTargets([0, 0])).toThrow(/expected 5 targets, got 2/);
    expect(() => c.setTargets([0, 0, NaN, 0, 0])).toThrow(/target 2 is NaN/);
    expect(() => c.update(0)).toThrow(/dt must be > 0/);
  });

  it('a joint moving fast brakes within its acceleration limit when the target moves behind it', () => {
    const c = new JointController(arm, [0, 0, 1, 0, 0]);
    c.setTargets([2, 0, 1, 0, 0]);
    stepChecked(c, 120); // base_yaw cruising at 2 rad/s
    expect(c.velocities[0]).toBeCloseTo(2, 9);
    c.setTargets([c.positions[0]!, 0, 1, 0, 0]); // stop here: it must pass and come back
    stepChecked(c, 600);
    expect(c.settled).toBe(true);
  });

  it('fingers: >= 0.5 closes to 0, < 0.5 opens to 0.04, at most 0.1 m/s; holdFingers stalls them', () => {
    const c = new JointController(arm);
    c.setGripper(0.5);
    expect(Array.from(c.fingerTargets)).toEqual([0, 0]);
    stepChecked(c, 240);
    expect(c.fingerOpening).toBe(0);
    c.setGripper(0.49);
    expect(Array.from(c.fingerTargets)).toEqual([0.04, 0.04]);
    stepChecked(c, 30);
    const mid = c.fingerOpening;
    expect(mid).toBeGreaterThan(0);
    expect(mid).toBeLessThan(0.04);
    c.holdFingers();
    stepChecked(c, 30);
    expect(c.fingerOpening).toBe(mid);
    c.setGripper('open');
    stepChecked(c, 240);
    expect(c.fingerOpening).toBe(0.04);
    c.setGripper('close');
    expect(Array.from(c.fingerTargets)).toEqual([0, 0]);
  });

  it('update reuses its arrays', () => {
    const c = new JointController(arm);
    const arrays = [c.positions, c.velocities, c.targets, c.fingerPositions];
    c.setTargets([0.3, 0.2, 1.5, 1, 0]);
    for (let i = 0; i < 100; i++) c.update(DT);
    expect([c.positions, c.velocities, c.targets, c.fingerPositions]).toEqual(arrays);
    expect(c.positions).toBe(arrays[0]);
  });
});

describe('JointController: end-effector actions', () => {
  const action = (a: Partial<EeAction>): EeAction => ({ dx: 0, dy: 0, dz: 0, dyaw: 0, gripper: 0, ...a });

  it('clamps the deltas to MAX_EE_STEP and MAX_YAW_STEP and solves IK for the new pose', () => {
    const c = new JointController(arm);
    const start = arm.tcpPose(c.positions);
    const out: number[] = [0, 0, 0, 0, 0];
    expect(c.eeActionToTargets(action({ dx: 1, dy: -0.005, dz: -3, dyaw: 2 }), out)).toBe(out);
    expect(c.commandedPose.x).toBeCloseTo(start.x + MAX_EE_STEP, 12);
    expect(c.commandedPose.y).toBeCloseTo(start.y - 0.005, 12);
    expect(c.commandedPose.z).toBeCloseTo(start.z - MAX_EE_STEP, 12);
    expect(c.commandedPose.yaw).toBeCloseTo(start.yaw + MAX_YAW_STEP, 12);
    expect(c.lastIk!.ok).toBe(true);
    const reached = arm.tcpPose(out);
    expect(reached.x).toBeCloseTo(c.commandedPose.x, 6);
    expect(reached.z).toBeCloseTo(c.commandedPose.z, 6);
    expect(reached.yaw).toBeCloseTo(c.commandedPose.yaw, 5);
    expect(() => c.eeActionToTargets(action({ dx: NaN }), out)).toThrow(/action.dx must be a finite number/);
  });

  it('keeps the commanded TCP inside the workspace box (z >= 0) in closed loop', () => {
    const c = new JointController(arm);
    const out = new Float64Array(5);
    let minZ = Infinity;
    let minCommandedZ = Infinity;
    for (let k = 0; k < 40; k++) {
      c.setTargets(c.eeActionToTargets(action({ dz: -1, dx: 1, dy: -1 }), out));
      minCommandedZ = Math.min(minCommandedZ, c.commandedPose.z);
      expect(c.commandedPose.x).toBeLessThanOrEqual(0.3);
      expect(c.commandedPose.y).toBeGreaterThanOrEqual(-0.3);
      for (let s = 0; s < SUBSTEPS; s++) {
        c.update(DT);
        minZ = Math.min(minZ, arm.tcpPose(c.positions).z);
      }
    }
    for (let s = 0; s < 240; s++) c.update(DT);
    const p = arm.tcpPose(c.positions);
    expect(minCommandedZ).toBe(0);
    expect(p.z).toBeCloseTo(0, 5);
    expect(p.x).toBeCloseTo(0.3, 5);
    expect(p.y).toBeCloseTo(-0.3, 5);
    // Between targets the joints move in joint space, so the TCP path sags a little below the straight line
    // when diving into the corner at full speed. Measured, with a loose bound.
    console.log(`diving into the corner (0.3, -0.3, 0): lowest TCP z on the way ${(minZ * 1000).toFixed(2)} mm`);
    expect(minZ).toBeGreaterThan(-0.003);
  });

  it("moves the TCP by the commanded deltas; 'commanded' accumulates without tracking lag", () => {
    for (const deltaFrom of ['current', 'commanded'] as const) {
      const c = new JointController(arm, undefined, { deltaFrom });
      const start = arm.tcpPose(c.positions);
      const out = new Float64Array(5);
      for (let k = 0; k < 10; k++) {
        c.setTargets(c.eeActionToTargets(action({ dy: 0.015, dyaw: 0.05 }), out));
        for (let s = 0; s < SUBSTEPS; s++) c.update(DT);
      }
      for (let s = 0; s < 240; s++) c.update(DT);
      const end = arm.tcpPose(c.positions);
      if (deltaFrom === 'commanded') {
        expect(end.y - start.y).toBeCloseTo(0.15, 6);
        expect(end.yaw - start.yaw).toBeCloseTo(0.5, 5);
      } else {
        // Each delta is added to where the arm is, which lags the previous target (the arm starts from rest).
        console.log(`deltaFrom 'current': 10 steps of dy = 0.015 moved the TCP by ${(end.y - start.y).toFixed(4)} m`);
        expect(end.y - start.y).toBeGreaterThan(0.05);
        expect(end.y - start.y).toBeLessThanOrEqual(0.15 + 1e-6);
      }
      // 'current' takes in the tracking error along the way (here about a millimetre across).
      const tol = deltaFrom === 'commanded' ? 1e-5 : 2e-3;
      expect(Math.abs(end.x - start.x)).toBeLessThan(tol);
      expect(Math.abs(end.z - start.z)).toBeLessThan(tol);
    }
  });

  it('from outside the box, steps back towards it by at most MAX_EE_STEP per axis', () => {
    const high = arm.solveIk({ x: 0, y: 0, z: 0.5, yaw: 0 }, arm.homeConfiguration());
    expect(high.ok).toBe(true);
    const c = new JointController(arm, high.q);
    c.eeActionToTargets(action({}), new Float64Array(5));
    expect(c.commandedPose.z).toBeCloseTo(0.5 - MAX_EE_STEP, 6);
  });

  it('applyEeAction sets the targets and the gripper', () => {
    const c = new JointController(arm);
    const ik = c.applyEeAction(action({ dx: 0.01, gripper: 1 }));
    expect(ik.ok).toBe(true);
    expect(Array.from(c.fingerTargets)).toEqual([0, 0]);
    expect(arm.tcpPose(c.targets).x).toBeCloseTo(arm.tcpPose(c.positions).x + 0.01, 6);
  });
});
