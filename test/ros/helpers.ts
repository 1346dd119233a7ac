/** Fixtures of the ROS tests: a scripted actor, a broker plus a controller connected to it, robot-side feeds. */
import { ArmModel } from '../../sim/robot/index.js';
import type { EeAction, Observation } from '../../sim/types.js';
import {
  MESSAGE_TYPES,
  RosController,
  RosbridgeTestServer,
  RoslibTransport,
  header,
  imageMsg,
  jointStateMsg,
  parseRosConfig,
  simRosConfigInput,
  type Actor,
  type RosConfig,
  type RosConfigInput,
  type RosbridgeTestServerOptions,
} from '../../src/ros/index.js';

/** An actor that always returns `action` (or what `fn` computes) and records what it saw. */
export function scriptedActor(action: EeAction | ((obs: Observation) => EeAction), imageSize = 16): Actor & { seen: Observation[] } {
  const seen: Observation[] = [];
  return {
    label: 'scripted',
    camera: 'scene',
    imageSize,
    note: null,
    seen,
    act: (obs) => {
      seen.push(obs);
      return [typeof action === 'function' ? action(obs) : action];
    },
    reset: () => {},
  };
}

export const STILL: EeAction = { dx: 0, dy: 0, dz: 0, dyaw: 0, gripper: 0 };

export function simConfig(overrides: (c: RosConfigInput) => void = () => {}): RosConfig {
  const c = simRosConfigInput();
  c.control = { rateHz: 20 };
  overrides(c);
  return parseRosConfig(c);
}

export interface Rig {
  server: RosbridgeTestServer;
  controller: RosController;
  transport: RoslibTransport;
  arm: ArmModel;
  config: RosConfig;
  logs: string[];
  /** Publishes one joint state (arm joints q, fingers open) as the robot would. */
  joints(q?: readonly number[]): void;
  /** Publishes one camera frame. */
  frame(stamp?: number, size?: number): void;
  /** Feeds joint states and frames every 20 ms until stopped. */
  feed(q?: () => readonly number[]): () => void;
  close(): Promise<void>;
}

export async function rig(actor: Actor, config: RosConfig = simConfig(), serverOptions: RosbridgeTestServerOptions = {}): Promise<Rig> {
  const server = await RosbridgeTestServer.start(serverOptions);
  const arm = ArmModel.load(config.robot.urdf as string, { tcpName: config.robot.tcp, basePose: config.robot.basePose });
  const transport = new RoslibTransport(server.url, { reconnectInitialDelay: 0.05, reconnectMaxDelay: 0.2 });
  const logs: string[] = [];
  const controller = new RosController({ config, transport, arm, actor, log: (l) => logs.push(l) });
  controller.start();
  await server.waitFor(() => server.subscriberCount(config.topics.camera.name) === 1 && server.subscriberCount(config.topics.jointStates) === 1, 5000, 'subscriptions');
  const home = arm.homeConfiguration();
  const names = [...arm.armJointNames, ...arm.fingerJointNames].map((n) => config.robot.jointNames[n] ?? n);
  const r: Rig = {
    server,
    controller,
    transport,
    arm,
    config,
    logs,
    joints: (q = home) => {
      server.publish(config.topics.jointStates, MESSAGE_TYPES.jointState, jointStateMsg(names, [...q, ...arm.fingerJointNames.map(() => arm.maxFingerOpening)], [], Date.now() / 1000, 2));
    },
    frame: (stamp = 1, size = 24) => {
      const rgb = new Uint8Array(size * size * 3).fill(120);
      server.publish(config.topics.camera.name, MESSAGE_TYPES.image, { ...imageMsg(size, size, rgb, 0, 'camera', 2), header: header(stamp, 'camera', 2) });
    },
    feed: (q) => {
      const t = setInterval(() => {
        r.joints(q ? q() : home);
        r.frame();
      }, 20);
      return () => clearInterval(t);
    },
    close: async () => {
      controller.stop();
      await server.stop();
    },
  };
  return r;
}

export const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** Joint-command messages the controller published, in order. */
export function commands(r: Rig): Record<string, unknown>[] {
  return r.server.published(r.config.topics.jointCommand.name).map((l) => (l.message as { msg: Record<string, unknown> }).msg);
}

export function statuses(r: Rig): { state: string; interventions: { kind: string; detail: string }[]; outcome: unknown; episode: number }[] {
  return r.server.published(r.config.topics.status).map((l) => JSON.parse((l.message as { msg: { data: string } }).msg.data));
}
