/**
 * Pre- and post-processing (LeRobot's processor split): observations in, model inputs out; model outputs in,
 * physical actions out. Normalisation of proprioception and of target actions happens inside the model (it owns
 * the statistics); here everything is in physical units.
 */
import * as tf from '../tf/tf.js';
import { EE_ACTION_KEYS, type EeAction, type Observation } from '../../sim/types.js';
import type { ResolvedPolicyConfig } from './config.js';
import { GRIPPER_INDEX, proprioVector, type NormalizationStats } from './normalization.js';
import type { EncodedCommand, Tokenizer } from './Tokenizer.js';

/** What the model reads. Every tensor has the batch first. */
export interface PolicyInputs {
  /** By camera name (config.cameras): [B, S, S, 3], values 0..255 (int32 or float32). */
  images: Record<string, tf.Tensor>;
  /** [B, L] int32 word ids (L = config.maxWords). */
  tokens: tf.Tensor;
  /** [B, L] 1 = a real word, 0 = padding. */
  tokenMask: tf.Tensor;
  /** [B, proprioDim] in physical units (radians, 0..1, 0/1); normalised inside the model. */
  proprio: tf.Tensor;
}

/** A training batch: inputs plus the next K actions of each sample. */
export interface PolicyBatch extends PolicyInputs {
  /** [B, K, 5] in physical units: dx, dy, dz (m/step), dyaw (rad/step), gripper (0/1). */
  actions: tf.Tensor;
  /** [B, K] 1 = a real step, 0 = past the end of the episode (ignored by the loss). */
  actionValid: tf.Tensor;
  /**
   * Optional grounding targets: [B, L, C*P] where each word should look (a distribution over the patches of the
   * object it names), and [B, L] 1 where a word has such a target. Used by the grounding loss.
   */
  groundTarget?: tf.Tensor;
  groundWeight?: tf.Tensor;
  /**
   * Optional patch label targets (config.patchLabels), over the first camera's patches: [B, P, NK] and [B, P, NC]
   * the shares of each kind and colour among the patch's object pixels, [B, P] the patch's weight in the loss.
   */
  patchKind?: tf.Tensor;
  patchColour?: tf.Tensor;
  patchLabelWeight?: tf.Tensor;
}

/** Checks an observation against the config; throws an Error saying what does not fit. */
export function checkObservation(obs: Observation, c: ResolvedPolicyConfig): void {
  for (const cam of c.cameras) {
    const img = obs.images[cam];
    if (!img) {
      throw new Error(`observation has no image from camera "${cam}" (it has: ${Object.keys(obs.images).join(', ') || 'none'}); the policy reads ${c.cameras.join(', ')}`);
    }
    if (img.width !== c.imageSize || img.height !== c.imageSize) {
      throw new Error(`camera "${cam}" image is ${img.width}x${img.height}; this policy takes ${c.imageSize}x${c.imageSize} (config.imageSize)`);
    }
    if (img.rgb.length !== img.width * img.height * 3) {
      throw new Error(`camera "${cam}" image has ${img.rgb.length} bytes; ${img.width}x${img.height} RGB needs ${img.width * img.height * 3}`);
    }
  }
  const n = obs.joints.length + 2 + (c.eeProprio ? 4 : 0);
  if (n !== c.proprioDim) {
    throw new Error(
      `observation gives ${obs.joints.length} joints (+ gripper opening + holding${c.eeProprio ? ' + end-effector pose (4)' : ''} = ${n} numbers); this policy takes proprioDim ${c.proprioDim}`,
    );
  }
}

/**
 * Observations -> model inputs (new tensors: the caller disposes them, e.g. inside tf.tidy), and the tokenizer's
 * report on each command.
 */
export function observationsToInputs(
  observations: readonly Observation[],
  c: ResolvedPolicyConfig,
  tokenizer: Tokenizer,
): { inputs: PolicyInputs; commands: EncodedCommand[] } {
  const B = observations.length;
  if (B === 0) throw new Error('observationsToInputs: no observations');
  const S = c.imageSize;
  const L = c.maxWords;
  const ids = new Int32Array(B * L);
  const mask = new Int32Array(B * L);
  const proprio = new Float32Array(B * c.proprioDim);
  const commands: EncodedCommand[] = [];
  observations.forEach((obs, b) => {
    checkObservation(obs, c);
    const enc = tokenizer.encode(obs.command, L);
    ids.set(enc.ids, b * L);
    mask.set(enc.mask, b * L);
    commands.push(enc);
    proprio.set(proprioVector(obs, c.eeProprio), b * c.proprioDim);
  });
  const images: Record<string, tf.Tensor> = {};
  for (const cam of c.cameras) {
    const px = new Int32Array(B * S * S * 3);
    observations.forEach((obs, b) => px.set(obs.images[cam]!.rgb, b * S * S * 3));
    images[cam] = tf.tensor4d(px, [B, S, S, 3], 'int32'); // [B, S, S, 3]
  }
  const inputs: PolicyInputs = {
    images,
    tokens: tf.tensor2d(ids, [B, L], 'int32'), // [B, L]
    tokenMask: tf.tensor2d(mask, [B, L], 'int32'), // [B, L]
    proprio: tf.tensor2d(proprio, [B, c.proprioDim], 'float32'), // [B, proprioDim]
  };
  return { inputs, commands };
}

/** Frees every tensor of inputs or a batch. */
export function disposeInputs(x: PolicyInputs | PolicyBatch): void {
  for (const t of Object.values(x.images)) t.dispose();
  x.tokens.dispose();
  x.tokenMask.dispose();
  x.proprio.dispose();
  if ('actions' in x) {
    x.actions.dispose();
    x.actionValid.dispose();
    x.groundTarget?.dispose();
    x.groundWeight?.dispose();
    x.patchKind?.dispose();
    x.patchColour?.dispose();
    x.patchLabelWeight?.dispose();
  }
}

/**
 * Model outputs -> physical actions. `raw` is [B, K, 5] flat (normalised deltas and a gripper logit); deltas are
 * de-normalised with the action statistics, the gripper is 1 when sigmoid(logit) >= 0.5 (logit >= 0), else 0.
 */
export function toEeActions(raw: ArrayLike<number>, B: number, K: number, stats: NormalizationStats): EeAction[][] {
  const D = EE_ACTION_KEYS.length;
  if (raw.length !== B * K * D) throw new Error(`toEeActions: expected ${B * K * D} numbers ([${B}, ${K}, ${D}]), got ${raw.length}`);
  const out: EeAction[][] = [];
  for (let b = 0; b < B; b++) {
    const row: EeAction[] = [];
    for (let k = 0; k < K; k++) {
      const a = {} as Record<(typeof EE_ACTION_KEYS)[number], number>;
      EE_ACTION_KEYS.forEach((key, d) => {
        const v = raw[(b * K + k) * D + d]!;
        a[key] = d === GRIPPER_INDEX ? (v >= 0 ? 1 : 0) : v * stats.action.std[d]! + stats.action.mean[d]!;
      });
      row.push(a);
    }
    out.push(row);
  }
  return out;
}
