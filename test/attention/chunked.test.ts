/**
 * chunkedAttention (online-softmax, FlashAttention-style) against scaledDotProductAttention.
 *
 * For chunk sizes 1, 3, 7, 128 and larger than Tk, the chunked output must equal the plain output within 1e-5
 * (absolute, or relative to the magnitude for large values): without a mask, with a random allow mask (full
 * [B, Tq, Tk] and broadcast shapes), causal (square and Tq != Tk in both directions), rank-3 and rank-4 inputs,
 * a custom scale, a fully masked row (must be exactly zeros, never NaN), logits of ~1e4 and rows whose every logit
 * is ~-1e4 (nothing may be measured against a 0 start). A bad chunkSize throws. Runs on wasm and cpu. No tensors are leaked.
 */
import * as tf from '../../src/tf/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { chunkedAttention, scaledDotProductAttention } from '../../src/attention/index.js';
import { selectBackend } from '../../src/tf/backend.js';
import { Rng } from '../../sim/util/Rng.js';

const TOL = 1e-5;
const CHUNKS = [1, 3, 7, 128, 1000] as const;

/** A seeded uniform [0, 1) generator (the project's mulberry32, sim/util/Rng.ts). */
function prng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.nextFloat();
}

/** Random 0/1 allow mask of the given shape (last axis = keys) with at least one allowed key per row. */
function allowMask(shape: number[], seed: number, pAllow = 0.5): tf.Tensor {
  const rand = prng(seed);
  const tk = shape[shape.length - 1]!;
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let row = 0; row < size / tk; row++) {
    for (let j = 0; j < tk; j++) data[row * tk + j] = rand() < pAllow ? 1 : 0;
    data[row * tk + Math.floor(rand() * tk)] = 1;
  }
  return tf.tensor(data, shape, 'float32');
}

function expectAllClose(actual: tf.Tensor, expected: tf.Tensor, what: string): void {
  expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  const a = actual.dataSync();
  const e = expected.dataSync();
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < e.length; i++) {
    const err = Math.abs(a[i]! - e[i]!) / Math.max(1, Math.abs(e[i]!));
    if (!(err <= worst)) {
      worst = err;
      worstAt = i;
    }
  }
  expect(worst, `${what}: worst error ${worst} at ${worstAt} (got ${a[worstAt]}, want ${e[worstAt]})`).toBeLessThanOrEqual(TOL);
}

interface Case {
  name: string;
  q: number[];
  k: number[];
  dv: number;
  mask?: number[];
  causal?: boolean;
  scale?: number;
  amp?: number;
  negative?: boolean;
}

const CASES: Case[] = [
  { name: 'rank 3, no mask', q: [2, 5, 4], k: [2, 9, 4], dv: 3 },
  { name: 'rank 3, full mask [B, Tq, Tk]', q: [2, 5, 4], k: [2, 9, 4], dv: 3, mask: [2, 5, 9] },
  { name: 'rank 3, key mask [B, 1, Tk] (broadcast over queries)', q: [2, 5, 4], k: [2, 9, 4], dv: 3, mask: [2, 1, 9] },
  { name: 'rank 3, mask [Tq, Tk] (broadcast over batch)', q: [2, 5, 4], k: [2, 9, 4], dv: 3, mask: [5, 9] },
  { name: 'rank 3, causal square', q: [2, 8, 4], k: [2, 8, 4], dv: 5, causal: true },
  { name: 'rank 3, causal Tq < Tk', q: [1, 4, 4], k: [1, 11, 4], dv: 3, causal: true },
  { name: 'rank 3, causal Tq > Tk', q: [1, 10, 4], k: [1, 6, 4], dv: 3, causal: true },
  { name: 'rank 3, causal and mask', q: [2, 7, 4], k: [2, 7, 4], dv: 3, causal: true, mask: [2, 7, 7] },
  { name: 'rank 4, no mask', q: [2, 3, 5, 4], k: [2, 3, 13, 4], dv: 2 },
  { name: 'rank 4, mask [B, H, Tq, Tk]', q: [2, 3, 5, 4], k: [2, 3, 13, 4], dv: 2, mask: [2, 3, 5, 13] },
  { name: 'rank 4, key mask [B, 1, 1, Tk]', q: [2, 3, 5, 4], k: [2, 3, 13, 4], dv: 2, mask: [2, 1, 1, 13] },
  { name: 'rank 4, causal', q: [1, 2, 9, 4], k: [1, 2, 9, 4], dv: 3, causal: true },
  { name: 'rank 4, causal Tq < Tk with mask', q: [1, 2, 4, 4], k: [1, 2, 10, 4], dv: 3, causal: true, mask: [1, 2, 4, 10] },
  { name: 'rank 2, no batch', q: [6, 4], k: [10, 4], dv: 3 },
  { name: 'custom scale', q: [1, 5, 4], k: [1, 8, 4], dv: 3, scale: 0.9 },
  { name: 'large logits (~1e4)', q: [2, 6, 8], k: [2, 12, 8], dv: 3, amp: 60 },
  { name: 'large logits (~1e4) with mask', q: [2, 6, 8], k: [2, 12, 8], dv: 3, amp: 60, mask: [2, 6, 12] },
  { name: 'large logits (~1e4), causal', q: [1, 9, 8], k: [1, 9, 8], dv: 3, amp: 60, causal: true },
  { name: 'large negative logits in every entry', q: [2, 5, 8], k: [2, 11, 8], dv: 3, amp: 30, negative: true },
  { name: 'large negative logits, mask', q: [2, 5, 8], k: [2, 11, 8], dv: 3, amp: 30, negative: true, mask: [2, 5, 11] },
];

