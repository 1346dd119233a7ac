/**
 * An exponential moving average of the weights over training steps (Polyak & Juditsky 1992; the "shadow" weights of
 * tf.train.ExponentialMovingAverage):
 *
 *     ema <- d_t * ema + (1 - d_t) * w,   d_t = min(decay, (1 + t) / (10 + t))
 *
 * where t counts the updates so far. The ramp d_t keeps the first steps from being dominated by the initial weights;
 * later the average spans about 1 / (1 - decay) steps. The averaged weights are what a run evaluates and saves; the
 * optimiser keeps stepping the raw ones.
 */
export class WeightEma {
  readonly values: Float32Array;
  /** Updates so far (t above). */
  updates: number;

  /**
   * @param decay   the long-run decay, in [0, 1)
   * @param initial the average so far (copied); with `updates` 0 it is replaced by the first weights seen
   */
  constructor(
    readonly decay: number,
    initial: Float32Array,
    updates = 0,
  ) {
    if (!(decay >= 0 && decay < 1)) throw new Error(`WeightEma: decay must be in [0, 1), got ${decay}`);
    this.values = Float32Array.from(initial);
    this.updates = updates;
  }

  /** The decay the next update uses. */
  get currentDecay(): number {
    return Math.min(this.decay, (1 + this.updates) / (10 + this.updates));
  }

  /** Folds the weights after a step into the average. */
  update(weights: Float32Array): void {
    const e = this.values;
    if (weights.length !== e.length) throw new Error(`WeightEma: ${weights.length} weights, expected ${e.length}`);
    const d = this.updates === 0 ? 0 : this.currentDecay;
    const a = 1 - d;
    for (let i = 0; i < e.length; i++) e[i] = e[i]! + a * (weights[i]! - e[i]!);
    this.updates++;
  }
}
