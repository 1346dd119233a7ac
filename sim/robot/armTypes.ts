/**
 * Shapes shared by the arm model, kinematics and controller: joints, limits, visuals, options, workspace.
 * Units: metres, radians, seconds; world frame Z up with the table top at z = 0 (see sim/types.ts).
 */
import { fileURLToPath } from 'node:url';
import type { EePose } from '../types.js';

export type Vec3 = readonly [number, number, number];
/** Quaternion [x, y, z, w]. */
export type Quat = readonly [number, number, number, number];

export type JointType = 'revolute' | 'continuous' | 'prismatic' | 'fixed';

/** One joint, as the child link's parent joint. Indices refer to `ArmModel.linkNames`. */
export interface ModelJoint {
  name: string;
  type: JointType;
  parentLink: number;
  childLink: number;
  /** Pose of the joint frame in the parent link frame. */
  originPosition: Vec3;
  originQuaternion: Quat;
  /** Unit axis in the joint frame (rotation axis, or slide direction for prismatic). */
  axis: Vec3;
  /** Index into armJointNames, or -1. */
  armIndex: number;
  /** Index into fingerJointNames, or -1. */
  fingerIndex: number;
}

/** Limits of one moving joint: positions in rad (m for prismatic), velocity rad/s (m/s), acceleration rad/s^2 (m/s^2). */
export interface JointLimit {
  name: string;
  lower: number;
  upper: number;
  velocity: number;
  acceleration: number;
}

export type VisualShape =
  | { kind: 'box'; /** Full edge lengths along the visual's x, y, z. */ size: Vec3 }
  | { kind: 'cylinder'; radius: number; /** Along the visual's local z. */ length: number }
  | { kind: 'sphere'; radius: number };

export interface LinkVisual {
  link: string;
  linkIndex: number;
  shape: VisualShape;
  /** Pose of the shape's centre in the link frame. */
  position: Vec3;
  quaternion: Quat;
  /** sRGB 0..1. */
  rgb: Vec3;
}

/** Where the root link sits in the world: position in metres, rotation about world z in radians. */
export interface BasePose {
  x: number;
  y: number;
  z: number;
  yaw?: number;
}

export interface ArmModelOptions {
  /** World pose of the root link. Default ARM_BASE with yaw 0 (facing +x). */
  basePose?: BasePose;
  /** Arm joint velocity limit, rad/s. Default 2.0. */
  armVelocity?: number;
  /** Arm joint acceleration limit, rad/s^2. Default 8.0. */
  armAcceleration?: number;
  /** Finger velocity limit, m/s. Default 0.1. */
  fingerVelocity?: number;
  /** Finger acceleration limit, m/s^2. Default 1.0. */
  fingerAcceleration?: number;
  /** Per-joint overrides by joint name (a name that is not a moving joint is an error). */
  perJoint?: Record<string, { velocity?: number; acceleration?: number }>;
  /** Name of the tool-centre-point link or fixed joint. Default 'tcp'. */
  tcpName?: string;
  /** Names the URDF in error messages (load() passes the path). Default 'URDF text'. */
  source?: string;
  /** TCP pose of homeConfiguration() (gripper pointing down). Default HOME_TCP_POSE. */
  homePose?: EePose;
}

export const DEFAULT_ARM_VELOCITY = 2.0;
export const DEFAULT_ARM_ACCELERATION = 8.0;
export const DEFAULT_FINGER_VELOCITY = 0.1;
export const DEFAULT_FINGER_ACCELERATION = 1.0;
/** Colour of a visual without a material colour. */
export const DEFAULT_VISUAL_RGB: Vec3 = [0.6, 0.6, 0.6];

/** The bundled arm (sim/robot/vla_arm.urdf). */
export const DEFAULT_URDF_PATH = fileURLToPath(new URL('./vla_arm.urdf', import.meta.url));

/** Where homeConfiguration() puts the TCP: above the middle of the workspace, gripper down, fingers along y. */
export const HOME_TCP_POSE: Readonly<EePose> = { x: -0.1, y: 0, z: 0.25, yaw: 0 };

/** An axis-aligned box in the world frame, metres. */
export interface WorkspaceBox {
  x: readonly [number, number];
  y: readonly [number, number];
  z: readonly [number, number];
}

/**
 * Where end-effector actions may take the TCP (the brief's reachable box, table-top coordinates): the bundled
 * arm reaches every point of it pointing straight down at any yaw. z >= 0 keeps the fingertips off the table.
 */
export const ARM_WORKSPACE: Readonly<WorkspaceBox> = { x: [-0.2, 0.3], y: [-0.3, 0.3], z: [0.0, 0.3] };

/** Options of Kinematics.solveIk. */
export interface IkOptions {
  /** DLS iterations per attempt. Default 100. */
  maxIterations?: number;
  /** Random restarts after the seed (and the seed turned towards the target) fail. Default 8. */
  restarts?: number;
  /** `ok` needs a position error at most this, metres. Default 1e-3. */
  positionTolerance?: number;
  /** `ok` needs yaw and tilt errors at most this, radians. Default 0.01. */
  angleTolerance?: number;
  /** Metres per radian weighing orientation against position in the error. Default 0.2. */
  orientationWeight?: number;
  /** Also try yaw + pi when the nearer yaw fails. Default true. */
  symmetricYaw?: boolean;
}

/** What Kinematics.solveIk returns. */
export interface IkResult {
  /** Arm joint positions, radians, armJointNames order, inside the limits (the `out` array when given). */
  q: number[] | Float64Array;
  /** positionError <= positionTolerance and yaw and tilt errors <= angleTolerance. */
  ok: boolean;
  /** |p_target - p_tcp|, metres. */
  positionError: number;
  /** |yaw_tcp - yaw| (wrapped), radians. */
  yawError: number;
  /** Angle between the tool z axis and world -z, radians. */
  tiltError: number;
  /** The yaw solved for: target.yaw or target.yaw + pi, wrapped into (-pi, pi]. */
  yaw: number;
  /** DLS iterations over all attempts. */
  iterations: number;
  attempts: number;
}
