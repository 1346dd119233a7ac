/**
 * The building blocks of the policy: a named parameter store, LayerNorm, the feed-forward block, the pre-LayerNorm
 * transformer block (self- or cross-attention + FFN), and two ops whose gradients the wasm backend lacks.
 *
 * Pre-LN block (Xiong et al. 2020; the layout of GPT-2 and ViT, Dosovitskiy et al. 2021):
 *
 *     x = x + Attention(LN1(x), context)       context = LN1(x) for self-attention (Vaswani et al. 2017)
 *     x = x + FFN(LN2(x))                      FFN(h) = act(h W1 + b1) W2 + b2
 *
 * Cross-attention (context = another sequence) is how words look at patches (Perceiver, Jaegle et al. 2021;
 * Flamingo, Alayrac et al. 2022) and how action queries read their memory (DETR / ACT, Zhao et al. 2023).
 */
import * as tf from '../tf/tf.js';
import { addSuffix, linear, matMul2d, mulSuffix } from '../tf/linalg.js';
import { MultiHeadAttention, type ScoreKind } from '../attention/index.js';
import type { Activation } from './config.js';

// ---------------------------------------------------------------------------------------------------------------
// Parameters

/** FNV-1a of a string, folded to 24 bits: the seed of one parameter, stable under reordering of the model code. */
export function seedOf(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h ^ (h >>> 24)) & 0xffffff;
}

export type Init =
  | { kind: 'zeros' }
  | { kind: 'ones' }
  /** Glorot & Bengio 2010, uniform: U(-sqrt(6 / (fanIn + fanOut)), +sqrt(...)). */
  | { kind: 'xavier'; fanIn: number; fanOut: number }
  /** N(0, std^2), truncated at 2 std (ViT's position embeddings use std 0.02). */
  | { kind: 'normal'; std: number };

/**
 * Every trainable tensor of a model under a stable, descriptive name ("vision/block0/attn/wq"); the names are the
 * checkpoint's. Each parameter's initial value depends only on the model seed and its name.
 */
export class ParamStore {
  private readonly vars = new Map<string, tf.Variable>();
  constructor(readonly seed: number) {}

  seedFor(name: string): number {
    return seedOf(`${this.seed}:${name}`);
  }

  add(name: string, shape: number[], init: Init): tf.Variable {
    if (this.vars.has(name)) throw new Error(`ParamStore: parameter "${name}" exists already`);
    const seed = this.seedFor(name);
    const v = tf.tidy(() => {
      switch (init.kind) {
        case 'zeros':
          return tf.variable(tf.zeros(shape), true);
        case 'ones':
          return tf.variable(tf.ones(shape), true);
        case 'xavier': {
          const limit = Math.sqrt(6 / (init.fanIn + init.fanOut));
          return tf.variable(tf.randomUniform(shape, -limit, limit, 'float32', seed), true);
        }
        case 'normal':
          return tf.variable(tf.truncatedNormal(shape, 0, init.std, 'float32', seed), true);
      }
    });
    this.vars.set(name, v);
    return v;
  }

  /** Registers the parameters of an attention layer under `prefix/` (wq, bq, wk, ... as it names them). */
  adopt(prefix: string, mha: MultiHeadAttention): void {
    for (const [name, v] of mha.namedVariables) {
      const full = `${prefix}/${name}`;
      if (this.vars.has(full)) throw new Error(`ParamStore: parameter "${full}" exists already`);
      this.vars.set(full, v);
    }
  }

  get named(): ReadonlyMap<string, tf.Variable> {
    return this.vars;
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

/** tf.tidy for a function returning a typed object of tensors (tf.tidy's own typing wants an index signature). */
export function tidyObject<T>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}

// ---------------------------------------------------------------------------------------------------------------
// Forward context: training flag and dropout

export interface ForwardContext {
  training: boolean;
  /** Dropout rate (applied only while training). */
  dropout: number;
  /** A fresh seed per dropout mask, so a seeded run is reproducible. */
  nextSeed: () => number;
}

export const INFERENCE: ForwardContext = { training: false, dropout: 0, nextSeed: () => 0 };

/** Inverted dropout (Srivastava et al. 2014) while training; the identity otherwise. */
export function dropout(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
  return ctx.training && ctx.dropout > 0 ? tf.dropout(x, ctx.dropout, undefined, ctx.nextSeed()) : x;
}

// ---------------------------------------------------------------------------------------------------------------
// Ops with gradients the wasm backend can run

/**
 * Rows of a table: table [V, E], ids [...] int32 -> [..., E]. The forward pass is tf.gather; tf.gather's own
 * gradient needs UnsortedSegmentSum, which the wasm backend does not have, so the gradient here is the equivalent
 * one-hot product dTable = onehot(ids)^T dY through matMul2d.
 */
export function gatherRows(table: tf.Tensor, ids: tf.Tensor): tf.Tensor {
  const [V, E] = table.shape as [number, number];
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [t, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([ids]); // kept alive for the backward pass even when the caller's tidy ends
    return {
      value: tf.gather(t, ids), // [..., E]
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const oneHotT = tf.transpose(tf.oneHot(tf.reshape(saved[0]!, [-1]), V)); // [V, N]
        return [matMul2d(oneHotT, tf.reshape(dy as tf.Tensor, [-1, E]))]; // [V, N] x [N, E] -> [V, E]
      },
    };
  });
  return f(table);
}

