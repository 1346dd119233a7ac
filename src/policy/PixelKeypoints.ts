/**
 * Pixel keypoints (config.pixelKeypoints): where each word's object is, to about a pixel.
 *
 * The patch maps of the fusion layer find the object on an 8x8 grid; a patch is 8 pixels, about 12 cm of table,
 * and a grasp needs 1-2 cm. Here each word attends once more, over the conv stem's feature map in cells of 2x2
 * positions (a 32x32 grid at 64x64; the four positions' features side by side, so nothing is averaged away;
 * every position separately was 4x the cost for little more), with scaled dot-product scores (Vaswani et al. 2017,
 * one head), and the map's expected position (spatial soft-argmax, Levine et al. 2016) goes through a small MLP
 * into the word's token:
 *
 *     features [C*B, F, F, Cs] -> 2x2 cells [C*B, G*G, 4*Cs] -> key linear -> keys  [B, N, D]   (G = F/2, N = C*G*G)
 *     words    [B, L, E]       -> query linear                    -> queries [B, L, D]
 *     weights = softmax(queries keys^T / sqrt(D)) over N                      [B, L, N]
 *     keypoint = weights @ coords (x right, y down, in [-1, 1])               [B, L, 2]
 *     words + fc2(gelu(fc1(keypoint)))                                        [B, L, E]
 *
 * fc2 starts at zero, so adding the module to a trained policy changes nothing until it has learnt something. Its
 * map is taught directly by the pixel grounding loss (VlaPolicy.lossTerms: cross-entropy against the named
 * object's pixels from the segmentation).
 */
import * as tf from '../tf/tf.js';
import type { ResolvedPolicyConfig } from './config.js';
import { Dense, gelu, type ParamStore } from './blocks.js';
import { matMul2d } from '../tf/linalg.js';
import { patchify } from './encoders.js';

/** Width of the pixel keys and queries. */
export const PIXEL_KEY_DIM = 32;
/** Side of a cell of the stem's feature map, in feature positions (pixels without spaceToDepth). */
export const PIXEL_CELL = 2;

/** Cells per row and column of a policy's pixel keypoint maps (image side / spaceToDepth / PIXEL_CELL). */
export function pixelCellSide(c: Pick<ResolvedPolicyConfig, 'imageSize' | 'spaceToDepth'>): number {
  return c.imageSize / c.spaceToDepth / PIXEL_CELL;
}

export class PixelKeypoints {
  private readonly key: Dense;
  private readonly query: Dense;
  private readonly fc1: Dense;
  private readonly fc2: Dense;
  /** Cells per row and column of the map (image side / spaceToDepth / PIXEL_CELL). */
  readonly side: number;
  /** Cell centres in [-1, 1] (x right, y down), camera after camera: [C*G*G, 2] flat. */
  private readonly coords: Float32Array;

  constructor(store: ParamStore, private readonly config: ResolvedPolicyConfig) {
    const c = config;
    this.side = pixelCellSide(c);
    this.key = new Dense(store, 'fusion/pixel/key', PIXEL_CELL * PIXEL_CELL * c.stemChannels, PIXEL_KEY_DIM);
    this.query = new Dense(store, 'fusion/pixel/query', c.width, PIXEL_KEY_DIM);
    this.fc1 = new Dense(store, 'fusion/pixel/fc1', 2, c.width);
    this.fc2 = new Dense(store, 'fusion/pixel/fc2', c.width, c.width, 'zeros');
    const G = this.side;
    const n = G * G;
    this.coords = new Float32Array(c.cameras.length * n * 2);
    for (let i = 0; i < c.cameras.length * n; i++) {
      const p = i % n;
      this.coords[2 * i] = (((p % G) + 0.5) / G) * 2 - 1;
      this.coords[2 * i + 1] = ((Math.floor(p / G) + 0.5) / G) * 2 - 1;
    }
  }

  /** Positions per image (G*G). */
  get positions(): number {
    return this.side * this.side;
  }

  /**
   * @param words    [B, L, E] fused word tokens
   * @param features [C*B, F, F, Cs] the stem's feature maps, camera after camera (as VisionEncoder gets them)
   * @returns the words with their keypoints added [B, L, E], the maps [B, L, C*G*G] and the keypoints [B, L, 2]
   */
  apply(words: tf.Tensor, features: tf.Tensor): { words: tf.Tensor; weights: tf.Tensor; keypoints: tf.Tensor } {
    const [B, L] = words.shape as [number, number, number];
    const C = this.config.cameras.length;
    const N = C * this.positions;
    const Cs = PIXEL_CELL * PIXEL_CELL * features.shape[3]!;
    return tf.tidy(() => {
      const cells = patchify(features, PIXEL_CELL); // [C*B, G*G, 4*Cs']
      let f = tf.reshape(cells, [C, B, this.positions, Cs]); // [C, B, G*G, Cs]
      f = C === 1 ? tf.reshape(f, [B, N, Cs]) : tf.reshape(tf.transpose(f, [1, 0, 2, 3]), [B, N, Cs]); // [B, N, Cs]
      const keys = this.key.apply(f); // [B, N, D]
      const queries = this.query.apply(words); // [B, L, D]
      const scores = tf.mul(tf.matMul(queries, keys, false, true), 1 / Math.sqrt(PIXEL_KEY_DIM)); // [B, L, N]
      const weights = tf.softmax(scores); // [B, L, N], over the last axis
      const kp = tf.reshape(matMul2d(tf.reshape(weights, [B * L, N]), tf.tensor2d(this.coords, [N, 2])), [B, L, 2]); // [B, L, 2]
      return { words: tf.add(words, this.fc2.apply(gelu(this.fc1.apply(kp)))), weights, keypoints: kp }; // [B, L, E], [B, L, N], [B, L, 2]
    });
  }
}
