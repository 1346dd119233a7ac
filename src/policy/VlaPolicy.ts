/**
 * The vision-language-action policy: camera image + command + proprioception -> the next K arm actions.
 *
 *   image   [B, S, S, 3] --VisionEncoder (conv stem + ViT, Dosovitskiy 2021)-----> patches [B, P, E]
 *   command [B, L]       --LanguageEncoder (padding masked)----------------------> words   [B, L, E]
 *   fusion: fusionLayers cross-attention blocks, words = queries, patches = keys/values
 *           (Perceiver / Flamingo style): each word gets a map over the patch grid  -> words   [B, L, E]
 *           (fusion 'concat', the experiments' baseline: self-attention over words and patches joined)
 *   keypoints (attentionKeypoints): per word and head, the last map's expected patch position (spatial
 *           soft-argmax, Levine et al. 2016) [B, L, 2H] -> linear -> added to the word  [B, L, E]
 *   words -> LN                                                                          [B, L, E]
 *   proprio [B, D] --normalise, linear-------------------------------------------> token   [B, 1, E]
 *   memory = LN(words)                                                                    [B, L, E]
 *   action decoder (ACT, Zhao et al. 2023): K learned queries, each plus the proprio token, actionLayers
 *           cross-attention blocks over the memory (padding words masked out) -> LN -> linear head [B, K, 5]
 *   outputs: dims 0..3 normalised deltas (dx, dy, dz, dyaw), dim 4 a gripper logit.
 *   patch labels (patchLabels, asked for in training): linear on the first camera's patch tokens -> kind and
 *           colour logits per patch (PatchLabels.ts; the actions do not read them)         [B, P, NK + NC]
 *
 * With several cameras, every image goes through the same vision encoder, gets a learned camera embedding and the
 * patch tokens are concatenated camera after camera ([B, C*P, E]).
 */
import * as tf from '../tf/tf.js';
import type { EeAction, Observation } from '../../sim/types.js';
import { patchGrid, resolvePolicyConfig, type PolicyConfig, type ResolvedPolicyConfig } from './config.js';
import { Tokenizer } from './Tokenizer.js';
import { checkStats, identityStats, type NormalizationStats } from './normalization.js';
import { Dense, LayerNorm, ParamStore, makeBlocks, seedOf, tidyObject, type ForwardContext, type TransformerBlock } from './blocks.js';
import { LanguageEncoder, VisionEncoder, blockOptions } from './encoders.js';
import { observationsToInputs, toEeActions, type PolicyBatch, type PolicyInputs } from './processing.js';
import { averageHeads, type AttentionMaps } from './maps.js';
import { matMul2d } from '../tf/linalg.js';
import { PatchLabels } from './PatchLabels.js';

export interface ForwardOptions {
  /** Training mode: dropout on (if config.dropout > 0). Default false. */
  training?: boolean;
  /** Also return the self-attention weights of the encoders and the action decoder's weights. Default false. */
  keepAttention?: boolean;
  /** With config.patchLabels: also return the patch label logits (PolicyOutput.patchLabels). Default false. */
  patchLabels?: boolean;
}

export interface PolicyOutput {
  /** [B, K, 5]: normalised deltas (dx, dy, dz, dyaw) and a gripper logit. */
  actions: tf.Tensor;
  /** Per fusion layer: [B, H, L, C*P], word (query) over patch (key) weights. */
  crossWeights: tf.Tensor[];
  /** With config.patchLabels and ForwardOptions.patchLabels: [B, P, NK + NC], kind and colour logits per patch. */
  patchLabels?: tf.Tensor;
  /** With keepAttention: per layer, vision [C*B, H, P, P], language [B, H, L, L], action [B, H, K, L]. */
  attention?: { vision: tf.Tensor[]; language: tf.Tensor[]; action: tf.Tensor[] };
}

