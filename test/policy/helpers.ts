/** Shared fixtures of the policy tests: tiny configs, observations, a synthetic "find the coloured square" task. */
import * as tf from '../../src/tf/tf.js';
import type { Observation } from '../../sim/types.js';
import { computeStats, type PolicyBatch, type PolicyConfig, type Tokenizer } from '../../src/policy/index.js';
import { Rng } from '../../sim/util/Rng.js';

/** A small model: 16x16 images in a 4x4 grid of 4x4 patches, width 32, one layer everywhere. */
export const TINY: Partial<PolicyConfig> = {
  imageSize: 16,
  patchSize: 4,
  stemChannels: 4,
  width: 32,
  heads: 2,
  visionLayers: 1,
  languageLayers: 1,
  fusionLayers: 1,
  actionLayers: 1,
  maxWords: 8,
  chunk: 4,
};

/** A seeded uniform [0, 1) generator (the project's mulberry32, sim/util/Rng.ts). */
export function prng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.nextFloat();
}

export function observation(size: number, command: string, seed = 1, cameras: readonly string[] = ['scene']): Observation {
  const rand = prng(seed);
  const images = Object.fromEntries(
    cameras.map((c) => [c, { width: size, height: size, rgb: Uint8Array.from({ length: size * size * 3 }, () => Math.floor(rand() * 256)) }]),
  );
  return {
    images,
    joints: [0.1, -0.2, 0.3, -0.4, 0.5].map((j) => j + rand() * 0.1),
    gripperOpening: rand(),
    holding: rand() > 0.5,
    eePose: { x: 0, y: 0, z: 0.2, yaw: 0 },
    command,
    step: 0,
  };
}

const COLOURS: Record<string, [number, number, number]> = { red: [220, 30, 30], blue: [30, 60, 230] };

/**
 * The synthetic task: a 16x16 image with dim noise, a red and a blue 4x4 square in two different cells of the 4x4
 * grid; the command names one colour; the target deltas point at that square's cell (dx from its column, dy from
 * its row), the gripper closes for red and opens for blue. The answer needs both the image and the word.
 */
export function squaresBatch(n: number, tokenizer: Tokenizer, chunk: number, maxWords: number, seed = 7) {
  const rand = prng(seed);
  const S = 16;
  const images = new Float32Array(n * S * S * 3);
  const ids = new Int32Array(n * maxWords);
  const mask = new Int32Array(n * maxWords);
  const proprio: number[][] = [];
  const actions: number[][] = [];
  const flatActions = new Float32Array(n * chunk * 5);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < S * S * 3; i++) images[b * S * S * 3 + i] = Math.floor(rand() * 60);
    const cellRed = Math.floor(rand() * 16);
    let cellBlue = Math.floor(rand() * 15);
    if (cellBlue >= cellRed) cellBlue += 1;
    const cells: Record<string, number> = { red: cellRed, blue: cellBlue };
    for (const [colour, cell] of Object.entries(cells)) {
      const r0 = Math.floor(cell / 4) * 4;
      const c0 = (cell % 4) * 4;
      for (let y = r0; y < r0 + 4; y++) for (let x = c0; x < c0 + 4; x++) images.set(COLOURS[colour]!, b * S * S * 3 + (y * S + x) * 3);
    }
    const colour = b % 2 === 0 ? 'red' : 'blue';
    const enc = tokenizer.encode(`pick up the ${colour} ball`, maxWords);
    ids.set(enc.ids, b * maxWords);
    mask.set(enc.mask, b * maxWords);
    const cell = cells[colour]!;
    const a = [((cell % 4) - 1.5) * 0.01, (Math.floor(cell / 4) - 1.5) * 0.01, -0.005, 0, colour === 'red' ? 1 : 0];
    for (let k = 0; k < chunk; k++) flatActions.set(a, (b * chunk + k) * 5);
    actions.push(a);
    proprio.push([0, 0, 0, 0, 0, 1, 0, 0, 0, 0.2, 0]);
  }
  const batch: PolicyBatch = {
    images: { scene: tf.tensor4d(images, [n, S, S, 3]) },
    tokens: tf.tensor2d(ids, [n, maxWords], 'int32'),
    tokenMask: tf.tensor2d(mask, [n, maxWords], 'int32'),
    proprio: tf.tensor2d(proprio.flat(), [n, 11]),
    actions: tf.tensor3d(flatActions, [n, chunk, 5]),
    actionValid: tf.ones([n, chunk]),
  };
  return { batch, stats: computeStats(actions, proprio) };
}
