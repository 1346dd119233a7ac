import { describe, expect, it } from 'vitest';
import { ArmModel } from '../../sim/robot/index.js';
import { MAX_EE_STEP } from '../../sim/types.js';
import { SafetyFilter, parseRosConfig, simRosConfigInput, type RosConfig } from '../../src/ros/index.js';

function setup(edit: (s: RosConfig['safety']) => void = () => {}) {
  const c = parseRosConfig(simRosConfigInput());
  edit(c.safety);
  const arm = ArmModel.load(c.robot.urdf as string, { basePose: c.robot.basePose });
  const filter = new SafetyFilter(arm, { ...c.safety, rateHz: 10, commandFingers: true });
  const home = arm.homeConfiguration();
  filter.anchor(home);
  return { arm, filter, home, config: c };
}

const kinds = (r: { interventions: { kind: string }[] }) => r.interventions.map((i) => i.kind);

describe('SafetyFilter', () => {
  it('rejects NaN and Inf actions and joint targets: no command, a logged reason', () => {
    const { filter } = setup();
    for (const bad of [{ dx: NaN }, { dz: Infinity }, { gripper: -Infinity }]) {
      const r = filter.apply({ dx: 0, dy: 0, dz: 0, dyaw: 0, gripper: 0, ...bad });
      expect(r.command).toBeNull();
      expect(kinds(r)).toContain('non_finite');
    }
    const r = filter.filterJoints([0, NaN, 0, 0, 0]);
    expect(r.command).toBeNull();
    expect(r.interventions[0]!.detail).toContain('shoulder target is NaN');
  });

  it('clamps joint targets into the URDF limits shrunk by the margin', () => {
    const { filter, arm } = setup((s) => {
      s.maxStepPerTick = 10;
      s.maxVelocity = 1000;
      s.maxAcceleration = 1e6;
    });
    // wrist_roll turns the tool about its own axis: the tool stays in the workspace whatever its angle.
    const roll = arm.armLimits[4]!;
    const q = arm.homeConfiguration();
    q[4] = roll.upper + 1; // far past the limit
    const r = filter.filterJoints(q);
    expect(kinds(r)).toContain('joint_limit');
    expect(r.command!.arm[4]).toBeCloseTo(roll.upper - 0.02, 9);
    q[4] = roll.lower - 1;
    expect(filter.filterJoints(q).command!.arm[4]).toBeCloseTo(roll.lower + 0.02, 9);
  });

  it('caps velocity, acceleration and the change per tick', () => {
    const { filter, home } = setup((s) => {
      s.maxVelocity = 0.5; // rad/s -> 0.05 rad per 0.1 s tick
      s.maxAcceleration = 2; // rad/s^2 -> 0.2 rad/s per tick
      s.maxStepPerTick = 1;
    });
    const target = [...home];
    target[0] = home[0]! + 1;
    const first = filter.filterJoints(target);
    expect(kinds(first)).toEqual(['acceleration']); // the binding limit from rest
    // From rest, the acceleration limit allows 0.2 rad/s: 0.02 rad in the first tick.
    expect(first.command!.arm[0]! - home[0]!).toBeCloseTo(0.02, 9);
    let last = first.command!.arm[0]!;
    const steps: number[] = [];
    for (let k = 0; k < 6; k++) {
      const r = filter.filterJoints(target);
      expect(kinds(r)).toEqual([k === 0 ? 'acceleration' : 'velocity']);
      steps.push(r.command!.arm[0]! - last);
      last = r.command!.arm[0]!;
    }
    // 0.04, then capped by the velocity limit at 0.05 rad per tick.
    expect(steps[0]).toBeCloseTo(0.04, 9);
    for (const s of steps.slice(2)) expect(s).toBeCloseTo(0.05, 9);
    const capped = setup((s) => {
      s.maxStepPerTick = 0.01;
    });
    const t2 = [...capped.home];
    t2[1] = capped.home[1]! + 0.5;
    const r2 = capped.filter.filterJoints(t2);
    expect(kinds(r2)).toContain('step');
    expect(Math.abs(r2.command!.arm[1]! - capped.home[1]!)).toBeLessThanOrEqual(0.01 + 1e-12);
  });

  it('keeps the end effector in the workspace: clamps the target, rejects joint moves that leave it', () => {
    const { filter, arm, config } = setup((s) => {
      s.maxStepPerTick = 10;
      s.maxVelocity = 1000;
      s.maxAcceleration = 1e6;
    });
    // Push down hard for many ticks: z must never go below the workspace floor.
    for (let k = 0; k < 40; k++) {
      const r = filter.apply({ dx: 0, dy: 0, dz: -1, dyaw: 0, gripper: 0 });
      expect(kinds(r)).toContain('ee_step');
      if (r.command) expect(arm.tcpPose(r.command.arm).z).toBeGreaterThan(config.safety.workspace.z[0] - 1e-3);
    }
    expect(filter.commandedPose().z).toBeCloseTo(config.safety.workspace.z[0], 2);
    // Joint moves that take the tool out of the box are shortened until it stays in, or refused.
    const ws = config.safety.workspace;
    let refused = 0;
    for (const k of [0.2, 0.6, 1.5]) {
      const q = Array.from(filter.hold().arm);
      q[1] = q[1]! + k;
      q[2] = q[2]! + k;
      const r = filter.filterJoints(q);
      if (r.command === null) {
        refused++;
        expect(r.interventions.at(-1)!.detail).toContain('outside the workspace; command rejected');
      } else {
        const p = arm.tcpPose(r.command.arm);
        expect(p.z).toBeGreaterThan(ws.z[0] - 1e-3);
        expect(p.x).toBeLessThan(ws.x[1] + 1e-3);
      }
    }
    expect(refused).toBeGreaterThan(0);
  });

  it('scales a multi-joint step as a whole, so the tool keeps its direction', () => {
    const { filter, arm, home } = setup((s) => {
      s.maxVelocity = 0.2;
    });
    const far = [...home];
    far[1] = home[1]! + 0.4;
    far[2] = home[2]! + 0.1;
    const r = filter.filterJoints(far);
    const d1 = r.command!.arm[1]! - home[1]!;
    const d2 = r.command!.arm[2]! - home[2]!;
    expect(d1 / d2).toBeCloseTo(4, 9); // the same direction as asked, only shorter
    expect(Math.abs(d1)).toBeLessThanOrEqual(0.2 * 0.1 + 1e-12);
    expect(arm.armDof).toBe(5);
  });

  it('follows a policy that pushes into the workspace floor along the floor, without getting stuck', () => {
    const { filter, config } = setup();
    let rejected = 0;
    for (let k = 0; k < 150; k++) {
      const r = filter.apply({ dx: 0.01, dy: 0, dz: -0.01, dyaw: 0, gripper: 0 });
      if (!r.command) rejected++;
    }
    const p = filter.commandedPose();
    expect(p.z).toBeGreaterThan(config.safety.workspace.z[0] - 1e-3);
    expect(p.x).toBeGreaterThan(0.25); // it slid along the floor to the far wall
    expect(rejected).toBeLessThan(10);
  });

  it('moves by the policy delta when nothing is violated, and commands the fingers', () => {
    const { filter } = setup();
    const before = filter.commandedPose();
    const r = filter.apply({ dx: MAX_EE_STEP / 2, dy: 0, dz: 0, dyaw: 0, gripper: 1 });
    expect(r.interventions).toEqual([]);
    expect(filter.commandedPose().x - before.x).toBeCloseTo(MAX_EE_STEP / 2, 3);
    expect(r.command!.finger).toBe(0); // closed
    expect(() => new SafetyFilter(filter.arm, { ...setup().config.safety, perJoint: { nope: { maxVelocity: 1 } }, rateHz: 10, commandFingers: true })).toThrow('"nope", which is not an arm joint');
  });

  it('refuses to act before it is anchored on measured joints', () => {
    const { filter } = setup();
    filter.release();
    expect(() => filter.apply({ dx: 0, dy: 0, dz: 0, dyaw: 0, gripper: 0 })).toThrow('anchor() first');
  });
});
