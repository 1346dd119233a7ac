/**
 * Property tests of the attention library (sdpa, additive, MultiHeadAttention with 'dot' and 'additive' scores)
 * on random, seeded inputs, on the wasm and the cpu backend:
 * - weights are >= 0 and sum to 1 over keys; MHA weights equal softmax of per-head scores computed independently;
 * - causal weights above the diagonal are exactly 0; masked keys (allow masks, MHA keyPaddingMask with 1 =
 *   padding) get exactly 0 weight; a fully masked row gives zero weights and zero output (MHA: output = bo);
 * - logits of ~1e4 give no NaN/Inf in outputs, weights and MHA gradients;
 * - self-attention without positions is permutation-equivariant;
 * - MHA gradients (every entry of every variable, and the input) match central finite differences;
 * - setWeights round-trips getWeights and rejects wrong shapes, lengths and names with precise messages;
 * - config validation names the field and does not mutate the caller's (frozen) object;
 * - cross-attention shapes; no tensor leaks.
 */
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import * as tf from '../../src/tf/tf.js';
import { MultiHeadAttention, additiveAttention, additiveScores, scaledDotProductAttention } from '../../src/attention/index.js';
import type { AdditiveParams, MultiHeadAttentionConfig, ScoreKind } from '../../src/attention/index.js';
import { selectBackend } from '../../src/tf/backend.js';
import { Rng } from '../../sim/util/Rng.js';

const KINDS: ScoreKind[] = ['dot', 'additive'];

/** A seeded uniform [0, 1) generator (the project's mulberry32, sim/util/Rng.ts). */
function prng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.nextFloat();
}
const randn = (shape: number[], seed: number, scale = 1) =>
  tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), scale));
/** 0/1 allow mask with at least one 1 in every row (last axis). */
function randomMask(shape: number[], seed: number, p = 0.5): tf.Tensor {
  const rand = prng(seed);
  const n = shape.at(-1)!;
  const data = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (rand() < p ? 1 : 0));
  for (let r = 0; r < data.length / n; r++) data[r * n + Math.floor(rand() * n)] = 1;
  return tf.tensor(data, shape, 'float32');
}
const additiveParams = (dq: number, dk: number, da: number, seed: number, vaScale = 1): AdditiveParams => ({
  wq: randn([dq, da], seed, 0.5), wk: randn([dk, da], seed + 1, 0.5), b: randn([da], seed + 2, 0.3), va: randn([da], seed + 3, vaScale),
});
/** Disposes `x` when the current test ends (passed or failed). */
const track = <T extends { dispose(): void }>(x: T): T => (onTestFinished(() => x.dispose()), x);
/** A layer with every parameter random (biases included), so no term is trivially zero; disposed after the test. */
function makeLayer(config: Partial<MultiHeadAttentionConfig> & { scoreKind: ScoreKind }, seed = 1, scale = 0.6) {
  const layer = track(new MultiHeadAttention({ embedDim: 8, numHeads: 2, seed, ...config }));
  const rand = prng(seed + 1000);
  const w = Object.entries(layer.getWeights()).map(([n, { shape, data }]) => [n, { shape, data: Array.from(data, () => (2 * rand() - 1) * scale) }]);
  layer.setWeights(Object.fromEntries(w));
  return layer;
}
/** Runs fn(layer) in a tidy scope. */
const using = (layer: MultiHeadAttention, fn: (l: MultiHeadAttention) => void) => tf.tidy(() => fn(layer));
/**
 * Checks weights [..., Tq, Tk] against an allow pattern broadcastable to them (null = all allowed): masked entries
 * are exactly 0, allowed ones > 0 (>= 0 if !positive), rows with an allowed key sum to 1, other rows to 0.
 */