/**
 * k x k convolution (k odd), stride 1, 'same' padding, NHWC: x [B, H, W, Cin], w [k, k, Cin, Cout] -> [B, H, W, Cout].
 *
 * The forward pass is tf.conv2d. Its gradients are rewritten as forward convolutions, which the wasm backend runs
 * through XNNPACK (it has no Conv2DBackpropFilter kernel at all, and its Conv2DBackpropInput took 234 ms for the
 * default stem at batch 32, against 11 ms for a forward conv):
 *   dX = conv2d(dY, W rotated 180 degrees with in/out swapped)                        [B, H, W, Cin]
 *   dW = conv2d(X^T padded, dY^T as a filter): batch and channels of X swap roles, dY [B,H,W,Cout] becomes an
 *        [H, W, B, Cout] filter, the output [Cin, k, k, Cout] is dW up to a transpose.
 * dX is skipped (zeros) when the input is data (inputGrad false).
 */
export function conv2dSame(x: tf.Tensor4D, w: tf.Tensor4D, inputGrad: boolean): tf.Tensor4D {
  const k = w.shape[0];
  const pad = (k - 1) / 2;
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xi, wi, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([xi, wi]);
    return {
      value: tf.conv2d(xi, wi, 1, 'same'), // [B, H, W, Cout]
      gradFunc: (dyIn: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const dy = dyIn as tf.Tensor4D; // [B, H, W, Cout]
        const [sx, sw] = saved as [tf.Tensor4D, tf.Tensor4D];
        const xT = tf.transpose(tf.pad(sx, [[0, 0], [pad, pad], [pad, pad], [0, 0]]), [3, 1, 2, 0]) as tf.Tensor4D; // [Cin, H+2p, W+2p, B]
        const dyT = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [H, W, B, Cout]: a filter
        const dwT = tf.conv2d(xT, dyT, 1, 'valid'); // [Cin, k, k, Cout]
        const dw = tf.transpose(dwT, [1, 2, 0, 3]); // [k, k, Cin, Cout]
        const wFlip = tf.transpose(tf.reverse(sw, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D; // [k, k, Cout, Cin]
        const dx = inputGrad ? tf.conv2d(dy, wFlip, 1, 'same') : tf.zerosLike(sx); // [B, H, W, Cin]
        return [dx, dw];
      },
    };
  });
  return f(x, w) as tf.Tensor4D;
}

// ---------------------------------------------------------------------------------------------------------------
// Layers

/** LayerNorm over the last axis (Ba, Kiros & Hinton 2016): (x - mean) / sqrt(var + eps) * gamma + beta. */
export class LayerNorm {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  constructor(store: ParamStore, prefix: string, width: number, readonly eps = 1e-5) {
    this.gamma = store.add(`${prefix}/gamma`, [width], { kind: 'ones' });
    this.beta = store.add(`${prefix}/beta`, [width], { kind: 'zeros' });
  }

  /** x [..., E] -> [..., E] */
  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, -1, true); // [..., 1] each
      const xhat = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.eps))); // [..., E]
      return addSuffix(mulSuffix(xhat, this.gamma), this.beta); // [..., E] (gradients of gamma, beta: linalg.ts)
    });
  }
}

/** A dense layer y = x W + b with W [in, out] (Glorot-uniform) and b [out] (zeros). */
export class Dense {
  readonly w: tf.Variable;
  readonly b: tf.Variable;
  /** `init` 'zeros': the layer starts as the zero map (a new branch added to a residual stream changes nothing yet). */
  constructor(store: ParamStore, prefix: string, din: number, dout: number, init: 'xavier' | 'zeros' = 'xavier') {
    this.w = store.add(`${prefix}/kernel`, [din, dout], init === 'zeros' ? { kind: 'zeros' } : { kind: 'xavier', fanIn: din, fanOut: dout });
    this.b = store.add(`${prefix}/bias`, [dout], { kind: 'zeros' });
  }

