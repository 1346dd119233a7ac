/**
 * Matrix products tuned for the backends we run on.
 *
 * Measured here (vla bench attention; 2 cores): the wasm backend runs a plain 2-D matMul through XNNPACK at
 * ~27-33 GFLOP/s, but the same product with transposeA/transposeB set takes its generic path at ~2.6 GFLOP/s.
 * tf.matMul's built-in gradient uses exactly those transposed forms (dA = dY B^T, dB = A^T dY), so a layer's
 * backward pass ran 10x slower than its forward one. `matMul2d` has the same value with a gradient that
 * transposes explicitly (a cheap copy) and then multiplies without flags.
 */
import * as tf from './tf.js';

const matMul2dWithGrad = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), // [M, K] x [K, N] -> [M, N]
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [
        tf.matMul(dy as tf.Tensor2D, tf.transpose(sb)), // dA = dY B^T: [M, N] x [N, K]
        tf.matMul(tf.transpose(sa), dy as tf.Tensor2D), // dB = A^T dY: [K, M] x [M, N]
      ];
    },
  };
});

/** a [M, K] x b [K, N] -> [M, N], with a backward pass that stays on the fast kernels. */
export function matMul2d(a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  if (a.rank !== 2 || b.rank !== 2 || a.shape[1] !== b.shape[0]) {
    throw new Error(`matMul2d: expected [M, K] x [K, N], got [${a.shape}] x [${b.shape}]`);
  }
  return matMul2dWithGrad(a, b) as tf.Tensor2D;
}

/** x [..., din] W [din, dout] (+ b [dout]) -> [..., dout]: a dense layer over the last axis. */
export function linear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor | null): tf.Tensor {
  return tf.tidy(() => {
    const din = x.shape[x.rank - 1]!;
    const dout = w.shape[1]!;
    let y: tf.Tensor = matMul2d(tf.reshape(x, [-1, din]), w); // [N, dout]
    if (b) y = tf.add(y, b);
    return tf.reshape(y, [...x.shape.slice(0, -1), dout]); // [..., dout]
  });
}
