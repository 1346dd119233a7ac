/**
 * Property test of the SafetyFilter: thousands of random and adversarial action sequences from random start states
 * (anywhere in the joint limits, just outside the workspace box, at and just past the joint limits, the tool no
 * more than a few mm out of the box), against a
 * robot that follows, lags or gets pushed. Every command must keep every limit, and the filter must never lock up:
 * no stretch of more than STUCK_TICKS ticks without a command while actions are finite (data is fresh: the
 * measured joints come every tick), and a tool outside the box is brought back inside.
 */
import { describe, expect, it } from 'vitest';
import { ArmModel } from '../../sim/robot/index.js';
import { Rng } from '../../sim/util/Rng.js';
import type { EeAction } from '../../sim/types.js';
import { SafetyFilter, parseRosConfig, simRosConfigInput, type FilterResult } from '../../src/ros/index.js';

/** The most ticks in a row the filter may publish nothing for finite actions on fresh data. */
const STUCK_TICKS = 2;
const SEQUENCES = 1500;
const TICKS = 24;
const RATE = 20;
const TOL = 1e-3 + 1e-9;

const config = parseRosConfig(simRosConfigInput());
const safety = config.safety;
const arm = ArmModel.load(config.robot.urdf as string, { basePose: config.robot.basePose });
const ws = safety.workspace;

function outside(q: ArrayLike<number>): number {
  const p = arm.tcpPose(q);
  let s = 0;
  for (const ax of ['x', 'y', 'z'] as const) {
    const d = p[ax] < ws[ax][0] ? ws[ax][0] - p[ax] : p[ax] > ws[ax][1] ? p[ax] - ws[ax][1] : 0;
    s += d * d;
  }
  return Math.sqrt(s);
}

type StartKind = 'random' | 'outside' | 'limits';

/**
 * A start state where the filter could have left the arm (its commands keep the tool in the box, the arm may
 * drift a few mm out): joints anywhere in the URDF limits, the tool just outside a face of the box, or joints at
 * and past the filter's limits; the tool within REACH of the box. (A tool far outside with every joint at a limit
 * may have no way back that does not first leave the box further; the filter then holds rather than do that.)
 */
const REACH = 0.005;
function startState(rng: Rng, kind: StartKind): number[] {
  for (;;) {
    const q = sample(rng, kind);
    if (outside(q) <= REACH) return q;
  }
}

function sample(rng: Rng, kind: StartKind): number[] {
  const lim = arm.armLimits;
  if (kind === 'random') return lim.map((l) => rng.float(l.lower, l.upper));
  if (kind === 'limits') {
    const q = arm.homeConfiguration();
    for (let i = 0; i < q.length; i++) {
      const r = rng.nextFloat();
      // At the filter's limit, at the URDF limit (past the margin), or left alone.
      if (r < 0.35) q[i] = rng.nextFloat() < 0.5 ? lim[i]!.lower + safety.jointLimitMargin : lim[i]!.upper - safety.jointLimitMargin;
      else if (r < 0.6) q[i] = rng.nextFloat() < 0.5 ? lim[i]!.lower : lim[i]!.upper;
    }
    return q;
  }
  const ax = (['x', 'y', 'z'] as const)[rng.int(0, 2)]!;
  const side = rng.int(0, 1);
  const pose = { x: rng.float(ws.x[0], ws.x[1]), y: rng.float(ws.y[0], ws.y[1]), z: rng.float(Math.max(ws.z[0], 0.02), ws.z[1]), yaw: rng.float(-1.5, 1.5) };
  const out = rng.float(0.0005, 0.004);
  pose[ax] = side === 0 ? ws[ax][0] - out : ws[ax][1] + out;
  return Array.from(arm.solveIk(pose, arm.homeConfiguration()).q);
}

/** An action sequence: random, pushing out of the box, reversing every tick, huge, or still. */
function actions(rng: Rng): (k: number) => EeAction {
  const kind = rng.int(0, 4);
  const u = (c: number) => rng.float(-c, c);
  if (kind === 0) return () => ({ dx: u(0.05), dy: u(0.05), dz: u(0.05), dyaw: u(0.5), gripper: rng.nextFloat() });
  if (kind === 1) {
    const push = { dx: u(1), dy: u(1), dz: rng.nextFloat() < 0.5 ? -1 : 1, dyaw: u(3), gripper: 1 };
    return () => push;
  }
  if (kind === 2) {
    const a = { dx: u(0.03), dy: u(0.03), dz: u(0.03), dyaw: u(0.3), gripper: 0 };
    return (k) => (k % 2 === 0 ? a : { ...a, dx: -a.dx, dy: -a.dy, dz: -a.dz, dyaw: -a.dyaw });
  }
  if (kind === 3) return () => ({ dx: u(1e6), dy: u(1e6), dz: u(1e6), dyaw: u(1e6), gripper: 0.5 });
  return () => ({ dx: 0, dy: 0, dz: 0, dyaw: 0, gripper: 0 });
}

interface Check {
  prev: number[];
  prevVel: number[];
  lower: readonly number[];
  upper: readonly number[];
}

