/**
 * Scaled dot-product attention, Vaswani et al. 2017, "Attention Is All You Need", eq. 1:
 *
 *     Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k)) V
 *
 * Works on any number of leading batch dimensions ([B, T, d] or [B, heads, T, d]).
 */
import * as tf from '../tf/tf.js';
import { combineMasks, maskedSoftmax } from './masks.js';
import { batchMatMul } from '../tf/linalg.js';

export interface AttentionOptions {
  /** Allow mask broadcastable to [..., Tq, Tk]; 1 = may attend, 0 = masked out. */
  mask?: tf.Tensor | null;
  /** Query i may attend only to keys j <= i. Combined with `mask` if both are given. */
  causal?: boolean;
}

export interface DotProductOptions extends AttentionOptions {
  /** Multiplier of the scores; default 1/sqrt(d_k). */
  scale?: number;
}

export interface AttentionResult {
  /** [..., Tq, dv] */
  output: tf.Tensor;
  /** [..., Tq, Tk]; each row sums to 1, or is all zeros when every key of that row is masked. */
  weights: tf.Tensor;
}

/** Checks that q, k, v line up and returns Tq and Tk. */
export function checkQkv(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, sameWidth: boolean): { tq: number; tk: number } {
  const r = q.rank;
  if (r < 2 || k.rank !== r || v.rank !== r) {
    throw new Error(
      `attention: q, k, v must have the same rank (>= 2); got q [${q.shape}], k [${k.shape}], v [${v.shape}]`,
    );
  }
  const tq = q.shape[r - 2]!;
  const tk = k.shape[r - 2]!;
  if (v.shape[r - 2] !== tk) {
    throw new Error(`attention: k and v need the same number of keys; got k [${k.shape}], v [${v.shape}]`);
  }
  if (sameWidth && q.shape[r - 1] !== k.shape[r - 1]) {
    throw new Error(`attention: q and k need the same width for dot-product scores; got q [${q.shape}], k [${k.shape}]`);
  }
  return { tq, tk };
}

/** Raw scores Q K^T * scale, [..., Tq, Tk]. */
export function dotProductScores(q: tf.Tensor, k: tf.Tensor, scale?: number): tf.Tensor {
  return tf.tidy(() => {
    const d = q.shape[q.rank - 1]!;
    const s = scale ?? 1 / Math.sqrt(d);
    // [..., Tq, d] x [..., Tk, d]^T -> [..., Tq, Tk]
    return tf.mul(q.rank > 2 ? batchMatMul(q, k, true) : tf.matMul(q, k, false, true), s);
  });
}

/**
 * softmax(Q K^T / sqrt(d)) V.
 *
 * @param q [..., Tq, d]
 * @param k [..., Tk, d]
 * @param v [..., Tk, dv]
 */
export function scaledDotProductAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  options: DotProductOptions = {},
): AttentionResult {
  const { tq, tk } = checkQkv(q, k, v, true);
  return tf.tidy(() => {
    const scores = dotProductScores(q, k, options.scale); // [..., Tq, Tk]
    const allow = combineMasks(options.mask, options.causal ?? false, tq, tk);
    const weights = maskedSoftmax(scores, allow); // [..., Tq, Tk]
    const output = weights.rank > 2 ? batchMatMul(weights, v) : tf.matMul(weights, v); // [..., Tq, dv]
    return { output, weights };
  });
}