export interface LossTerms {
  /** delta + gripper + the weighted grounding and patch label terms */
  total: tf.Scalar;
  /** Mean L1 over the normalised deltas of valid steps. */
  delta: tf.Scalar;
  /** Mean binary cross-entropy of the gripper logit over valid steps. */
  gripper: tf.Scalar;
  /**
   * Cross-entropy of the grounding targets against the last fusion layer's maps (heads averaged), over the words
   * that have a target; 0 when the batch has none.
   */
  grounding: tf.Scalar;
  /** Cross-entropy of the patch labels' kind and colour against the patches' objects (PatchLabels); 0 without. */
  labels: tf.Scalar;
}

export interface LossOptions {
  /** Dropout on (default true). */
  training?: boolean;
  /** Weight of the grounding term in total (default 0: off). */
  groundingWeight?: number;
  /** Weight of the patch label term in total (default 0: off). */
  labelWeight?: number;
}

export interface PolicyOptions {
  /** Default: the command language's vocabulary. */
  tokenizer?: Tokenizer;
  /** Default: identity (mean 0, std 1). */
  stats?: NormalizationStats;
}

export class VlaPolicy {
  readonly config: ResolvedPolicyConfig;
  readonly tokenizer: Tokenizer;
  private statsValue: NormalizationStats;
  private readonly store: ParamStore;
  private readonly vision: VisionEncoder;
  private readonly cameraEmbed: tf.Variable | null;
  private readonly language: LanguageEncoder;
  private readonly fusion: TransformerBlock[];
  private readonly lnFusion: LayerNorm;
  private readonly keypointProj: Dense | null;
  private readonly patchLabels: PatchLabels | null;
  /** Patch centres in [-1, 1] (x right, y down), camera after camera: [C*P, 2] flat. */
  private readonly patchCoords: Float32Array;
  private readonly proprioProj: Dense;
  private readonly actionQueries: tf.Variable;
  private readonly lnMemory: LayerNorm;
  private readonly actionBlocks: TransformerBlock[];
  private readonly lnAction: LayerNorm;
  private readonly head: Dense;
  private dropoutCalls = 0;

  constructor(config: Partial<PolicyConfig> = {}, options: PolicyOptions = {}) {
    const c = resolvePolicyConfig(config);
    this.config = c;
    this.tokenizer = options.tokenizer ?? new Tokenizer();
    this.statsValue = checkStats(options.stats ?? identityStats(c.actionDim, c.proprioDim), c.actionDim, c.proprioDim);
    const s = new ParamStore(c.seed);
    this.store = s;
    this.vision = new VisionEncoder(s, c);
    this.cameraEmbed = c.cameras.length > 1 ? s.add('vision/camera_embed', [c.cameras.length, c.width], { kind: 'normal', std: 0.02 }) : null;
    this.language = new LanguageEncoder(s, c, this.tokenizer.size);
    this.fusion = makeBlocks(s, 'fusion', c.fusionLayers, blockOptions(c, c.scoreKind));
    this.lnFusion = new LayerNorm(s, 'fusion/ln_final', c.width);
    this.keypointProj = c.attentionKeypoints ? new Dense(s, 'fusion/keypoints', 2 * c.heads, c.width) : null;
    this.patchLabels = c.patchLabels ? new PatchLabels(s, c.width) : null;
    const { gh, gw } = patchGrid(c);
    this.patchCoords = new Float32Array(c.cameras.length * gh * gw * 2);
    for (let cam = 0; cam < c.cameras.length; cam++) {
      for (let p = 0; p < gh * gw; p++) {
        const i = (cam * gh * gw + p) * 2;
        this.patchCoords[i] = ((p % gw) + 0.5) / gw * 2 - 1;
        this.patchCoords[i + 1] = (Math.floor(p / gw) + 0.5) / gh * 2 - 1;
      }
    }
    this.proprioProj = new Dense(s, 'proprio/proj', c.proprioDim, c.width);
    this.actionQueries = s.add('action/queries', [c.chunk, c.width], { kind: 'normal', std: 0.02 });
    this.lnMemory = new LayerNorm(s, 'action/ln_memory', c.width);
    this.actionBlocks = makeBlocks(s, 'action', c.actionLayers, blockOptions(c));
    this.lnAction = new LayerNorm(s, 'action/ln_final', c.width);
    this.head = new Dense(s, 'action/head', c.width, c.actionDim);
  }

