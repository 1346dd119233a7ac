/** The VLA policy: config, tokenizer, model, pre/post-processing, normalisation, checkpoints, attention maps. */
export {
  ACTIVATIONS,
  FUSIONS,
  DEFAULT_POLICY_CONFIG,
  SCORE_KINDS,
  patchGrid,
  PolicyConfigSchema,
  resolvePolicyConfig,
  type Activation,
  type Fusion,
  type PolicyConfig,
  type ResolvedPolicyConfig,
  type ScoreKind,
} from './config.js';
export {
  PAD_ID,
  PAD_TOKEN,
  Tokenizer,
  UNK_ID,
  UNK_TOKEN,
  normaliseWords,
  type EncodedCommand,
  type TokenizerJSON,
} from './Tokenizer.js';
export {
  GRIPPER_INDEX,
  STD_FLOOR,
  checkStats,
  computeStats,
  identityStats,
  proprioVector,
  type MeanStd,
  type NormalizationStats,
} from './normalization.js';
export {
  checkObservation,
  disposeInputs,
  observationsToInputs,
  toEeActions,
  type PolicyBatch,
  type PolicyInputs,
} from './processing.js';
export {
  VlaPolicy,
  type ForwardOptions,
  type LossOptions,
  type LossTerms,
  type PolicyOptions,
  type PolicyOutput,
} from './VlaPolicy.js';
export { averageHeads, cameraSlice, type AttentionMaps } from './maps.js';
export { PATCH_COLOURS, PATCH_KINDS, PATCH_LABEL_FULL_PIXELS, PATCH_LABEL_PREFIX, PatchLabels, patchColourIndex, patchKindIndex } from './PatchLabels.js';
export {
  CHECKPOINT_FILES,
  CONFIG_FIELDS_ADDED_LATER,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  CheckpointError,
  REMOVED_CONFIG_FIELDS,
  type RemovedConfigField,
  dropRemovedFields,
  loadPolicy,
  readCheckpointConfig,
  savePolicy,
  type FormatInfo,
  type WeightsManifest,
  type WeightsManifestEntry,
} from './checkpoint.js';
export {
  Dense,
  FeedForward,
  INFERENCE,
  LayerNorm,
  ParamStore,
  TransformerBlock,
  conv2dSame,
  dropout,
  gatherRows,
  gelu,
  isResidualOutputWeight,
  makeBlocks,
  seedOf,
  tidyObject,
  type BlockOptions,
  type BlockResult,
  type ForwardContext,
  type Init,
} from './blocks.js';
export { LanguageEncoder, VisionEncoder, blockOptions, patchify } from './encoders.js';
export { AVERAGE_RECORD, averagePolicies, formatAverage, type AverageOptions, type AverageResult } from './averagePolicies.js';
export { ChunkExecutor, DEFAULT_EXECUTION, formatExecution, parseExecution, type Execution } from './ChunkExecutor.js';