describe.each(['wasm', 'cpu'] as const)('chunkedAttention on %s', (backend) => {
  beforeAll(async () => {
    await selectBackend({ flag: backend, log: null });
  });

  describe.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', (_name, c, i) => {
    it.each(CHUNKS.map((n) => [n]))('chunkSize %i matches scaledDotProductAttention, leaking nothing', (chunkSize) => {
      const before = tf.memory().numTensors;
      const seed = 100 + 10 * i;
      const amp = c.amp ?? 1;
      // 'negative': every logit of every row is about -amp^2 * d, so nothing may be measured against 0
      const gen = (shape: number[], s: number, sign: number) =>
        tf.tidy(() => {
          const r = tf.randomNormal(shape, 0, 1, 'float32', s);
          return c.negative ? tf.mul(tf.add(tf.abs(r), 0.5), sign * amp) : tf.mul(r, amp);
        });
      const q = gen(c.q, seed, 1);
      const k = gen(c.k, seed + 1, -1);
      const v = tf.randomNormal([...c.k.slice(0, -1), c.dv], 0, 1, 'float32', seed + 2);
      const mask = c.mask ? allowMask(c.mask, seed + 3) : null;
      const opts = { mask, causal: c.causal ?? false, ...(c.scale !== undefined ? { scale: c.scale } : {}) };
      const inputs = tf.memory().numTensors;
      const got = chunkedAttention(q, k, v, { ...opts, chunkSize });
      expect(tf.memory().numTensors, 'chunkedAttention leaked tensors').toBe(inputs + 1);
      tf.tidy(() => {
        if (amp > 1) {
          // make sure the case really has huge logits
          const logits = tf.div(tf.matMul(q, k, false, true), Math.sqrt(c.q.at(-1)!));
          expect(tf.max(tf.abs(logits)).dataSync()[0]!).toBeGreaterThan(5e3);
          if (c.negative) expect(tf.max(logits).dataSync()[0]!).toBeLessThan(-100);
        }
        const want = scaledDotProductAttention(q, k, v, opts).output;
        expect(Array.from(got.dataSync()).every(Number.isFinite), 'finite output').toBe(true);
        expectAllClose(got, want, `${c.name}, chunk ${chunkSize}`);
      });
      tf.dispose([q, k, v, got, ...(mask ? [mask] : [])]);
      expect(tf.memory().numTensors, 'tensors leaked').toBe(before);
    });
  });

  it('uses 128 as the default chunk size, still matching the plain version (Tk = 300)', () => {
    tf.tidy(() => {
      const q = tf.randomNormal([1, 4, 8], 0, 1, 'float32', 7);
      const k = tf.randomNormal([1, 300, 8], 0, 1, 'float32', 8);
      const v = tf.randomNormal([1, 300, 2], 0, 1, 'float32', 9);
      const mask = allowMask([1, 4, 300], 10, 0.3);
      expectAllClose(chunkedAttention(q, k, v, { mask }), scaledDotProductAttention(q, k, v, { mask }).output, 'default');
    });
  });

  it.each(CHUNKS.map((n) => [n]))('a fully masked row gives exactly zeros, other rows unchanged (chunk %i)', (chunkSize) => {
    tf.tidy(() => {
      const q = tf.randomNormal([2, 4, 4], 0, 1, 'float32', 21);
      const k = tf.randomNormal([2, 9, 4], 0, 1, 'float32', 22);
      const v = tf.add(tf.randomNormal([2, 9, 3], 0, 1, 'float32', 23), 5); // v far from 0: a 0 output is not luck
      const m = allowMask([2, 4, 9], 24).arraySync() as number[][][];
      m[0]![2] = new Array<number>(9).fill(0); // batch 0, query 2: every key masked
      m[1]![0] = new Array<number>(9).fill(0); // batch 1, query 0
      const mask = tf.tensor(m);
      const got = chunkedAttention(q, k, v, { mask, chunkSize });
      const rows = got.arraySync() as number[][][];
      expect(rows[0]![2]).toEqual([0, 0, 0]);
      expect(rows[1]![0]).toEqual([0, 0, 0]);
      expect(Math.abs(rows[0]![1]![0]!)).toBeGreaterThan(1); // an ordinary row is a convex mix of v (~5)
      expectAllClose(got, scaledDotProductAttention(q, k, v, { mask }).output, 'fully masked rows');
    });
  });

  it('a boolean mask works like a float one', () => {
    tf.tidy(() => {
      const q = tf.randomNormal([1, 5, 4], 0, 1, 'float32', 31);
      const k = tf.randomNormal([1, 8, 4], 0, 1, 'float32', 32);
      const v = tf.randomNormal([1, 8, 3], 0, 1, 'float32', 33);
      const mask = allowMask([1, 5, 8], 34);
      const got = chunkedAttention(q, k, v, { mask: tf.cast(mask, 'bool'), chunkSize: 3 });
      expectAllClose(got, scaledDotProductAttention(q, k, v, { mask }).output, 'bool mask');
    });
  });

  it.each([[0], [-2], [2.5], [Number.NaN], [Number.POSITIVE_INFINITY]])('chunkSize %s throws', (chunkSize) => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = tf.ones([1, 3, 4]);
      expect(() => chunkedAttention(x, x, x, { chunkSize })).toThrow(/chunkSize must be a positive integer/);
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('mismatched q/k widths throw', () => {
    tf.tidy(() => {
      expect(() => chunkedAttention(tf.ones([1, 3, 4]), tf.ones([1, 5, 2]), tf.ones([1, 5, 4]))).toThrow(/same width/);
    });
  });
});
