/**
 * vla ros-sim and vla ros together through the in-test broker: the simulated arm obeys the controller's joint
 * commands, episodes start from the command topic and end with a result; a real (tiny, untrained) VLA policy
 * drives it through policyActor; a 6-joint arm's proprioception is mapped onto the policy's 5 joints.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Environment } from '../../sim/env/Environment.js';
import { ArmModel } from '../../sim/robot/index.js';
import { VlaPolicy } from '../../src/policy/index.js';
import { selectBackend } from '../../src/tf/backend.js';
import {
  MESSAGE_TYPES,
  RosController,
  RosSimRobot,
  RosbridgeTestServer,
  RoslibTransport,
  loadRobotArm,
  loadRosConfig,
  policyActor,
  jointTrajectoryMsg,
  float64MultiArrayMsg,
  type Actor,
  type RosConfig,
} from '../../src/ros/index.js';
import { TINY } from '../policy/helpers.js';
import { scriptedActor, simConfig } from './helpers.js';

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
});

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function together(
  actor: Actor,
  config: RosConfig = simConfig(),
  simOptions: { maxSteps?: number; imageSize?: number; compressed?: boolean; float64?: boolean; lockstep?: boolean } = {},
) {
  const server = await RosbridgeTestServer.start({ record: false });
  cleanups.push(() => server.stop());
  const sim = new RosSimRobot({
    transport: new RoslibTransport(server.url),
    maxSteps: simOptions.maxSteps ?? 400,
    imageWidth: simOptions.imageSize ?? 24,
    imageHeight: simOptions.imageSize ?? 24,
    compressed: simOptions.compressed ?? false,
    topics: simOptions.float64 ? { jointCommandType: MESSAGE_TYPES.float64MultiArray } : {},
    lockstep: simOptions.lockstep ?? false,
    log: () => {},
  });
  sim.start();
  cleanups.push(() => sim.stop());
  const arm = await loadRobotArm(config, null);
  const logs: string[] = [];
  const controller = new RosController({ config, transport: new RoslibTransport(server.url), arm, actor, log: (l) => logs.push(l) });
  controller.start();
  cleanups.push(() => controller.stop());
  // In lockstep nothing flows before an episode; in real time the simulator's camera and joint states run.
  const flowing = () => simOptions.lockstep || (controller.jointStatesReceived > 0 && controller.imagesReceived > 0);
  await server.waitFor(() => server.subscriberCount('/vla/command') === 2 && sim.rosVersion !== null && flowing(), 10_000, 'both sides to connect');
  return { server, sim, controller, logs, say: (text: string) => server.publish('/vla/command', MESSAGE_TYPES.string, { data: text }) };
}

describe('vla ros-sim with vla ros', () => {
  it('the simulated arm follows the controller: a policy that goes down lowers the tool (lockstep)', async () => {
    const down = scriptedActor({ dx: 0, dy: 0, dz: -0.01, dyaw: 0, gripper: 0 });
    const t = await together(down, simConfig((c) => {
      c.control = { ...c.control, lockstep: true };
    }), { lockstep: true });
    t.say('pick up the red ball');
    await t.server.waitFor(() => t.sim.commandsApplied >= 15 && down.seen.length >= 16, 20_000, 'fifteen lockstep steps');
    const z0 = down.seen[0]!.eePose.z; // measured before the first command moved anything
    const seen = down.seen[15]!; // after 15 steps of 1 cm down each (simulated time: the same on any machine)
    expect(t.sim.episodes).toBe(1);
    expect(t.sim.commandsRefused).toBe(0);
    expect(seen.step).toBe(15);
    // What the controller measured (joint states from the simulator) shows the tool lower by several centimetres.
    expect(z0 - seen.eePose.z).toBeGreaterThan(0.08);
    expect(seen.images.scene!.width).toBe(16); // 24x24 frames resized to the actor's 16x16
  });

  it('works with CompressedImage (PNG) frames and Float64MultiArray commands too', async () => {
    const down = scriptedActor({ dx: 0, dy: 0, dz: -0.01, dyaw: 0, gripper: 1 });
    const config = simConfig((c) => {
      c.topics = { ...c.topics, camera: { name: '/camera/image_raw', type: 'sensor_msgs/CompressedImage' }, jointCommand: { name: '/arm_controller/joint_trajectory', type: 'std_msgs/Float64MultiArray' } };
    });
    const t = await together(down, config, { compressed: true, float64: true });
    t.say('pick up the red ball');
    // Real time: however slow the machine, the tool must come down and the fingers close (no speed asserted).
    const lowered = () => down.seen.length > 0 && down.seen[0]!.eePose.z - down.seen.at(-1)!.eePose.z > 0.02 && down.seen.at(-1)!.gripperOpening < 0.9;
    await t.server.waitFor(lowered, 30_000, 'the tool to come down with the gripper closing');
    expect(t.sim.commandsRefused).toBe(0);
  });

  it('an episode that times out in the simulator ends the controller\'s episode with the reason', async () => {
    const t = await together(scriptedActor({ dx: 0, dy: 0, dz: 0, dyaw: 0, gripper: 0 }), simConfig(), { maxSteps: 10 });
    t.say('pick up the red ball');
    await t.server.waitFor(() => t.controller.status().outcome !== null, 10_000, 'the episode result');
    expect(t.controller.status().outcome).toEqual({ success: false, reason: 'timeout' });
    expect(t.controller.state).toBe('done');
  });

  it('a tiny VLA policy drives the simulated arm through policyActor', async () => {
    const policy = new VlaPolicy({ ...TINY, eeProprio: false, proprioDim: 7 } as never);
    cleanups.push(() => policy.dispose());
    const config = simConfig();
    const arm = await loadRobotArm(config, null);
    const actor = policyActor(policy, arm, config.robot.basePose, 'tiny');
    expect(actor.note).toBeNull();
    const spy = vi.spyOn(policy, 'act');
    const t = await together(actor, config);
    t.say('pick up the red ball');
    await t.server.waitFor(() => t.sim.commandsApplied >= 5, 15_000, 'policy-driven commands');
    const obs = spy.mock.calls.at(-1)![0];
    expect(obs.images.scene!.width).toBe(16);
    expect(obs.joints).toHaveLength(5);
    expect(obs.command).toBe('pick up the red ball');
  });

  it('runs its first episode with --seed itself, then seed + 1, ...', async () => {
    const server = await RosbridgeTestServer.start({ record: false });
    cleanups.push(() => server.stop());
    const sim = new RosSimRobot({ transport: new RoslibTransport(server.url), seed: 0, imageWidth: 16, imageHeight: 16, log: () => {} });
    cleanups.push(() => sim.stop());
    const env = new Environment({ cameras: [{ name: 'scene', width: 16, height: 16 }] });
    for (const seed of [0, 1]) {
      sim.startEpisode('pick up the red ball');
      env.reset({ seed, command: 'pick up the red ball' });
      expect(sim.env.info.scene).toEqual(env.info.scene);
    }
    expect(sim.episodes).toBe(2);
  });

  it('a status that is JSON but not an object ("null", "42") is ignored, and the next real status still starts the planned episode', async () => {
    const server = await RosbridgeTestServer.start({ record: false });
    cleanups.push(() => server.stop());
    const logs: string[] = [];
    const sim = new RosSimRobot({ transport: new RoslibTransport(server.url), tasks: ['pick'], episodes: 2, imageWidth: 16, imageHeight: 16, log: (l) => logs.push(l) });
    sim.start();
    cleanups.push(() => sim.stop());
    await server.waitFor(() => server.subscriberCount('/vla/status') === 1 && sim.rosVersion !== null, 5000, 'the simulator');
    for (const data of ['null', '42', '"idle"']) server.publish('/vla/status', MESSAGE_TYPES.string, { data });
    server.publish('/vla/status', MESSAGE_TYPES.string, { data: JSON.stringify({ state: 'idle', episode: 0, outcome: null }) });
    await server.waitFor(() => sim.episodes === 1, 5000, 'the first planned episode');
    expect(logs.filter((l) => l.includes('could not be handled'))).toEqual([]);
  });

  it('the simulator refuses joint commands with unknown joints or the wrong length', async () => {
    const server = await RosbridgeTestServer.start({ record: false });
    cleanups.push(() => server.stop());
    const sim = new RosSimRobot({ transport: new RoslibTransport(server.url), log: () => {} });
    sim.start();
    cleanups.push(() => sim.stop());
    await server.waitFor(() => server.subscriberCount('/arm_controller/joint_trajectory') === 1, 5000, 'the simulator');
    server.publish('/arm_controller/joint_trajectory', MESSAGE_TYPES.jointTrajectory, jointTrajectoryMsg(['elbow', 'knee'], [0, 0], 0.1, 2));
    server.publish('/arm_controller/joint_trajectory', MESSAGE_TYPES.jointTrajectory, { joint_names: ['elbow'], points: [] });
    server.publish('/arm_controller/joint_trajectory', MESSAGE_TYPES.jointTrajectory, jointTrajectoryMsg(['elbow'], [0.5], 0.1, 2));
    await server.waitFor(() => sim.commandsRefused + sim.commandsApplied === 3, 3000, 'three commands handled');
    expect([sim.commandsRefused, sim.commandsApplied]).toEqual([2, 1]);
    expect(float64MultiArrayMsg([1, 2]).data).toEqual([1, 2]);
  });
});

describe('policyActor on a 6-joint arm', () => {
  it('gives the 5-joint policy the simulated arm\'s joints at the same relative tool pose, and turns actions by the base yaw', async () => {
    const config = loadRosConfig('examples/ros-6dof.json');
    config.robot.basePose = { x: 1, y: 2, z: 0.1, yaw: Math.PI / 2 };
    const arm6 = await loadRobotArm(config, null);
    const policy = new VlaPolicy({ ...TINY, eeProprio: false, proprioDim: 7 } as never);
    try {
      const actor = policyActor(policy, arm6, config.robot.basePose, 'tiny');
      expect(actor.note).toContain('6 joints');
      const spy = vi.spyOn(policy, 'act').mockReturnValue([{ dx: 0.01, dy: 0, dz: 0, dyaw: 0, gripper: 0 }]);
      // The tool 0.4 m in front of the base (the base faces +y in the world), 0.25 m above it.
      const eePose = { x: 1, y: 2.4, z: 0.35, yaw: Math.PI / 2 };
      const out = actor.act({ images: {}, joints: [0, 0, 0, 0, 0, 0], gripperOpening: 1, holding: false, eePose, command: 'x', step: 0 });
      const seen = spy.mock.calls[0]![0];
      expect(seen.joints).toHaveLength(5);
      const sim = ArmModel.loadDefault();
      const p = sim.tcpPose(seen.joints);
      expect(p.x).toBeCloseTo(-0.42 + 0.4, 2);
      expect(p.y).toBeCloseTo(0, 2);
      expect(p.z).toBeCloseTo(0.25, 2);
      // "Forward" for the policy (+x) is +y for a base turned by 90 degrees.
      expect(out[0]!.dx).toBeCloseTo(0, 9);
      expect(out[0]!.dy).toBeCloseTo(0.01, 9);
    } finally {
      policy.dispose();
    }
  });
});
