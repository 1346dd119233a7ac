/**
 * pixelKeypoints: each word attends over 2x2-pixel cells of the conv stem's feature map; the map's expected position
 * is added to the word through an MLP whose last layer starts at zero. Trained by the pixel grounding loss, the
 * word's map lands on the object it names.
 */
import * as tf from '../../src/tf/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/tf/backend.js';
import { VlaPolicy, observationsToInputs, resolvePolicyConfig, type PolicyBatch } from '../../src/policy/index.js';
import { TINY, observation, squaresBatch } from './helpers.js';

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
});

function forwardOf(p: VlaPolicy): { actions: Float32Array; pixel: number[][][] | null } {
  let result: { actions: Float32Array; pixel: number[][][] | null } = { actions: new Float32Array(), pixel: null };
  tf.tidy(() => {
    const { inputs } = observationsToInputs([observation(16, 'put the red ball in the bowl', 3)], p.config, p.tokenizer);
    const out = p.forward(inputs);
    result = { actions: out.actions.dataSync() as Float32Array, pixel: out.pixelWeights ? (out.pixelWeights.arraySync() as number[][][]) : null };
  });
  return result;
}

/** Pixel targets for squaresBatch: the named square's 4x4 pixels are 2x2 cells of the 8x8 cell grid. */
function squareTargets(batch: PolicyBatch, L: number): { target: Float32Array; weight: Float32Array } {
  const img = batch.images.scene!.arraySync() as number[][][][]; // [B, 16, 16, 3]
  const ids = batch.tokens.arraySync() as number[][];
  const B = img.length;
  const target = new Float32Array(B * L * 64);
  const weight = new Float32Array(B * L);
  for (let b = 0; b < B; b++) {
    const red = b % 2 === 0; // squaresBatch: even samples name red, odd blue
    const cells: number[] = [];
    for (let y = 0; y < 16; y += 2) {
      for (let x = 0; x < 16; x += 2) {
        const [r, , bl] = img[b]![y]![x]!;
        if ((red && r! > 200) || (!red && bl! > 200)) cells.push((y / 2) * 8 + x / 2);
      }
    }
    expect(cells.length).toBe(4);
    const colourAt = 3; // "pick up the <colour> ball"
    expect(ids[b]![colourAt]).toBeGreaterThan(1);
    weight[b * L + colourAt] = 1;
    for (const c of cells) target[(b * L + colourAt) * 64 + c] = 1 / 4;
  }
  return { target, weight };
}

describe('pixelKeypoints', () => {
  it('is validated: it needs the conv stem and an even feature map', () => {
    expect(() => resolvePolicyConfig({ pixelKeypoints: true, convStem: false })).toThrow(/pixelKeypoints \(true\) needs convStem/);
    expect(() => resolvePolicyConfig({ imageSize: 18, patchSize: 6, spaceToDepth: 2, pixelKeypoints: true })).toThrow(/needs an even feature map: imageSize \/ spaceToDepth \(18 \/ 2\)/);
    expect(() => resolvePolicyConfig({ pixelKeypoints: 1 as unknown as boolean })).toThrow(/pixelKeypoints \(1\) must be true or false/);
    expect(resolvePolicyConfig({}).pixelKeypoints).toBe(false);
  });

  it('gives each word a distribution over the cells, and starts as the model without it (last layer zero)', () => {
    const on = new VlaPolicy({ ...TINY, seed: 5, pixelKeypoints: true });
    const off = new VlaPolicy({ ...TINY, seed: 5 });
    const a = forwardOf(on);
    const b = forwardOf(off);
    expect(b.pixel).toBeNull();
    const maps = a.pixel!; // [1, L, 64]: 16x16 image -> 8x8 cells
    expect(maps[0]!.length).toBe(TINY.maxWords);
    for (const row of maps[0]!) {
      expect(row.length).toBe(64);
      expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    }
    expect(Array.from(a.actions)).toEqual(Array.from(b.actions));
    // With the last layer non-zero, the keypoint moves the actions (random: a constant column is a shift that the
    // LayerNorm after it removes).
    tf.tidy(() => {
      const v = on.namedVariables.get('fusion/pixel/fc2/kernel')!;
      v.assign(tf.randomNormal(v.shape, 0, 0.1, 'float32', 1));
    });
    const moved = forwardOf(on).actions;
    expect(Math.max(...moved.map((v, i) => Math.abs(v - b.actions[i]!)))).toBeGreaterThan(1e-4);
    on.dispose();
    off.dispose();
  });

  it('appear in attentionMaps per real word, over the cell grid, each summing to 1', () => {
    const p = new VlaPolicy({ ...TINY, seed: 2, pixelKeypoints: true });
    const maps = p.attentionMaps(observation(16, 'pick up the red ball', 2));
    expect(maps.pixel!.grid).toEqual([8, 8]);
    expect(maps.pixel!.words).toHaveLength(maps.words.length);
    for (const m of maps.pixel!.words) {
      expect(m.length).toBe(64);
      expect(m.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
    }
    const plain = new VlaPolicy({ ...TINY, seed: 2 });
    expect(plain.attentionMaps(observation(16, 'pick up the red ball', 2)).pixel).toBeUndefined();
    p.dispose();
    plain.dispose();
  });

  it('learns from the pixel grounding loss to put the colour word\'s map on the named square', () => {
    const policy = new VlaPolicy({ ...TINY, seed: 3, pixelKeypoints: true });
    const L = TINY.maxWords!;
    const { batch, stats } = squaresBatch(16, policy.tokenizer, TINY.chunk!, L, 11);
    policy.setStats(stats);
    const t = squareTargets(batch, L);
    batch.pixelTarget = tf.tensor3d(t.target, [16, L, 64]);
    batch.pixelWeight = tf.tensor2d(t.weight, [16, L]);
    const pixelLoss = () => tf.tidy(() => policy.lossTerms(batch, { training: false, pixelWeight: 1 }).pixel.dataSync()[0]!);
    const before = pixelLoss();
    expect(before).toBeGreaterThan(Math.log(64) - 0.7); // about uniform over the 64 cells
    const opt = tf.train.adam(1e-2);
    for (let i = 0; i < 60; i++) {
      tf.tidy(() => {
        opt.minimize(() => policy.lossTerms(batch, { training: true, pixelWeight: 1 }).pixel, false, policy.trainableVariables);
      });
    }
    const after = pixelLoss();
    expect(after).toBeLessThan(before - 2);
    // On new scenes, the colour word's map puts most of its mass on the named square's cells.
    const test = squaresBatch(8, policy.tokenizer, TINY.chunk!, L, 99);
    const tt = squareTargets(test.batch, L);
    const maps = tf.tidy(() => policy.forward(test.batch).pixelWeights!.dataSync() as Float32Array); // [8, L, 64]
    let onTarget = 0;
    for (let b = 0; b < 8; b++) for (let c = 0; c < 64; c++) if (tt.target[(b * L + 3) * 64 + c]! > 0) onTarget += maps[(b * L + 3) * 64 + c]!;
    expect(onTarget / 8).toBeGreaterThan(0.5); // uniform: 4 / 64
    opt.dispose();
    policy.dispose();
  }, 60_000);
});
