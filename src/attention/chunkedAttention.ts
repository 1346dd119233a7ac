/**
 * Memory-lean scaled dot-product attention for long sequences: keys are visited in chunks and the softmax is
 * computed online, as in FlashAttention (Dao et al. 2022, "FlashAttention: Fast and Memory-Efficient Exact
 * Attention with IO-Awareness", algorithm 1) after Milakov & Gimelshein 2018 ("Online normalizer calculation
 * for softmax"). The [Tq, Tk] weight matrix is never materialised: only [Tq, chunk] at a time.
 *
 * For each key chunk j, with running row maximum m, running normaliser l and running output o:
 *     s   = q k_j^T / sqrt(d)               (masked entries get MASKED_SCORE)
 *     m'  = max(m, rowmax(s))
 *     p   = exp(s - m') * allow_j
 *     l   = l * exp(m - m') + rowsum(p)
 *     o   = o * exp(m - m') + p v_j
 *     m   = m'
 * and finally output = o / l (0 for a row in which every key is masked, like the plain version).
 *
 * Exact, not an approximation: it matches scaledDotProductAttention to float32 round-off. It returns only the
 * output; use the plain function when you need the weights.
 */
import * as tf from '../tf/tf.js';
import { MASKED_SCORE } from './masks.js';
import { checkQkv, type DotProductOptions } from './scaledDotProduct.js';

export interface ChunkedOptions extends DotProductOptions {
  /** Keys per chunk; default 128. */
  chunkSize?: number;
}

/**
 * @param q [..., Tq, d]
 * @param k [..., Tk, d]
 * @param v [..., Tk, dv]
 * @returns output [..., Tq, dv]
 */
export function chunkedAttention(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, options: ChunkedOptions = {}): tf.Tensor {
  const { tq, tk } = checkQkv(q, k, v, true);
  const chunk = options.chunkSize ?? 128;
  if (!Number.isInteger(chunk) || chunk <= 0) throw new Error(`chunkedAttention: chunkSize must be a positive integer, got ${chunk}`);
  const r = q.rank;
  const d = q.shape[r - 1]!;
  const scale = options.scale ?? 1 / Math.sqrt(d);
  const causal = options.causal ?? false;
  const mask = options.mask ? tf.cast(options.mask, 'float32') : null;
  const lead = q.shape.slice(0, -2);
  const dv = v.shape[r - 1]!;

  // Running state, replaced chunk by chunk.
  let m: tf.Tensor = tf.fill([...lead, tq, 1], MASKED_SCORE); // [..., Tq, 1]
  let l: tf.Tensor = tf.zeros([...lead, tq, 1]); // [..., Tq, 1]
  let o: tf.Tensor = tf.zeros([...lead, tq, dv]); // [..., Tq, dv]
  const begin = (axisStart: number) => [...lead.map(() => 0), axisStart, 0];

  for (let start = 0; start < tk; start += chunk) {
    const size = Math.min(chunk, tk - start);
    if (causal && start > tq - 1) break; // every later key is in the future of every query
    const next = tf.tidy(() => {
      const kj = tf.slice(k, begin(start), [...lead, size, d]); // [..., C, d]
      const vj = tf.slice(v, begin(start), [...lead, size, dv]); // [..., C, dv]
      let s = tf.mul(tf.matMul(q, kj, false, true), scale); // [..., Tq, C]
      let allow: tf.Tensor | null = null;
      if (mask) {
        const mr = mask.rank;
        const mb = mask.shape.slice(0, -1).map(() => 0);
        const msize = [...mask.shape.slice(0, -1), size];
        allow = mask.shape[mr - 1] === 1 ? mask : tf.slice(mask, [...mb, start], msize); // [..., Tq, C]
      }
      if (causal) {
        // key start+c is allowed for query i when start + c <= i
        const rows = tf.reshape(tf.range(0, tq), [tq, 1]); // [Tq, 1]
        const cols = tf.reshape(tf.range(start, start + size), [1, size]); // [1, C]
        const c = tf.cast(tf.lessEqual(cols, rows), 'float32'); // [Tq, C]
        allow = allow ? tf.mul(allow, c) : c;
      }
      if (allow) s = tf.add(s, tf.mul(tf.sub(allow, 1), -MASKED_SCORE));
      const mNew = tf.maximum(m, tf.max(s, -1, true)); // [..., Tq, 1]
      let p = tf.exp(tf.sub(s, mNew)); // [..., Tq, C]
      if (allow) p = tf.mul(p, allow);
      const correction = tf.exp(tf.sub(m, mNew)); // [..., Tq, 1]
      const lNew = tf.add(tf.mul(l, correction), tf.sum(p, -1, true)); // [..., Tq, 1]
      const oNew = tf.add(tf.mul(o, correction), tf.matMul(p, vj)); // [..., Tq, dv]
      return [mNew, lNew, oNew] as const;
    });
    m.dispose();
    l.dispose();
    o.dispose();
    [m, l, o] = next;
  }

  const out = tf.tidy(() => {
    // Rows with l = 0 attended to nothing: output 0, not 0/0.
    const safeL = tf.where(tf.greater(l, 0), l, tf.onesLike(l));
    return tf.div(o, safeL);
  });
  m.dispose();
  l.dispose();
  o.dispose();
  mask?.dispose();
  return out;
}
