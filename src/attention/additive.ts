/**
 * Additive attention, Bahdanau, Cho & Bengio 2015, "Neural Machine Translation by Jointly Learning to Align and
 * Translate", eq. 6 (the alignment model a(s, h) = v_a^T tanh(W_a s + U_a h)), with a bias inside the tanh:
 *
 *     score[b, i, j] = va . tanh(q[b, i] Wq + k[b, j] Wk + bias)
 *     weights = softmax_j(score),  output = weights V
 *
 * Unlike dot-product scores, q and k may have different widths, and there is no 1/sqrt(d) scale.
 */
import * as tf from '../tf/tf.js';
import { linear, matMul2d } from '../tf/linalg.js';
import { combineMasks, maskedSoftmax } from './masks.js';
import { checkQkv, type AttentionOptions, type AttentionResult } from './scaledDotProduct.js';

export interface AdditiveParams {
  /** [dq, da] */
  wq: tf.Tensor;
  /** [dk, da] */
  wk: tf.Tensor;
  /** [da]; added inside the tanh. Omitted = 0. */
  b?: tf.Tensor | null;
  /** [da] */
  va: tf.Tensor;
}

/**
 * Additive scores for q [..., Tq, dq] and k [..., Tk, dk] with shared parameters (see AdditiveParams),
 * returning [..., Tq, Tk]. Leading dims of q and k must match.
 *
 * Memory note: the tanh is evaluated on a [..., Tq, Tk, da] tensor, which is what makes additive attention
 * costlier than dot-product attention for long sequences.
 */
export function additiveScores(q: tf.Tensor, k: tf.Tensor, p: AdditiveParams): tf.Tensor {
  const dq = q.shape[q.rank - 1];
  const dk = k.shape[k.rank - 1];
  if (p.wq.rank !== 2 || p.wq.shape[0] !== dq) {
    throw new Error(`additive attention: wq must be [${dq}, da] for q of width ${dq}; got [${p.wq.shape}]`);
  }
  const da = p.wq.shape[1]!;
  if (p.wk.rank !== 2 || p.wk.shape[0] !== dk || p.wk.shape[1] !== da) {
    throw new Error(`additive attention: wk must be [${dk}, ${da}]; got [${p.wk.shape}]`);
  }
  if (p.va.size !== da || (p.b && p.b.size !== da)) {
    throw new Error(`additive attention: va and b must have ${da} entries; got va [${p.va.shape}], b [${p.b?.shape}]`);
  }
  return tf.tidy(() => {
    const qa = projectLastAxis(q, p.wq); // [..., Tq, da]
    const ka = projectLastAxis(k, p.wk); // [..., Tk, da]
    // [..., Tq, 1, da] + [..., 1, Tk, da] -> [..., Tq, Tk, da]
    let h = tf.add(tf.expandDims(qa, -2), tf.expandDims(ka, -3));
    if (p.b) h = tf.add(h, tf.reshape(p.b, [da]));
    h = tf.tanh(h);
    // va . h over the last axis: [..., Tq, Tk, da] @ [da, 1] -> [..., Tq, Tk]
    const lead = h.shape.slice(0, -1);
    return tf.reshape(matMul2d(tf.reshape(h, [-1, da]), tf.reshape(p.va, [da, 1])), lead);
  });
}

/** x [..., din] @ w [din, dout] -> [..., dout] */
export const projectLastAxis = (x: tf.Tensor, w: tf.Tensor): tf.Tensor => linear(x, w);

/**
 * Additive (Bahdanau) attention.
 *
 * @param q [..., Tq, dq]
 * @param k [..., Tk, dk]
 * @param v [..., Tk, dv]
 */
export function additiveAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  params: AdditiveParams,
  options: AttentionOptions = {},
): AttentionResult {
  const { tq, tk } = checkQkv(q, k, v, false);
  return tf.tidy(() => {
    const scores = additiveScores(q, k, params); // [..., Tq, Tk]
    const allow = combineMasks(options.mask, options.causal ?? false, tq, tk);
    const weights = maskedSoftmax(scores, allow); // [..., Tq, Tk]
    const output = tf.matMul(weights, v); // [..., Tq, dv]
    return { output, weights };
  });
}
