/**
 * How one replica's part of a batch weighs in the loss of the whole batch.
 *
 * VlaPolicy.lossTerms normalises each term by a sum over its batch: delta and gripper by the valid chunk steps
 * (max(sum, 1)), grounding by the grounding weights (max(sum, 1)) and the patch labels by their weights (max(sum,
 * 1e-6)); the constant factor (D - 1) cancels. A part's term times (its normaliser / the whole batch's) is its
 * numerator over the whole batch's normaliser, so the sum over parts of
 *     share.valid * (delta + gripper) + gw * share.ground * grounding + bw * share.labels * labels
 * is the whole batch's total loss, and the sum of the parts' gradients is its gradient: gradients "averaged,
 * weighted by sample count", with the weights each term actually uses. With one part every share is 1.
 */
import * as tf from '../../tf/tf.js';
import type { LossOptions, PolicyBatch, VlaPolicy } from '../../policy/index.js';
import type { BatchArrays } from '../batch.js';

export interface LossDenominators {
  valid: number;
  ground: number;
  labels: number;
}

export type LossShares = LossDenominators;

const sum = (a: Float32Array | undefined) => (a ? a.reduce((s, x) => s + x, 0) : 0);

/** The raw sums behind a part's normalisers. */
export function lossDenominators(a: BatchArrays): LossDenominators {
  return { valid: sum(a.valid), ground: sum(a.ground?.weight), labels: sum(a.labels?.weight) };
}

/** Each part's shares of the whole batch's normalisers. */
export function lossShares(parts: readonly LossDenominators[]): LossShares[] {
  const total = (k: keyof LossDenominators) => parts.reduce((s, p) => s + p[k], 0);
  const norm = (x: number, floor: number) => Math.max(x, floor);
  const whole = { valid: total('valid'), ground: total('ground'), labels: total('labels') };
  return parts.map((p) => ({
    valid: norm(p.valid, 1) / norm(whole.valid, 1),
    ground: norm(p.ground, 1) / norm(whole.ground, 1),
    labels: norm(p.labels, 1e-6) / norm(whole.labels, 1e-6),
  }));
}

/** A part's share of the whole batch's total loss (a scalar; see the header). */
export function partLoss(policy: VlaPolicy, batch: PolicyBatch, o: LossOptions, s: LossShares): tf.Scalar {
  return tf.tidy(() => {
    const t = policy.lossTerms(batch, { training: true, ...o });
    const parts = [
      tf.mul(tf.add(t.delta, t.gripper), s.valid),
      tf.mul(t.grounding, (o.groundingWeight ?? 0) * s.ground),
      tf.mul(t.labels, (o.labelWeight ?? 0) * s.labels),
    ];
    return tf.addN(parts) as tf.Scalar;
  });
}
