/**
 * Data-parallel training (src/train/parallel/): two workers give the weights of one up to float rounding, the same
 * seed and worker count give the same weights bit for bit, batches rendered in parts equal the whole batch, rendering
 * the next step ahead changes no weight, a worker's error reaches the caller as one line, and checkpoints resume as
 * before.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/tf/backend.js';
import { loadPolicy, VlaPolicy } from '../../src/policy/index.js';
import { collectInProcess } from '../../src/train/collect.js';
import { loadEpisodes, splitSamples } from '../../src/train/TrainData.js';
import { planBatch, renderBatch, type BatchOptions } from '../../src/train/batch.js';
import { DataParallel, partSizes } from '../../src/train/parallel/DataParallel.js';
import { train } from '../../src/train/train.js';
import { Rng } from '../../sim/util/Rng.js';

const tiny = { imageSize: 32, supersampling: 1, patchSize: 8, width: 16, heads: 2, visionLayers: 1, languageLayers: 1, fusionLayers: 1, actionLayers: 1, stemChannels: 4, chunk: 4, patchLabels: true };
const steps = { steps: 4, batchSize: 7, warmupSteps: 1, checkpointEvery: 4, evalEvery: 4, logEvery: 2, paraphrase: 0.5, shiftPixels: 2 };
let data = '';

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
  data = mkdtempSync(join(tmpdir(), 'vla-parallel-data-'));
  collectInProcess({ out: data, tasks: ['pick', 'place'], episodes: 2, seed: 3, imageSize: 32, shard: { index: 0, count: 1 } });
});

/** Trains a fresh tiny policy and returns its weights, flat, in checkpoint order. */
async function trained(workers: number, out = mkdtempSync(join(tmpdir(), 'vla-parallel-out-'))): Promise<Float32Array> {
  await train({ data, out, policy: tiny, train: { ...steps, workers } });
  const p = loadPolicy(out);
  const w = p.getWeights();
  p.dispose();
  return Float32Array.from([...w.values()].flatMap((x) => [...x.data]));
}

