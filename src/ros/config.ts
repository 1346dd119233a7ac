/**
 * The `vla ros` config file (JSON), validated with zod: which topics and message types, how ROS joint names map to
 * the URDF's, the control rate, how camera frames become the model's input, and the safety limits.
 * examples/ros-6dof.json documents a 6-joint arm; examples/ros-sim.json matches `vla ros-sim` (also the default).
 *
 * Frames: `robot.basePose` places the arm's base in the frame the policy acts in (x forward, z up, metres); the
 * workspace box is in that frame too. Units: metres, radians, seconds, Hz.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ARM_BASE, CONTROL_HZ } from '../../sim/types.js';
import { ARM_WORKSPACE, DEFAULT_URDF_PATH } from '../../sim/robot/index.js';
import { IMAGE_FIT_MODES } from './images.js';
import { MESSAGE_TYPES } from './messages.js';
import { parseExecution } from '../policy/ChunkExecutor.js';

const topicName = z.string().regex(/^\/?[A-Za-z][A-Za-z0-9_/~]*$/, 'expected a ROS name like "/joint_states"');
const positive = z.number().positive();
const range = z
  .tuple([z.number(), z.number()])
  .refine(([a, b]) => a < b, 'expected [low, high] with low < high');

const urdfSource = z.union([
  z.string().min(1, 'expected a URDF file path'),
  z.strictObject({
    param: z.string().min(1),
    /** rosapi's get_param service (ROS 1 and ROS 2 rosapi both serve it). */
    service: z.string().default('/rosapi/get_param'),
  }),
]);

export const rosConfigSchema = z.strictObject({
  /**
   * ROS 1 or 2: how time fields are written ({secs, nsecs} or {sec, nanosec}; both are read) and how rosapi is
   * called. "auto": asked of the connected rosbridge (rosapi's get_time answers in its own version's fields).
   */
  rosVersion: z.union([z.literal(1), z.literal(2), z.literal('auto')]).default('auto'),
  robot: z.strictObject({
    /** A URDF file (relative to the config file), or {param: "/robot_description"} read through rosbridge. */
    urdf: urdfSource,
    /** Link or fixed joint marking the tool centre point. */
    tcp: z.string().min(1).default('tcp'),
    basePose: z.strictObject({ x: z.number(), y: z.number(), z: z.number(), yaw: z.number().default(0) }).default({ x: 0, y: 0, z: 0, yaw: 0 }),
    /** URDF joint name -> the name the robot uses on its topics; unlisted joints keep their URDF name. */
    jointNames: z.record(z.string(), z.string().min(1)).default({}),
    /** Also command the URDF's prismatic finger joints (open = upper limit, closed = lower). */
    commandFingers: z.boolean().default(true),
    /**
     * Without topics.holding, the policy is told it holds something when the gripper is commanded closed and its
     * fingers have stopped (measured) at least this fraction of their full opening apart: stalled on an object.
     */
    holdingMinOpening: z.number().min(0).max(1).default(0.05),
  }),
  topics: z
    .strictObject({
      jointStates: topicName.default('/joint_states'),
      camera: z
        .strictObject({
          name: topicName.default('/camera/image_raw'),
          type: z.enum([MESSAGE_TYPES.image, MESSAGE_TYPES.compressedImage]).default(MESSAGE_TYPES.image),
        })
        .default({ name: '/camera/image_raw', type: MESSAGE_TYPES.image }),
      command: topicName.default('/vla/command'),
      jointCommand: z
        .strictObject({
          name: topicName.default('/arm_controller/joint_trajectory'),
          type: z.enum([MESSAGE_TYPES.jointTrajectory, MESSAGE_TYPES.float64MultiArray]).default(MESSAGE_TYPES.jointTrajectory),
        })
        .default({ name: '/arm_controller/joint_trajectory', type: MESSAGE_TYPES.jointTrajectory }),
      estop: topicName.default('/vla/estop'),
      status: topicName.default('/vla/status'),
      /** Optional std_msgs/String with JSON {success, reason} ending the episode (vla ros-sim publishes one). */
      episodeResult: topicName.nullable().default(null),
      /** Optional std_msgs/Bool: the gripper holds an object (a grasp sensor); null: judged from the fingers. */
      holding: topicName.nullable().default(null),
    })
    .default({
      jointStates: '/joint_states',
      camera: { name: '/camera/image_raw', type: MESSAGE_TYPES.image },
      command: '/vla/command',
      jointCommand: { name: '/arm_controller/joint_trajectory', type: MESSAGE_TYPES.jointTrajectory },
      estop: '/vla/estop',
      status: '/vla/status',
      episodeResult: null,
      holding: null,
    }),
  control: z
    .strictObject({
      rateHz: z.number().min(1).max(200).default(10),
      /**
       * How the policy's action chunks are executed (src/policy/ChunkExecutor.ts): "ensemble" (ACT's temporal
       * ensembling, the policy runs every tick), "ensemble:DECAY", or "receding:N" (N actions per run).
       */
      execution: z
        .string()
        .default('ensemble')
        .refine(
          (v) => {
            try {
              parseExecution(v);
              return true;
            } catch {
              return false;
            }
          },
          { message: 'expected "ensemble", "ensemble:DECAY" (a number; < 0 favours the newest chunks) or "receding:N" (N >= 1)' },
        ),
      /** Control ticks before an episode ends as a timeout. */
      maxSteps: z.number().int().min(1).default(600),
      /**
       * Lockstep (simulated time, for `vla ros-sim --lockstep`): no control clock; one tick per new observation
       * (a joint state and a camera frame with the same header stamp), the command stamped with it. The
       * simulator steps once per command, so results do not depend on how fast the machine is.
       */
      lockstep: z.boolean().default(false),
      /**
       * What starts a control tick (real time): "clock" (every 1/rateHz s) or "frame" (a new camera frame, at most
       * every 0.75/rateHz s: the policy acts on each frame as soon as it is in; the clock still checks staleness).
       */
      trigger: z.enum(['clock', 'frame']).default('clock'),
    })
    .default({ rateHz: 10, execution: 'ensemble', maxSteps: 600, lockstep: false, trigger: 'clock' }),
  image: z
    .strictObject({
      fit: z.enum(IMAGE_FIT_MODES).default('crop'),
      maxWidth: z.number().int().positive().default(4096),
      maxHeight: z.number().int().positive().default(4096),
      maxBytes: z.number().int().positive().default(64 * 1024 * 1024),
    })
    .default({ fit: 'crop', maxWidth: 4096, maxHeight: 4096, maxBytes: 64 * 1024 * 1024 }),
  safety: z.strictObject({
    /** Commands stay this far inside the URDF position limits (rad; m for fingers use 0). */
    jointLimitMargin: z.number().min(0).default(0.02),
    maxVelocity: positive.default(1.0),
    maxAcceleration: positive.default(4.0),
    /** Largest change of any joint target in one control tick, rad. */
    maxStepPerTick: positive.default(0.1),
    /** A measured joint further than this from the last command (rad): hold and re-anchor on the measurement. */
    maxTrackingError: positive.default(0.25),
    perJoint: z.record(z.string(), z.strictObject({ maxVelocity: positive.optional(), maxAcceleration: positive.optional() })).default({}),
    /** Where the tool centre point may go, in the policy's frame (see robot.basePose). Required: no safe default. */
    workspace: z.strictObject({ x: range, y: range, z: range }),
    jointStateTimeout: positive.default(0.1),
    imageTimeout: positive.default(0.1),
    reconnectInitialDelay: positive.default(0.25),
    reconnectMaxDelay: positive.default(5),
  }),
});

