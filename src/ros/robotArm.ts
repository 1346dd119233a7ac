/**
 * The real arm's kinematics from its URDF: a file named in the config, or the ROS parameter (usually
 * /robot_description) read through rosbridge's rosapi get_param service.
 */
import { ArmModel } from '../../sim/robot/index.js';
import type { RosConfig } from './config.js';
import type { RosVersion } from './messages.js';
import { resolveRosVersion } from './rosVersion.js';
import type { RosTransport } from './RosTransport.js';

function armOptions(config: RosConfig, source: string) {
  const b = config.robot.basePose;
  return { tcpName: config.robot.tcp, basePose: { x: b.x, y: b.y, z: b.z, yaw: b.yaw }, source };
}

/** Reads the URDF text of a ROS parameter through rosapi (ROS 1 and ROS 2 request shapes). */
export async function fetchUrdfParam(transport: RosTransport, param: string, service: string, rosVersion: 1 | 2): Promise<string> {
  const args = rosVersion === 1 ? { name: param, default: '' } : { name: param, default_value: '' };
  const type = rosVersion === 1 ? 'rosapi/GetParam' : 'rosapi_msgs/srv/GetParam';
  const res = (await transport.callService(service, type, args)) as { value?: unknown } | null;
  const raw = res?.value;
  if (typeof raw !== 'string' || raw === '') throw new Error(`ROS parameter ${param}: ${service} returned no value`);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw); // rosapi returns the parameter JSON-encoded
  } catch {
    // some rosapi versions return the plain string
  }
  if (typeof value !== 'string' || !value.includes('<robot')) throw new Error(`ROS parameter ${param} is not URDF text (no <robot> element)`);
  return value;
}

export async function loadRobotArm(config: RosConfig, transport: RosTransport | null, rosVersion?: RosVersion): Promise<ArmModel> {
  const src = config.robot.urdf;
  if (typeof src === 'string') return ArmModel.load(src, armOptions(config, src));
  if (!transport) throw new Error(`robot.urdf names the ROS parameter ${src.param}, which needs a rosbridge connection`);
  const version = rosVersion ?? (await resolveRosVersion(transport, config.rosVersion));
  const xml = await fetchUrdfParam(transport, src.param, src.service, version);
  return ArmModel.fromUrdf(xml, armOptions(config, `ROS parameter ${src.param}`));
}

/** Waits until the transport is connected (or rejects after timeoutMs). */
export function waitConnected(transport: RosTransport, url: string, timeoutMs: number): Promise<void> {
  if (transport.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`could not connect to rosbridge at ${url} within ${timeoutMs / 1000} s (is rosbridge_server running?)`)), timeoutMs);
    transport.on('connection', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
