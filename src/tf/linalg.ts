/**
 * Matrix products and broadcast ops tuned for the backends we run on.
 *
 * Measured here (vla bench attention; 2 cores): the wasm backend runs a plain 2-D matMul through XNNPACK at
 * ~27-33 GFLOP/s, but the same product with transposeA/transposeB set takes its generic path at ~2.6 GFLOP/s.
 * tf.matMul's built-in gradient uses exactly those transposed forms (dA = dY B^T, dB = A^T dY), so a layer's
 * backward pass ran 10x slower than its forward one. `matMul2d` has the same value with a gradient that
 * transposes explicitly (a cheap copy) and then multiplies without flags.
 *
 * Further slow paths of the wasm backend this module avoids (timed with tmp profiling at the default policy, batch 32):
 * - A batched product ([N, M, K] x [N, K, P], N > 1) always takes the generic loop (~1-2 GFLOP/s: 7.7 ms for the
 *   vision attention's scores [128, 64, 16] x [128, 16, 64]). `batchMatMul` computes it as one depthwise
 *   convolution, which XNNPACK runs as N small GEMMs: channel n of a [M, 1, K, N] input is A[n], its K x 1 x P
 *   filter is B[n] (2.4 ms for the same scores, transposes included).
 * - A sum over a leading axis ([N, E] -> [E]) transposes the tensor first: 7.5 ms for [131072, 16] and 2.7 ms for
 *   [2048, 128], against 0.2 and 0.1 ms as ones[1, N] x [N, E] through XNNPACK. The gradients of a bias or
 *   LayerNorm's gamma/beta are such sums; `addSuffix` and `mulSuffix` compute them that way. XNNPACK packs a
 *   product's right-hand matrix anew for every tensor, so a tall one (the conv stem's bias gradients, [65536, 16])
 *   goes on the left instead: its rows regrouped r at a time, [N/r, r E] x [r E, E] (r stacked identities) sums
 *   each group of r rows (2.0 ms against tf.sum's 7.7 ms at [65536, 16]), and the N/r partial sums are summed.
 * - A 2-D transpose with a long row stride ([2048, 1024]: 19 ms) thrashes the cache: matMul2d's dB picks the
 *   cheaper of (A^T) dY and (dY^T A)^T by the elements transposed.
 */
import * as tf from './tf.js';

const matMul2dWithGrad = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D), // [M, K] x [K, N] -> [M, N]
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      const g = dy as tf.Tensor2D;
      const [M, K] = sa.shape;
      const N = sb.shape[1];
      // dB = A^T dY: [K, M] x [M, N]; or (dY^T A)^T: [N, M] x [M, K], transposed back, when that moves fewer numbers.
      const dB = M * K <= M * N + N * K ? tf.matMul(tf.transpose(sa), g) : tf.transpose(tf.matMul(tf.transpose(g), sa));
      return [
        tf.matMul(g, tf.transpose(sb)), // dA = dY B^T: [M, N] x [N, K]
        dB,
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
    if (b) y = addSuffix(y, b);
    return tf.reshape(y, [...x.shape.slice(0, -1), dout]); // [..., dout]
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Broadcast over leading axes

/** Row widths up to which sumToSuffix sums by a matrix product (biases, LayerNorm's gamma and beta). */
const SUM_BY_PRODUCT_MAX = 256;
/** Up to how many elements the rows go on the right of ones[1, N]; taller ones are regrouped onto the left. */
const SUM_BY_PRODUCT_ELEMENTS = 1 << 18;
/** Inner size of the regrouped product [N/r, r E] x [r E, E]: about what XNNPACK's kernels handle best. */
const REGROUPED_INNER = 1024;

/** x [..., S...] summed over its leading axes down to `shape` (a suffix of x's shape), by matrix products. */
export function sumToSuffix(x: tf.Tensor, shape: readonly number[]): tf.Tensor {
  const size = shape.reduce((a, d) => a * d, 1);
  const n = x.size / size;
  if (n === 1) return tf.reshape(x, shape as number[]);
  return tf.tidy(() => {
    const rows = tf.reshape(x, [n, size]); // [N, E]
    if (size > SUM_BY_PRODUCT_MAX) return tf.reshape(tf.sum(rows, 0), shape as number[]);
    if (n * size > SUM_BY_PRODUCT_ELEMENTS) {
      let r = Math.max(1, Math.floor(REGROUPED_INNER / size));
      while (n % r !== 0) r--;
      if (r > 1) {
        const stacked = tf.tile(tf.eye(size), [r, 1]); // [r E, E]: entry (k, c) is 1 where k mod E = c
        const partial = tf.matMul(tf.reshape(rows, [n / r, r * size]), stacked); // [N/r, E]: sums of r rows each
        return tf.reshape(sumToSuffix(partial, [size]), shape as number[]);
      }
      return tf.reshape(tf.sum(rows, 0), shape as number[]);
    }
    // A copy, not a reshape: tfjs-wasm caches XNNPACK's packed right-hand matrix by tensor data alone, not shape, so
    // data seen before as another shape's right-hand side (a reshape of the same gradient) overran the wasm heap.
    return tf.reshape(tf.matMul(tf.ones([1, n]), tf.mul(rows, 1)), shape as number[]); // [1, N] x [N, E]
  });
}

function checkSuffix(what: string, x: tf.Tensor, s: tf.Tensor): void {
  const tail = x.shape.slice(x.rank - s.rank);
  if (s.rank > x.rank || tail.join(',') !== s.shape.join(',')) throw new Error(`${what}: [${s.shape}] is not a suffix of [${x.shape}]`);
}

const addSuffixWithGrad = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, b] = args as [tf.Tensor, tf.Tensor];
  const bShape = b.shape;
  return {
    value: tf.add(x, b),
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => [tf.reshape(dy as tf.Tensor, (dy as tf.Tensor).shape), sumToSuffix(dy as tf.Tensor, bShape)],
  };
});

