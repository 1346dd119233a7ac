/**
 * The fast formulations of src/tf/linalg.ts give the values and gradients of the plain tf ops they replace (on wasm,
 * where they take other kernels, and on cpu), and the default policy's outputs and gradients do not depend on them.
 */
import * as tf from '../../src/tf/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, withBackend } from '../../src/tf/backend.js';
import { addSuffix, batchMatMul, matMul2d, mulSuffix, sumToSuffix } from '../../src/tf/linalg.js';

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
});

const maxAbsDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
const rand = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

/** Values and gradients of ours(x, y) and ref(x, y) against a random cotangent, compared. */
function expectSameGradients(ours: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, ref: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor, x: tf.Tensor, y: tf.Tensor, tol: number) {
  tf.tidy(() => {
    const out = ref(x, y);
    const g = rand(out.shape, 99);
    expect(maxAbsDiff(ours(x, y), out)).toBeLessThan(tol);
    const r = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(ref(a, b), g)))([x, y]);
    const o = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(ours(a, b), g)))([x, y]);
    expect(maxAbsDiff(r[0]!, o[0]!)).toBeLessThan(tol);
    expect(maxAbsDiff(r[1]!, o[1]!)).toBeLessThan(tol);
  });
}

describe.each(['wasm', 'cpu'] as const)('linalg on %s', (backend) => {
  const on = (fn: () => void) => withBackend(backend, fn);

  it('batchMatMul equals tf.matMul, plain and with b transposed, in value and gradient', async () => {
    await on(() => {
      for (const [lead, M, K, P] of [[[2, 3], 7, 4, 5], [[32, 4], 64, 16, 64], [[6], 12, 16, 8]] as Array<[number[], number, number, number]>) {
        const a = rand([...lead, M, K], 1);
        expectSameGradients((x, y) => batchMatMul(x, y), (x, y) => tf.matMul(x, y), a, rand([...lead, K, P], 2), 1e-4);
        expectSameGradients((x, y) => batchMatMul(x, y, true), (x, y) => tf.matMul(x, y, false, true), a, rand([...lead, P, K], 3), 1e-4);
      }
    });
  });

  it('addSuffix and mulSuffix equal tf.add and tf.mul with broadcasting; sumToSuffix equals tf.sum', async () => {
    await on(() => {
      for (const [xs, bs] of [[[4, 5, 6], [6]], [[3, 8, 8, 16], [16]], [[2, 64, 64], [64, 64]]] as Array<[number[], number[]]>) {
        expectSameGradients((x, b) => addSuffix(x, b), (x, b) => tf.add(x, b), rand(xs, 4), rand(bs, 5), 1e-4);
        expectSameGradients((x, b) => mulSuffix(x, b), (x, b) => tf.mul(x, b), rand(xs, 6), rand(bs, 7), 1e-3);
        tf.tidy(() => {
          const x = rand(xs, 8);
          const lead = Array.from({ length: xs.length - bs.length }, (_, i) => i);
          expect(maxAbsDiff(sumToSuffix(x, bs), tf.sum(x, lead))).toBeLessThan(1e-3);
        });
      }
      expect(() => addSuffix(tf.zeros([2, 3]), tf.zeros([2]))).toThrow(/not a suffix/);
    });
  });

  it('sumToSuffix sums tall gradients regrouped onto the left of a product, and falls back when rows do not group', async () => {
    await on(() => {
      // [65536, 16] as the stem's bias gradient at 16 images per worker (64 rows a group), [7200, 48] (20 a group),
      // [20011, 16] (a prime count of rows: no grouping, tf.sum)
      for (const [xs, bs] of [[[16, 64, 64, 16], [16]], [[12, 600, 48], [48]], [[20011, 16], [16]], [[4, 128, 32, 32], [32, 32]]] as Array<[number[], number[]]>) {
        tf.tidy(() => {
          const x = rand(xs, 9);
          const lead = Array.from({ length: xs.length - bs.length }, (_, i) => i);
          const want = tf.sum(x, lead);
          const scale = Math.sqrt(x.size / want.size); // a sum of n values of unit size is of size sqrt(n)
          expect(sumToSuffix(x, bs).shape).toEqual(bs);
          expect(maxAbsDiff(sumToSuffix(x, bs), want) / scale).toBeLessThan(1e-4);
        });
      }
    });
  });

  it('matMul2d has the gradients of tf.matMul whichever way it forms dB', async () => {
    await on(() => {
      // [M, K] x [K, N] with M*K small (A^T dY) and large (dY^T A, transposed back) against the other transposes
      for (const [M, K, N] of [[8, 3, 5], [64, 256, 4]] as Array<[number, number, number]>) {
        expectSameGradients((x, y) => matMul2d(x, y), (x, y) => tf.matMul(x, y), rand([M, K], 9), rand([K, N], 10), 1e-3);
      }
    });
  });
});
