/**
 * Messages of an episode log, in Foxglove's well-known schemas (@foxglove/schemas' JSON Schemas: Foxglove's
 * Image, 3D, Plot, Raw Messages and Log panels read them as they are) plus two small schemas of this project's
 * own, for the arm command and the episode's outcome.
 *
 * Frames: `world` is the table frame (z up, metres); `ee` is the gripper's tool centre point; `object/ID` each
 * scene object; `camera/NAME` each camera (its images carry that frame id).
 */
import { CompressedImage, FrameTransforms, JointStates, Log, RawImage, SceneUpdate } from '@foxglove/schemas/jsonschema.js';
import type { FrameTransforms as FrameTransformsMsg, JointStates as JointStatesMsg, Log as LogMsg, SceneEntity, SceneUpdate as SceneUpdateMsg } from '@foxglove/schemas';
import { COLOUR_RGB, type CameraImage, type EeAction, type EePose, type SceneObject } from '../../../sim/types.js';
import { objectHeight } from '../../../sim/scene/geometry.js';
import type { SnapshotObject } from '../../../sim/tasks/types.js';

export interface Stamp {
  sec: number;
  nsec: number;
}

export const stamp = (ns: bigint): Stamp => ({ sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) });

export const SCHEMAS = { RawImage, CompressedImage, FrameTransforms, JointStates, Log, SceneUpdate } as const;

/** The arm command a driver chose at a step (this project's schema). */
export const ACTION_SCHEMA = {
  title: 'vla.EeAction',
  description: 'End-effector command of one control step: metres and radians per step in the world frame, gripper >= 0.5 closes',
  type: 'object',
  properties: {
    timestamp: { type: 'object', properties: { sec: { type: 'integer' }, nsec: { type: 'integer' } } },
    dx: { type: 'number' },
    dy: { type: 'number' },
    dz: { type: 'number' },
    dyaw: { type: 'number' },
    gripper: { type: 'number' },
  },
} as const;

/** The episode: its command, who drove, and (at its end) the outcome (this project's schema). */
export const EPISODE_SCHEMA = {
  title: 'vla.Episode',
  description: 'One episode of vla: the command, the seed (a live robot\'s episodes: their number from 0), who drove, and once it ended whether it succeeded and why',
  type: 'object',
  properties: {
    timestamp: { type: 'object', properties: { sec: { type: 'integer' }, nsec: { type: 'integer' } } },
    command: { type: 'string' },
    seed: { type: 'integer' },
    task: { type: 'string' },
    driver: { type: 'string' },
    phase: { type: 'string', enum: ['start', 'end'] },
    success: { type: ['boolean', 'null'] },
    reason: { type: ['string', 'null'] },
    steps: { type: ['integer', 'null'] },
  },
} as const;

/** Bytes as JSON-encoded Foxglove messages carry them: base64 text (their schemas' contentEncoding). */
export const base64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

export function rawImage(t: bigint, frameId: string, img: CameraImage): object {
  return { timestamp: stamp(t), frame_id: frameId, width: img.width, height: img.height, encoding: 'rgb8', step: img.width * 3, data: base64(img.rgb) };
}

export function pngImage(t: bigint, frameId: string, png: Uint8Array): object {
  return { timestamp: stamp(t), frame_id: frameId, data: base64(png), format: 'png' };
}

/** Yaw about world z as a quaternion (x, y, z, w). */
const yawQuaternion = (yaw: number) => ({ x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) });

/** world -> ee and world -> object/ID transforms (objects without a reported orientation get the identity). */
export function poseTransforms(t: bigint, ee: EePose, objects: readonly SnapshotObject[]): FrameTransformsMsg {
  const ts = stamp(t);
  const tf = (child: string, p: { x: number; y: number; z: number }, q: { x: number; y: number; z: number; w: number }) => ({
    timestamp: ts,
    parent_frame_id: 'world',
    child_frame_id: child,
    translation: { x: p.x, y: p.y, z: p.z },
    rotation: q,
  });
  return {
    transforms: [
      tf('ee', ee, yawQuaternion(ee.yaw)),
      ...objects.map((o) => tf(`object/${o.id}`, o.position, o.quaternion ?? { x: 0, y: 0, z: 0, w: 1 })),
    ],
  };
}

/** The arm's joint positions (rad) and the gripper's opening (0 closed .. 1 open) as foxglove.JointStates. */
export function jointStates(t: bigint, names: readonly string[], positions: readonly number[], gripperOpening: number): JointStatesMsg {
  return {
    timestamp: stamp(t),
    joints: [...names.map((name, i) => ({ name, position: positions[i] })), { name: 'gripper', position: gripperOpening }],
  };
}

export function actionMessage(t: bigint, a: EeAction): object {
  return { timestamp: stamp(t), dx: a.dx, dy: a.dy, dz: a.dz, dyaw: a.dyaw, gripper: a.gripper };
}

/** foxglove.Log at INFO (level 2) or, for a failure, WARNING (3): the command and outcome in the Log panel. */
export function logMessage(t: bigint, message: string, warning = false): LogMsg {
  return { timestamp: stamp(t), level: warning ? 3 : 2, message, name: 'vla', file: '', line: 0 };
}

/**
 * The scene's objects as foxglove.SceneUpdate entities, each locked to its `object/ID` frame (so /tf moves it):
 * balls as spheres, cubes as cubes, cylinders, bowls and plates as cylinders, in their colours.
 */
export function sceneUpdate(t: bigint, objects: readonly SceneObject[]): SceneUpdateMsg {
  const ts = stamp(t);
  const identity = { position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } };
  return {
    deletions: [{ timestamp: ts, type: 1, id: '' }],
    entities: objects.map((o): SceneEntity => {
      const [r, g, b] = COLOUR_RGB[o.colour];
      const size = { x: o.size, y: o.size, z: o.kind === 'ball' || o.kind === 'cube' ? o.size : objectHeight(o) };
      const primitive = { pose: identity, size, color: { r, g, b, a: 1 } };
      return {
        timestamp: ts,
        frame_id: `object/${o.id}`,
        id: o.id,
        lifetime: { sec: 0, nsec: 0 },
        frame_locked: true,
        metadata: [{ key: 'kind', value: o.kind }, { key: 'colour', value: o.colour }],
        arrows: [],
        cubes: o.kind === 'cube' ? [primitive] : [],
        spheres: o.kind === 'ball' ? [primitive] : [],
        cylinders: o.kind === 'ball' || o.kind === 'cube' ? [] : [{ ...primitive, bottom_scale: 1, top_scale: 1 }],
        lines: [],
        triangles: [],
        texts: [],
        models: [],
      };
    }),
  };
}
