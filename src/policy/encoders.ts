/**
 * The two encoders: pixels to patch tokens, words to word tokens.
 *
 * Vision (ViT, Dosovitskiy et al. 2021, with a small convolutional stem as in Xiao et al. 2021, "Early
 * convolutions help transformers see better"):
 *
 *     image [N, S, S, 3] uint8 -> /255
 *       -> space-to-depth by f (optional): f x f pixel blocks -> channels           [N, S/f, S/f, 3*f*f]
 *       -> conv3x3 -> relu -> conv3x3     (optional stem, NHWC, stride 1)          [N, S/f, S/f, C]
 *       -> cut into (S/p)^2 patches of p/f x p/f positions, row-major from the top-left  [N, P, (p/f)^2*C]
 *       -> linear to E, + learned position embedding [P, E]                        [N, P, E]
 *       -> visionLayers pre-LN self-attention blocks -> LayerNorm                  [N, P, E]
 *
 * Language (a small BERT-like encoder, Devlin et al. 2019):
 *
 *     ids [B, L] -> embedding [vocab, E] + learned position embedding [L, E]  [B, L, E]
 *       -> languageLayers self-attention blocks (padding keys masked) -> LayerNorm
 */
import * as tf from '../tf/tf.js';
import { addSuffix } from '../tf/linalg.js';
import type { ResolvedPolicyConfig } from './config.js';
import type { ScoreKind } from '../attention/index.js';
import {
  Dense,
  LayerNorm,
  conv2dSame,
  dropout,
  gatherRows,
  makeBlocks,
  type BlockOptions,
  type ForwardContext,
  type ParamStore,
  type TransformerBlock,
} from './blocks.js';

/**
 * Options of the policy's transformer blocks. The config's score kind is how words score patches, so only the
 * fusion layers use it (`scoreKind` here); the encoders' self-attention and the action decoder score by dot
 * product, which keeps an additive policy's cost in the layers the comparison is about (an additive score builds a
 * [B, H, Tq, Tk, A] tensor, eight times the training time when every layer does it).
 */
export function blockOptions(c: ResolvedPolicyConfig, scoreKind: ScoreKind = 'dot'): BlockOptions {
  return { width: c.width, heads: c.heads, ffnMult: c.ffnMult, scoreKind, activation: c.activation };
}

/**
 * Cuts images into square patches: [N, S, S, C] -> [N, (S/p)^2, p*p*C]. Patch index = row * (S/p) + column, rows
 * from the top; each patch vector is laid out (pixel row, pixel column, channel). Rank-4 reshapes and transposes
 * only (the wasm backend's transpose is happiest there).
 */
export function patchify(x: tf.Tensor, p: number): tf.Tensor {
  const [N, S, , C] = x.shape as [number, number, number, number];
  const g = S / p;
  return tf.tidy(() => {
    const rows = tf.reshape(x, [N * g, p, g, p * C]); // [N*gh, p, gw, p*C]: split rows into patch rows
    const t = tf.transpose(rows, [0, 2, 1, 3]); // [N*gh, gw, p, p*C]: patch column before pixel row
    return tf.reshape(t, [N, g * g, p * p * C]); // [N, P, p*p*C]
  });
}

export class VisionEncoder {
  readonly stem: { w1: tf.Variable; b1: tf.Variable; w2: tf.Variable; b2: tf.Variable } | null;
  readonly patchEmbed: Dense;
  readonly posEmbed: tf.Variable;
  readonly blocks: TransformerBlock[];
  readonly lnFinal: LayerNorm;
  readonly patches: number;

  constructor(store: ParamStore, readonly config: ResolvedPolicyConfig) {
    const c = config;
    const C = c.stemChannels;
    const f = c.spaceToDepth;
    const cin = 3 * f * f; // channels after space-to-depth
    this.stem = c.convStem
      ? {
          w1: store.add('vision/stem/conv1/kernel', [3, 3, cin, C], { kind: 'xavier', fanIn: 9 * cin, fanOut: 9 * C }),
          b1: store.add('vision/stem/conv1/bias', [C], { kind: 'zeros' }),
          w2: store.add('vision/stem/conv2/kernel', [3, 3, C, C], { kind: 'xavier', fanIn: 9 * C, fanOut: 9 * C }),
          b2: store.add('vision/stem/conv2/bias', [C], { kind: 'zeros' }),
        }
      : null;
    const channels = c.convStem ? C : cin;
    const side = c.patchSize / f; // a patch's side in positions of the folded image
    this.patches = (c.imageSize / c.patchSize) ** 2;
    this.patchEmbed = new Dense(store, 'vision/patch_embed', side * side * channels, c.width);
    this.posEmbed = store.add('vision/pos_embed', [this.patches, c.width], { kind: 'normal', std: 0.02 });
    this.blocks = makeBlocks(store, 'vision', c.visionLayers, blockOptions(c));
    this.lnFinal = new LayerNorm(store, 'vision/ln_final', c.width);
  }

