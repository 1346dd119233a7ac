/**
 * spaceToDepth: f x f pixel blocks folded into channels before the stem. The fold must keep every pixel in the
 * patch it belongs to (a pixel changes its own patch token and no other), and the config must refuse a factor
 * that does not divide the image or the patch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../src/tf/tf.js';
import { selectBackend } from '../../src/tf/backend.js';
import { resolvePolicyConfig, VlaPolicy } from '../../src/policy/index.js';
import { ParamStore, INFERENCE } from '../../src/policy/blocks.js';
import { VisionEncoder } from '../../src/policy/encoders.js';
import { syntheticObservation } from '../../src/policy/bench.js';

let tensors = 0;
beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
  tensors = tf.memory().numTensors;
});
afterAll(() => {
  expect(tf.memory().numTensors).toBeLessThanOrEqual(tensors);
});

describe('spaceToDepth config', () => {
  it('defaults to 1 and must divide imageSize and patchSize', () => {
    expect(resolvePolicyConfig({}).spaceToDepth).toBe(1);
    expect(resolvePolicyConfig({ imageSize: 128, patchSize: 16, spaceToDepth: 2 }).spaceToDepth).toBe(2);
    expect(() => resolvePolicyConfig({ imageSize: 64, patchSize: 8, spaceToDepth: 3 })).toThrow(
      /spaceToDepth \(3\) must divide imageSize \(64\)[\s\S]*spaceToDepth \(3\) must divide patchSize \(8\)/,
    );
    expect(() => resolvePolicyConfig({ imageSize: 96, patchSize: 12, spaceToDepth: 8 })).toThrow(/must divide patchSize \(12\)/);
    expect(() => resolvePolicyConfig({ spaceToDepth: 0 })).toThrow(/spaceToDepth \(0\) must be a positive integer/);
  });
});

describe('VisionEncoder with spaceToDepth', () => {
  /** Patch tokens (no stem, no self-attention: each token is a function of its own patch only) of one image. */
  const tokensOf = (enc: VisionEncoder, img: Float32Array, S: number) =>
    tf.tidy(() => enc.apply(tf.tensor4d(img, [1, S, S, 3]), INFERENCE).tokens.arraySync() as number[][][]);

  it('a pixel moves only the token of the patch it lies in, and the stem-less fold keeps the patch vector length', () => {
    const S = 32;
    const config = resolvePolicyConfig({ imageSize: S, patchSize: 8, spaceToDepth: 2, convStem: false, visionLayers: 0, width: 16, heads: 2 });
    const store = new ParamStore(3);
    const enc = new VisionEncoder(store, config);
    expect(enc.patches).toBe(16);
    expect(enc.patchEmbed.w.shape).toEqual([8 * 8 * 3, 16]); // (p/f)^2 positions x 3 f^2 channels = p^2 * 3
    const base = new Float32Array(S * S * 3).map((_, i) => (i * 37) % 256);
    const before = tokensOf(enc, base, S)[0]!;
    // A pixel at row 13, column 21: patch row 1, patch column 2 -> patch 6; odd row and column inside its 2x2 block.
    const changed = base.slice();
    changed[(13 * S + 21) * 3 + 1] = 255 - changed[(13 * S + 21) * 3 + 1]!;
    const after = tokensOf(enc, changed, S)[0]!;
    const moved = before.map((tok, p) => tok.some((v, k) => Math.abs(v - after[p]![k]!) > 1e-5));
    expect(moved.map((m, p) => (m ? p : -1)).filter((p) => p >= 0)).toEqual([6]);
    store.dispose();
  });

  it('a 128x128 policy with f = 2 has the 8x8 grid of a 64x64 one and maps sum to 1', () => {
    const policy = new VlaPolicy({ imageSize: 128, patchSize: 16, spaceToDepth: 2, width: 32, heads: 2, visionLayers: 1, stemChannels: 8, chunk: 2 });
    const obs = syntheticObservation(policy.config);
    expect(policy.act(obs)).toHaveLength(2);
    const maps = policy.attentionMaps(obs);
    expect(maps.grid).toEqual([8, 8]);
    const m = maps.layers[0]![0]![0]!;
    expect(m).toHaveLength(64);
    expect(m.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    expect(policy.namedVariables.get('vision/stem/conv1/kernel')!.shape).toEqual([3, 3, 12, 8]);
    policy.dispose();
  });
});