/** Every limit the filter promises, for one command against the one before it. */
function checkCommand(r: FilterResult, c: Check): void {
  const q = r.command!.arm;
  const kinds = new Set(r.interventions.map((i) => i.kind));
  const dt = 1 / RATE;
  for (let i = 0; i < q.length; i++) {
    const p = c.prev[i]!;
    // Inside the limits less the margin, or (a joint that was outside) no further out.
    expect(q[i]!).toBeGreaterThanOrEqual(Math.min(c.lower[i]!, p) - 1e-9);
    expect(q[i]!).toBeLessThanOrEqual(Math.max(c.upper[i]!, p) + 1e-9);
    if (kinds.has('tracking')) continue; // a re-anchor on the measured position is exempt from rate limits
    const d = q[i]! - p;
    expect(Math.abs(d)).toBeLessThanOrEqual(safety.maxStepPerTick + 1e-9);
    expect(Math.abs(d) / dt).toBeLessThanOrEqual(safety.maxVelocity + 1e-9);
    // Acceleration holds unless the step was cut short (a clamp at a limit or the workspace: stopping is not smoothed).
    if (!kinds.has('joint_limit') && !kinds.has('workspace')) {
      expect(Math.abs(d / dt - c.prevVel[i]!), `${i} ${JSON.stringify(r.interventions)} prev ${c.prevVel}`).toBeLessThanOrEqual(safety.maxAcceleration * dt + 1e-6);
    }
  }
  if (!kinds.has('tracking')) {
    const before = outside(c.prev);
    const after = outside(q);
    expect(after <= TOL || after < before + 1e-9, `tool ${(after * 1000).toFixed(2)} mm outside the box (was ${(before * 1000).toFixed(2)})`).toBe(true);
  }
}

describe('SafetyFilter under random and adversarial actions (property test)', () => {
  it(`keeps every limit and never locks up over ${SEQUENCES} sequences of ${TICKS} ticks`, () => {
    const rng = new Rng(2026);
    const filter = new SafetyFilter(arm, { ...safety, rateHz: RATE, commandFingers: true });
    const { lower, upper } = filter.limits;
    let commands = 0;
    let longestGap = 0;
    let reanchors = 0;
    const startsOutside = { n: 0, backInside: 0 };
    const kinds: StartKind[] = ['random', 'outside', 'limits'];
    for (let s = 0; s < SEQUENCES; s++) {
      const kind = kinds[s % 3]!;
      const q0 = startState(rng, kind);
      filter.anchor(q0);
      const act = actions(rng);
      const lagging = rng.nextFloat() < 0.3;
      const c: Check = { prev: [...q0], prevVel: q0.map(() => 0), lower, upper };
      let measured = [...q0];
      let gap = 0;
      const wasOutside = outside(q0) > TOL && kind === 'outside';
      let returnedAt = -1;
      let pushed = false;
      for (let k = 0; k < TICKS; k++) {
        // The robot is pushed now and then: the filter must notice and re-anchor.
        if (rng.nextFloat() < 0.02) {
          pushed = true;
          measured = measured.map((v, i) => Math.min(arm.armLimits[i]!.upper, Math.max(arm.armLimits[i]!.lower, v + rng.float(-0.6, 0.6))));
        }
        const r = filter.apply(act(k), measured);
        if (!r.command) {
          c.prevVel = c.prevVel.map(() => 0); // nothing sent: the arm stops at the last command
          gap++;
          longestGap = Math.max(longestGap, gap);
          continue;
        }
        gap = 0;
        commands++;
        if (r.interventions.some((i) => i.kind === 'tracking')) {
          reanchors++;
          r.command.arm.forEach((v, i) => expect(v).toBeCloseTo(measured[i]!, 12)); // held where the arm is
        } else checkCommand(r, c);
        const q = [...r.command.arm];
        c.prevVel = q.map((v, i) => (r.interventions.some((x) => x.kind === 'tracking') ? 0 : (v - c.prev[i]!) * RATE));
        c.prev = q;
        if (returnedAt < 0 && wasOutside && outside(q) <= TOL) returnedAt = k;
        // A following robot is where it was told; a lagging one half a step behind (within the tracking bound).
        const follow = lagging ? measured.map((v, i) => v + 0.5 * (q[i]! - v)) : q;
        measured = follow;
      }
      if (wasOutside && !pushed) {
        startsOutside.n++;
        if (returnedAt >= 0) startsOutside.backInside++;
      }
    }
    expect(longestGap).toBeLessThanOrEqual(STUCK_TICKS);
    expect(commands).toBeGreaterThan(SEQUENCES * TICKS * 0.95);
    expect(reanchors).toBeGreaterThan(0);
    // Every tool that started outside the box (and was not pushed meanwhile) was brought back in, whatever the
    // policy asked.
    expect(startsOutside.n).toBeGreaterThan(100);
    expect(startsOutside.backInside).toBe(startsOutside.n);
  }, 240_000);

  it('brings a tool 1 mm outside the box back in, even when IK answers with a large joint jump (the lock-up of issue 28)', () => {
    const filter = new SafetyFilter(arm, { ...safety, rateHz: RATE, commandFingers: true });
    // The tool 1 mm below the workspace floor, the wrist turned near its limit so that the yaw asked for needs the
    // other IK branch (a jump of about pi in wrist_roll).
    const q0 = Array.from(arm.solveIk({ x: 0.05, y: 0.05, z: ws.z[0] - 0.001, yaw: 2.9 }, arm.homeConfiguration()).q);
    expect(outside(q0)).toBeGreaterThan(0.0008);
    filter.anchor(q0);
    let q = q0;
    let rejected = 0;
    let inside = -1;
    for (let k = 0; k < 40; k++) {
      const r = filter.apply({ dx: 0, dy: 0, dz: -0.02, dyaw: 0.2, gripper: 0 }, q);
      if (!r.command) {
        rejected++;
        continue;
      }
      q = [...r.command.arm];
      if (inside < 0 && outside(q) <= TOL) inside = k;
    }
    expect(rejected).toBe(0);
    expect(inside).toBeGreaterThanOrEqual(0);
    expect(inside).toBeLessThan(5);
  });
});