  /**
   * @param images [N, S, S, 3], 0..255 (int32 or float32)
   * @returns patch tokens [N, P, E] and the self-attention weights of every layer [N, H, P, P]
   */
  apply(images: tf.Tensor, ctx: ForwardContext): { tokens: tf.Tensor; weights: tf.Tensor[] } {
    const { imageSize: S, patchSize: p, spaceToDepth: f } = this.config;
    if (images.rank !== 4 || images.shape[1] !== S || images.shape[2] !== S || images.shape[3] !== 3) {
      throw new Error(`VisionEncoder: images must be [N, ${S}, ${S}, 3], got [${images.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      let x = tf.mul(tf.cast(images, 'float32'), 1 / 255) as tf.Tensor4D; // [N, S, S, 3] in [0, 1]
      if (f > 1) x = tf.reshape(patchify(x, f), [x.shape[0], S / f, S / f, 3 * f * f]) as tf.Tensor4D; // [N, S/f, S/f, 3ff]
      if (this.stem) {
        const s = this.stem;
        x = tf.relu(addSuffix(conv2dSame(x, s.w1 as tf.Tensor4D, false), s.b1)) as tf.Tensor4D; // [N, S/f, S/f, C]
        x = addSuffix(conv2dSame(x, s.w2 as tf.Tensor4D, true), s.b2) as tf.Tensor4D; // [N, S/f, S/f, C]
      }
      let tokens = this.patchEmbed.apply(patchify(x, p / f)); // [N, P, (p/f)^2*C] -> [N, P, E]
      tokens = dropout(addSuffix(tokens, this.posEmbed), ctx); // [N, P, E] + [P, E]
      const weights: tf.Tensor[] = [];
      for (const block of this.blocks) {
        const r = block.apply(tokens, null, null, ctx);
        tokens = r.output; // [N, P, E]
        weights.push(r.weights); // [N, H, P, P]
      }
      return { tokens: this.lnFinal.apply(tokens), weights }; // [N, P, E], [N, H, P, P] per layer
    });
  }
}

export class LanguageEncoder {
  readonly tokenEmbed: tf.Variable;
  readonly posEmbed: tf.Variable;
  readonly blocks: TransformerBlock[];
  readonly lnFinal: LayerNorm;

  constructor(store: ParamStore, readonly config: ResolvedPolicyConfig, readonly vocabSize: number) {
    const c = config;
    this.tokenEmbed = store.add('language/token_embed', [vocabSize, c.width], { kind: 'normal', std: 0.02 });
    this.posEmbed = store.add('language/pos_embed', [c.maxWords, c.width], { kind: 'normal', std: 0.02 });
    this.blocks = makeBlocks(store, 'language', c.languageLayers, blockOptions(c));
    this.lnFinal = new LayerNorm(store, 'language/ln_final', c.width);
  }

  /**
   * @param ids        [B, L] int32 word ids
   * @param padding    [B, L] float, 1 = padding (a key nobody attends to)
   * @returns word tokens [B, L, E] and the self-attention weights of every layer [B, H, L, L]
   */
  apply(ids: tf.Tensor, padding: tf.Tensor, ctx: ForwardContext): { tokens: tf.Tensor; weights: tf.Tensor[] } {
    return tf.tidy(() => {
      const emb = gatherRows(this.tokenEmbed, ids); // [B, L, E]
      let tokens = dropout(addSuffix(emb, this.posEmbed), ctx); // [B, L, E] + [L, E]
      const weights: tf.Tensor[] = [];
      for (const block of this.blocks) {
        const r = block.apply(tokens, null, padding, ctx);
        tokens = r.output; // [B, L, E]
        weights.push(r.weights); // [B, H, L, L]; 0 on padding keys
      }
      return { tokens: this.lnFinal.apply(tokens), weights }; // [B, L, E]
    });
  }
}