  /** The normalisation statistics (a copy). */
  get stats(): NormalizationStats {
    return structuredClone(this.statsValue);
  }

  /** Replaces the normalisation statistics (e.g. computed from the training set before training). */
  setStats(stats: NormalizationStats): void {
    this.statsValue = checkStats(stats, this.config.actionDim, this.config.proprioDim);
  }

  /** Every parameter under its checkpoint name, in a fixed order. */
  get namedVariables(): ReadonlyMap<string, tf.Variable> {
    return this.store.named;
  }

  get trainableVariables(): tf.Variable[] {
    return [...this.store.named.values()];
  }

  get parameterCount(): number {
    let n = 0;
    for (const v of this.store.named.values()) n += v.size;
    return n;
  }

  /** The patch grid of one camera image: rows, columns. */
  get grid(): [number, number] {
    const { gh, gw } = patchGrid(this.config);
    return [gh, gw];
  }

  private context(training: boolean): ForwardContext {
    return {
      training,
      dropout: this.config.dropout,
      nextSeed: () => seedOf(`${this.config.seed}:dropout:${this.dropoutCalls++}`),
    };
  }

  /** The model: inputs -> normalised action chunk and the words-over-patches maps. */
  forward(inputs: PolicyInputs, options: ForwardOptions = {}): PolicyOutput {
    const c = this.config;
    const ctx = this.context(options.training ?? false);
    this.checkInputs(inputs);
    const B = inputs.tokens.shape[0]!;
    const C = c.cameras.length;
    return tidyObject(() => {
      // --- vision: every camera through one encoder, as one batch of C*B images
      const imgs = C === 1 ? inputs.images[c.cameras[0]!]! : tf.concat(c.cameras.map((n) => inputs.images[n]!), 0); // [C*B, S, S, 3]
      const vis = this.vision.apply(imgs, ctx); // tokens [C*B, P, E]
      const P = this.vision.patches;
      let patches = vis.tokens; // [B, P, E] when C = 1
      if (this.cameraEmbed) {
        const perCam = tf.reshape(vis.tokens, [C, B, P, c.width]); // [C, B, P, E]
        const withCam = tf.add(perCam, tf.reshape(this.cameraEmbed, [C, 1, 1, c.width])); // + [C, 1, 1, E]
        patches = tf.reshape(tf.transpose(withCam, [1, 0, 2, 3]), [B, C * P, c.width]); // [B, C*P, E]
      }

      // --- language: padding keys masked (1 = padding, the MultiHeadAttention convention)
      const padding = tf.sub(1, tf.cast(inputs.tokenMask, 'float32')); // [B, L]
      const ids = tf.cast(inputs.tokens, 'int32'); // [B, L]
      const lang = this.language.apply(ids, padding, ctx); // tokens [B, L, E]

      // --- fusion: the words meet the patches; padding words compute too but nothing reads them later
      const fused = this.fuse(lang.tokens, patches, padding, ctx);
      let words = fused.words; // [B, L, E]
      const crossWeights = fused.maps; // per layer [B, H, L, C*P]
      if (this.keypointProj) {
        // Spatial soft-argmax of each word's map, per head: sum over patches of weight * patch centre.
        const H = c.heads;
        const L = c.maxWords;
        const T = C * P;
        const w = crossWeights[crossWeights.length - 1]!; // [B, H, L, T]
        const kp = matMul2d(tf.reshape(w, [B * H * L, T]), tf.tensor2d(this.patchCoords, [T, 2])); // [B*H*L, 2]
        const perWord = tf.reshape(tf.transpose(tf.reshape(kp, [B, H, L, 2]), [0, 2, 1, 3]), [B, L, 2 * H]); // [B, L, 2H]
        words = tf.add(words, this.keypointProj.apply(perWord)); // [B, L, E]
      }
      words = this.lnFusion.apply(words); // [B, L, E]

      // --- proprioception token
      const { mean, std } = this.statsValue.proprio;
      const prop = tf.div(tf.sub(tf.cast(inputs.proprio, 'float32'), mean), std); // [B, D] normalised
      const propTok = tf.reshape(this.proprioProj.apply(prop), [B, 1, c.width]); // [B, 1, E]

      // --- memory of the action decoder: the fused words, padding words masked out
      const memory = this.lnMemory.apply(words); // [B, L, E]

      // --- action decoder: K learned queries (ACT), each plus the proprio token ("from where the arm is now, what
      // next?"), so the words are the only memory and the actions cannot come from proprioception alone
      let q = tf.add(tf.zeros([B, c.chunk, c.width]), this.actionQueries); // [B, K, E] (broadcast, cheap gradient)
      q = tf.add(q, propTok); // [B, K, E] + [B, 1, E]
      const actionWeights: tf.Tensor[] = [];
      for (const block of this.actionBlocks) {
        const r = block.apply(q, memory, padding, ctx);
        q = r.output; // [B, K, E]
        actionWeights.push(r.weights); // [B, H, K, L]
      }
      const actions = this.head.apply(this.lnAction.apply(q)); // [B, K, 5]

      const out: PolicyOutput = { actions, crossWeights };
      if (this.patchLabels && options.patchLabels) {
        out.patchLabels = this.patchLabels.apply(tf.slice(vis.tokens, [0, 0, 0], [B, P, c.width])); // first camera [B, P, NK + NC]
      }
      if (options.keepAttention) out.attention = { vision: vis.weights, language: lang.weights, action: actionWeights };
      return out;
    });
  }

