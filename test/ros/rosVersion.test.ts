/**
 * ROS 1 and ROS 2 time fields. Each rosbridge reads only its own version's ({secs, nsecs} or {sec, nanosec}) and
 * takes the other's as 0 s; the broker plays either (RosbridgeTestServer rosVersion), converting as that rosbridge
 * would, so what a ROS node behind it receives is what these tests read.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MESSAGE_TYPES, RosbridgeTestServer, RoslibTransport, detectRosVersion, parseTime, waitConnected } from '../../src/ros/index.js';
import { STILL, commands, rig, scriptedActor, simConfig, type Rig } from './helpers.js';

let current: Rig | null = null;
afterEach(async () => {
  await current?.close();
  current = null;
});

/** time_from_start of the joint commands as a ROS node behind the broker receives them, s. */
async function timeFromStartOnTheWire(brokerVersion: 1 | 2, setting: 1 | 2 | 'auto') {
  const config = simConfig((c) => {
    c.rosVersion = setting;
  });
  const r = await rig(scriptedActor(STILL), config, { rosVersion: brokerVersion });
  current = r;
  const received: unknown[] = [];
  r.server.onPublish(config.topics.jointCommand.name, (msg) => received.push(msg));
  const stop = r.feed();
  r.server.publish(config.topics.command, MESSAGE_TYPES.string, { data: 'pick up the red ball' });
  await r.server.waitFor(() => received.length >= 3, 10_000, 'joint commands');
  stop();
  const sent = (commands(r).at(-1)!.points as { time_from_start: Record<string, number> }[])[0]!.time_from_start;
  const got = (received.at(-1) as { points: { time_from_start: unknown }[] }).points[0]!.time_from_start;
  return { sent, seconds: parseTime(got), version: r.controller.rosVersion };
}

describe('ROS 1 and ROS 2 time fields', () => {
  for (const v of [1, 2] as const) {
    it(`detects a ROS ${v} rosbridge and writes its time fields: time_from_start > 0 as it arrives`, async () => {
      const t = await timeFromStartOnTheWire(v, 'auto');
      expect(t.version).toBe(v);
      expect(Object.keys(t.sent).sort()).toEqual(v === 1 ? ['nsecs', 'secs'] : ['nanosec', 'sec']);
      expect(t.seconds).toBeCloseTo(1 / 20, 9); // one control period at 20 Hz
    });
  }

  it('ROS 2 time fields on a ROS 1 rosbridge arrive as 0 s (what the explicit setting must avoid)', async () => {
    const t = await timeFromStartOnTheWire(1, 2);
    expect(t.seconds).toBe(0);
  });

  it('says which setting to use when rosapi cannot tell', async () => {
    const server = await RosbridgeTestServer.start();
    const tr = new RoslibTransport(server.url);
    tr.start();
    try {
      await waitConnected(tr, server.url, 5000);
      await expect(detectRosVersion(tr)).resolves.toBe(2);
      const silent = { ...tr, connected: true, callService: () => Promise.reject(new Error('service /rosapi/get_time does not exist')) } as unknown as RoslibTransport;
      await expect(detectRosVersion(silent)).rejects.toThrow(/cannot tell ROS 1 from ROS 2 .*"rosVersion": 1 or 2 in the config, or --ros-version 1\|2/);
    } finally {
      tr.close();
      await server.stop();
    }
  });
});
