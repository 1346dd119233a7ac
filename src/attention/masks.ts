/**
 * Masks and the masked softmax every attention kind shares.
 *
 * Convention (the same everywhere in this project): an "allow" mask holds 1 where a query may attend to a key
 * and 0 where it may not, shaped [..., Tq, Tk] or anything that broadcasts to the scores. The one exception is
 * `keyPaddingMask` on MultiHeadAttention, which follows torch.nn.MultiheadAttention: 1 marks a padding key.
 */
import * as tf from '../tf/tf.js';

/** Added to the score of a masked key. Finite on purpose: -Infinity would turn a fully masked row into NaN. */
export const MASKED_SCORE = -1e30;

/** Lower-triangular allow mask: query i may attend to keys j <= i (top-left aligned when Tq != Tk). */
export function causalMask(tq: number, tk: number): tf.Tensor2D {
  // [Tq, Tk]: 1 on and below the diagonal
  return tf.tidy(() => tf.linalg.bandPart(tf.ones([tq, tk]), -1, 0) as tf.Tensor2D);
}

/**
 * Combines an optional allow mask with the causal constraint into one float allow mask (1 = may attend), or
 * null when nothing is masked. `mask` may be any rank that broadcasts against [..., Tq, Tk].
 */
export function combineMasks(
  mask: tf.Tensor | null | undefined,
  causal: boolean,
  tq: number,
  tk: number,
): tf.Tensor | null {
  if (!mask && !causal) return null;
  return tf.tidy(() => {
    const allow = mask ? tf.cast(mask, 'float32') : null;
    if (!causal) return allow!;
    const c = causalMask(tq, tk); // [Tq, Tk]
    return allow ? tf.mul(allow, c) : c;
  });
}

/**
 * softmax over the last axis with masked entries forced to exactly 0.
 *
 * Numerically stable for large logits: tf.softmax subtracts the row maximum before exponentiating, so logits of
 * 1e4 are fine. A masked entry gets MASKED_SCORE added, so it contributes exp(-1e30 - max) = 0. A row in which
 * every key is masked would otherwise come out uniform; multiplying by the allow mask turns it into a row of
 * zeros (documented behaviour: such a query attends to nothing and its output is 0, never NaN).
 *
 * @param scores [..., Tq, Tk]
 * @param allow  broadcastable to scores, 1 = may attend; null = nothing masked
 * @returns      [..., Tq, Tk] weights, each row summing to 1 (or 0 if fully masked)
 */
export function maskedSoftmax(scores: tf.Tensor, allow: tf.Tensor | null): tf.Tensor {
  return tf.tidy(() => {
    if (!allow) return tf.softmax(scores);
    // (allow - 1) * 1e30: 0 where allowed, -1e30 where masked
    const bias = tf.mul(tf.sub(allow, 1), -MASKED_SCORE);
    const weights = tf.softmax(tf.add(scores, bias)); // [..., Tq, Tk]
    return tf.mul(weights, allow);
  });
}

/** Throws a clear error unless `t` has the given rank. */
export function assertRank(t: tf.Tensor, rank: number, what: string): void {
  if (t.rank !== rank) {
    throw new Error(`${what}: expected a rank-${rank} tensor, got shape [${t.shape.join(', ')}]`);
  }
}
