/** Messages between the training coordinator (DataParallel) and its worker threads (worker.ts). */
import type { LossOptions, NormalizationStats, ResolvedPolicyConfig, TokenizerJSON } from '../../policy/index.js';
import type { BatchOptions, BatchSource, SamplePlan } from '../batch.js';
import type { LossDenominators, LossShares } from './lossShares.js';

export interface InitMessage {
  type: 'init';
  /** tf.getBackend() of the coordinator: the worker activates the same. */
  backend: string;
  config: ResolvedPolicyConfig;
  tokenizer: TokenizerJSON;
  stats: NormalizationStats;
  source: BatchSource;
  batchOptions: Omit<BatchOptions, 'paraphrase' | 'korean' | 'unknownWords'>;
  lossOptions: LossOptions;
  /** Shared with the coordinator: the current weights (read at every grads) and this worker's gradient. */
  weights: Float32Array;
  grads: Float32Array;
}

export type ToWorker = InitMessage | { type: 'render'; plans: SamplePlan[] } | { type: 'grads'; shares: LossShares };

export type FromWorker =
  | { type: 'ready'; sizes: number[] }
  | { type: 'rendered'; denominators: LossDenominators }
  | { type: 'grads'; loss: number; present: Uint8Array }
  | { type: 'error'; message: string };
