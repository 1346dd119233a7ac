/**
 * Adam (Kingma & Ba 2015) on one flat Float32Array of every weight, in plain JavaScript: the update of
 * tf.train.adam(learningRate) (beta1 0.9, beta2 0.999, epsilon 1e-7, bias correction by the running products of the
 * betas), applied by the training coordinator to the summed gradient of all replicas. Variables that got no gradient
 * in a step are left alone, as tf.train.adam's applyGradients leaves a variable it is not given.
 */
/** Adam's state: first and second moments per weight, and the running products of the betas. */
export interface AdamState {
  m: Float32Array;
  v: Float32Array;
  accBeta1: number;
  accBeta2: number;
}

export class FlatAdam {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private accBeta1: number;
  private accBeta2: number;

  /** @param sizes the number of weights of each variable, in the flat order */
  constructor(
    readonly sizes: readonly number[],
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = 1e-7,
  ) {
    const n = sizes.reduce((a, s) => a + s, 0);
    this.m = new Float32Array(n);
    this.v = new Float32Array(n);
    this.accBeta1 = beta1;
    this.accBeta2 = beta2;
  }

  /** The moments and bias-correction products, to resume a run where it stopped (m and v are copies). */
  state(): AdamState {
    return { m: this.m.slice(), v: this.v.slice(), accBeta1: this.accBeta1, accBeta2: this.accBeta2 };
  }

  restore(s: AdamState): void {
    if (s.m.length !== this.m.length || s.v.length !== this.v.length) throw new Error(`FlatAdam.restore: ${s.m.length} and ${s.v.length} moments, expected ${this.m.length}`);
    this.m.set(s.m);
    this.v.set(s.v);
    this.accBeta1 = s.accBeta1;
    this.accBeta2 = s.accBeta2;
  }

  /** weights -= lr * mHat / (sqrt(vHat) + epsilon) for every variable with present[i] (default all), in place. */
  step(weights: Float32Array, grads: Float32Array, learningRate: number, present?: ArrayLike<number>): void {
    const { m, v, beta1: b1, beta2: b2, epsilon } = this;
    const c1 = 1 - this.accBeta1;
    const c2 = 1 - this.accBeta2;
    let at = 0;
    this.sizes.forEach((size, k) => {
      const end = at + size;
      if (!present || present[k]) {
        for (let i = at; i < end; i++) {
          const g = grads[i]!;
          const mi = (m[i] = b1 * m[i]! + (1 - b1) * g);
          const vi = (v[i] = b2 * v[i]! + (1 - b2) * g * g);
          weights[i] = weights[i]! - (learningRate * (mi / c1)) / (Math.sqrt(vi / c2) + epsilon);
        }
      }
      at = end;
    });
    this.accBeta1 *= b1;
    this.accBeta2 *= b2;
  }
}
