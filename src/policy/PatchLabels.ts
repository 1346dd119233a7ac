/**
 * Patch labels (config.patchLabels): an auxiliary head that says, for every patch token of the vision encoder,
 * what kind of object (ball, cube, cylinder, bowl, plate) and what colour its object pixels are.
 *
 * The policy's words tell apart objects of one colour only if the patch tokens carry their shape; at 64x64 a ball
 * and a cube are 4-6 pixels wide, and the grounding loss teaches shape only where the command names a shape and the
 * scene has an object of that colour and another shape. This head
 * asks every patch of every frame, for every object in it, named or not: dense supervision of what the keys of the
 * cross-attention are made from (an auxiliary task on the encoder's features, as in UNREAL, Jaderberg et al. 2017,
 * and the semantic-segmentation side losses of visuomotor policies). Kind and colour are two separate softmaxes,
 * so a colour-shape pairing held out of the data is still two seen answers.
 *
 *     patch tokens [B, P, E] -> linear -> logits [B, P, NK + NC]
 *     kind:   log_softmax over the first NK   vs the patch's object pixels' share of each kind     [B, P, NK]
 *     colour: log_softmax over the last NC    vs their share of each colour                         [B, P, NC]
 *     loss = sum over patches of weight * (CE_kind + CE_colour) / 2, over the sum of the weights
 *
 * A patch's weight is min(1, object pixels / PATCH_LABEL_FULL_PIXELS): patches with no object pixels say nothing,
 * a patch with an object's edge says a little. The head reads the first camera's patches only (training reads one
 * camera). It does not change the actions: forward computes it only when asked (ForwardOptions.patchLabels).
 */
import * as tf from '../tf/tf.js';
import { COLOURS, RECEPTACLES, SHAPES } from '../../sim/types.js';
import { Dense, type ParamStore } from './blocks.js';

/** The kinds the head tells apart, in logit order. */
export const PATCH_KINDS = [...SHAPES, ...RECEPTACLES] as const;
/** The colours the head tells apart, in logit order (after the kinds). */
export const PATCH_COLOURS = COLOURS;
/** Checkpoint names of the head's weights start with this. */
export const PATCH_LABEL_PREFIX = 'vision/labels/';
/** Object pixels from which a patch counts fully in the loss. */
export const PATCH_LABEL_FULL_PIXELS = 4;

/** Index of a kind in PATCH_KINDS, or -1 (an object of another kind has no label). */
export function patchKindIndex(kind: string): number {
  return (PATCH_KINDS as readonly string[]).indexOf(kind);
}

/** Index of a colour in PATCH_COLOURS, or -1. */
export function patchColourIndex(colour: string): number {
  return (PATCH_COLOURS as readonly string[]).indexOf(colour);
}

export class PatchLabels {
  private readonly proj: Dense;

  constructor(store: ParamStore, width: number) {
    this.proj = new Dense(store, PATCH_LABEL_PREFIX.slice(0, -1), width, PATCH_KINDS.length + PATCH_COLOURS.length);
  }

  /** patches [B, P, E] -> logits [B, P, NK + NC] */
  apply(patches: tf.Tensor): tf.Tensor {
    return this.proj.apply(patches);
  }

  /**
   * The loss above. logits [B, P, NK + NC]; kindTarget [B, P, NK] and colourTarget [B, P, NC] (each row the shares
   * of the patch's labelled object pixels; all zero where there are none); weight [B, P].
   */
  static loss(logits: tf.Tensor, kindTarget: tf.Tensor, colourTarget: tf.Tensor, weight: tf.Tensor): tf.Scalar {
    return tf.tidy(() => {
      const [B, P] = logits.shape as [number, number, number];
      const NK = PATCH_KINDS.length;
      const NC = PATCH_COLOURS.length;
      const kindLog = tf.logSoftmax(tf.slice(logits, [0, 0, 0], [B, P, NK])); // [B, P, NK]
      const colourLog = tf.logSoftmax(tf.slice(logits, [0, 0, NK], [B, P, NC])); // [B, P, NC]
      const ce = tf.add(tf.sum(tf.mul(kindTarget, kindLog), 2), tf.sum(tf.mul(colourTarget, colourLog), 2)); // [B, P], <= 0
      return tf.div(tf.neg(tf.sum(tf.mul(ce, weight))), tf.mul(tf.maximum(tf.sum(weight), 1e-6), 2)) as tf.Scalar;
    });
  }
}
