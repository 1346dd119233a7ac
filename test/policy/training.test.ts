/**
 * Training: the gradients our wasm-friendly ops use (conv stem, embedding gather) equal tf's own on cpu; the loss
 * on a hand-made batch; and a tiny model overfits a small synthetic "find the named coloured square" batch on
 * wasm (the loss falls at least 10x within a bounded number of Adam steps).
 */
import * as tf from '../../src/tf/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, withBackend } from '../../src/tf/backend.js';
import { VlaPolicy, conv2dSame, disposeInputs, gatherRows, observationsToInputs } from '../../src/policy/index.js';
import { TINY, observation, squaresBatch } from './helpers.js';

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
});

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

describe('gradients of the wasm-friendly ops', () => {
  it('conv2dSame and gatherRows have the gradients of tf.conv2d and tf.gather (cpu reference)', async () => {
    await withBackend('cpu', () => {
      tf.tidy(() => {
        const x = tf.randomNormal([2, 6, 5, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
        const w = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
        const g = tf.randomNormal([2, 6, 5, 4], 0, 1, 'float32', 3);
        const ref = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), g)))([x, w]);
        const ours = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv2dSame(a as tf.Tensor4D, b as tf.Tensor4D, true), g)))([x, w]);
        expect(maxAbsDiff(ref[0]!, ours[0]!)).toBeLessThan(1e-4);
        expect(maxAbsDiff(ref[1]!, ours[1]!)).toBeLessThan(1e-4);
        expect(maxAbsDiff(tf.conv2d(x, w, 1, 'same'), conv2dSame(x, w, true))).toBe(0);

        const table = tf.randomNormal([7, 5], 0, 1, 'float32', 4);
        const ids = tf.tensor2d([[1, 3, 3], [0, 6, 1]], [2, 3], 'int32');
        const dy = tf.randomNormal([2, 3, 5], 0, 1, 'float32', 5);
        const r = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), dy)))(table);
        const o = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gatherRows(t, ids), dy)))(table);
        expect(maxAbsDiff(r, o)).toBeLessThan(1e-5);
      });
    });
  });
});

describe('loss', () => {
  it('is L1 on normalised deltas plus gripper BCE over valid steps only', () => {
    const policy = new VlaPolicy({ ...TINY, chunk: 2 });
    const obs = observation(16, 'pick up the red ball', 1);
    tf.tidy(() => {
      const { inputs } = observationsToInputs([obs], policy.config, policy.tokenizer);
      const pred = policy.forward(inputs).actions.arraySync() as number[][][];
      const target = [[0.01, -0.02, 0.03, 0.1, 1], [5, 5, 5, 5, 0]]; // step 2 is past the episode's end
      const batch = { ...inputs, actions: tf.tensor3d([target]), actionValid: tf.tensor2d([[1, 0]]) };
      const terms = policy.lossTerms(batch, { training: false });
      const p = pred[0]![0]!;
      const l1 = [0, 1, 2, 3].reduce((s, d) => s + Math.abs(p[d]! - target[0]![d]!), 0) / 4; // identity stats
      const x = p[4]!;
      const bce = Math.max(x, 0) - x + Math.log1p(Math.exp(-Math.abs(x)));
      expect(terms.delta.dataSync()[0]).toBeCloseTo(l1, 5);
      expect(terms.gripper.dataSync()[0]).toBeCloseTo(bce, 5);
      expect(policy.loss(batch, { training: false }).dataSync()[0]).toBeCloseTo(l1 + bce, 5);
      expect(() => policy.loss({ ...batch, actions: tf.zeros([1, 3, 5]) })).toThrow('actions must be [1, 2, 5], got [1, 3, 5]');
    });
    policy.dispose();
  });
});

describe('overfitting a tiny batch', () => {
  it('Adam drives the loss down at least 10x', () => {
    const policy = new VlaPolicy({ ...TINY, seed: 1 });
    const { batch, stats } = squaresBatch(8, policy.tokenizer, policy.config.chunk, policy.config.maxWords);
    policy.setStats(stats);
    const optimizer = tf.train.adam(3e-3);
    const lossOf = () => tf.tidy(() => policy.loss(batch, { training: false }).dataSync()[0]!);
    const first = lossOf();
    const before = tf.memory().numTensors;
    let last = first;
    let steps = 0;
    for (; steps < 400 && last > first / 10; steps++) {
      last = tf.tidy(() => optimizer.minimize(() => policy.loss(batch), true, policy.trainableVariables)!.dataSync()[0]!);
    }
    last = lossOf();
    console.log(`overfit: loss ${first.toFixed(3)} -> ${last.toFixed(4)} in ${steps} Adam steps`);
    expect(last).toBeLessThan(first / 10);
    expect(tf.memory().numTensors - before).toBeLessThan(2 * policy.trainableVariables.length + 5); // Adam's slots only
    optimizer.dispose();
    disposeInputs(batch);
    policy.dispose();
  });
});

