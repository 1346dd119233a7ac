/**
 * Named camera poses as data, and helpers that build or update a THREE.PerspectiveCamera from them.
 *
 * World frame (sim/types.ts): Z up, metres; table top z = 0; the arm's base at (-0.42, 0, 0) facing +x; objects
 * live in x in [-0.2, 0.3], y in [-0.3, 0.3]. three.js cameras look along their local -Z with local +Y up; a
 * preset gives position, the point looked at and the world up vector (Object3D.lookAt), so the image's right is
 * forward x up. With up = +z: a camera looking along +x has image left = +y; the "scene" camera looks along -x
 * (toward the arm), so there the arm's left (+y) is on the image's right.
 *
 * fov is the vertical field of view in degrees (as THREE.PerspectiveCamera.fov); near/far in metres.
 */
import * as THREE from 'three';

type Vec3 = readonly [number, number, number];

export interface CameraPreset {
  /** Camera position, world metres. */
  readonly position: Vec3;
  /** The point the camera looks at, world metres. */
  readonly target: Vec3;
  /** World direction that appears upwards in the image. */
  readonly up: Vec3;
  /** Vertical field of view, degrees. */
  readonly fov: number;
  readonly near: number;
  readonly far: number;
}

export const CAMERA_PRESETS = {
  /**
   * The policy's fixed camera: across the table from the arm, high and steep (0.3 m past the object region,
   * 1 m up), looking at the middle of the object region, so that the arm reaches in from the top of the image and
   * hides little. At aspect 1 the whole region x in [-0.15, 0.25], y in [-0.25, 0.25] (and 8 cm above it) is in
   * view, and a 4 cm object is about 4 px wide at 64x64. It faces the arm: the arm's left (+y) is the image's
   * right (test/sim/render/cameras.test.ts checks the framing).
   */
  scene: { position: [0.35, 0, 1.0], target: [0.05, 0, 0], up: [0, 0, 1], fov: 35, near: 0.05, far: 4 },
  /** Straight down from 1.1 m over the object region; image up = +x (away from the arm), image left = +y. */
  top: { position: [0.05, 0, 1.1], target: [0.05, 0, 0], up: [1, 0, 0], fov: 45, near: 0.05, far: 4 },
  /** From the arm's right (-y), level with the table edge, for watching heights and grasps. */
  side: { position: [0.05, -1.0, 0.35], target: [0.05, 0, 0.08], up: [0, 0, 1], fov: 45, near: 0.05, far: 4 },
} as const satisfies Record<string, CameraPreset>;

export type CameraName = keyof typeof CAMERA_PRESETS;
export const CAMERA_NAMES = Object.keys(CAMERA_PRESETS) as CameraName[];

/**
 * A camera fixed to the tool (gripper) frame. Convention assumed for the tool frame: +z is the approach direction
 * (out of the fingers; pointing down when the gripper points down), +x is across the hand. The camera sits at
 * `offset` (tool frame, metres), looks along `forward` and has `up` upwards in the image (tool-frame directions);
 * with the default mount the fingers show at the bottom edge of the image.
 */
export interface WristMount {
  readonly offset: Vec3;
  readonly forward: Vec3;
  readonly up: Vec3;
  readonly fov: number;
  readonly near: number;
  readonly far: number;
}

export const WRIST_CAMERA = {
  offset: [0.05, 0, -0.07],
  forward: [0, 0, 1],
  up: [1, 0, 0],
  fov: 70,
  near: 0.02,
  far: 2,
} as const satisfies WristMount;

/** A new PerspectiveCamera posed by `preset`, with the given aspect (width / height). */
export function makeCamera(preset: CameraPreset, aspect = 1): THREE.PerspectiveCamera {
  return applyCameraPreset(new THREE.PerspectiveCamera(preset.fov, aspect, preset.near, preset.far), preset, aspect);
}

/** Poses an existing camera by `preset` (and sets its aspect if given); updates its matrices. Returns it. */
export function applyCameraPreset(
  camera: THREE.PerspectiveCamera,
  preset: CameraPreset,
  aspect: number = camera.aspect,
): THREE.PerspectiveCamera {
  camera.fov = preset.fov;
  camera.near = preset.near;
  camera.far = preset.far;
  camera.aspect = aspect;
  camera.up.set(preset.up[0], preset.up[1], preset.up[2]);
  camera.position.set(preset.position[0], preset.position[1], preset.position[2]);
  camera.lookAt(preset.target[0], preset.target[1], preset.target[2]);
  camera.updateProjectionMatrix();
  camera.updateMatrixWorld(true);
  return camera;
}

const _p = new THREE.Vector3();
const _f = new THREE.Vector3();
const _u = new THREE.Vector3();

/**
 * Poses `camera` (a root object: not parented) as a wrist camera for the tool frame `tool` (tool -> world, e.g.
 * the tool link's matrixWorld). Allocates nothing; call it every frame before rendering. Returns the camera.
 */
export function updateWristCamera(
  camera: THREE.PerspectiveCamera,
  tool: THREE.Matrix4,
  mount: WristMount = WRIST_CAMERA,
): THREE.PerspectiveCamera {
  if (camera.fov !== mount.fov || camera.near !== mount.near || camera.far !== mount.far) {
    camera.fov = mount.fov;
    camera.near = mount.near;
    camera.far = mount.far;
    camera.updateProjectionMatrix();
  }
  _p.set(mount.offset[0], mount.offset[1], mount.offset[2]).applyMatrix4(tool);
  _f.set(mount.forward[0], mount.forward[1], mount.forward[2]).transformDirection(tool);
  _u.set(mount.up[0], mount.up[1], mount.up[2]).transformDirection(tool);
  camera.position.copy(_p);
  camera.up.copy(_u);
  camera.lookAt(_f.add(_p));
  camera.updateMatrixWorld(true);
  return camera;
}

/** A new wrist camera for the tool frame `tool` (see updateWristCamera). */
export function makeWristCamera(tool: THREE.Matrix4, aspect = 1, mount: WristMount = WRIST_CAMERA): THREE.PerspectiveCamera {
  return updateWristCamera(new THREE.PerspectiveCamera(mount.fov, aspect, mount.near, mount.far), tool, mount);
}
