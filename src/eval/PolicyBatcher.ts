/**
 * One policy's predictions for a lockstep group of episodes: each episode's driver queues its observation
 * (`request`), and the first to ask for its chunk (`take`) runs every queued observation as one batch. A forward
 * pass costs about the same for one observation as for several (most of it is per-operation overhead on this
 * backend), so a group of 8 predicts about four times faster per episode. Batched and single predictions are equal.
 */
import type { EeAction, Observation } from '../../sim/types.js';
import type { VlaPolicy } from '../policy/index.js';

export class PolicyBatcher {
  private queued: Observation[] = [];
  private owners: object[] = [];
  private readonly ready = new Map<object, EeAction[]>();

  constructor(readonly policy: VlaPolicy) {}

  /** Queues `owner`'s observation for the next batch. */
  request(owner: object, observation: Observation): void {
    this.queued.push(observation);
    this.owners.push(owner);
  }

  /** `owner`'s chunk: from the batch (run now if queued), or predicted alone when it queued nothing. */
  take(owner: object, observation: Observation): EeAction[] {
    if (this.queued.length > 0) {
      const chunks = this.policy.actBatch(this.queued);
      this.owners.forEach((o, i) => this.ready.set(o, chunks[i]!));
      this.queued = [];
      this.owners = [];
    }
    const chunk = this.ready.get(owner);
    if (chunk === undefined) return this.policy.act(observation);
    this.ready.delete(owner);
    return chunk;
  }
}