function expectValidWeights(weights: tf.Tensor, allow: tf.Tensor | null, what: string, positive = true): void {
  const w = weights.dataSync();
  const a = allow ? tf.tidy(() => tf.broadcastTo(allow, weights.shape)).dataSync() : null;
  const tk = weights.shape.at(-1)!;
  for (let r = 0; r < w.length / tk; r++) {
    let [sum, allowed] = [0, 0];
    for (let j = r * tk; j < (r + 1) * tk; j++) {
      if (a && a[j] === 0) expect(w[j], `${what}: masked weight at ${j}`).toBe(0);
      else expect(w[j], `${what}: weight at ${j}`)[positive ? 'toBeGreaterThan' : 'toBeGreaterThanOrEqual'](0);
      allowed += a ? a[j]! : 1;
      sum += w[j]!;
    }
    expect(Math.abs(sum - (allowed > 0 ? 1 : 0)), `${what}: row ${r} sums to ${sum}`).toBeLessThan(1e-5);
  }
}
const causalAllow = (tq: number, tk: number) => tf.linalg.bandPart(tf.ones([tq, tk]), -1, 0);
const padAllow = (pad: tf.Tensor) => tf.reshape(tf.sub(1, pad), [pad.shape[0]!, 1, 1, pad.shape[1]!]);
const maxAbs = (t: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(t)).dataSync()[0]!);
function expectClose(a: tf.Tensor, b: tf.Tensor, tol: number, what: string): void {
  expect(a.shape, what).toEqual(b.shape);
  expect(maxAbs(tf.sub(a, b)), `${what}: max |diff|`).toBeLessThanOrEqual(tol);
}
const allFinite = (...ts: tf.Tensor[]) => ts.every((t) => t.dataSync().every(Number.isFinite));

/** Scores [B, H, T, T] of every head of a self-attention layer, computed without MultiHeadAttention.apply. */
function headScores(layer: MultiHeadAttention, x: tf.Tensor): tf.Tensor {
  const [B, T, E] = x.shape as [number, number, number];
  const { numHeads: H, scoreKind } = layer.config;
  const dh = layer.headDim;
  const v = (n: 'wq' | 'bq' | 'wk' | 'bk' | 'aq' | 'ak' | 'ab' | 'av') => layer.namedVariables.get(n)!;
  const proj = (w: tf.Tensor, b: tf.Tensor) =>
    tf.transpose(tf.reshape(tf.add(tf.matMul(tf.reshape(x, [B * T, E]), w), b), [B, T, H, dh]), [2, 0, 1, 3]); // [H, B, T, dh]
  const [q, k] = [proj(v('wq'), v('bq')), proj(v('wk'), v('bk'))];
  if (scoreKind === 'dot') return tf.transpose(tf.div(tf.matMul(q, k, false, true), Math.sqrt(dh)), [1, 0, 2, 3]);
  const pick = (t: tf.Tensor, h: number) => tf.squeeze(tf.slice(t, [h], [1]), [0]);
  const perHead = Array.from({ length: H }, (_, h) =>
    additiveScores(pick(q, h), pick(k, h), { wq: pick(v('aq'), h), wk: pick(v('ak'), h), b: pick(v('ab'), h), va: pick(v('av'), h) }),
  );
  return tf.stack(perHead, 1); // [B, H, T, T]
}

