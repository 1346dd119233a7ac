/**
 * A Replica in a worker thread (worker.ts, started through bootstrap.mjs so that tsx loads the TypeScript), seen
 * from the coordinator: the same render / grads calls as a LocalReplica, answered by messages. The thread belongs
 * to this process (node:worker_threads), so it ends with it; close() ends it earlier. An error in the worker, or
 * the worker stopping, rejects the call waiting for it with one line naming the worker, and every later call.
 */
import { Worker } from 'node:worker_threads';
import type { ReplicaGrads } from './Replica.js';
import type { LossDenominators, LossShares } from './lossShares.js';
import type { FromWorker, InitMessage, ToWorker } from './protocol.js';
import type { SamplePlan } from '../batch.js';
import type { ReplicaHandle } from './LocalReplica.js';

const BOOTSTRAP = new URL('./bootstrap.mjs', import.meta.url);

export class WorkerReplica implements ReplicaHandle {
  private readonly worker: Worker;
  /** Requests sent and not yet answered, oldest first: the worker answers in the order asked. */
  private readonly waiting: Array<{ ok: (m: FromWorker) => void; fail: (e: Error) => void }> = [];
  private failure: Error | null = null;
  private closing = false;

  private constructor(
    readonly index: number,
    readonly gradBuffer: Float32Array,
  ) {
    this.worker = new Worker(BOOTSTRAP);
    this.worker.on('message', (m: FromWorker) => {
      if (m.type === 'error') this.fail(new Error(`training worker ${index}: ${m.message}`));
      else this.resolve(m);
    });
    this.worker.on('error', (e) => this.fail(new Error(`training worker ${index}: ${e.message.split('\n')[0]}`)));
    this.worker.on('exit', (code) => {
      if (!this.closing) this.fail(new Error(`training worker ${index} stopped (exit code ${code})`));
    });
  }

  /** Starts worker `index` and waits until its backend and policy are ready. */
  static async start(index: number, init: Omit<InitMessage, 'type' | 'grads'>, parameters: number): Promise<WorkerReplica> {
    const grads = new Float32Array(new SharedArrayBuffer(parameters * 4));
    const r = new WorkerReplica(index, grads);
    try {
      const ready = await r.request({ type: 'init', ...init, grads });
      if (ready.type !== 'ready' || ready.sizes.reduce((a, s) => a + s, 0) !== parameters) {
        throw new Error(`training worker ${index}: its policy does not have the coordinator's ${parameters} weights`);
      }
    } catch (e) {
      await r.close();
      throw e;
    }
    return r;
  }

  async render(plans: SamplePlan[]): Promise<LossDenominators> {
    const m = await this.request({ type: 'render', plans });
    if (m.type !== 'rendered') throw new Error(`training worker ${this.index}: answered "${m.type}" to render`);
    return m.denominators;
  }

  async grads(shares: LossShares): Promise<ReplicaGrads> {
    const m = await this.request({ type: 'grads', shares });
    if (m.type !== 'grads') throw new Error(`training worker ${this.index}: answered "${m.type}" to grads`);
    return { loss: m.loss, present: m.present };
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }

  private request(m: ToWorker): Promise<FromWorker> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((ok, fail) => {
      this.waiting.push({ ok, fail });
      this.worker.postMessage(m);
    });
  }

  private resolve(m: FromWorker): void {
    this.waiting.shift()?.ok(m);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.splice(0)) w.fail(this.failure);
  }
}