describe('grounding loss', () => {
  /** Where the named colour's square is: a one-hot over the 4x4 grid for word 3 ("red"/"blue") of each sample. */
  function groundingOf(batch: ReturnType<typeof squaresBatch>['batch'], n: number, L: number) {
    const img = batch.images.scene!.arraySync() as number[][][][];
    const tok = batch.tokens.arraySync() as number[][];
    const target = new Float32Array(n * L * 16);
    const weight = new Float32Array(n * L);
    for (let b = 0; b < n; b++) {
      const red = b % 2 === 0; // squaresBatch names red in even samples
      for (let cell = 0; cell < 16; cell++) {
        const px = img[b]![Math.floor(cell / 4) * 4 + 1]![(cell % 4) * 4 + 1]!;
        const isRed = px[0]! > 150 && px[2]! < 100;
        const isBlue = px[2]! > 150 && px[0]! < 100;
        if ((red && isRed) || (!red && isBlue)) target[(b * L + 3) * 16 + cell] = 1;
      }
      weight[b * L + 3] = tok[b]![3]! > 1 ? 1 : 0;
    }
    return { groundTarget: tf.tensor3d(target, [n, L, 16]), groundWeight: tf.tensor2d(weight, [n, L]) };
  }

  it('is the cross-entropy of the targets against the head-averaged map, and training on it moves the word\'s attention onto its object', () => {
    const policy = new VlaPolicy({ ...TINY, seed: 3 });
    const n = 8;
    const L = policy.config.maxWords;
    const { batch, stats } = squaresBatch(n, policy.tokenizer, policy.config.chunk, L);
    policy.setStats(stats);
    const g = groundingOf(batch, n, L);
    const full = { ...batch, ...g };
    // By hand: -log(mean over heads of word 3's weight on the named cell), averaged over the samples.
    const onTarget = () =>
      tf.tidy(() => {
        const w = tf.mean(policy.forward(batch).crossWeights[0]!, 1).arraySync() as number[][][]; // [B, L, 16]
        const t = g.groundTarget.arraySync() as number[][][];
        let ce = 0;
        let mass = 0;
        for (let b = 0; b < n; b++) {
          const cell = t[b]![3]!.indexOf(1);
          ce -= Math.log(w[b]![3]![cell]! + 1e-6);
          mass += w[b]![3]![cell]!;
        }
        return { ce: ce / n, mass: mass / n };
      });
    const before = onTarget();
    const terms = tf.tidy(() => {
      const t = policy.lossTerms(full, { training: false, groundingWeight: 2 });
      return { g: t.grounding.dataSync()[0]!, total: t.total.dataSync()[0]!, rest: tf.add(t.delta, t.gripper).dataSync()[0]! };
    });
    expect(terms.g).toBeCloseTo(before.ce, 4);
    expect(terms.total).toBeCloseTo(terms.rest + 2 * terms.g, 4);
    expect(before.mass).toBeLessThan(0.2); // about uniform (1/16) at init

    const optimizer = tf.train.adam(3e-3);
    for (let s = 0; s < 150; s++) {
      tf.tidy(() => {
        optimizer.minimize(() => policy.loss(full, { groundingWeight: 1 }), false, policy.trainableVariables);
      });
    }
    const after = onTarget();
    console.log(`grounding: mass on the named square ${before.mass.toFixed(3)} -> ${after.mass.toFixed(3)}`);
    expect(after.mass).toBeGreaterThan(0.5);
    optimizer.dispose();
    disposeInputs(full);
    policy.dispose();
  }, 900_000);

  it('attention keypoints add a per-head position projection that the actions depend on', () => {
    const withKp = new VlaPolicy({ ...TINY, seed: 5 });
    const without = new VlaPolicy({ ...TINY, seed: 5, attentionKeypoints: false });
    expect(withKp.namedVariables.has('fusion/keypoints/kernel')).toBe(true);
    expect(without.namedVariables.has('fusion/keypoints/kernel')).toBe(false);
    const obs = observation(16, 'pick up the red ball', 2);
    const a0 = withKp.act(obs);
    const k = withKp.namedVariables.get('fusion/keypoints/kernel')!;
    tf.tidy(() => k.assign(tf.mul(k, 50)));
    const a1 = withKp.act(obs);
    expect(Math.abs(a1[0]!.dx - a0[0]!.dx) + Math.abs(a1[0]!.dy - a0[0]!.dy)).toBeGreaterThan(1e-6);
    withKp.dispose();
    without.dispose();
  });
});

describe('action decoder', () => {
  it('adds the proprio token to the action queries: the actions follow proprioception and the memory is the words alone', () => {
    const p = new VlaPolicy({ ...TINY, seed: 9 });
    const obs = observation(16, 'pick up the red ball', 4);
    const moved = { ...obs, joints: obs.joints.map((j) => j + 0.5), eePose: { ...obs.eePose, x: obs.eePose.x + 0.2 } };
    const a = p.act(obs)[0]!;
    const b = p.act(moved)[0]!;
    expect(Math.abs(a.dx - b.dx) + Math.abs(a.dy - b.dy) + Math.abs(a.dz - b.dz)).toBeGreaterThan(1e-6);
    tf.tidy(() => {
      const { inputs } = observationsToInputs([obs], p.config, p.tokenizer);
      const out = p.forward(inputs, { keepAttention: true });
      expect(out.attention!.action[0]!.shape).toEqual([1, TINY.heads, TINY.chunk, TINY.maxWords]); // no proprio key
    });
    p.dispose();
  });
});
