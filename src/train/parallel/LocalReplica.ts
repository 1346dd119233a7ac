/** A Replica in the training thread itself (one worker), behind the same asynchronous calls as a WorkerReplica. */
import type { SamplePlan } from '../batch.js';
import type { Replica, ReplicaGrads } from './Replica.js';
import type { LossDenominators, LossShares } from './lossShares.js';

/** What the coordinator asks of a replica, wherever it runs. */
export interface ReplicaHandle {
  /** Where grads() leaves the part's gradient (flat). */
  readonly gradBuffer: Float32Array;
  /**
   * Renders the part and returns its loss normalisers. It reads no weights, so the coordinator may ask for the
   * next step's part while this step's gradients are still being computed (answers come in the order asked).
   */
  render(plans: SamplePlan[]): Promise<LossDenominators>;
  /** Takes the shared weights and computes the rendered part's gradient into gradBuffer. */
  grads(shares: LossShares): Promise<ReplicaGrads>;
  close(): Promise<void>;
}

export class LocalReplica implements ReplicaHandle {
  readonly gradBuffer: Float32Array;

  constructor(
    readonly replica: Replica,
    readonly weights: Float32Array,
  ) {
    this.gradBuffer = new Float32Array(weights.length);
  }

  async render(plans: SamplePlan[]): Promise<LossDenominators> {
    return this.replica.render(plans);
  }

  async grads(shares: LossShares): Promise<ReplicaGrads> {
    this.replica.writeWeights(this.weights);
    return this.replica.grads(shares, this.gradBuffer);
  }

  async close(): Promise<void> {}
}