/** x [..., S] + b [S] (b's shape a suffix of x's), with b's gradient summed through a matrix product. */
export function addSuffix(x: tf.Tensor, b: tf.Tensor): tf.Tensor {
  checkSuffix('addSuffix', x, b);
  return addSuffixWithGrad(x, b);
}

const mulSuffixWithGrad = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, g, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([x, g]);
  return {
    value: tf.mul(x, g),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [sx, sg] = saved as [tf.Tensor, tf.Tensor];
      const d = dy as tf.Tensor;
      return [tf.mul(d, sg), sumToSuffix(tf.mul(d, sx), sg.shape)];
    },
  };
});

/** x [..., S] * g [S] (g's shape a suffix of x's), with g's gradient summed through a matrix product. */
export function mulSuffix(x: tf.Tensor, g: tf.Tensor): tf.Tensor {
  checkSuffix('mulSuffix', x, g);
  return mulSuffixWithGrad(x, g);
}

// ---------------------------------------------------------------------------------------------------------------
// Batched products

/**
 * op(a) op(b) over a leading batch axis, a [N, M, K] (or [N, K, M] with ta), b [N, K, P] (or [N, P, K] with tb),
 * without a gradient. On wasm: one depthwise convolution (see the header); elsewhere tf.matMul.
 */
function bmmValue(a: tf.Tensor3D, b: tf.Tensor3D, ta: boolean, tb: boolean): tf.Tensor3D {
  if (tf.getBackend() !== 'wasm') return tf.matMul(a, b, ta, tb);
  return tf.tidy(() => {
    const N = a.shape[0];
    const [M, K] = ta ? [a.shape[2], a.shape[1]] : [a.shape[1], a.shape[2]];
    const P = tb ? b.shape[1] : b.shape[2];
    const x = tf.reshape(tf.transpose(a, ta ? [2, 1, 0] : [1, 2, 0]), [M, 1, K, N]) as tf.Tensor4D; // row m of A[n] at [m, 0, :, n]
    const f = tf.reshape(tf.transpose(b, tb ? [2, 0, 1] : [1, 0, 2]), [1, K, N, P]) as tf.Tensor4D; // B[n] at [0, :, n, :]
    const y = tf.depthwiseConv2d(x, f, 1, 'valid'); // [M, 1, 1, N*P]
    return tf.transpose(tf.reshape(y, [M, N, P]), [1, 0, 2]) as tf.Tensor3D; // [N, M, P]
  });
}

const bmmWithGrad = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [a, b, save] = args as [tf.Tensor3D, tf.Tensor3D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: bmmValue(a, b, false, false), // [N, M, K] x [N, K, P] -> [N, M, P]
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor3D, tf.Tensor3D];
      const g = dy as tf.Tensor3D;
      return [bmmValue(g, sb, false, true), bmmValue(sa, g, true, false)]; // dA = dY B^T, dB = A^T dY
    },
  };
});

const bmmTransposedBWithGrad = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [a, b, save] = args as [tf.Tensor3D, tf.Tensor3D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: bmmValue(a, b, false, true), // [N, M, K] x [N, P, K]^T -> [N, M, P]
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor3D, tf.Tensor3D];
      const g = dy as tf.Tensor3D;
      return [bmmValue(g, sb, false, false), bmmValue(g, sa, true, false)]; // dA = dY B, dB = dY^T A
    },
  };
});

/**
 * a [..., M, K] x b [..., K, P] -> [..., M, P] (b [..., P, K] with transposeB), the same leading axes on both: the
 * value of tf.matMul(a, b, false, transposeB), with forward and backward products on the fast path described above.
 */
export function batchMatMul(a: tf.Tensor, b: tf.Tensor, transposeB = false): tf.Tensor {
  const r = a.rank;
  const lead = a.shape.slice(0, r - 2);
  const [M, K] = a.shape.slice(r - 2) as [number, number];
  const [bk, P] = (transposeB ? [b.shape[r - 1], b.shape[r - 2]] : b.shape.slice(r - 2)) as [number, number];
  if (r < 3 || b.rank !== r || b.shape.slice(0, r - 2).join(',') !== lead.join(',') || bk !== K) {
    throw new Error(`batchMatMul: expected [..., M, K] x [..., ${transposeB ? 'P, K' : 'K, P'}] with the same leading axes, got [${a.shape}] x [${b.shape}]`);
  }
  return tf.tidy(() => {
    const N = lead.reduce((x, d) => x * d, 1);
    const a3 = tf.reshape(a, [N, M, K]);
    const b3 = tf.reshape(b, transposeB ? [N, P, K] : [N, K, P]);
    const y = (transposeB ? bmmTransposedBWithGrad : bmmWithGrad)(a3, b3);
    return tf.reshape(y, [...lead, M, P]);
  });
}
