/**
 * `vla bench train`: samples per second of the real training step, as src/train/train.ts runs it (the default
 * recipe's loss with grounding and patch-label targets, global-norm clip, Adam; data-parallel over W worker
 * threads, src/train/parallel/), on a synthetic dataset of the policy's sizes: frames of random pixels with three
 * rectangular objects in their segmentation, a fixed command naming one of them. The figure is the batch size over
 * the median step time (planning, rendering, forward, backward, gradient exchange, clip and Adam included).
 */
import { VlaPolicy } from '../policy/VlaPolicy.js';
import type { PolicyConfig } from '../policy/config.js';
import { planBatch, type BatchSource, type PlanEpisode } from '../train/batch.js';
import { DataParallel } from '../train/parallel/DataParallel.js';
import { TRAIN_DEFAULTS, learningRateAt, trainBatchOptions, trainLossOptions } from '../train/train.js';
import { wordReferents } from '../train/TrainData.js';
import { Rng } from '../../sim/util/Rng.js';

export interface TrainBenchRun {
  workers: number;
  /** Median ms of one step, and the steps timed (ms). */
  stepMs: number;
  stepTimesMs: number[];
  samplesPerSec: number;
}

export interface TrainBenchResult {
  batch: number;
  parameters: number;
  vocabSize: number;
  runs: TrainBenchRun[];
}

const EPISODES = 8;
const STEPS_PER_EPISODE = 40;

/** A synthetic dataset of the policy's image size (see the header), with the episodes' plan parts. */
export function syntheticSource(policy: VlaPolicy, seed = 1): BatchSource & { episodes: Array<BatchSource['episodes'][number] & PlanEpisode> } {
  const S = policy.config.imageSize;
  const n = EPISODES * STEPS_PER_EPISODE;
  const rng = new Rng(`bench-train:${seed}`);
  const frames = new Uint8Array(new SharedArrayBuffer(n * S * S * 3)).map(() => rng.int(0, 255));
  const segmentation = new Uint8Array(new SharedArrayBuffer(n * S * S));
  for (let f = 0; f < n; f++) {
    for (let id = 1; id <= 3; id++) {
      const x0 = rng.int(0, S - 8);
      const y0 = rng.int(0, S - 8);
      for (let y = y0; y < y0 + 6; y++) segmentation.fill(id, f * S * S + y * S + x0, f * S * S + y * S + x0 + 6);
    }
  }
  const proprio = new Float32Array(new SharedArrayBuffer(n * 11 * 4)).map(() => rng.float(-1, 1));
  const actions = new Float32Array(new SharedArrayBuffer(n * 5 * 4)).map(() => rng.float(-0.01, 0.01));
  const objects = [{ kind: 'ball', colour: 'red' }, { kind: 'cube', colour: 'blue' }, { kind: 'bowl', colour: 'green' }];
  const enc = policy.tokenizer.encode('pick up the red ball', policy.config.maxWords);
  const names = { objects, targetIndex: 0, destinationIndex: -1 } as unknown as Parameters<typeof wordReferents>[1];
  const referents = wordReferents(enc.words, names, policy.config.maxWords);
  const episodes = Array.from({ length: EPISODES }, (_, e) => ({
    start: e * STEPS_PER_EPISODE,
    length: STEPS_PER_EPISODE,
    frameStart: e * STEPS_PER_EPISODE,
    frameOffset: 0,
    kindOf: Int8Array.from([-1, 0, 1, 3]),
    colourOf: Int8Array.from([-1, 0, 1, 2]),
    ids: Int32Array.from(enc.ids),
    mask: Int32Array.from(enc.mask),
    referents,
    parsed: null,
    referentsOf: () => referents,
  }));
  return { imageSize: S, frameStride: 1, frames: [frames], segmentation: [segmentation], framesPerChunk: frames.length / (S * S * 3), proprio, actions, episodes };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Times `steps` training steps (after `warmup` untimed ones) with each worker count. */
export async function benchTrain(o: { config: Partial<PolicyConfig>; workers: number[]; batch?: number; steps?: number; warmup?: number; log?: (line: string) => void }): Promise<TrainBenchResult> {
  const batch = o.batch ?? TRAIN_DEFAULTS.batchSize;
  const opts = { ...TRAIN_DEFAULTS, batchSize: batch };
  const runs: TrainBenchRun[] = [];
  let parameters = 0;
  let vocabSize = 0;
  for (const workers of o.workers) {
    const policy = new VlaPolicy(o.config);
    parameters = policy.parameterCount;
    vocabSize = policy.tokenizer.size;
    const source = syntheticSource(policy);
    const batchOptions = trainBatchOptions(policy, opts, true);
    const parallel = await DataParallel.start({ policy, workers, source, batchOptions, lossOptions: trainLossOptions(opts), clipNorm: opts.clipNorm });
    const rng = new Rng('bench-train:plan');
    const times: number[] = [];
    try {
      const total = (o.warmup ?? 2) + (o.steps ?? 8);
      // As train.ts does: each step's plans drawn one step ahead, so the replicas render them early.
      const plansOf = () => planBatch(source.episodes, Array.from({ length: batch }, () => ({ episode: rng.int(0, EPISODES - 1), t: rng.int(0, STEPS_PER_EPISODE - 1) })), batchOptions, rng);
      let plans = plansOf();
      for (let step = 0; step < total; step++) {
        const t0 = performance.now();
        const next = step + 1 < total ? plansOf() : undefined;
        await parallel.step(plans, learningRateAt(step, opts), next);
        if (next) plans = next;
        if (step >= (o.warmup ?? 2)) times.push(performance.now() - t0);
      }
    } finally {
      await parallel.close();
      policy.dispose();
    }
    const stepMs = median(times);
    runs.push({ workers, stepMs, stepTimesMs: times.map((t) => Math.round(t * 10) / 10), samplesPerSec: (batch * 1000) / stepMs });
    o.log?.(`${workers} worker(s): median step ${stepMs.toFixed(0)} ms, ${((batch * 1000) / stepMs).toFixed(1)} samples/s`);
  }
  return { batch, parameters, vocabSize, runs };
}

