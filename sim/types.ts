/**
 * The formats the simulator and the policy share: observations, actions, step results, objects.
 *
 * World frame: metres, radians, seconds; Z up (as in URDF and ROS). The table top is the plane z = 0 and spans
 * x in [-0.5, 0.5], y in [-0.5, 0.5]. The arm's base sits at ARM_BASE, facing +x; "left" means +y (the arm's left,
 * and the left of the scene camera, which looks over the arm's shoulder).
 */

export const SHAPES = ['ball', 'cube', 'cylinder'] as const;
export type Shape = (typeof SHAPES)[number];

/** Containers and zones that `place` commands put things in or on. */
export const RECEPTACLES = ['bowl', 'plate'] as const;
export type Receptacle = (typeof RECEPTACLES)[number];

export type ObjectKind = Shape | Receptacle;

export const COLOURS = ['red', 'green', 'blue', 'yellow', 'purple', 'orange'] as const;
export type Colour = (typeof COLOURS)[number];

/** sRGB in 0..1 of each colour name; chosen to stay far apart so the names stay true under lighting. */
export const COLOUR_RGB: Readonly<Record<Colour, readonly [number, number, number]>> = {
  red: [0.85, 0.12, 0.1],
  green: [0.12, 0.7, 0.2],
  blue: [0.12, 0.3, 0.9],
  yellow: [0.95, 0.85, 0.1],
  purple: [0.55, 0.2, 0.75],
  orange: [1.0, 0.5, 0.05],
};

export const ARM_BASE = { x: -0.42, y: 0, z: 0 } as const;

/** Control runs at CONTROL_HZ; physics steps PHYSICS_HZ / CONTROL_HZ times per control step. */
export const PHYSICS_HZ = 240;
export const CONTROL_HZ = 20;

/** One object on the table, as a scene file describes it. */
export interface SceneObject {
  /** Unique within the scene, e.g. "red-ball". */
  id: string;
  kind: ObjectKind;
  colour: Colour;
  /** Centre on the table plane (x, y); the simulator puts its bottom on the table. */
  position: { x: number; y: number };
  /** Rotation about z, radians. */
  yaw: number;
  /** Characteristic size in metres: ball diameter, cube edge, cylinder diameter, bowl/plate diameter. */
  size: number;
}

export interface Scene {
  name: string;
  objects: SceneObject[];
}

/** End-effector delta action: the format the policy emits and the expert emits. */
export interface EeAction {
  /** Metres per control step in the world frame, clamped to +-MAX_EE_STEP. */
  dx: number;
  dy: number;
  dz: number;
  /** Radians per control step about world z, clamped to +-MAX_YAW_STEP. */
  dyaw: number;
  /** Gripper command: >= 0.5 closes, < 0.5 opens. */
  gripper: number;
}

export const MAX_EE_STEP = 0.02;
export const MAX_YAW_STEP = 0.2;

/** Flat order of an EeAction as a vector (policy outputs, datasets). */
export const EE_ACTION_KEYS = ['dx', 'dy', 'dz', 'dyaw', 'gripper'] as const;

export interface JointAction {
  /** Target position of every arm joint (not the fingers), radians, in URDF order. */
  targets: number[];
  gripper: number;
}

export type Action = ({ kind: 'ee' } & EeAction) | ({ kind: 'joint' } & JointAction);

export interface CameraImage {
  width: number;
  height: number;
  /** Row-major from the top-left pixel, 3 bytes per pixel. */
  rgb: Uint8Array;
  /** Metres along the camera's view axis; Infinity where nothing was hit. Present if asked for. */
  depth?: Float32Array;
  /** Per pixel: 0 = background/table/arm, i + 1 = scene object i. Present if asked for. */
  segmentation?: Uint8Array;
}

export interface EePose {
  x: number;
  y: number;
  z: number;
  /** Rotation of the gripper about world z (the gripper points down). */
  yaw: number;
}

export interface Observation {
  /** By camera name, e.g. "scene", "wrist". */
  images: Record<string, CameraImage>;
  /** Arm joint positions, radians, URDF order (fingers excluded). */
  joints: number[];
  /** Finger opening, 0 = closed, 1 = fully open. */
  gripperOpening: number;
  /** True while an object is held by the grasp constraint. */
  holding: boolean;
  eePose: EePose;
  command: string;
  /** Control steps since reset. */
  step: number;
}

export interface StepInfo {
  success: boolean;
  /** Why the episode ended or is failing: "success", "timeout", "dropped", "wrong object", ... ; null while running. */
  reason: string | null;
  /** Simulated seconds since reset. */
  time: number;
}

export interface StepResult {
  observation: Observation;
  reward: number;
  done: boolean;
  info: StepInfo;
}

/** The largest episode seed (seeds are 0..MAX_SEED: 31-bit, what every command and the viewer's protocol accept). */
export const MAX_SEED = 2 ** 31 - 1;