describe('data-parallel training', () => {
  it('two workers end with the weights of one (float tolerance); the same seed and worker count, bit for bit', async () => {
    const one = await trained(1);
    const two = await trained(2);
    const again = await trained(2);
    expect(two.length).toBe(one.length);
    let worst = 0;
    let moved = 0;
    for (let i = 0; i < one.length; i++) worst = Math.max(worst, Math.abs(one[i]! - two[i]!));
    const fresh = new VlaPolicy(tiny);
    const start = Float32Array.from([...fresh.getWeights().values()].flatMap((x) => [...x.data]));
    fresh.dispose();
    for (let i = 0; i < one.length; i++) moved = Math.max(moved, Math.abs(one[i]! - start[i]!));
    expect(moved).toBeGreaterThan(1e-3); // training moved the weights (4 Adam steps of lr ~1e-3)
    expect(worst).toBeLessThan(2e-5);
    expect(Buffer.from(again.buffer).equals(Buffer.from(two.buffer))).toBe(true);
  }, 900_000);

  it('resumes a two-worker run from its checkpoint', async () => {
    const out = mkdtempSync(join(tmpdir(), 'vla-parallel-out-'));
    await train({ data, out, policy: tiny, train: { ...steps, workers: 2 } });
    await train({ data, out, policy: tiny, train: { ...steps, steps: 6, workers: 2 } });
    expect(JSON.parse(readFileSync(join(out, 'train-state.json'), 'utf8')).step).toBe(6);
    const logged = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step as number);
    expect(logged).toEqual([2, 4, 6]);
  }, 900_000);

  it('renders a batch in parts to the rows of the whole; splits samples into contiguous near-equal parts', () => {
    const policy = new VlaPolicy(tiny);
    const eps = loadEpisodes(data, policy.tokenizer, policy.config.maxWords);
    const refs = splitSamples(eps, 0, 0).train.slice(0, 9);
    const o: BatchOptions = { chunk: 4, maxWords: policy.config.maxWords, camera: 'scene', augment: true, shift: 2, groundingGrid: 4, labelGrid: 4, paraphrase: { p: 0.5, tokenizer: policy.tokenizer } };
    const plans = planBatch(eps.episodes, refs, o, new Rng(5));
    const whole = renderBatch(eps, plans, o);
    const a = renderBatch(eps, plans.slice(0, 4), o);
    const b = renderBatch(eps, plans.slice(4), o);
    expect([...a.images, ...b.images]).toEqual([...whole.images]);
    expect([...a.ground!.target, ...b.ground!.target]).toEqual([...whole.ground!.target]);
    expect([...a.labels!.kind, ...b.labels!.kind]).toEqual([...whole.labels!.kind]);
    expect([...a.tokens, ...b.tokens]).toEqual([...whole.tokens]);
    expect(eps.frames[0]!.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(partSizes(32, 2)).toEqual([16, 16]);
    expect(partSizes(7, 2)).toEqual([4, 3]);
    expect(partSizes(1, 2)).toEqual([1]);
    policy.dispose();
  });

  it('rendering the next step ahead gives the weights of rendering each step in turn, bit for bit; its error reaches the step that uses it', async () => {
    const policy = new VlaPolicy(tiny);
    const eps = loadEpisodes(data, policy.tokenizer, policy.config.maxWords);
    const refs = splitSamples(eps, 0, 0).train;
    const o: BatchOptions = { chunk: 4, maxWords: policy.config.maxWords, camera: 'scene', augment: true, shift: 2, groundingGrid: 4, labelGrid: 4 };
    const rng = new Rng(9);
    const batches = Array.from({ length: 4 }, (_, k) => planBatch(eps.episodes, refs.slice(k * 5, k * 5 + 5), o, rng));
    const run = async (mode: 'in turn' | 'ahead' | 'ahead, one wrong guess') => {
      const dp = await DataParallel.start({ policy, workers: 2, source: eps, batchOptions: o, lossOptions: {}, clipNorm: 1 });
      for (let k = 0; k < 3; k++) {
        const next = mode === 'in turn' ? undefined : mode === 'ahead, one wrong guess' && k === 0 ? batches[3] : batches[k + 1];
        await dp.step(batches[k]!, 1e-2, next);
      }
      const w = Float32Array.from(dp.trainingState().weights);
      await dp.close();
      return Buffer.from(w.buffer);
    };
    const inTurn = await run('in turn');
    expect((await run('ahead')).equals(inTurn)).toBe(true);
    expect((await run('ahead, one wrong guess')).equals(inTurn)).toBe(true);

    const dp = await DataParallel.start({ policy, workers: 2, source: eps, batchOptions: o, lossOptions: {}, clipNorm: 1 });
    const bad = [batches[1]![0]!, { ...batches[1]![1]!, t: 100_000 }]; // no frame there: worker 1 throws while rendering ahead
    expect(Number.isFinite(await dp.step(batches[0]!, 1e-3, bad))).toBe(true);
    const err = await dp.step(bad, 1e-3).then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(/^training worker 1: episode 0 step 100000: no frame kept there/);
    await dp.close();
    policy.dispose();
  }, 900_000);

  it('an error in a worker rejects the step with one line naming the worker, and closes cleanly', async () => {
    const policy = new VlaPolicy(tiny);
    const eps = loadEpisodes(data, policy.tokenizer, policy.config.maxWords);
    const o: BatchOptions = { chunk: 4, maxWords: policy.config.maxWords, camera: 'scene', augment: false };
    const dp = await DataParallel.start({ policy, workers: 2, source: eps, batchOptions: o, lossOptions: {}, clipNorm: 1 });
    const plans = planBatch(eps.episodes, [{ episode: 0, t: 0 }, { episode: 0, t: 1 }], o, new Rng(1));
    expect(Number.isFinite(await dp.step(plans, 1e-3))).toBe(true);
    const bad = [plans[0]!, { ...plans[1]!, t: 100_000 }]; // no frame there: worker 1 throws
    const err = await dp.step(bad, 1e-3).then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(/^training worker 1: episode 0 step 100000: no frame kept there/);
    expect(err?.message).not.toContain('\n');
    await dp.close();
    policy.dispose();
  }, 900_000);
});
