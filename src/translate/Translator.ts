/**
 * A small attention encoder-decoder (Vaswani et al. 2017, "Attention is all you need", section 3) that translates
 * robot commands between English and Korean, built from the attention library:
 *
 *     encoder block:  x = x + SelfAttention(LN(x))                       keys: the source words, padding masked
 *                     x = x + FFN(LN(x))
 *     decoder block:  y = y + CausalSelfAttention(LN(y))                  word i sees target words 0..i only
 *                     y = y + CrossAttention(LN(y), memory)              each target word looks at the source words
 *                     y = y + FFN(LN(y))
 *     logits = LN(y) Wout + bout
 *
 * Pre-LayerNorm blocks (Xiong et al. 2020); word embeddings scaled by sqrt(E) plus the fixed sinusoidal positions of
 * section 3.5. The cross-attention weights are what the alignment figures show: row i says where target word i
 * looked in the source.
 */
import * as tf from '../tf/tf.js';
import { MultiHeadAttention, type ScoreKind } from '../attention/index.js';
import { Dense, FeedForward, INFERENCE, LayerNorm, ParamStore, gatherRows, tidyObject } from '../policy/blocks.js';

export interface TranslatorConfig {
  sourceVocab: number;
  targetVocab: number;
  width: number;
  heads: number;
  scoreKind: ScoreKind;
  encoderLayers: number;
  decoderLayers: number;
  /** Longest sequence the positions cover (source or target, with the start and end marks). */
  maxLength: number;
  seed: number;
}

/** What one forward pass returns: the logits and every attention map. */
export interface TranslatorOutput {
  /** [B, Tt, Vt] */
  logits: tf.Tensor;
  /** Per decoder block, [B, H, Tt, Ts]: where each target word looked in the source. */
  cross: tf.Tensor[];
  /** Per decoder block, [B, H, Tt, Tt]: causal self-attention over the target words. */
  decoderSelf: tf.Tensor[];
  /** Per encoder block, [B, H, Ts, Ts]. */
  encoderSelf: tf.Tensor[];
}

/** What the encoder hands the decoder. */
export interface Encoded {
  /** [B, Ts, E] */
  memory: tf.Tensor;
  /** [B, Ts], 1 = padding */
  padding: tf.Tensor;
  /** Per encoder block, [B, H, Ts, Ts]. */
  encoderSelf: tf.Tensor[];
}

/** Sinusoidal positions (Vaswani et al. 2017, section 3.5): PE[p, 2i] = sin(p / 10000^(2i/E)), PE[p, 2i+1] = cos(...). */
export function sinusoidalPositions(length: number, width: number): tf.Tensor2D {
  const data = new Float32Array(length * width);
  for (let p = 0; p < length; p++) {
    for (let i = 0; i < width; i += 2) {
      const angle = p / Math.pow(10000, i / width);
      data[p * width + i] = Math.sin(angle);
      if (i + 1 < width) data[p * width + i + 1] = Math.cos(angle);
    }
  }
  return tf.tensor2d(data, [length, width]); // [L, E]
}

class EncoderBlock {
  readonly ln1: LayerNorm;
  readonly attn: MultiHeadAttention;
  readonly ln2: LayerNorm;
  readonly ffn: FeedForward;
  constructor(store: ParamStore, prefix: string, c: TranslatorConfig) {
    this.ln1 = new LayerNorm(store, `${prefix}/ln1`, c.width);
    this.attn = attention(store, `${prefix}/attn`, c);
    this.ln2 = new LayerNorm(store, `${prefix}/ln2`, c.width);
    this.ffn = new FeedForward(store, `${prefix}/ffn`, c.width, 4 * c.width, 'gelu');
  }

  /** x [B, Ts, E], padding [B, Ts] (1 = padding) -> x [B, Ts, E], weights [B, H, Ts, Ts] */
  apply(x: tf.Tensor, padding: tf.Tensor): { x: tf.Tensor; weights: tf.Tensor } {
    const h = this.ln1.apply(x); // [B, Ts, E]
    const { output, weights } = this.attn.apply(h, h, h, { keyPaddingMask: padding }); // [B, Ts, E], [B, H, Ts, Ts]
    const x1 = tf.add(x, output); // [B, Ts, E]
    return { x: tf.add(x1, this.ffn.apply(this.ln2.apply(x1), INFERENCE)), weights }; // [B, Ts, E]
  }
}