  /** x [..., in] -> [..., out] */
  apply(x: tf.Tensor): tf.Tensor {
    return linear(x, this.w, this.b);
  }
}

/** x * sigmoid(1.702 x): the sigmoid approximation of GELU (Hendrycks & Gimpel 2016), 3 ops instead of ~9. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(x, 1.702))));
}

/** Position-wise feed-forward network (Vaswani et al. 2017, eq. 2): act(x W1 + b1) W2 + b2. */
export class FeedForward {
  readonly fc1: Dense;
  readonly fc2: Dense;
  constructor(store: ParamStore, prefix: string, width: number, hidden: number, readonly activation: Activation) {
    this.fc1 = new Dense(store, `${prefix}/fc1`, width, hidden);
    this.fc2 = new Dense(store, `${prefix}/fc2`, hidden, width);
  }

  /** x [..., E] -> [..., E] */
  apply(x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => {
      const h = this.fc1.apply(x); // [..., hidden]
      const a = this.activation === 'gelu' ? gelu(h) : tf.relu(h); // [..., hidden]
      return this.fc2.apply(dropout(a, ctx)); // [..., E]
    });
  }
}

export interface BlockOptions {
  width: number;
  heads: number;
  ffnMult: number;
  scoreKind: ScoreKind;
  activation: Activation;
}

export interface BlockResult {
  /** [B, Tq, E] */
  output: tf.Tensor;
  /** Per-head attention weights [B, H, Tq, Tk]. */
  weights: tf.Tensor;
}

/**
 * Pre-LN transformer block. Self-attention when `context` is null (keys = values = LN1(x)); cross-attention
 * otherwise (keys = values = context, which the caller has layer-normed).
 */
export class TransformerBlock {
  readonly ln1: LayerNorm;
  readonly attn: MultiHeadAttention;
  readonly ln2: LayerNorm;
  readonly ffn: FeedForward;

  constructor(store: ParamStore, readonly prefix: string, o: BlockOptions) {
    this.ln1 = new LayerNorm(store, `${prefix}/ln1`, o.width);
    this.attn = new MultiHeadAttention({
      embedDim: o.width,
      numHeads: o.heads,
      scoreKind: o.scoreKind,
      seed: store.seedFor(`${prefix}/attn`),
    });
    store.adopt(`${prefix}/attn`, this.attn);
    this.ln2 = new LayerNorm(store, `${prefix}/ln2`, o.width);
    this.ffn = new FeedForward(store, `${prefix}/ffn`, o.width, o.ffnMult * o.width, o.activation);
  }

  /**
   * @param x              [B, Tq, E] the tokens that query (and are updated)
   * @param context        [B, Tk, E] the tokens looked at, or null for self-attention (Tk = Tq)
   * @param keyPaddingMask [B, Tk], 1 = a padding key nobody may attend to
   */
  apply(x: tf.Tensor, context: tf.Tensor | null, keyPaddingMask: tf.Tensor | null, ctx: ForwardContext): BlockResult {
    return tf.tidy(() => {
      const h = this.ln1.apply(x); // [B, Tq, E]
      const kv = context ?? h; // [B, Tk, E]
      const { output: a, weights } = this.attn.apply(h, kv, kv, { keyPaddingMask }); // [B, Tq, E], [B, H, Tq, Tk]
      const x1 = tf.add(x, dropout(a, ctx)); // [B, Tq, E]
      const f = this.ffn.apply(this.ln2.apply(x1), ctx); // [B, Tq, E]
      return { output: tf.add(x1, dropout(f, ctx)), weights }; // [B, Tq, E]
    });
  }
}

/**
 * Whether a checkpoint name is one of the weights that write a TransformerBlock's residual branches into its stream
 * (the attention output projection `attn/wo`, `attn/bo`; the second FFN layer `ffn/fc2`): a block whose ones are all
 * zero is the identity.
 */
export function isResidualOutputWeight(name: string): boolean {
  return /\/block\d+\/(attn\/(wo|bo)|ffn\/fc2\/(kernel|bias))$/.test(name);
}

/** Builds `n` blocks named `${prefix}/block${i}`. */
export function makeBlocks(store: ParamStore, prefix: string, n: number, o: BlockOptions): TransformerBlock[] {
  return Array.from({ length: n }, (_, i) => new TransformerBlock(store, `${prefix}/block${i}`, o));
}
