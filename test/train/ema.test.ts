/**
 * The moving average of the weights (emaDecay): the average follows its formula over the trained weights of every
 * step, a run saves the average and keeps the trained weights for resuming, and a resumed run continues both.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/tf/backend.js';
import { loadPolicy, VlaPolicy } from '../../src/policy/index.js';
import { collectInProcess } from '../../src/train/collect.js';
import { loadEpisodes, splitSamples } from '../../src/train/TrainData.js';
import { planBatch, type BatchOptions } from '../../src/train/batch.js';
import { DataParallel } from '../../src/train/parallel/DataParallel.js';
import { WeightEma } from '../../src/train/parallel/WeightEma.js';
import { train } from '../../src/train/train.js';
import { Rng } from '../../sim/util/Rng.js';

const tiny = { imageSize: 32, supersampling: 1, patchSize: 8, width: 16, heads: 2, visionLayers: 1, languageLayers: 1, fusionLayers: 1, actionLayers: 1, stemChannels: 4, chunk: 4 };
let data = '';

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
  data = mkdtempSync(join(tmpdir(), 'vla-ema-data-'));
  collectInProcess({ out: data, tasks: ['pick'], episodes: 2, seed: 4, imageSize: 32, shard: { index: 0, count: 1 } });
});

const flat = (p: VlaPolicy) => Float32Array.from([...p.getWeights().values()].flatMap((x) => [...x.data]));
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

describe('WeightEma', () => {
  it('starts at the first weights, ramps its decay, then averages with the given one', () => {
    const e = new WeightEma(0.9, new Float32Array([100]));
    e.update(new Float32Array([1])); // the first update replaces the initial value
    expect(e.values[0]).toBe(1);
    expect(e.currentDecay).toBeCloseTo(2 / 11, 12); // (1 + t) / (10 + t) at t = 1
    e.update(new Float32Array([12]));
    expect(e.values[0]).toBeCloseTo(1 + (1 - 2 / 11) * 11, 5);
    for (let i = 0; i < 200; i++) e.update(new Float32Array([5]));
    expect(e.currentDecay).toBe(0.9);
    expect(e.values[0]).toBeCloseTo(5, 4);
    expect(() => new WeightEma(1, new Float32Array(1))).toThrow(/decay must be in \[0, 1\)/);
  });
});

describe('training with a moving average of the weights', () => {
  it('the policy it validates is the average of the trained weights after each step', async () => {
    const policy = new VlaPolicy(tiny);
    const eps = loadEpisodes(data, policy.tokenizer, policy.config.maxWords);
    const refs = splitSamples(eps, 0, 0).train;
    const o: BatchOptions = { chunk: 4, maxWords: policy.config.maxWords, camera: 'scene', augment: false };
    const dp = await DataParallel.start({ policy, workers: 1, source: eps, batchOptions: o, lossOptions: {}, clipNorm: 1, emaDecay: 0.5 });
    const rng = new Rng(2);
    let expected: Float32Array | null = null;
    for (let t = 0; t < 4; t++) {
      await dp.step(planBatch(eps.episodes, refs.slice(t * 4, t * 4 + 4), o, rng), 1e-2);
      const w = dp.trainingState().weights;
      const d = t === 0 ? 0 : Math.min(0.5, (1 + t) / (10 + t));
      expected = expected ? expected.map((e, i) => d * e + (1 - d) * w[i]!) : Float32Array.from(w);
    }
    dp.syncPolicy();
    const averaged = flat(policy);
    expect(maxDiff(averaged, expected!)).toBeLessThan(1e-6);
    expect(maxDiff(averaged, dp.trainingState().weights)).toBeGreaterThan(1e-4); // not the last step's weights
    expect(dp.trainingState().emaUpdates).toBe(4);
    await dp.close();
    policy.dispose();
  }, 900_000);

  it('saves the average, keeps the trained weights beside it, and a resumed run continues both', async () => {
    const out = mkdtempSync(join(tmpdir(), 'vla-ema-out-'));
    const o = { steps: 6, batchSize: 4, warmupSteps: 1, checkpointEvery: 3, evalEvery: 3, logEvery: 3, emaDecay: 0.9, workers: 1 };
    await train({ data, out, policy: tiny, train: o });
    const state = () => JSON.parse(readFileSync(join(out, 'train-state.json'), 'utf8')) as { step: number; emaUpdates: number };
    expect(state()).toMatchObject({ step: 6, emaUpdates: 6 });
    const trained = () => new Float32Array(readFileSync(join(out, 'train-weights.bin')).buffer.slice(0));
    const saved = () => {
      const p = loadPolicy(out);
      const w = flat(p);
      p.dispose();
      return w;
    };
    const before = { trained: trained(), saved: saved() };
    expect(before.trained.length).toBe(before.saved.length);
    expect(maxDiff(before.trained, before.saved)).toBeGreaterThan(1e-4);

    // Mark the trained weights (one weight set 3 away from the average) to see which ones the resumed run steps on.
    const marked = Float32Array.from(before.trained);
    const k = marked.length - 1;
    marked[k] = before.saved[k]! + 3;
    writeFileSync(join(out, 'train-weights.bin'), new Uint8Array(marked.buffer));
    await train({ data, out, policy: tiny, train: { ...o, steps: 9 } });
    expect(state()).toMatchObject({ step: 9, emaUpdates: 9 });
    const after = { trained: trained(), saved: saved() };
    // It stepped on from the trained weights (3 steps of Adam at lr <= 1e-3 move a weight by at most ~3e-3) ...
    expect(Math.abs(after.trained[k]! - marked[k]!)).toBeLessThan(0.01);
    // ... and the average went on from the saved one with its update count: updates 6, 7 and 8 keep d_t of it each.
    const kept = [6, 7, 8].reduce((a, t) => a * Math.min(0.9, (1 + t) / (10 + t)), 1);
    expect(after.saved[k]! - before.saved[k]!).toBeCloseTo(3 * (1 - kept), 1);

    rmSync(join(out, 'train-weights.bin'));
    await expect(train({ data, out, policy: tiny, train: { ...o, steps: 12 } })).rejects.toThrow(/train-weights.bin: not found; .*needs the trained ones to resume/);
  }, 900_000);

  it('without a decay, no average and no extra file', async () => {
    const out = mkdtempSync(join(tmpdir(), 'vla-ema-out-'));
    await train({ data, out, policy: tiny, train: { steps: 2, batchSize: 4, warmupSteps: 1, checkpointEvery: 2, evalEvery: 2, logEvery: 1, workers: 1 } });
    expect(existsSync(join(out, 'train-weights.bin'))).toBe(false);
    expect(JSON.parse(readFileSync(join(out, 'train-state.json'), 'utf8')).emaUpdates).toBeNull();
  }, 900_000);
});
