/** A Replica in the training thread itself (one worker), behind the same asynchronous calls as a WorkerReplica. */
import type { SamplePlan } from '../batch.js';
import type { Replica, ReplicaGrads } from './Replica.js';
import type { LossDenominators, LossShares } from './lossShares.js';

/** What the coordinator asks of a replica, wherever it runs. */
export interface ReplicaHandle {
  /** Where grads() leaves the part's gradient (flat). */
  readonly gradBuffer: Float32Array;
  /** Takes the shared weights, renders the part and returns its loss normalisers. */
  render(plans: SamplePlan[]): Promise<LossDenominators>;
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
    this.replica.writeWeights(this.weights);
    return this.replica.render(plans);
  }

  async grads(shares: LossShares): Promise<ReplicaGrads> {
    return this.replica.grads(shares, this.gradBuffer);
  }

  async close(): Promise<void> {}
}
