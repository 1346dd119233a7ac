/**
 * Relative keypoints (config.relativeKeypoints): where each word's object is *relative to the gripper*, in the image.
 *
 * Why: traced failures of the shipped policy came down beside the object (pick, place) or beside the line of the
 * push, 3-8 cm off, and failed; successes came down within 1-2 cm (a scratch measurement in
 * models/default/EXPERIMENTS.md). The keypoints say where the object is in the image and the proprioception says
 * where the gripper is on the table, but the action decoder had to learn the camera's projection to compare the two,
 * and did so only to a few cm. Here the comparison is made explicit: the gripper's point (x, y from the end-effector
 * pose, at the height of an object's middle) is projected into the camera image with the camera's own pose
 * (CAMERA_PRESETS; a fixed, calibrated camera, as hand-eye calibration gives on a real arm), and subtracted from
 * each keypoint of the word:
 *
 *     ee (x, y) from the raw proprioception [B, 2] -> [x, y, z0, 1] @ (projection * view)^T -> / w -> eePix [B, 2]
 *     keypoints [B, L, M, 2] (M = heads of the patch maps, + 1 with pixel keypoints) - eePix   -> rel [B, L, 2M]
 *     words + fc2(gelu(fc1(rel)))                                                            [B, L, E]
 *
 * "Image-based visual servoing" in the sense of Hutchinson, Hager & Corke (1996, "A tutorial on visual servo
 * control"): the error is measured in the image, between where the tool is and where it should be. fc2 starts at
 * zero, so adding the module to a trained policy changes nothing until it has learnt something.
 */
import * as tf from '../tf/tf.js';
import { CAMERA_PRESETS, makeCamera, type CameraName } from '../../sim/render/cameras.js';
import type { ResolvedPolicyConfig } from './config.js';
import { Dense, gelu, type ParamStore } from './blocks.js';

/** Height (m above the table) of the gripper's point that is projected: the middle of a typical object. */
export const RELATIVE_POINT_HEIGHT = 0.02;

/**
 * The camera's projection * view matrix as a [4, 4] row-major array, transposed for `row vector @ M`:
 * [x, y, z, 1] @ M = clip coordinates (x, y, z, w); x / w right, y / w up, in [-1, 1] inside the image.
 */
export function cameraMatrix(camera: CameraName): Float32Array {
  const cam = makeCamera(CAMERA_PRESETS[camera], 1);
  const m = cam.projectionMatrix.clone().multiply(cam.matrixWorldInverse); // three: column-major elements
  // Column-major elements of m are the rows of m^T, which is what `row vector @ M` needs.
  return Float32Array.from(m.elements);
}

export class RelativeKeypoints {
  private readonly fc1: Dense;
  private readonly fc2: Dense;
  /** [4, 4] for row vectors (see cameraMatrix). */
  private readonly matrix: Float32Array;

  /** @param points keypoints per word (M): heads of the patch maps (+ 1 for pixel keypoints) */
  constructor(store: ParamStore, private readonly config: ResolvedPolicyConfig, readonly points: number) {
    this.matrix = cameraMatrix(config.cameras[0] as CameraName);
    this.fc1 = new Dense(store, 'fusion/relative/fc1', 2 * points, config.width);
    this.fc2 = new Dense(store, 'fusion/relative/fc2', config.width, config.width, 'zeros');
  }

  /**
   * Where the gripper's point is in the image: x right, y down, in [-1, 1] (the keypoints' convention).
   * @param proprio [B, proprioDim] raw (not normalised); the end-effector pose is its last 4 numbers (x, y, z, yaw)
   * @returns [B, 2]
   */
  gripperPixel(proprio: tf.Tensor): tf.Tensor {
    const [B, D] = proprio.shape as [number, number];
    return tf.tidy(() => {
      const xy = tf.slice(tf.cast(proprio, 'float32'), [0, D - 4], [B, 2]); // [B, 2] world x, y
      const h = tf.concat([xy, tf.fill([B, 1], RELATIVE_POINT_HEIGHT), tf.ones([B, 1])], 1); // [B, 4]
      const clip = tf.matMul(h, tf.tensor2d(this.matrix, [4, 4])); // [B, 4]
      const w = tf.slice(clip, [0, 3], [B, 1]); // [B, 1]
      const ndc = tf.div(tf.slice(clip, [0, 0], [B, 2]), w); // [B, 2], y up
      return tf.mul(ndc, tf.tensor2d([[1, -1]])); // [B, 2], y down
    });
  }

  /**
   * @param words     [B, L, E] fused word tokens
   * @param keypoints [B, L, 2M] each word's keypoints (x, y pairs)
   * @param proprio   [B, proprioDim] raw proprioception
   * @returns [B, L, E] the words with the embedded relative keypoints added
   */
  apply(words: tf.Tensor, keypoints: tf.Tensor, proprio: tf.Tensor): tf.Tensor {
    const [B, L] = words.shape as [number, number, number];
    const M = this.points;
    return tf.tidy(() => {
      const ee = tf.reshape(this.gripperPixel(proprio), [B, 1, 1, 2]); // [B, 1, 1, 2]
      const rel = tf.reshape(tf.sub(tf.reshape(keypoints, [B, L, M, 2]), ee), [B, L, 2 * M]); // [B, L, 2M]
      return tf.add(words, this.fc2.apply(gelu(this.fc1.apply(rel)))); // [B, L, E]
    });
  }
}