  /**
   * The fusion layers (config.fusion). 'cross': each layer's words query the patches, its weights the words' maps.
   * 'concat': each layer is self-attention over the words and patches joined (padding words masked as keys); a
   * word's map is its weights on the patches, renormalised over them, so the keypoints, the grounding loss and the
   * pictures read the same [B, H, L, C*P] maps either way.
   */
  private fuse(words: tf.Tensor, patches: tf.Tensor, padding: tf.Tensor, ctx: ForwardContext): { words: tf.Tensor; maps: tf.Tensor[] } {
    const maps: tf.Tensor[] = [];
    if (this.config.fusion === 'cross') {
      for (const block of this.fusion) {
        const r = block.apply(words, patches, null, ctx);
        words = r.output; // [B, L, E]
        maps.push(r.weights); // [B, H, L, C*P]
      }
      return { words, maps };
    }
    const [B, L, E] = words.shape as [number, number, number];
    const T = patches.shape[1]!;
    const H = this.config.heads;
    let x = tf.concat([words, patches], 1); // [B, L+T, E]
    const mask = tf.concat([padding, tf.zeros([B, T])], 1); // [B, L+T], 1 = padding word
    for (const block of this.fusion) {
      const r = block.apply(x, null, mask, ctx);
      x = r.output; // [B, L+T, E]
      const onPatches = tf.slice(r.weights, [0, 0, 0, L], [B, H, L, T]); // [B, H, L, T] words' rows, patches' columns
      maps.push(tf.div(onPatches, tf.add(tf.sum(onPatches, -1, true), 1e-9))); // [B, H, L, T], rows sum to 1
    }
    return { words: tf.slice(x, [0, 0, 0], [B, L, E]), maps }; // words [B, L, E]
  }