class DecoderBlock {
  readonly ln1: LayerNorm;
  readonly self: MultiHeadAttention;
  readonly ln2: LayerNorm;
  readonly cross: MultiHeadAttention;
  readonly ln3: LayerNorm;
  readonly ffn: FeedForward;
  constructor(store: ParamStore, prefix: string, c: TranslatorConfig) {
    this.ln1 = new LayerNorm(store, `${prefix}/ln1`, c.width);
    this.self = attention(store, `${prefix}/self`, c);
    this.ln2 = new LayerNorm(store, `${prefix}/ln2`, c.width);
    this.cross = attention(store, `${prefix}/cross`, c);
    this.ln3 = new LayerNorm(store, `${prefix}/ln3`, c.width);
    this.ffn = new FeedForward(store, `${prefix}/ffn`, c.width, 4 * c.width, 'gelu');
  }

  /** y [B, Tt, E], memory [B, Ts, E], sourcePadding [B, Ts] -> y [B, Tt, E] and both attention maps */
  apply(y: tf.Tensor, memory: tf.Tensor, sourcePadding: tf.Tensor): { y: tf.Tensor; self: tf.Tensor; cross: tf.Tensor } {
    const h = this.ln1.apply(y); // [B, Tt, E]
    const s = this.self.apply(h, h, h, { causal: true }); // [B, Tt, E], [B, H, Tt, Tt]
    const y1 = tf.add(y, s.output); // [B, Tt, E]
    const h2 = this.ln2.apply(y1); // [B, Tt, E]
    const c = this.cross.apply(h2, memory, memory, { keyPaddingMask: sourcePadding }); // [B, Tt, E], [B, H, Tt, Ts]
    const y2 = tf.add(y1, c.output); // [B, Tt, E]
    return { y: tf.add(y2, this.ffn.apply(this.ln3.apply(y2), INFERENCE)), self: s.weights, cross: c.weights };
  }
}

function attention(store: ParamStore, prefix: string, c: TranslatorConfig): MultiHeadAttention {
  const mha = new MultiHeadAttention({ embedDim: c.width, numHeads: c.heads, scoreKind: c.scoreKind, seed: store.seedFor(prefix) });
  store.adopt(prefix, mha);
  return mha;
}

export class Translator {
  readonly store: ParamStore;
  private readonly sourceEmbedding: tf.Variable;
  private readonly targetEmbedding: tf.Variable;
  private readonly positions: tf.Tensor2D;
  private readonly encoder: EncoderBlock[];
  private readonly encoderNorm: LayerNorm;
  private readonly decoder: DecoderBlock[];
  private readonly decoderNorm: LayerNorm;
  private readonly head: Dense;

  constructor(readonly config: Readonly<TranslatorConfig>) {
    const c = config;
    if (c.width % c.heads !== 0) throw new Error(`Translator: heads (${c.heads}) must divide width (${c.width})`);
    this.store = new ParamStore(c.seed);
    this.sourceEmbedding = this.store.add('source/embedding', [c.sourceVocab, c.width], { kind: 'normal', std: 1 / Math.sqrt(c.width) });
    this.targetEmbedding = this.store.add('target/embedding', [c.targetVocab, c.width], { kind: 'normal', std: 1 / Math.sqrt(c.width) });
    this.positions = sinusoidalPositions(c.maxLength, c.width);
    this.encoder = Array.from({ length: c.encoderLayers }, (_, i) => new EncoderBlock(this.store, `encoder/block${i}`, c));
    this.encoderNorm = new LayerNorm(this.store, 'encoder/ln', c.width);
    this.decoder = Array.from({ length: c.decoderLayers }, (_, i) => new DecoderBlock(this.store, `decoder/block${i}`, c));
    this.decoderNorm = new LayerNorm(this.store, 'decoder/ln', c.width);
    this.head = new Dense(this.store, 'decoder/head', c.width, c.targetVocab);
  }

  get trainableVariables(): tf.Variable[] {
    return [...this.store.named.values()];
  }

  get parameterCount(): number {
    return this.trainableVariables.reduce((n, v) => n + v.size, 0);
  }

  /** ids [B, T] int32 -> embedding * sqrt(E) + position [B, T, E] */
  private embed(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
    const T = ids.shape[1]!;
    if (T > this.config.maxLength) throw new Error(`Translator: a sequence of ${T} words is longer than maxLength ${this.config.maxLength}`);
    const e = tf.mul(gatherRows(table, ids), Math.sqrt(this.config.width)); // [B, T, E]
    return tf.add(e, tf.slice(this.positions, [0, 0], [T, this.config.width])); // [B, T, E]
  }