export type RosConfigInput = z.input<typeof rosConfigSchema>;
export type RosConfig = z.output<typeof rosConfigSchema>;

/** Thrown for a config that cannot be read or is invalid; the message names the file and field. */
export class RosConfigError extends Error {
  override name = 'RosConfigError';
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? 'nothing' : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Validates a config object (never changes it); relative URDF paths resolve against baseDir. */
export function parseRosConfig(value: unknown, source = 'ros config', baseDir = process.cwd()): RosConfig {
  const r = rosConfigSchema.safeParse(value);
  if (!r.success) {
    const lines = r.error.issues.map((i) => {
      let at: unknown = value;
      for (const k of i.path) at = at !== null && typeof at === 'object' ? (at as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined;
      return `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message} (got ${describe(at)})`;
    });
    throw new RosConfigError(`${source}: ${lines.join('; ')}`);
  }
  const c = r.data;
  if (c.safety.reconnectMaxDelay < c.safety.reconnectInitialDelay) {
    throw new RosConfigError(`${source}: safety.reconnectMaxDelay must be >= safety.reconnectInitialDelay`);
  }
  if (typeof c.robot.urdf === 'string' && !isAbsolute(c.robot.urdf)) c.robot.urdf = resolve(baseDir, c.robot.urdf);
  return c;
}

export function loadRosConfig(path: string): RosConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new RosConfigError(`${path}: cannot read the config (${(e as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new RosConfigError(`${path}: not valid JSON (${(e as Error).message})`);
  }
  return parseRosConfig(value, path, dirname(resolve(path)));
}

/** The config matching `vla ros-sim` (the simulated 5-joint arm): the default of `vla ros` without --config. */
export function simRosConfigInput(): RosConfigInput {
  return {
    robot: { urdf: DEFAULT_URDF_PATH, tcp: 'tcp', basePose: { x: ARM_BASE.x, y: ARM_BASE.y, z: ARM_BASE.z, yaw: 0 } },
    topics: { episodeResult: '/vla_sim/episode' },
    // The policy's deltas are per control step of the simulator: at its rate the arm moves as in training. Ticks
    // follow its frames (one per simulator step), so each command answers the newest step without waiting.
    control: { rateHz: CONTROL_HZ, trigger: 'frame' },
    safety: {
      workspace: { x: [...ARM_WORKSPACE.x], y: [...ARM_WORKSPACE.y], z: [ARM_WORKSPACE.z[0], ARM_WORKSPACE.z[1]] },
    },
  };
}