  /** Loss terms of a batch (see LossTerms); targets are normalised here with the stored statistics. */
  lossTerms(batch: PolicyBatch, options: LossOptions = {}): LossTerms {
    const c = this.config;
    const B = batch.tokens.shape[0]!;
    const K = c.chunk;
    const D = c.actionDim;
    const want = [B, K, D].join(',');
    if (batch.actions.shape.join(',') !== want) throw new Error(`VlaPolicy.loss: actions must be [${B}, ${K}, ${D}], got [${batch.actions.shape.join(', ')}]`);
    if (batch.actionValid.shape.join(',') !== [B, K].join(',')) {
      throw new Error(`VlaPolicy.loss: actionValid must be [${B}, ${K}], got [${batch.actionValid.shape.join(', ')}]`);
    }
    return tidyObject(() => {
      const wantLabels = this.patchLabels !== null && batch.patchKind !== undefined;
      const out = this.forward(batch, { training: options.training ?? true, patchLabels: wantLabels });
      const pred = out.actions; // [B, K, 5]
      const target = tf.cast(batch.actions, 'float32'); // [B, K, 5] physical
      const valid = tf.cast(batch.actionValid, 'float32'); // [B, K]
      const nValid = tf.maximum(tf.sum(valid), 1); // scalar

      // Deltas: L1 on normalised values (ACT uses L1: sharper than L2 on multi-modal demonstrations).
      const { mean, std } = this.statsValue.action;
      const tDelta = tf.div(tf.sub(tf.slice(target, [0, 0, 0], [B, K, D - 1]), mean.slice(0, D - 1)), std.slice(0, D - 1)); // [B, K, 4]
      const l1 = tf.abs(tf.sub(tf.slice(pred, [0, 0, 0], [B, K, D - 1]), tDelta)); // [B, K, 4]
      const delta = tf.div(tf.sum(tf.mul(l1, tf.expandDims(valid, 2))), tf.mul(nValid, D - 1)) as tf.Scalar;

      // Gripper: BCE with logits, max(x, 0) - x z + log(1 + exp(-|x|)), z = (gripper >= 0.5).
      const x = tf.reshape(tf.slice(pred, [0, 0, D - 1], [B, K, 1]), [B, K]); // [B, K] logits
      const z = tf.cast(tf.greaterEqual(tf.reshape(tf.slice(target, [0, 0, D - 1], [B, K, 1]), [B, K]), 0.5), 'float32'); // [B, K]
      const bce = tf.add(tf.sub(tf.relu(x), tf.mul(x, z)), tf.log1p(tf.exp(tf.neg(tf.abs(x))))); // [B, K]
      const gripper = tf.div(tf.sum(tf.mul(bce, valid)), nValid) as tf.Scalar;

      // Grounding: -sum_p target_p * log(mean over heads of the word's weight on p), over words with a target.
      const gw = options.groundingWeight ?? 0;
      let grounding = tf.scalar(0);
      if (batch.groundTarget && batch.groundWeight) {
        const a = tf.mean(out.crossWeights[out.crossWeights.length - 1]!, 1); // [B, L, T]
        const ce = tf.neg(tf.sum(tf.mul(batch.groundTarget, tf.log(tf.add(a, 1e-6))), 2)); // [B, L]
        grounding = tf.div(tf.sum(tf.mul(ce, batch.groundWeight)), tf.maximum(tf.sum(batch.groundWeight), 1)) as tf.Scalar;
      }
      // Patch labels: what kind and colour of object each patch of the first camera holds.
      const bw = options.labelWeight ?? 0;
      let labels = tf.scalar(0);
      if (out.patchLabels && batch.patchKind && batch.patchColour && batch.patchLabelWeight) {
        labels = PatchLabels.loss(out.patchLabels, batch.patchKind, batch.patchColour, batch.patchLabelWeight);
      }
      const total = tf.addN([delta, gripper, tf.mul(grounding, gw), tf.mul(labels, bw)]) as tf.Scalar;
      return { total, delta, gripper, grounding, labels };
    });
  }

  /** The training loss (a scalar): mean L1 on normalised deltas + BCE on the gripper logit (+ weighted grounding). */
  loss(batch: PolicyBatch, options: LossOptions = {}): tf.Scalar {
    return tf.tidy(() => this.lossTerms(batch, options).total);
  }

  /** The next K actions for one observation, in physical units. Leaves no tensors behind. */
  act(observation: Observation): EeAction[] {
    return this.actBatch([observation])[0]!;
  }

  /** K actions per observation, batched. */
  actBatch(observations: readonly Observation[]): EeAction[][] {
    const raw = tf.tidy(() => {
      const { inputs } = observationsToInputs(observations, this.config, this.tokenizer);
      return this.forward(inputs).actions.dataSync() as Float32Array; // [B, K, 5] flat
    });
    return toEeActions(raw, observations.length, this.config.chunk, this.statsValue);
  }