describe.each(['wasm', 'cpu'] as const)('attention properties on %s', (backend) => {
  beforeAll(async () => {
    await selectBackend({ flag: backend, log: null });
  });

  describe('weights sum to 1 over keys', () => {
    it.each([[[2, 5, 6]], [[2, 3, 4, 7]]])('sdpa and additive, q shape %j', (qShape) => {
      tf.tidy(() => {
        const kShape = [...qShape.slice(0, -2), 9, qShape.at(-1)!];
        for (const seed of [1, 2, 3]) {
          const [q, k, v] = [randn(qShape, seed, 2), randn(kShape, seed + 10, 2), randn(kShape, seed + 20)];
          expectValidWeights(scaledDotProductAttention(q, k, v).weights, null, 'sdpa');
          const p = additiveParams(qShape.at(-1)!, kShape.at(-1)!, 5, seed + 30);
          expectValidWeights(additiveAttention(q, k, v, p).weights, null, 'additive');
        }
      });
    });
    it.each(KINDS)('MultiHeadAttention %s (and weights = softmax of independently computed head scores)', (scoreKind) => {
      using(makeLayer({ scoreKind }), (layer) => {
        const x = randn([3, 6, 8], 5, 2);
        const r = layer.apply(x, x, x);
        expect(r.weights.shape).toEqual([3, 2, 6, 6]);
        expectValidWeights(r.weights, null, scoreKind);
        expectClose(r.weights, tf.softmax(headScores(layer, x)), 1e-5, 'weights vs reference');
      });
    });
  });

  describe('causal: weights above the diagonal are exactly 0', () => {
    it.each([[6, 6], [4, 9], [9, 4]])('sdpa and additive, Tq=%i Tk=%i', (tq, tk) => {
      tf.tidy(() => {
        const [q, k, v] = [randn([2, tq, 4], 11, 2), randn([2, tk, 4], 12, 2), randn([2, tk, 3], 13)];
        const allow = causalAllow(tq, tk);
        expectValidWeights(scaledDotProductAttention(q, k, v, { causal: true }).weights, allow, 'sdpa');
        expectValidWeights(additiveAttention(q, k, v, additiveParams(4, 4, 6, 14), { causal: true }).weights, allow, 'additive');
      });
    });
    it.each(KINDS)('MultiHeadAttention %s', (scoreKind) => {
      using(makeLayer({ scoreKind }), (layer) => {
        const x = randn([2, 7, 8], 15, 2);
        expectValidWeights(layer.apply(x, x, x, { causal: true }).weights, causalAllow(7, 7), scoreKind);
      });
    });
  });

  describe('masked keys get exactly 0 weight', () => {
    it.each([[[2, 5, 8]], [[5, 8]], [[2, 1, 8]]])('sdpa and additive, mask shape %j', (maskShape) => {
      tf.tidy(() => {
        const [q, k, v] = [randn([2, 5, 4], 21, 2), randn([2, 8, 4], 22, 2), randn([2, 8, 3], 23)];
        const mask = randomMask(maskShape, 24, 0.4);
        expectValidWeights(scaledDotProductAttention(q, k, v, { mask }).weights, mask, 'sdpa');
        expectValidWeights(additiveAttention(q, k, v, additiveParams(4, 4, 6, 25), { mask }).weights, mask, 'additive');
        const both = tf.mul(mask, causalAllow(5, 8));
        expectValidWeights(scaledDotProductAttention(q, k, v, { mask, causal: true }).weights, both, 'sdpa mask+causal');
      });
    });
    it.each(KINDS)('MultiHeadAttention %s: mask [B,Tq,Tk], mask [Tq,Tk], keyPaddingMask (1 = padding)', (scoreKind) => {
      using(makeLayer({ scoreKind }), (layer) => {
        const x = randn([2, 6, 8], 26, 2);
        const m3 = randomMask([2, 6, 6], 27, 0.4);
        expectValidWeights(layer.apply(x, x, x, { mask: m3 }).weights, tf.expandDims(m3, 1), 'mask [B,Tq,Tk]');
        const m2 = randomMask([6, 6], 28, 0.4);
        expectValidWeights(layer.apply(x, x, x, { mask: m2 }).weights, m2, 'mask [Tq,Tk]');
        const pad = tf.tensor([[0, 0, 1, 0, 1, 1], [1, 0, 0, 0, 0, 0]]);
        expectValidWeights(layer.apply(x, x, x, { keyPaddingMask: pad }).weights, padAllow(pad), 'padding');
        const boolPad = layer.apply(x, x, x, { keyPaddingMask: tf.cast(pad, 'bool'), causal: true }).weights;
        expectValidWeights(boolPad, tf.mul(padAllow(pad), causalAllow(6, 6)), 'bool padding + causal');
      });
    });
  });

  describe('a fully masked row: zero weights, zero output, never NaN', () => {
    it('sdpa and additive', () => {
      tf.tidy(() => {
        const [q, k] = [randn([2, 4, 4], 31, 2), randn([2, 5, 4], 32, 2)];
        const v = tf.add(randn([2, 5, 3], 33), 4); // far from 0, so a zero output row is no accident
        const m = randomMask([2, 4, 5], 34).arraySync() as number[][][];
        m[1]![2] = [0, 0, 0, 0, 0];
        const mask = tf.tensor(m);
        for (const r of [scaledDotProductAttention(q, k, v, { mask }), additiveAttention(q, k, v, additiveParams(4, 4, 6, 35), { mask })]) {
          expectValidWeights(r.weights, mask, 'fully masked');
          const out = r.output.arraySync() as number[][][];
          expect(out[1]![2]).toEqual([0, 0, 0]);
          expect(Math.abs(out[1]![1]![0]!)).toBeGreaterThan(1);
          expect(allFinite(r.output, r.weights)).toBe(true);
        }
      });
    });
    it.each(KINDS)('MultiHeadAttention %s: output of a fully masked query is bo', (scoreKind) => {
      using(makeLayer({ scoreKind }), (layer) => {
        const x = randn([2, 4, 8], 36, 2);
        const pad = tf.tensor([[0, 1, 0, 0], [1, 1, 1, 1]]); // batch 1: every key is padding
        const r = layer.apply(x, x, x, { keyPaddingMask: pad });
        expect(allFinite(r.output, r.weights)).toBe(true);
        expectValidWeights(r.weights, padAllow(pad), scoreKind);
        const bo = layer.namedVariables.get('bo')!;
        expectClose(tf.slice(r.output, [1, 0, 0], [1, 4, 8]), tf.broadcastTo(bo, [1, 4, 8]), 1e-6, 'batch 1 = bo');
      });
    });
  });

  describe('numerical stability with logits ~1e4', () => {
    it('sdpa and additive', () => {
      tf.tidy(() => {
        const [q, k, v] = [randn([2, 6, 8], 41, 60), randn([2, 10, 8], 42, 60), randn([2, 10, 3], 43)];
        const mask = randomMask([2, 6, 10], 44);
        expect(maxAbs(tf.matMul(q, k, false, true)) / Math.sqrt(8)).toBeGreaterThan(5e3);
        for (const opts of [{}, { mask }, { causal: true }]) {
          const r = scaledDotProductAttention(q, k, v, opts);
          expect(allFinite(r.output, r.weights)).toBe(true);
          expectValidWeights(r.weights, opts.causal ? causalAllow(6, 10) : (opts.mask ?? null), 'sdpa large', false);
        }
        const p = additiveParams(8, 8, 8, 45, 3000);
        expect(maxAbs(additiveScores(q, k, p))).toBeGreaterThan(5e3);
        const r = additiveAttention(q, k, v, p, { mask });
        expect(allFinite(r.output, r.weights)).toBe(true);
        expectValidWeights(r.weights, mask, 'additive large', false);
      });
    });
    it.each(KINDS)('MultiHeadAttention %s: outputs, weights and gradients are finite', (scoreKind) => {
      const layer = makeLayer({ scoreKind }, 2, scoreKind === 'dot' ? 60 : 0.6);
      if (scoreKind === 'additive') layer.setWeights({ av: Array.from({ length: 8 }, (_, i) => (i % 3 ? 5000 : -5000)) });
      using(layer, (l) => {
        const x = randn([2, 5, 8], 46, scoreKind === 'dot' ? 1 : 3);
        expect(maxAbs(headScores(l, x))).toBeGreaterThan(5e3);
        const [R, pad] = [randn([2, 5, 8], 47), tf.tensor([[0, 0, 0, 1, 0], [0, 1, 0, 0, 0]])];
        const loss = (xx: tf.Tensor) => tf.sum(tf.mul(l.apply(xx, xx, xx, { keyPaddingMask: pad }).output, R)) as tf.Scalar;
        const r = l.apply(x, x, x, { keyPaddingMask: pad });
        expect(allFinite(r.output, r.weights)).toBe(true);
        expectValidWeights(r.weights, padAllow(pad), 'mha large', false);
        const { value, grads } = tf.variableGrads(() => loss(x), l.trainableVariables);
        const [gx] = tf.grads((xx: tf.Tensor) => loss(xx))([x]);
        expect(Object.keys(grads)).toHaveLength(l.trainableVariables.length);
        expect(allFinite(value, gx!, ...Object.values(grads))).toBe(true);
      });
    });
  });

  describe('self-attention without positions is permutation-equivariant', () => {
    const P = [3, 0, 5, 1, 4, 2];
    it.each(KINDS)('MultiHeadAttention %s: MHA(Px) = P MHA(x), weights permuted on both axes', (scoreKind) => {
      using(makeLayer({ scoreKind }), (layer) => {
        const p = tf.tensor1d(P, 'int32');
        const x = randn([2, 6, 8], 51, 2);
        const px = tf.gather(x, p, 1);
        const [a, b] = [layer.apply(x, x, x), layer.apply(px, px, px)];
        expectClose(b.output, tf.gather(a.output, p, 1), 1e-5, 'output');
        expectClose(b.weights, tf.gather(tf.gather(a.weights, p, 2), p, 3), 1e-6, 'weights');
        expect(maxAbs(tf.sub(a.output, b.output))).toBeGreaterThan(0.05); // the permutation is not a no-op
      });
    });
    it('sdpa/additive: permuting queries permutes output rows; permuting keys with values changes nothing', () => {
      tf.tidy(() => {
        const g = (t: tf.Tensor) => tf.gather(t, tf.tensor1d(P, 'int32'), 1);
        const [q, k, v] = [randn([2, 6, 4], 52, 2), randn([2, 6, 4], 53, 2), randn([2, 6, 3], 54)];
        const ref = scaledDotProductAttention(q, k, v).output;
        expectClose(scaledDotProductAttention(g(q), g(k), g(v)).output, g(ref), 1e-5, 'all permuted');
        expectClose(scaledDotProductAttention(q, g(k), g(v)).output, ref, 1e-5, 'keys permuted');
        const p = additiveParams(4, 4, 5, 55);
        expectClose(additiveAttention(g(q), g(k), g(v), p).output, g(additiveAttention(q, k, v, p).output), 1e-5, 'additive');
      });
    });
  });

  describe.each(KINDS)('MultiHeadAttention %s: gradients match central finite differences', (scoreKind) => {
    it('every entry of every variable, and of the input (B=1, T=3, E=4, 2 heads)', () => {
      const EPS = 5e-3;
      const layer = makeLayer({ scoreKind, embedDim: 4, numHeads: 2 }, 7, 0.8);
      const [x, R] = [track(randn([1, 3, 4], 61)), track(randn([1, 3, 4], 62))];
      const loss = (xx: tf.Tensor) => tf.sum(tf.mul(layer.apply(xx, xx, xx).output, R)) as tf.Scalar;
      const lossAt = (xx: tf.Tensor) => tf.tidy(() => loss(xx).dataSync()[0]!);
      /** Central differences of `evalAt` (the loss with a perturbed copy of `base`) in every entry of base. */
      const numeric = (base: number[], evalAt: (d: number[]) => number) =>
        base.map((b, i) => {
          const [hi, lo] = [Math.fround(b + EPS), Math.fround(b - EPS)];
          const at = (val: number) => evalAt(base.map((o, j) => (j === i ? val : o)));
          return (at(hi) - at(lo)) / (hi - lo);
        });
      const failures: string[] = [];
      const compare = (what: string, analytic: ArrayLike<number>, num: number[]) => {
        num.forEach((n, i) => {
          if (!(Math.abs(analytic[i]! - n) <= 2e-3 + 2e-2 * Math.abs(n))) failures.push(`${what}[${i}]: ${analytic[i]} vs numeric ${n}`);
        });
        // dot scores are invariant to bk (it adds q.bk to every key of a row), so that gradient is 0
        if (scoreKind === 'dot' && what === 'bk') expect(Math.max(...Array.from(analytic, Math.abs))).toBeLessThan(1e-4);
        else expect(Math.max(...num.map(Math.abs)), `${what}: some gradient must be non-trivial`).toBeGreaterThan(1e-2);
      };
      const extra = scoreKind === 'additive' ? ['ab', 'ak', 'aq', 'av'] : [];
      expect([...layer.namedVariables.keys()].sort()).toEqual([...extra, 'bk', 'bo', 'bq', 'bv', 'wk', 'wo', 'wq', 'wv']);
      const { value, grads } = tf.variableGrads(() => loss(x), layer.trainableVariables);
      for (const [name, v] of layer.namedVariables) {
        const base = Array.from(v.dataSync());
        const num = numeric(base, (d) => (layer.setWeights({ [name]: d }), lossAt(x)));
        layer.setWeights({ [name]: base });
        compare(name, grads[v.name]!.dataSync(), num);
      }
      const [gx] = tf.grads((xx: tf.Tensor) => loss(xx))([x]);
      compare('input', gx!.dataSync(), numeric(Array.from(x.dataSync()), (d) => tf.tidy(() => lossAt(tf.tensor(d, x.shape)))));
      expect(failures).toEqual([]);
      tf.dispose([value, gx!, ...Object.values(grads)]);
    });
  });

  describe('layer API', () => {
    it.each(KINDS)('%s: setWeights round-trips getWeights (objects and flat arrays)', (scoreKind) => {
      const [a, b] = [makeLayer({ scoreKind }, 1), track(new MultiHeadAttention({ embedDim: 8, numHeads: 2, scoreKind, seed: 9 }))];
      const wa = a.getWeights();
      expect(b.getWeights().wq!.data).not.toEqual(wa.wq!.data);
      b.setWeights(wa);
      expect(b.getWeights()).toEqual(wa);
      tf.tidy(() => {
        const x = randn([1, 4, 8], 71);
        expectClose(b.apply(x, x, x).output, a.apply(x, x, x).output, 0, 'same weights, same output');
      });
      const doubled = Array.from(wa.wo!.data, (v) => 2 * v);
      b.setWeights({ wo: doubled, bo: undefined });
      expect(Array.from(b.getWeights().wo!.data)).toEqual(doubled.map(Math.fround));
      expect(b.getWeights().bo).toEqual(wa.bo); // untouched
    });

    it.each([
      ['wrong shape', { wq: { shape: [8, 4], data: new Array<number>(32).fill(0) } }, /"wq" must have shape \[8, 8\], got \[8, 4\]/],
      ['wrong shape, same size', { wk: { shape: [4, 16], data: new Array<number>(64).fill(0) } }, /"wk" must have shape \[8, 8\]/],
      ['wrong length (flat)', { bo: [1, 2, 3] }, /"bo" needs 8 values \(shape \[8\]\), got 3/],
      ['wrong length ({shape, data})', { wv: { shape: [8, 8], data: [1, 2] } }, /"wv" needs 64 values \(shape \[8, 8\]\), got 2/],
      ['unknown name', { wx: [1] }, /unknown weight "wx".*wq, wk, wv, wo, bq, bk, bv, bo/],
      ['additive-only name on a dot layer', { av: [1] }, /unknown weight "av"/],
    ])('setWeights with %s throws naming the weight and what was expected', (_what, weights, message) => {
      const layer = track(new MultiHeadAttention({ embedDim: 8, numHeads: 2 }));
      const before = layer.getWeights();
      expect(() => layer.setWeights(weights)).toThrow(message);
      expect(layer.getWeights()).toEqual(before);
    });

    // Regression: on cpu, dataSync() is the variable's own storage, so getWeights must copy it.
    it('getWeights returns a copy, not the variable storage', () => {
      const layer = track(new MultiHeadAttention({ embedDim: 4, numHeads: 2 }));
      const w = layer.getWeights();
      const original = w.wq!.data[0]!;
      w.wq!.data[0] = 123;
      expect(layer.namedVariables.get('wq')!.dataSync()[0]).toBe(original);
    });

    it.each([
      [{ embedDim: 8, numHeads: 3 }, /numHeads \(3\) must divide embedDim \(8\)/],
      [{ embedDim: 8, numHeads: 2.5 }, /numHeads must be a positive integer, got 2\.5/],
      [{ embedDim: 8, numHeads: 0 }, /numHeads must be a positive integer, got 0/],
      [{ embedDim: 7.5, numHeads: 1 }, /embedDim must be a positive integer, got 7\.5/],
      [{ embedDim: 8, numHeads: 2, kDim: 3.5 }, /kDim must be a positive integer/],
      [{ embedDim: 8, numHeads: 2, vDim: -3 }, /vDim must be a positive integer/],
      [{ embedDim: 8, numHeads: 2, additiveDim: 0 }, /additiveDim must be a positive integer/],
      [{ embedDim: 8, numHeads: 2, seed: 0.5 }, /seed must be an integer/],
      [{ embedDim: 8, numHeads: 2, scoreKind: 'cosine' }, /scoreKind must be one of dot, additive, got "cosine"/],
      [{ embedDim: 8, numHeads: 1.5, scoreKind: 'x' }, /numHeads.*; scoreKind/],
    ])('config %j is rejected with an Error naming the field', (config, message) => {
      const make = () => track(new MultiHeadAttention(Object.freeze(config) as MultiHeadAttentionConfig));
      expect(make).toThrow(Error);
      expect(make).toThrow(/^MultiHeadAttention config: /);
      expect(make).toThrow(message);
    });

    it('a frozen config is accepted and left unchanged; defaults go into a new frozen object', () => {
      const config = Object.freeze({ embedDim: 8, numHeads: 4, scoreKind: 'additive' as const });
      const layer = track(new MultiHeadAttention(config));
      expect(config).toEqual({ embedDim: 8, numHeads: 4, scoreKind: 'additive' });
      expect(layer.config).not.toBe(config);
      expect(layer.config).toEqual({ embedDim: 8, numHeads: 4, kDim: 8, vDim: 8, scoreKind: 'additive', additiveDim: 2, bias: true, seed: 0 });
      expect(Object.isFrozen(layer.config)).toBe(true);
      expect(layer.headDim).toBe(2);
    });

    it.each(KINDS)('%s cross-attention with kDim/vDim != E: output [B, Tq, E], weights [B, H, Tq, Tk]', (scoreKind) => {
      using(makeLayer({ scoreKind, kDim: 5, vDim: 3, numHeads: 4 }), (layer) => {
        expect([layer.getWeights().wk!.shape, layer.getWeights().wv!.shape]).toEqual([[5, 8], [3, 8]]);
        const [q, k, v] = [randn([2, 4, 8], 81), randn([2, 6, 5], 82), randn([2, 6, 3], 83)];
        const pad = tf.tensor([[0, 0, 0, 0, 1, 1], [0, 0, 0, 0, 0, 1]]);
        const r = layer.apply(q, k, v, { keyPaddingMask: pad });
        expect(r.output.shape).toEqual([2, 4, 8]);
        expect(r.weights.shape).toEqual([2, 4, 4, 6]);
        expectValidWeights(r.weights, padAllow(pad), 'cross');
        expect(() => layer.apply(q, v, v)).toThrow(/key must be \[B, Tk, 5\], got \[2, 6, 3\]/);
        expect(() => layer.apply(q, k, k)).toThrow(/value must be \[B, Tk, 3\]/);
      });
    });

    it('no tensors leak: apply (with masks), sdpa, additive, constructor and dispose', () => {
      const before = tf.memory().numTensors;
      for (const scoreKind of KINDS) {
        const layer = makeLayer({ scoreKind });
        const mid = tf.memory().numTensors;
        expect(mid).toBeGreaterThan(before); // the variables
        const [x, pad, mask] = [randn([2, 5, 8], 91), tf.tensor([[0, 0, 0, 0, 1], [0, 0, 0, 0, 0]]), randomMask([5, 5], 92)];
        const r = layer.apply(x, x, x, { keyPaddingMask: pad, mask, causal: true });
        tf.dispose([r.output, r.weights, x, pad, mask]);
        expect(tf.memory().numTensors, scoreKind).toBe(mid);
        layer.dispose();
      }
      const [q, k, v, mask] = [randn([2, 5, 4], 93), randn([2, 7, 4], 94), randn([2, 7, 3], 95), randomMask([2, 5, 7], 96)];
      const p = additiveParams(4, 4, 6, 97);
      const inputs = tf.memory().numTensors;
      const opts = { mask, causal: true };
      for (const r of [scaledDotProductAttention(q, k, v, opts), additiveAttention(q, k, v, p, opts)]) tf.dispose([r.output, r.weights]);
      expect(tf.memory().numTensors).toBe(inputs);
      tf.dispose([q, k, v, mask, p.wq, p.wk, p.b!, p.va]);
      expect(tf.memory().numTensors).toBe(before);
    });
  });
});
