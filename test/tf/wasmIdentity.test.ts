/**
 * The wasm backend's Identity kernel (src/tf/wasmIdentity.ts) shares data instead of copying it: a clone holds its
 * input's data, outlives the input, frees the data with the last holder, and gradients through saved tensors are the
 * cpu backend's.
 */
import * as tf from '../../src/tf/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, withBackend } from '../../src/tf/backend.js';
import { shareIdentityOnWasm } from '../../src/tf/wasmIdentity.js';

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
});

const backendData = () => (tf.engine().backend as unknown as { numDataIds(): number }).numDataIds();

describe('Identity on wasm', () => {
  it('(on import) clones share the data, outlive their input, and free it with the last holder', () => {
    const start = backendData();
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId);
    expect(backendData()).toBe(start + 1);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(y.shape).toEqual([2, 3]);
    y.dispose();
    expect(backendData()).toBe(start);
  });

  it('is the sharing kernel, and registering it again changes nothing', () => {
    const kernel = tf.getKernel(tf.Identity, 'wasm');
    shareIdentityOnWasm();
    expect(tf.getKernel(tf.Identity, 'wasm')).toBe(kernel);
    expect((kernel.kernelFunc as { shares?: boolean }).shares).toBe(true);
  });

  it('strings keep the copying kernel', () => {
    const s = tf.tensor(['a', 'b']);
    const c = tf.clone(s);
    s.dispose();
    expect(c.arraySync()).toEqual(['a', 'b']);
    c.dispose();
  });

  it('gives the gradients of a chain of kernels that save their inputs and outputs as the cpu backend does', async () => {
    const f = (x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(tf.exp(tf.matMul(tf.tanh(x), w)), tf.sigmoid(tf.matMul(x, w))));
    const x0 = [0.3, -1.2, 0.8, 0.1, 2.0, -0.5];
    const w0 = [0.5, -0.25, 1.5, 0.75, -1.0, 0.2];
    const run = () =>
      tf.tidy(() => {
        const g = tf.grads(f)([tf.tensor2d(x0, [2, 3]), tf.tensor2d(w0, [3, 2])]);
        return g.map((t) => Array.from(t.dataSync()));
      });
    const wasm = run();
    const cpu = await withBackend('cpu', run);
    for (let k = 0; k < 2; k++) for (let i = 0; i < wasm[k]!.length; i++) expect(wasm[k]![i]!).toBeCloseTo(cpu[k]![i]!, 5);
    expect(tf.memory().numTensors).toBeLessThan(1000); // nothing kept beyond the tidy
  });
});
