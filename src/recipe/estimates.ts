/**
 * Rough costs of a recipe's parts on the reference machine (2 cores, wasm backend), for `--dry-run`: measured
 * rates, not promises. Collection: seconds per episode with two worker processes, at 64x64 with one sample per pixel
 * and with 4 x 4 supersampling (rendering grows with the samples); episodes with drift and missed grasps run longer.
 * Training: samples per second of `vla bench train` with the given number of workers. Evaluation: seconds per
 * episode per process (policy inference at every control step).
 */
import { TRAIN_DEFAULTS, type TrainOptions } from '../train/train.js';
import type { PolicyConfig } from '../policy/config.js';
import type { DatasetSpec, EvaluationSpec } from './Recipe.js';
import type { Rendering } from './DatasetCache.js';

const COLLECT_S_PER_EPISODE_SS1 = 0.035;
const COLLECT_S_PER_EPISODE_SS4 = 0.11;
const RECOVERY_FACTOR = 1.3;
/**
 * Training time per sample, ms = fixed + perMegaMac * (forward multiply-accumulates per sample / 1e6), fitted to
 * `vla bench train --batch 64` on an idle 2-core machine: 147.2 samples/s at spaceToDepth 1 and 202.7 at 2 (two
 * workers). With one worker a sample costs about 1.5 times as much. Busy cores are slower.
 */
const TRAIN_MS_FIXED = 2.74;
const TRAIN_MS_PER_MEGA_MAC = 0.182;
const ONE_WORKER_FACTOR = 1.5;
/**
 * A whole run averages about 0.8 of the bench's speed: the recipe runs 13-15 and the attention experiment's first run
 * held 110-135 samples/s over thousands of steps where the bench gave 140-160 on the same days (validation,
 * checkpoints and loading add a little; the machine's speed drifting over hours does the rest).
 */
const RUN_SPEED_FACTOR = 0.8;
/**
 * Evaluation seconds per episode per process (each job's start included): a success ends early, a failure mostly
 * runs to the step limit. Fitted to two evaluations, run 15's (95% success, 0.58 s per episode) and the attention
 * experiment's first run (29% success after 1200 steps, 1.25 s), both one episode at a time, then divided by 1.3,
 * what running 8 episodes in lockstep with batched predictions saved on 24 episodes of that run (25.1 s against
 * 19.2 s, process start included).
 */
const EVAL_S_PER_SUCCESS = 0.4;
const EVAL_S_PER_FAILURE = 1.2;
/** The success rate a recipe's evaluation is planned for: a fully trained policy. */
export const TRAINED_POLICY_SUCCESS = 0.95;

export function estimateCollectMinutes(spec: DatasetSpec, render: Rendering, workers: number): number {
  const samples = render.supersampling * render.supersampling;
  const pixels = (render.imageSize * render.imageSize) / (64 * 64);
  const perEpisode = (COLLECT_S_PER_EPISODE_SS1 + ((COLLECT_S_PER_EPISODE_SS4 - COLLECT_S_PER_EPISODE_SS1) * (samples - 1)) / 15) * pixels * (spec.noise || spec.misses ? RECOVERY_FACTOR : 1);
  return (spec.episodes * spec.tasks.length * perEpisode * 2) / Math.max(1, Math.min(2, workers)) / 60;
}

/**
 * Multiply-accumulates of one forward pass of one sample: the conv stem, the patch embedding and the attention
 * layers (projections, feed-forward, scores and mixing; with fusion 'concat' the fusion layers are self-attention over
 * words and patches together). Heads and the small heads on top cost little and are left out; so is the score kind
 * (additive scores cost about what dot products do in multiply-accumulates, though not in time).
 */
export function forwardMacs(c: PolicyConfig): number {
  const f = c.spaceToDepth;
  const grid = c.imageSize / f; // stem positions per side
  const inChannels = 3 * f * f;
  const stem = c.convStem ? grid * grid * 9 * c.stemChannels * (inChannels + c.stemChannels) : 0;
  const patches = (c.imageSize / c.patchSize) ** 2;
  const patchInputs = (c.patchSize / f) ** 2 * (c.convStem ? c.stemChannels : inChannels);
  const E = c.width;
  const ffn = 2 * c.ffnMult * E * E;
  const selfLayer = (t: number) => t * (4 * E * E + ffn) + 2 * t * t * E; // q, k, v, out; FFN; scores and mixing
  const crossLayer = (q: number, kv: number) => q * (2 * E * E + ffn) + kv * 2 * E * E + 2 * q * kv * E;
  const perCamera = stem + patches * patchInputs * E + c.visionLayers * selfLayer(patches);
  const words = c.maxWords;
  const memory = words + 1;
  return (
    c.cameras.length * perCamera +
    c.languageLayers * selfLayer(words) +
    c.fusionLayers * (c.fusion === 'concat' ? selfLayer(words + patches * c.cameras.length) : crossLayer(words, patches * c.cameras.length)) +
    c.actionLayers * crossLayer(c.chunk, memory)
  );
}

/** Estimated samples per second of the training step for `config` (see TRAIN_MS_FIXED). */
export function estimateTrainSamplesPerSecond(config: PolicyConfig, workers: number): number {
  const ms = (TRAIN_MS_FIXED + (TRAIN_MS_PER_MEGA_MAC * forwardMacs(config)) / 1e6) * (workers >= 2 ? 1 : ONE_WORKER_FACTOR);
  return 1000 / ms;
}

export function estimateTrainMinutes(o: Partial<TrainOptions> & { steps: number }, config: PolicyConfig): number {
  const t = { ...TRAIN_DEFAULTS, ...o };
  const workers = Math.min(2, Math.max(1, (t as { workers?: number }).workers ?? 2));
  return (t.steps * t.batchSize) / (RUN_SPEED_FACTOR * estimateTrainSamplesPerSecond(config, workers)) / 60;
}

/** Minutes of an evaluation of a policy expected to succeed `success` of the time (0..1). */
export function estimateEvalMinutes(e: EvaluationSpec, workers: number, success = TRAINED_POLICY_SUCCESS): number {
  const episodes = e.tasks.length * e.splits.length * e.episodes + e.languageScenes * 4;
  const perEpisode = success * EVAL_S_PER_SUCCESS + (1 - success) * EVAL_S_PER_FAILURE;
  return (episodes * perEpisode) / Math.max(1, Math.min(2, workers)) / 60;
}
