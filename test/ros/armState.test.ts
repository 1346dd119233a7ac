/** What the policy is told about the arm: joints, finger opening, and holding from the fingers or a sensor. */
import { describe, expect, it } from 'vitest';
import { ArmModel } from '../../sim/robot/index.js';
import { ArmState, jointStateMsg } from '../../src/ros/index.js';

const arm = ArmModel.loadDefault();
const names = [...arm.armJointNames, ...arm.fingerJointNames];
const max = arm.maxFingerOpening;

function state() {
  return new ArmState(arm, arm.armJointNames, arm.fingerJointNames, 0.05);
}

/** A joint state at time t (s) with both fingers at `f` m. */
const at = (t: number, f: number) => jointStateMsg(names, [...arm.homeConfiguration(), f, f], [], t, 2);

describe('ArmState: holding as in simulation', () => {
  it('closed fingers stalled apart hold something; closing, closed on nothing or open do not', () => {
    const s = state();
    expect(s.read(at(1, max))).toBeNull();
    expect(s.holding(true)).toBe(false); // one sample: no speed known yet
    s.read(at(1.05, max * 0.8)); // closing at 0.1 m/s-ish
    expect(s.holding(true)).toBe(false);
    s.read(at(1.1, max * 0.6));
    s.read(at(1.1, max * 0.6)); // the same sample again says nothing about motion
    expect(s.holding(true)).toBe(false);
    s.read(at(1.15, max * 0.6)); // stopped on an object
    expect(s.fingerOpening).toBeCloseTo(0.6, 9);
    expect(s.holding(true)).toBe(true);
    expect(s.holding(false)).toBe(false); // commanded open: letting go
    const empty = state();
    empty.read(at(2, 0));
    empty.read(at(2.05, 0)); // closed all the way: nothing between the fingers
    expect(empty.holding(true)).toBe(false);
  });

  it('uses the JointState velocities when given, and a grasp sensor over everything', () => {
    const s = state();
    s.read(jointStateMsg(names, [...arm.homeConfiguration(), max / 2, max / 2], [0, 0, 0, 0, 0, -0.05, -0.05], 3, 2));
    expect(s.holding(true)).toBe(false); // still closing
    s.read(jointStateMsg(names, [...arm.homeConfiguration(), max / 2, max / 2], [0, 0, 0, 0, 0, 0, 0], 3.05, 2));
    expect(s.holding(true)).toBe(true);
    s.sensor = false;
    expect(s.holding(true)).toBe(false);
    s.sensor = true;
    expect(s.holding(false)).toBe(true);
  });

  it('refuses joint states without the arm joints, naming them', () => {
    expect(state().read({ name: ['x'], position: [0] })).toContain('lacks joints base_yaw');
  });
});
