/**
 * Data-parallel training steps (train.ts, option `workers`): W replicas of the policy, each in a worker thread with
 * its own TensorFlow.js backend (one replica in the training thread when W = 1). Per step:
 *
 *   1. the coordinator's plans (batch.ts planBatch: one rng, one order) are cut into W contiguous parts;
 *   2. each replica renders its part from the dataset's shared arrays and reports the part's loss normalisers; the
 *      coordinator turns them into shares (lossShares.ts);
 *   3. each replica takes the current weights (a SharedArrayBuffer) and computes the gradient of its share of the
 *      whole batch's loss; the coordinator adds them in replica order, which is the whole batch's gradient, clips it
 *      by global norm (Pascanu et al. 2013) and applies Adam (FlatAdam) to the one flat copy of the weights that
 *      every replica reads at the next step.
 *
 * Rendering reads no weights, so when the caller passes the next step's plans, step 2 of the next step is asked for
 * right behind step 3 of this one: a replica renders it while the other replica finishes and the coordinator
 * applies Adam, instead of waiting for them.
 *
 * Every replica therefore holds the same weights at every step, the result equals one-worker training up to float
 * rounding, and the same seed with the same worker count gives the same weights. (With config.dropout > 0 each
 * replica draws its own masks, so results then also depend on the worker count.)
 *
 * With `emaDecay` the coordinator also keeps a moving average of the weights (WeightEma.ts): the weights a run
 * validates and saves, while Adam keeps stepping the trained ones.
 */
import * as tf from '../../tf/tf.js';
import type { LossOptions, VlaPolicy } from '../../policy/index.js';
import type { BatchOptions, BatchSource, SamplePlan } from '../batch.js';
import { FlatAdam, type AdamState } from './FlatAdam.js';
import { lossShares, type LossDenominators } from './lossShares.js';
import { LocalReplica, type ReplicaHandle } from './LocalReplica.js';
import { Replica } from './Replica.js';
import { WeightEma } from './WeightEma.js';
import { WorkerReplica } from './WorkerReplica.js';

export interface DataParallelOptions {
  /** The coordinator's policy: its weights start the run, syncPolicy() writes the trained ones back. */
  policy: VlaPolicy;
  workers: number;
  source: BatchSource;
  batchOptions: BatchOptions;
  lossOptions: LossOptions;
  clipNorm: number;
  /** Keep an exponential moving average of the weights with this decay (WeightEma.ts); 0 or absent: none. */
  emaDecay?: number;
}

/** The parts' sizes: `n` samples over `w` replicas, contiguous, the first ones one larger. */
export function partSizes(n: number, w: number): number[] {
  const k = Math.min(w, n);
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
}

export class DataParallel {
  private readonly adam: FlatAdam;
  private readonly sum: Float32Array;
  private ema: WeightEma | null;
  /** The next step's parts, asked for during this step (see step). */
  private ahead: { plans: readonly SamplePlan[]; denominators: Promise<LossDenominators[]> } | null = null;

  private constructor(
    private readonly local: Replica,
    private readonly replicas: ReplicaHandle[],
    private readonly weights: Float32Array,
    readonly clipNorm: number,
    readonly emaDecay: number,
  ) {
    this.adam = new FlatAdam(local.sizes);
    this.sum = new Float32Array(weights.length);
    this.ema = emaDecay > 0 ? new WeightEma(emaDecay, weights) : null;
  }

