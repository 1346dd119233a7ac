/**
 * One replica of the policy in data-parallel training: it renders its part of a batch (from the plans the
 * coordinator drew), reports the part's loss normalisers, and computes the gradient of its share of the whole
 * batch's loss (lossShares.ts) into a flat Float32Array, the variables in trainableVariables order. It runs in a
 * worker thread (worker.ts) or, with one worker, in the training thread itself.
 */
import * as tf from '../../tf/tf.js';
import { disposeInputs, type LossOptions, type PolicyBatch, type VlaPolicy } from '../../policy/index.js';
import { batchTensors, renderBatch, type BatchOptions, type BatchSource, type SamplePlan } from '../batch.js';
import { lossDenominators, partLoss, type LossDenominators, type LossShares } from './lossShares.js';

export interface ReplicaGrads {
  /** This part's share of the whole batch's loss. */
  loss: number;
  /** Per variable: 1 if it got a gradient. */
  present: Uint8Array;
}

export class Replica {
  private batch: PolicyBatch | null = null;
  private readonly variables: tf.Variable[];

  constructor(
    readonly policy: VlaPolicy,
    readonly source: BatchSource,
    readonly batchOptions: BatchOptions,
    readonly lossOptions: LossOptions,
  ) {
    this.variables = policy.trainableVariables;
  }

  /** Weights per variable, in the flat order. */
  get sizes(): number[] {
    return this.variables.map((v) => v.size);
  }

  /** The policy's weights, flat. */
  readWeights(out: Float32Array): void {
    let at = 0;
    for (const v of this.variables) {
      out.set(v.dataSync() as Float32Array, at);
      at += v.size;
    }
  }

  /** Sets the policy's weights from a flat array. */
  writeWeights(flat: Float32Array): void {
    let at = 0;
    for (const v of this.variables) {
      const part = flat.slice(at, at + v.size);
      tf.tidy(() => v.assign(tf.tensor(part, v.shape, 'float32')));
      at += v.size;
    }
  }

  /** Renders the part's samples (kept for grads) and returns its loss normalisers. */
  render(plans: readonly SamplePlan[]): LossDenominators {
    this.dropBatch();
    const arrays = renderBatch(this.source, plans, this.batchOptions);
    this.batch = batchTensors(arrays);
    return lossDenominators(arrays);
  }

  /** The gradient of the rendered part's share of the loss, into `out` (flat); frees the part. */
  grads(shares: LossShares, out: Float32Array): ReplicaGrads {
    const batch = this.batch;
    if (!batch) throw new Error('Replica.grads: render a part first');
    const present = new Uint8Array(this.variables.length);
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => partLoss(this.policy, batch, this.lossOptions, shares), this.variables);
      const flat = this.variables.map((v, k) => {
        const g = grads[v.name];
        if (g) present[k] = 1;
        return g ? tf.reshape(g, [-1]) : tf.zeros([v.size]);
      });
      out.set(tf.concat(flat).dataSync() as Float32Array);
      return value.dataSync()[0]!;
    });
    this.dropBatch();
    return { loss, present };
  }

  private dropBatch(): void {
    if (this.batch) disposeInputs(this.batch);
    this.batch = null;
  }
}