  /** source [B, Ts] int32 word ids, 0 = padding -> the memory the decoder reads, its padding and the encoder's maps */
  encode(source: tf.Tensor): Encoded {
    return tidyObject(() => {
      const padding = tf.cast(tf.equal(source, 0), 'float32'); // [B, Ts], 1 = padding
      let x = this.embed(this.sourceEmbedding, source); // [B, Ts, E]
      const encoderSelf: tf.Tensor[] = [];
      for (const block of this.encoder) {
        const r = block.apply(x, padding);
        x = r.x; // [B, Ts, E]
        encoderSelf.push(r.weights); // [B, H, Ts, Ts]
      }
      return { memory: this.encoderNorm.apply(x), padding, encoderSelf }; // memory [B, Ts, E]
    });
  }

  /** targetInput [B, Tt] int32 (the start mark and the target words so far) -> logits and the decoder's maps */
  decode(enc: Encoded, targetInput: tf.Tensor): Omit<TranslatorOutput, 'encoderSelf'> {
    return tidyObject(() => {
      let y = this.embed(this.targetEmbedding, targetInput); // [B, Tt, E]
      const cross: tf.Tensor[] = [];
      const decoderSelf: tf.Tensor[] = [];
      for (const block of this.decoder) {
        const r = block.apply(y, enc.memory, enc.padding);
        y = r.y; // [B, Tt, E]
        cross.push(r.cross); // [B, H, Tt, Ts]
        decoderSelf.push(r.self); // [B, H, Tt, Tt]
      }
      return { logits: this.head.apply(this.decoderNorm.apply(y)), cross, decoderSelf }; // logits [B, Tt, Vt]
    });
  }

  /**
   * @param source       [B, Ts] int32 source word ids, 0 = padding
   * @param targetInput  [B, Tt] int32: the start mark and the target words so far (teacher forcing)
   */
  forward(source: tf.Tensor, targetInput: tf.Tensor): TranslatorOutput {
    return tidyObject(() => {
      const enc = this.encode(source);
      return { ...this.decode(enc, targetInput), encoderSelf: enc.encoderSelf };
    });
  }

  /**
   * Mean cross-entropy of the next word over the real (non-padding) target positions.
   * @param targetOutput [B, Tt] int32: the target words and the end mark, 0 = padding
   */
  loss(source: tf.Tensor, targetInput: tf.Tensor, targetOutput: tf.Tensor): tf.Scalar {
    return tf.tidy(() => {
      const { logits } = this.forward(source, targetInput); // [B, Tt, Vt]
      const logp = tf.logSoftmax(logits); // [B, Tt, Vt]
      const picked = tf.sum(tf.mul(logp, tf.oneHot(targetOutput, this.config.targetVocab)), -1); // [B, Tt]
      const real = tf.cast(tf.notEqual(targetOutput, 0), 'float32'); // [B, Tt]
      return tf.neg(tf.div(tf.sum(tf.mul(picked, real)), tf.maximum(tf.sum(real), 1))) as tf.Scalar;
    });
  }

  /** Greedy decoding: word ids [B][] (without the marks), each stopping at the end mark or `maxSteps` words. */
  greedy(source: tf.Tensor, bos: number, eos: number, maxSteps: number): number[][] {
    const B = source.shape[0]!;
    const out: number[][] = Array.from({ length: B }, () => []);
    const done = new Array<boolean>(B).fill(false);
    let prefix: number[][] = Array.from({ length: B }, () => [bos]);
    const enc = this.encode(source); // the source is read once; each step only runs the decoder
    try {
      for (let t = 0; t < maxSteps && done.some((d) => !d); t++) {
        const next = tf.tidy(() => {
          const { logits } = this.decode(enc, tf.tensor2d(prefix, [B, t + 1], 'int32')); // [B, t+1, Vt]
          return tf.argMax(tf.squeeze(tf.slice(logits, [0, t, 0], [B, 1, -1]), [1]), -1); // [B]
        });
        const ids = next.dataSync();
        next.dispose();
        prefix = prefix.map((p, b) => [...p, ids[b]!]);
        for (let b = 0; b < B; b++) {
          if (done[b]) continue;
          if (ids[b] === eos) done[b] = true;
          else out[b]!.push(ids[b]!);
        }
      }
    } finally {
      tf.dispose([enc.memory, enc.padding, ...enc.encoderSelf]);
    }
    return out;
  }

  dispose(): void {
    this.store.dispose();
    this.positions.dispose();
  }
}