  static async start(o: DataParallelOptions): Promise<DataParallel> {
    if (!Number.isInteger(o.workers) || o.workers < 1) throw new Error(`workers must be a whole number >= 1, got ${o.workers}`);
    const local = new Replica(o.policy, o.source, o.batchOptions, o.lossOptions);
    const weights = new Float32Array(new SharedArrayBuffer(o.policy.parameterCount * 4));
    local.readWeights(weights);
    const emaDecay = o.emaDecay ?? 0;
    if (o.workers === 1) return new DataParallel(local, [new LocalReplica(local, weights)], weights, o.clipNorm, emaDecay);
    const { paraphrase: _p, korean: _k, unknownWords: _u, ...batchOptions } = o.batchOptions; // commands are drawn in the plans
    const p = o.policy;
    const init = { backend: tf.getBackend(), config: p.config, tokenizer: p.tokenizer.toJSON(), stats: p.stats, source: sourceOf(o.source), batchOptions, lossOptions: o.lossOptions, weights };
    const started = await Promise.allSettled(Array.from({ length: o.workers }, (_, i) => WorkerReplica.start(i, init, weights.length)));
    const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      await Promise.all(ok.map((r) => r.close()));
      throw failed.reason as Error;
    }
    return new DataParallel(local, ok, weights, o.clipNorm, emaDecay);
  }

  get workers(): number {
    return this.replicas.length;
  }

  /**
   * One training step on the planned samples; returns the batch's loss. With `next` (the following step's plans,
   * which its call must then pass as `plans`), the replicas render them as soon as this step's gradients are done.
   */
  async step(plans: readonly SamplePlan[], learningRate: number, next?: readonly SamplePlan[]): Promise<number> {
    const ahead = this.ahead;
    this.ahead = null;
    const denominators = await (ahead?.plans === plans ? ahead.denominators : this.render(plans));
    const shares = lossShares(denominators);
    const active = this.replicas.slice(0, shares.length);
    const gradients = Promise.all(active.map((r, i) => r.grads(shares[i]!)));
    if (next) {
      const rendering = this.render(next);
      rendering.catch(() => {}); // a failure is reported by the step that awaits it (or by close)
      this.ahead = { plans: next, denominators: rendering };
    }
    const results = await gradients;
    const g = this.sum;
    g.set(active[0]!.gradBuffer);
    for (const r of active.slice(1)) {
      const b = r.gradBuffer;
      for (let i = 0; i < g.length; i++) g[i]! += b[i]!;
    }
    let sq = 0;
    for (let i = 0; i < g.length; i++) sq += g[i]! * g[i]!;
    const scale = Math.min(1, this.clipNorm / (Math.sqrt(sq) + 1e-6));
    if (scale < 1) for (let i = 0; i < g.length; i++) g[i]! *= scale;
    const present = results[0]!.present.map((_, k) => (results.some((r) => r.present[k]) ? 1 : 0));
    this.adam.step(this.weights, g, learningRate, present);
    this.ema?.update(this.weights);
    return results.reduce((s, r) => s + r.loss, 0);
  }

  /**
   * Writes the weights the run validates and saves into the coordinator's policy (before validation or a
   * checkpoint): the moving average when one is kept, else the trained weights.
   */
  syncPolicy(): void {
    this.local.writeWeights(this.ema ? this.ema.values : this.weights);
  }

  /** The trained (raw) weights, flat, the moving average's update count (null without one) and Adam's state: for resuming. */
  trainingState(): { weights: Float32Array; emaUpdates: number | null; adam: AdamState } {
    return { weights: this.weights, emaUpdates: this.ema ? this.ema.updates : null, adam: this.adam.state() };
  }

  /** Resumes Adam where a run stopped (its moments and bias corrections), so the next step is the one it would have taken. */
  restoreOptimizer(state: AdamState): void {
    this.adam.restore(state);
  }

  /**
   * Resumes a run that kept a moving average: the policy this was started from held the saved average, `weights` are
   * the saved trained weights and `emaUpdates` the average's update count (the average goes on if this run keeps one).
   */
  restoreTraining(weights: Float32Array, emaUpdates: number): void {
    if (weights.length !== this.weights.length) throw new Error(`restoreTraining: ${weights.length} weights, expected ${this.weights.length}`);
    if (this.ema) this.ema = new WeightEma(this.emaDecay, this.weights, emaUpdates);
    this.weights.set(weights);
  }

  /** Asks each replica to render its part of `plans`; their loss normalisers, in replica order. */
  private render(plans: readonly SamplePlan[]): Promise<LossDenominators[]> {
    const sizes = partSizes(plans.length, this.replicas.length);
    let at = 0;
    return Promise.all(sizes.map((n, i) => this.replicas[i]!.render(plans.slice(at, (at += n)))));
  }

  async close(): Promise<void> {
    this.ahead = null;
    await Promise.all(this.replicas.map((r) => r.close()));
  }
}

/** The plain-data part of a dataset a worker needs (its typed arrays on SharedArrayBuffers are shared, not copied). */
function sourceOf(d: BatchSource): BatchSource {
  const episodes = d.episodes.map((e) => ({ start: e.start, length: e.length, frameStart: e.frameStart, frameOffset: e.frameOffset, kindOf: e.kindOf, colourOf: e.colourOf }));
  return { imageSize: d.imageSize, frameStride: d.frameStride, frames: d.frames, segmentation: d.segmentation, framesPerChunk: d.framesPerChunk, proprio: d.proprio, actions: d.actions, episodes };
}
