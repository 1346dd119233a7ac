/**
 * Rough costs of a recipe's parts on the reference machine (2 cores, wasm backend), for `--dry-run`: measured
 * rates, not promises. Collection: seconds per episode with two worker processes, at 64x64 with one sample per pixel
 * and with 4 x 4 supersampling (rendering grows with the samples); episodes with drift and missed grasps run longer.
 * Training: samples per second of `vla bench train` with the given number of workers. Evaluation: seconds per
 * episode per process (policy inference at every control step).
 */
import { TRAIN_DEFAULTS, type TrainOptions } from '../train/train.js';
import type { DatasetSpec, EvaluationSpec } from './Recipe.js';
import type { Rendering } from './DatasetCache.js';

const COLLECT_S_PER_EPISODE_SS1 = 0.035;
const COLLECT_S_PER_EPISODE_SS4 = 0.11;
const RECOVERY_FACTOR = 1.3;
const TRAIN_SAMPLES_PER_S: Record<number, number> = { 1: 60, 2: 110 };
const EVAL_S_PER_EPISODE = 0.6;

export function estimateCollectMinutes(spec: DatasetSpec, render: Rendering, workers: number): number {
  const samples = render.supersampling * render.supersampling;
  const pixels = (render.imageSize * render.imageSize) / (64 * 64);
  const perEpisode = (COLLECT_S_PER_EPISODE_SS1 + ((COLLECT_S_PER_EPISODE_SS4 - COLLECT_S_PER_EPISODE_SS1) * (samples - 1)) / 15) * pixels * (spec.noise || spec.misses ? RECOVERY_FACTOR : 1);
  return (spec.episodes * spec.tasks.length * perEpisode * 2) / Math.max(1, Math.min(2, workers)) / 60;
}

export function estimateTrainMinutes(o: Partial<TrainOptions> & { steps: number }): number {
  const t = { ...TRAIN_DEFAULTS, ...o };
  const workers = Math.min(2, Math.max(1, (t as { workers?: number }).workers ?? 2));
  return (t.steps * t.batchSize) / (TRAIN_SAMPLES_PER_S[workers] ?? 60) / 60;
}

export function estimateEvalMinutes(e: EvaluationSpec, workers: number): number {
  const episodes = e.tasks.length * e.splits.length * e.episodes + e.languageScenes * 4;
  return (episodes * EVAL_S_PER_EPISODE) / Math.max(1, Math.min(2, workers)) / 60;
}
