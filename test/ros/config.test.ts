import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadRobotArm, loadRosConfig, parseRosConfig, simRosConfigInput, RosConfigError } from '../../src/ros/index.js';

describe('ros config files', () => {
  it('loads the documented 6-joint example, resolving its URDF next to it, with a 6-joint arm', async () => {
    const c = loadRosConfig('examples/ros-6dof.json');
    expect(c.robot.urdf).toBe(resolve('examples/arm6.urdf'));
    expect(c.topics.jointCommand.type).toBe('trajectory_msgs/JointTrajectory');
    expect(c.topics.camera.type).toBe('sensor_msgs/CompressedImage');
    const arm = await loadRobotArm(c, null);
    expect(arm.armDof).toBe(6);
    expect(arm.armJointNames).toEqual(['shoulder_pan_joint', 'shoulder_lift_joint', 'elbow_joint', 'wrist_1_joint', 'wrist_2_joint', 'wrist_3_joint']);
    // Every corner of its workspace box is reachable pointing down.
    const ws = c.safety.workspace;
    for (const x of ws.x) for (const y of ws.y) for (const z of ws.z) {
      expect(arm.solveIk({ x, y, z, yaw: 0 }, [0, 0.2, 1.8, 0, 1.1, 0]).ok, `${x} ${y} ${z}`).toBe(true);
    }
  });

  it('loads the vla ros-sim example, equal to the built-in default', () => {
    const file = loadRosConfig('examples/ros-sim.json');
    const builtIn = parseRosConfig(simRosConfigInput());
    expect(file).toEqual(builtIn);
  });

  it('fills the documented defaults', () => {
    const c = parseRosConfig({ robot: { urdf: 'x.urdf' }, safety: { workspace: { x: [0, 1], y: [0, 1], z: [0, 1] } } });
    expect(c.safety).toMatchObject({ jointLimitMargin: 0.02, maxVelocity: 1, maxAcceleration: 4, maxStepPerTick: 0.1, jointStateTimeout: 0.1, imageTimeout: 0.1 });
    expect(c.control.rateHz).toBe(10);
    expect(c.control.execution).toBe('ensemble');
    expect(() => parseRosConfig({ robot: { urdf: 'x.urdf' }, safety: { workspace: { x: [0, 1], y: [0, 1], z: [0, 1] } }, control: { execution: 'receding:0' } })).toThrow(
      /control\.execution: expected "ensemble", "ensemble:DECAY" .* or "receding:N"/,
    );
    expect(c.topics.jointStates).toBe('/joint_states');
  });

  it('names the file, the field and what was expected; never changes the caller\'s object', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vla-ros-'));
    const input = simRosConfigInput();
    input.safety.maxVelocity = -1;
    (input.control as Record<string, unknown>).rateHz = 'fast';
    const before = structuredClone(input);
    const file = join(dir, 'ros.json');
    writeFileSync(file, JSON.stringify(input));
    let err: Error | null = null;
    try {
      loadRosConfig(file);
    } catch (e) {
      err = e as Error;
    }
    expect(err).toBeInstanceOf(RosConfigError);
    expect(err!.message).toContain(file);
    expect(err!.message).toMatch(/safety\.maxVelocity: .*(>0|positive|greater).*\(got -1\)/i);
    expect(err!.message).toMatch(/control\.rateHz: .*number.*\(got "fast"\)/);
    expect(input).toEqual(before);
    const valid = { ...simRosConfigInput(), robot: { urdf: 'arm.urdf' } };
    const copy = structuredClone(valid);
    expect(parseRosConfig(valid, 'x', '/elsewhere').robot.urdf).toBe('/elsewhere/arm.urdf');
    expect(valid).toEqual(copy);
    expect(() => parseRosConfig({ robot: { urdf: 'a' } })).toThrow(/safety: /);
    expect(() => parseRosConfig({ ...simRosConfigInput(), extra: 1 })).toThrow(/extra|Unrecognized/i);
    writeFileSync(file, '{ nope');
    expect(() => loadRosConfig(file)).toThrow(`${file}: not valid JSON`);
    expect(() => loadRosConfig(join(dir, 'missing.json'))).toThrow('cannot read the config');
  });
});
