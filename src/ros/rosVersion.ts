/**
 * Which ROS a rosbridge_server runs on, asked of rosapi: its get_time service answers with a time in its own
 * version's fields ({secs, nsecs} on ROS 1, {sec, nanosec} on ROS 2). The two differ on the wire in time fields,
 * and each rosbridge silently reads the other's as 0 (e.g. time_from_start), so they must be written right.
 */
import type { RosVersion } from './messages.js';
import type { RosTransport } from './RosTransport.js';

/** The service types tried, ROS 1's first (ROS 1 rosbridge ignores the type; ROS 2's may need its own). */
const GET_TIME_TYPES = ['rosapi/GetTime', 'rosapi_msgs/srv/GetTime'] as const;

/** Asks rosapi's /rosapi/get_time; rejects with a message naming the setting to use when it cannot tell. */
export async function detectRosVersion(transport: RosTransport, timeoutMs = 5000): Promise<RosVersion> {
  const problems: string[] = [];
  for (const type of GET_TIME_TYPES) {
    try {
      const res = (await transport.callService('/rosapi/get_time', type, {}, timeoutMs)) as { time?: Record<string, unknown> } | null;
      const t = res?.time;
      if (t && typeof t === 'object') {
        if ('secs' in t) return 1;
        if ('sec' in t) return 2;
      }
      problems.push(`${type}: answer without a time (${JSON.stringify(res).slice(0, 80)})`);
    } catch (e) {
      problems.push(`${type}: ${(e as Error).message}`);
    }
  }
  throw new Error(
    `cannot tell ROS 1 from ROS 2 through rosbridge (/rosapi/get_time: ${problems.join('; ')}); is rosapi running? ` +
      'Otherwise set it: "rosVersion": 1 or 2 in the config, or --ros-version 1|2',
  );
}

/** The setting if explicit, else detected (needs a connected transport). */
export async function resolveRosVersion(transport: RosTransport, setting: RosVersion | 'auto'): Promise<RosVersion> {
  return setting === 'auto' ? detectRosVersion(transport) : setting;
}
