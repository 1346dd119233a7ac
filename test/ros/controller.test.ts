/**
 * vla ros against a rosbridge-protocol broker on 127.0.0.1 (RosbridgeTestServer), connected with roslib through
 * RoslibTransport exactly as against a real rosbridge: message contents and types, rate, watchdog, disconnects,
 * no stale replay, e-stop, malformed input, URDF from a parameter.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as ROSLIB from 'roslib';
import { MESSAGE_TYPES, RosbridgeTestServer, RoslibTransport, loadRobotArm, parseRosConfig, simRosConfigInput, waitConnected } from '../../src/ros/index.js';
import { STILL, commands, rig, scriptedActor, simConfig, sleep, statuses, type Rig } from './helpers.js';

let current: Rig | null = null;
afterEach(async () => {
  await current?.close();
  current = null;
});

async function running(actor = scriptedActor(STILL), config = simConfig()): Promise<Rig & { stopFeed: () => void }> {
  const r = await rig(actor, config);
  current = r;
  const stopFeed = r.feed();
  r.server.publish(config.topics.command, MESSAGE_TYPES.string, { data: 'pick up the red ball' });
  await r.server.waitFor(() => commands(r).length >= 3, 5000, 'the first commands');
  return { ...r, stopFeed };
}

describe('vla ros over rosbridge', () => {
  it('publishes JointTrajectory commands with the arm\'s joint names at the control rate, and status', async () => {
    const actor = scriptedActor(STILL);
    const r = await running(actor);
    const adv = r.server.log.find((l) => l.message.op === 'advertise' && l.message.topic === r.config.topics.jointCommand.name);
    expect(adv?.message).toMatchObject({ type: 'trajectory_msgs/JointTrajectory' });
    const msg = commands(r).at(-1)!;
    expect(msg.joint_names).toEqual([...r.arm.armJointNames, ...r.arm.fingerJointNames]);
    const point = (msg.points as { positions: number[]; time_from_start: unknown }[])[0]!;
    expect(point.time_from_start).toEqual({ sec: 0, nanosec: 50_000_000 }); // 1 / 20 Hz
    const home = r.arm.homeConfiguration();
    point.positions.slice(0, 5).forEach((v, i) => expect(v).toBeCloseTo(home[i]!, 6)); // a still actor holds the pose
    expect(point.positions.slice(5)).toEqual([r.arm.maxFingerOpening, r.arm.maxFingerOpening]); // gripper 0: open
    // The actor saw the frame resized to its input and the measured joints.
    const obs = actor.seen.at(-1)!;
    expect([obs.images.scene!.width, obs.images.scene!.height, obs.command]).toEqual([16, 16, 'pick up the red ball']);
    obs.joints.forEach((v, i) => expect(v).toBeCloseTo(home[i]!, 9));
    // Rate: never faster than 20 commands a second (a late tick is skipped, not made up for with a burst). No lower
    // bound: how many ticks a busy machine manages is not the controller's property.
    const n0 = commands(r).length;
    const t0 = performance.now();
    await sleep(1000);
    const perSecond = ((commands(r).length - n0) * 1000) / (performance.now() - t0);
    expect(perSecond).toBeGreaterThan(0);
    expect(perSecond).toBeLessThan(20 * 1.25);
    const sent = r.server.published(r.config.topics.jointCommand.name).map((l) => l.at);
    const gaps = sent.slice(1).map((t, i) => t - sent[i]!).sort((a, b) => a - b);
    expect(gaps[Math.floor(gaps.length / 2)]!).toBeGreaterThan(0.75 * 50); // median spacing: about one period or more
    const st = statuses(r).at(-1)!;
    expect(st).toMatchObject({ state: 'running', episode: 1 });
  });

  it('publishes std_msgs/Float64MultiArray when configured, in URDF order', async () => {
    const r = await running(scriptedActor(STILL), simConfig((c) => {
      c.topics = { ...c.topics, jointCommand: { name: '/arm/command', type: 'std_msgs/Float64MultiArray' } };
    }));
    const msg = commands(r).at(-1)!;
    expect((msg.data as number[]).length).toBe(7);
    expect(r.server.log.find((l) => l.message.op === 'advertise' && l.message.topic === '/arm/command')?.message).toMatchObject({ type: 'std_msgs/Float64MultiArray' });
  });

  it('maps joint names: reads and commands the robot\'s names', async () => {
    const r = await running(scriptedActor(STILL), simConfig((c) => {
      c.robot.jointNames = { base_yaw: 'arm_joint_1', finger_left: 'gripper_left' };
    }));
    const names = commands(r).at(-1)!.joint_names as string[];
    expect(names[0]).toBe('arm_joint_1');
    expect(names).toContain('gripper_left');
    expect(names).not.toContain('base_yaw');
  });

  it('clamps what a wild policy asks for, and publishes nothing for NaN actions', async () => {
    const r = await running(scriptedActor({ dx: 5, dy: -5, dz: 5, dyaw: 3, gripper: 0 }));
    // The robot follows its commands (after a stop for stale data, commanding restarts from where it is).
    r.stopFeed();
    const stop = r.feed(() => (commands(r).at(-1)!.points as { positions: number[] }[])[0]!.positions.slice(0, 5));
    await r.server.waitFor(() => commands(r).length >= 15, 5000, 'commands');
    stop();
    const qs = commands(r).map((m) => (m.points as { positions: number[] }[])[0]!.positions.slice(0, 5));
    for (let k = 1; k < qs.length; k++) {
      for (let i = 0; i < 5; i++) expect(Math.abs(qs[k]![i]! - qs[k - 1]![i]!)).toBeLessThanOrEqual(r.config.safety.maxStepPerTick + 1e-9);
    }
    const lim = r.controller.filter.limits;
    for (const q of qs) q.forEach((v, i) => expect(v).toBeGreaterThanOrEqual(Math.min(lim.lower[i]!, qs[0]![i]!) - 1e-9));
    const kinds = new Set(statuses(r).flatMap((s) => s.interventions.map((i) => i.kind)));
    expect(kinds.has('ee_step')).toBe(true);
    expect(r.logs.some((l) => l.includes('safety ee_step: dx 5.0000 capped at 0.02'))).toBe(true);
    await current!.close();
    const n = await rig(scriptedActor({ dx: NaN, dy: 0, dz: 0, dyaw: 0, gripper: 0 }));
    current = n;
    const stopNan = n.feed();
    n.server.publish(n.config.topics.command, MESSAGE_TYPES.string, { data: 'pick up the red ball' });
    await n.server.waitFor(() => n.controller.counts.non_finite >= 5, 5000, 'NaN actions to be refused');
    stopNan();
    // Nothing that moves: at most a hold at the measured position (if a stop happened meanwhile).
    const home = n.arm.homeConfiguration();
    for (const m of commands(n)) (m.points as { positions: number[] }[])[0]!.positions.slice(0, 5).forEach((v, i) => expect(v).toBeCloseTo(home[i]!, 9));
    expect(n.controller.interventions.find((i) => i.kind === 'non_finite')!.detail).toBe('action.dx is NaN; command rejected');
  });

  it('stops and holds when joint states go stale, and resumes when they return', async () => {
    const r = await running();
    r.stopFeed();
    const frames = setInterval(() => r.frame(), 20); // the camera keeps going
    try {
      await r.server.waitFor(() => r.controller.counts.stale_joint_states > 0, 3000, 'the watchdog');
      await sleep(100); // the hold command is on its way
      const lastBefore = commands(r).at(-1)!;
      const n = commands(r).length;
      await sleep(400);
      expect(commands(r).length).toBe(n); // nothing after the hold
      // The hold repeats the last command.
      const pts = (m: Record<string, unknown>) => (m.points as { positions: number[] }[])[0]!.positions;
      expect(pts(lastBefore).length).toBe(7);
      expect(r.controller.state).toBe('holding');
      const reasons = statuses(r).flatMap((s) => s.interventions).filter((i) => i.kind === 'stale_joint_states');
      expect(reasons[0]!.detail).toMatch(/no joint state for \d+\.\d{3} s \(limit 0\.1 s\): holding position/);
      // The age is printed to the millisecond, so an age just past the limit reads 0.100.
      expect(Number(/for (\d+\.\d+) s/.exec(reasons[0]!.detail)![1])).toBeGreaterThanOrEqual(0.1);
      expect(r.logs.some((l) => l.includes('safety stale_joint_states'))).toBe(true);
      const resume = setInterval(() => r.joints(), 20);
      await r.server.waitFor(() => commands(r).length > n + 3, 3000, 'commands to resume');
      clearInterval(resume);
    } finally {
      clearInterval(frames);
    }
  });

  it('stops and holds when camera frames go stale', async () => {
    const r = await running();
    r.stopFeed();
    const js = setInterval(() => r.joints(), 20);
    try {
      await r.server.waitFor(() => r.controller.counts.stale_image > 0, 3000, 'the watchdog');
      await sleep(100); // the hold command is on its way
      const n = commands(r).length;
      await sleep(400);
      expect(commands(r).length).toBe(n);
      expect(r.controller.interventions.find((i) => i.kind === 'stale_image')!.detail).toContain('no camera frame');
    } finally {
      clearInterval(js);
    }
  });

  it('sends nothing stale after a disconnect: commanding resumes only from data received after the reconnect', async () => {
    const r = await running();
    const sent = () => commands(r).length;
    r.stopFeed();
    await r.server.stop(); // rosbridge goes away; the controller keeps ticking for a while
    await sleep(500);
    expect(r.controller.counts.disconnected).toBe(1);
    const beforeRestart = r.server.log.length;
    await r.server.restart();
    await r.server.waitFor(() => r.transport.connected && r.server.subscriberCount(r.config.topics.jointStates) === 1, 5000, 'the reconnect');
    await sleep(300); // connected, but no data yet: nothing may be published
    const afterReconnect = r.server.log.slice(beforeRestart);
    expect(afterReconnect.filter((l) => l.message.op === 'publish' && l.message.topic === r.config.topics.jointCommand.name)).toEqual([]);
    // Fresh data, with the arm somewhere else: the first command starts from there, not from the old command.
    const moved = r.arm.homeConfiguration();
    moved[0] = moved[0]! + 0.3;
    const freshAt = performance.now();
    const stop = r.feed(() => moved);
    try {
      const n = sent();
      await r.server.waitFor(() => commands(r).length > n, 3000, 'a command after fresh data');
      const first = r.server.log.slice(beforeRestart).find((l) => l.message.op === 'publish' && l.message.topic === r.config.topics.jointCommand.name)!;
      expect(first.at).toBeGreaterThan(freshAt);
      const q = ((first.message as { msg: { points: { positions: number[] }[] } }).msg.points[0]!.positions);
      expect(Math.abs(q[0]! - moved[0]!)).toBeLessThan(r.config.safety.maxStepPerTick + 1e-9);
      expect(r.transport.dropped).toBe(0); // the controller never even tried to publish while disconnected
    } finally {
      stop();
    }
  });

  it('roslib alone would replay a publish made while disconnected; RoslibTransport drops it', async () => {
    const server = await RosbridgeTestServer.start();
    const RL = ROSLIB as unknown as {
      Ros: new (o: object) => { connect(u: string): Promise<void>; close(): void; isConnected: boolean };
      Topic: new (o: object) => { advertise(): void; publish(m: unknown): void };
    };
    const ros = new RL.Ros({});
    await ros.connect(server.url);
    const topic = new RL.Topic({ ros, name: '/raw', messageType: 'std_msgs/String' });
    topic.advertise();
    const ours = new RoslibTransport(server.url, { reconnectInitialDelay: 0.05, reconnectMaxDelay: 0.1 });
    ours.advertise('/ours', 'std_msgs/String');
    ours.start();
    await waitConnected(ours, server.url, 5000);
    await server.waitFor(() => ros.isConnected, 5000, 'roslib');
    server.dropClients();
    await server.waitFor(() => !ros.isConnected && !ours.connected, 5000, 'both to see the drop');
    topic.publish({ data: 'stale arm command' });
    expect(ours.publish('/ours', { data: 'stale arm command' })).toBe(false);
    await ros.connect(server.url);
    await server.waitFor(() => ours.connected && ros.isConnected, 5000, 'both to reconnect');
    await server.waitFor(() => server.published('/raw').length === 1, 2000, 'the replay');
    await sleep(200);
    expect(server.published('/raw').map((l) => (l.message as { msg: unknown }).msg)).toEqual([{ data: 'stale arm command' }]);
    expect(server.published('/ours')).toEqual([]);
    expect(ours.dropped).toBe(1);
    ros.close();
    ours.close();
    await server.stop();
  });

  it('refuses malformed input with a logged reason and keeps running', async () => {
    const r = await running(scriptedActor(STILL), simConfig((c) => {
      c.image = { maxWidth: 640, maxHeight: 480, maxBytes: 100_000 };
    }));
    const s = r.server;
    const t = r.config.topics;
    const bad: [string, unknown, string][] = [
      [t.jointStates, { name: 'base_yaw', position: [0] }, '"name" must be an array of strings'],
      [t.jointStates, { name: ['base_yaw'], position: ['0.1'] }, 'not a number'],
      [t.jointStates, { name: ['a', 'b', 'c', 'd', 'e'], position: [0, 0, 0, 0, 0] }, 'lacks joints base_yaw, shoulder'],
      [t.jointStates, { header: {} }, '"name"'],
      [t.camera.name, { width: 10, height: 10, encoding: 'rgb8', step: 30, data: 'AAAA' }, 'needs 300 bytes, got 3'],
      [t.camera.name, { width: 100000, height: 100000, encoding: 'mono8', step: 100000, data: '' }, 'larger than the limit'],
      [t.camera.name, { width: 10, height: 10, encoding: 'rgb8', step: 30, data: 'A'.repeat(200_000) }, 'more than the limit of 100000'],
      [t.camera.name, { width: 2, height: 2, encoding: 'yuv422', step: 4, data: 'AAAAAAAA' }, 'not supported'],
      [t.camera.name, 'not an image', 'not an object'],
      [t.command, { data: 42 }, '"data" must be a string'],
    ];
    for (const [topic, msg, reason] of bad) {
      const before = r.controller.counts.bad_message;
      s.publish(topic, 'x', msg);
      await s.waitFor(() => r.controller.counts.bad_message > before, 2000, `refusal of ${JSON.stringify(msg).slice(0, 40)}`);
      expect(r.controller.interventions.at(-1)!.detail).toContain(reason);
    }
    s.sendRaw('{ this is not json');
    s.sendRaw('{"op":"publish","topic":"/joint_states"}');
    const n = commands(r).length;
    await s.waitFor(() => commands(r).length > n + 3, 3000, 'commands to continue');
    expect(r.controller.state).toBe('running');
    expect(r.logs.some((l) => l.includes('bad_message'))).toBe(true);
    await sleep(100);
    const reported = statuses(r).flatMap((st) => st.interventions).filter((i) => i.kind === 'bad_message').map((i) => i.detail);
    expect(reported.some((d) => d.includes('lacks joints base_yaw'))).toBe(true);
    for (const m of commands(r)) {
      for (const v of (m.points as { positions: number[] }[])[0]!.positions) expect(Number.isFinite(v)).toBe(true);
    }
  });

  it('refuses a corrupt CompressedImage and uses good ones', async () => {
    const r = await rig(scriptedActor(STILL), simConfig((c) => {
      c.topics = { ...c.topics, camera: { name: '/cam/compressed', type: 'sensor_msgs/CompressedImage' } };
    }));
    current = r;
    const png = readFileSync('docs/viewer.png');
    r.server.publish('/cam/compressed', 'sensor_msgs/CompressedImage', { format: 'png', data: png.toString('base64') });
    await r.server.waitFor(() => r.controller.imagesReceived === 1, 3000, 'a good PNG');
    const broken = Buffer.from(png);
    broken.fill(7, 40, 400);
    r.server.publish('/cam/compressed', 'sensor_msgs/CompressedImage', { format: 'png', data: broken.toString('base64') });
    r.server.publish('/cam/compressed', 'sensor_msgs/CompressedImage', { format: 'png', data: Buffer.from('GIF89a....').toString('base64') });
    await r.server.waitFor(() => r.controller.counts.bad_message >= 1, 3000, 'the refusal');
    await sleep(100);
    expect(r.controller.interventions.map((i) => i.detail).join('\n')).toMatch(/neither PNG nor JPEG/);
    expect(r.controller.imagesReceived).toBeLessThanOrEqual(2);
  });

  it('reads Korean and free-form commands into the policy\'s words; one it cannot ground without a scene is refused, naming what is missing', async () => {
    const actor = scriptedActor(STILL);
    const r = await rig(actor, simConfig());
    current = r;
    r.feed();
    r.server.publish(r.config.topics.command, MESSAGE_TYPES.string, { data: '빨간 공을 파란 그릇에 넣어 주세요' });
    await r.server.waitFor(() => actor.seen.length > 0, 5000, 'the policy to act');
    expect(actor.seen.at(-1)!.command).toBe('put the red ball in the blue bowl');
    expect(r.logs.some((l) => l.includes('read "빨간 공을 파란 그릇에 넣어 주세요" as "put the red ball in the blue bowl"'))).toBe(true);
    const before = r.controller.counts.bad_message;
    r.server.publish(r.config.topics.command, MESSAGE_TYPES.string, { data: 'could you pick up the ball' });
    await r.server.waitFor(() => r.controller.counts.bad_message > before, 2000, 'the refusal');
    expect(r.controller.interventions.at(-1)!.detail).toMatch(/command refused: "could you pick up the ball": say the colour of the ball/);
    expect(r.controller.status().command).toBe('put the red ball in the blue bowl'); // the episode goes on
    r.server.publish(r.config.topics.command, MESSAGE_TYPES.string, { data: '멈춰' });
    await r.server.waitFor(() => r.controller.status().command === null, 2000, 'the stop');
  });

  it('gives an actor that reads Korean a Korean command\'s Korean words, and the status the command in the templates\' words', async () => {
    const actor = { ...scriptedActor(STILL), readsKorean: true };
    const r = await rig(actor, simConfig());
    current = r;
    r.feed();
    r.server.publish(r.config.topics.command, MESSAGE_TYPES.string, { data: '빨간 공을 파란 그릇에 넣어 주세요' });
    await r.server.waitFor(() => actor.seen.length > 0, 5000, 'the policy to act');
    expect(actor.seen.at(-1)!.command).toBe('빨간 공 을 파란 그릇 에 넣어');
    expect(r.controller.status().command).toBe('put the red ball in the blue bowl');
    expect(r.logs.some((l) => l.includes('the policy reads "빨간 공 을 파란 그릇 에 넣어"'))).toBe(true);
    // An English command is read in the templates' words by the same actor.
    r.server.publish(r.config.topics.command, MESSAGE_TYPES.string, { data: 'could you push the blue cube to the left' });
    await r.server.waitFor(() => actor.seen.at(-1)!.command === 'push the blue cube left', 5000, 'the English command');
  });

  it('e-stop: holds at once, ignores commands until released, then waits for a new command', async () => {
    const r = await running();
    r.server.publish(r.config.topics.estop, MESSAGE_TYPES.bool, { data: true });
    await r.server.waitFor(() => r.controller.state === 'estop', 2000, 'the e-stop');
    await sleep(100); // the hold command is on its way
    const n = commands(r).length;
    r.server.publish(r.config.topics.command, MESSAGE_TYPES.string, { data: 'pick up the red ball' });
    await sleep(300);
    expect(commands(r).length).toBe(n);
    expect(r.controller.interventions.some((i) => i.detail.includes('ignored: the e-stop is engaged'))).toBe(true);
    expect(statuses(r).at(-1)!.state).toBe('estop');
    // Interventions between ticks reach the status topic too.
    expect(statuses(r).flatMap((st) => st.interventions).find((i) => i.kind === 'estop')!.detail).toContain('e-stop engaged');
    r.server.publish(r.config.topics.estop, MESSAGE_TYPES.bool, { data: false });
    await sleep(200);
    expect(commands(r).length).toBe(n); // releasing does not resume
    r.server.publish(r.config.topics.command, MESSAGE_TYPES.string, { data: 'pick up the red ball' });
    await r.server.waitFor(() => commands(r).length > n + 2, 3000, 'commands after a new command');
    // Anything malformed on the e-stop topic engages it.
    r.server.publish(r.config.topics.estop, MESSAGE_TYPES.bool, { data: 'off' });
    await r.server.waitFor(() => r.controller.state === 'estop', 2000, 'the fail-safe e-stop');
  });

  it('control.trigger "frame": acts once per new camera frame, never on a repeated one or on the clock alone', async () => {
    const actor = scriptedActor(STILL);
    const r = await rig(actor, simConfig((c) => {
      c.control = { rateHz: 20, trigger: 'frame' };
      // No stop for staleness in this test (frames come slowly; a busy machine may delay joint states).
      c.safety.imageTimeout = 10;
      c.safety.jointStateTimeout = 10;
    }));
    current = r;
    const js = setInterval(() => r.joints(), 20);
    try {
      r.frame(1);
      r.server.publish(r.config.topics.command, MESSAGE_TYPES.string, { data: 'pick up the red ball' });
      await r.server.waitFor(() => r.controller.status().command !== null, 5000, 'the episode');
      for (let k = 2; k <= 8; k++) {
        r.frame(k);
        r.frame(k); // the same frame again: nothing new to act on
        await sleep(80);
      }
      await sleep(300); // several clock ticks with no new frame
      expect(actor.seen.length).toBeGreaterThan(0);
      expect(actor.seen.length).toBeLessThanOrEqual(7); // frames 2..8 (1 came before the command)
      expect(commands(r).length).toBe(actor.seen.length);
    } finally {
      clearInterval(js);
    }
  });

  it('ends the episode on an episode result and reports it on the status topic', async () => {
    const r = await running();
    r.server.publish('/vla_sim/episode', MESSAGE_TYPES.string, { data: JSON.stringify({ success: true, reason: 'success' }) });
    await r.server.waitFor(() => statuses(r).some((s) => s.state === 'done'), 2000, 'the done status');
    expect(statuses(r).at(-1)!.outcome).toEqual({ success: true, reason: 'success' });
    const n = commands(r).length;
    await sleep(200);
    expect(commands(r).length).toBe(n);
  });

  it('reads the arm\'s URDF from /robot_description through rosapi/get_param', async () => {
    const xml = readFileSync('examples/arm6.urdf', 'utf8');
    const server = await RosbridgeTestServer.start({ params: { '/robot_description': xml } });
    const transport = new RoslibTransport(server.url);
    transport.start();
    try {
      await waitConnected(transport, server.url, 5000);
      const base = simRosConfigInput();
      const config = parseRosConfig({ ...base, robot: { urdf: { param: '/robot_description' }, tcp: 'tool0' } });
      const arm = await loadRobotArm(config, transport);
      expect(arm.armDof).toBe(6);
      expect(arm.source).toBe('ROS parameter /robot_description');
      const missing = parseRosConfig({ ...base, robot: { urdf: { param: '/nope' } } });
      await expect(loadRobotArm(missing, transport)).rejects.toThrow('/rosapi/get_param failed: parameter /nope is not set');
      await expect(loadRobotArm(missing, null)).rejects.toThrow('needs a rosbridge connection');
    } finally {
      transport.close();
      await server.stop();
    }
  });
});