  /**
   * Where each word of the command looks: maps[layer][head][word] is a distribution over the patch grid
   * (Float32Array of cameras * gh * gw, camera after camera, rows top to bottom), summing to 1. Only real words.
   */
  attentionMaps(observation: Observation): AttentionMaps {
    const H = this.config.heads;
    return tidyObject(() => {
      const { inputs, commands } = observationsToInputs([observation], this.config, this.tokenizer);
      const enc = commands[0]!;
      const n = enc.words.length;
      const out = this.forward(inputs);
      const layers = out.crossWeights.map((w) => {
        const [, , L, T] = w.shape as [number, number, number, number]; // [1, H, L, T]
        const data = w.dataSync() as Float32Array;
        return Array.from({ length: H }, (_, h) =>
          Array.from({ length: n }, (_, i) => data.slice((h * L + i) * T, (h * L + i + 1) * T)),
        );
      });
      return { words: enc.words, unknown: enc.unknown, dropped: enc.dropped, cameras: [...this.config.cameras], grid: this.grid, layers };
    });
  }

  /** Heads averaged: [layer][word] -> Float32Array over the grid. */
  static averageHeads = averageHeads;

  /** A copy of every parameter by checkpoint name. */
  getWeights(): Map<string, { shape: number[]; data: Float32Array }> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, v] of this.store.named) out.set(name, { shape: [...v.shape], data: Float32Array.from(v.dataSync()) });
    return out;
  }

  /**
   * Sets every parameter from tensors or arrays by checkpoint name. All names must be present with the right shape
   * (checked before anything is assigned, so a bad set leaves the policy unchanged).
   */
  setWeights(weights: ReadonlyMap<string, tf.Tensor | { shape: number[]; data: ArrayLike<number> }>): void {
    const problems: string[] = [];
    for (const [name, v] of this.store.named) {
      const w = weights.get(name);
      if (!w) problems.push(`missing weight "${name}" [${v.shape.join(', ')}]`);
      else if (w.shape.join(',') !== v.shape.join(',')) {
        problems.push(`weight "${name}" has shape [${w.shape.join(', ')}], the model needs [${v.shape.join(', ')}]`);
      } else if (!(w instanceof tf.Tensor) && w.data.length !== v.size) {
        problems.push(`weight "${name}" has ${w.data.length} values, the model needs ${v.size}`);
      }
    }
    for (const name of weights.keys()) if (!this.store.named.has(name)) problems.push(`unknown weight "${name}"`);
    if (problems.length > 0) throw new Error(`VlaPolicy.setWeights: ${problems.join('; ')}`);
    for (const [name, v] of this.store.named) {
      const w = weights.get(name)!;
      tf.tidy(() => v.assign(w instanceof tf.Tensor ? tf.cast(w, 'float32') : tf.tensor(Float32Array.from(w.data), v.shape, 'float32')));
    }
  }

  private checkInputs(x: PolicyInputs): void {
    const c = this.config;
    const B = x.tokens.shape[0];
    const fail = (m: string) => {
      throw new Error(`VlaPolicy.forward: ${m}`);
    };
    if (x.tokens.rank !== 2 || x.tokens.shape[1] !== c.maxWords) fail(`tokens must be [B, ${c.maxWords}], got [${x.tokens.shape.join(', ')}]`);
    if (x.tokenMask.shape.join(',') !== x.tokens.shape.join(',')) fail(`tokenMask must be [${x.tokens.shape.join(', ')}], got [${x.tokenMask.shape.join(', ')}]`);
    if (x.proprio.shape.join(',') !== [B, c.proprioDim].join(',')) fail(`proprio must be [${B}, ${c.proprioDim}], got [${x.proprio.shape.join(', ')}]`);
    for (const cam of c.cameras) {
      const img = x.images[cam];
      if (!img) fail(`no image for camera "${cam}" (images has: ${Object.keys(x.images).join(', ') || 'none'})`);
      else if (img.shape.join(',') !== [B, c.imageSize, c.imageSize, 3].join(',')) {
        fail(`images.${cam} must be [${B}, ${c.imageSize}, ${c.imageSize}, 3], got [${img.shape.join(', ')}]`);
      }
    }
  }

  /** Frees every parameter. */
  dispose(): void {
    this.store.dispose();
  }
}
