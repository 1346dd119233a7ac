/**
 * Multi-head attention (Vaswani et al. 2017, section 3.2.2), laid out like torch.nn.MultiheadAttention with
 * batch_first=True so that weights transfer one to one:
 *
 *     q = query Wq + bq,  k = key Wk + bk,  v = value Wv + bv          (kernels are [in, out]: y = x W + b)
 *     head h uses columns h*E/H .. (h+1)*E/H of q, k and v
 *     head_h = softmax(score_h(q_h, k_h)) v_h,   out = concat(head_1..head_H) Wo + bo
 *
 * score is either scaled dot-product, q_h k_h^T / sqrt(E/H), or additive (Bahdanau 2015) with parameters of
 * its own per head: va_h . tanh(q_h Aq_h + k_h Ak_h + ab_h).
 *
 * Self-attention: apply(x, x, x). Cross-attention: apply(x, context, context), where the key and value widths
 * (kDim, vDim) may differ from the query's.
 */
import * as tf from '../tf/tf.js';
import { batchMatMul, linear } from '../tf/linalg.js';
import { causalMask, maskedSoftmax } from './masks.js';
import type { AttentionResult } from './scaledDotProduct.js';

export const SCORE_KINDS = ['dot', 'additive'] as const;
export type ScoreKind = (typeof SCORE_KINDS)[number];

export interface MultiHeadAttentionConfig {
  /** Width of the query input and of the output, E. */
  embedDim: number;
  /** Number of heads H; must divide embedDim. */
  numHeads: number;
  /** Width of the key input; default embedDim. */
  kDim?: number;
  /** Width of the value input; default embedDim. */
  vDim?: number;
  /** How a head scores a query against a key; default 'dot'. */
  scoreKind?: ScoreKind;
  /** Hidden width of the additive score per head; default the head width E/H. Ignored for 'dot'. */
  additiveDim?: number;
  /** Biases on the four projections; default true. */
  bias?: boolean;
  /** Seed of the initial weights; default 0. */
  seed?: number;
}

export type ResolvedMultiHeadAttentionConfig = Readonly<Required<MultiHeadAttentionConfig>>;

const isPosInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x > 0;

/**
 * Fills in defaults and checks a config, returning a new object (the argument is not modified). Every error
 * says which field is wrong and what was expected.
 */
export function resolveMultiHeadAttentionConfig(c: MultiHeadAttentionConfig): ResolvedMultiHeadAttentionConfig {
  const problems: string[] = [];
  if (!isPosInt(c.embedDim)) problems.push(`embedDim must be a positive integer, got ${c.embedDim}`);
  if (!isPosInt(c.numHeads)) problems.push(`numHeads must be a positive integer, got ${c.numHeads}`);
  else if (isPosInt(c.embedDim) && c.embedDim % c.numHeads !== 0) {
    problems.push(`numHeads (${c.numHeads}) must divide embedDim (${c.embedDim}): each head gets embedDim/numHeads columns`);
  }
  for (const f of ['kDim', 'vDim', 'additiveDim'] as const) {
    if (c[f] !== undefined && !isPosInt(c[f])) problems.push(`${f} must be a positive integer, got ${c[f]}`);
  }
  if (c.scoreKind !== undefined && !(SCORE_KINDS as readonly string[]).includes(c.scoreKind)) {
    problems.push(`scoreKind must be one of ${SCORE_KINDS.join(', ')}, got "${c.scoreKind}"`);
  }
  if (c.seed !== undefined && !Number.isInteger(c.seed)) problems.push(`seed must be an integer, got ${c.seed}`);
  if (problems.length > 0) throw new Error(`MultiHeadAttention config: ${problems.join('; ')}`);
  return Object.freeze({
    embedDim: c.embedDim,
    numHeads: c.numHeads,
    kDim: c.kDim ?? c.embedDim,
    vDim: c.vDim ?? c.embedDim,
    scoreKind: c.scoreKind ?? 'dot',
    additiveDim: c.additiveDim ?? c.embedDim / c.numHeads,
    bias: c.bias ?? true,
    seed: c.seed ?? 0,
  });
}

export interface MultiHeadAttentionOptions {
  /** [B, Tk]; 1 (or true) marks a padding key that no query may attend to (torch's key_padding_mask). */
  keyPaddingMask?: tf.Tensor | null;
  /** Allow mask [B, Tq, Tk] or [Tq, Tk]; 1 = may attend. */
  mask?: tf.Tensor | null;
  /** Query i attends only to keys j <= i. */
  causal?: boolean;
}

/** The names under which getWeights/setWeights exchange parameters. */
export type MhaWeightName = 'wq' | 'bq' | 'wk' | 'bk' | 'wv' | 'bv' | 'wo' | 'bo' | 'aq' | 'ak' | 'ab' | 'av';
export interface WeightArray {
  shape: number[];
  data: ArrayLike<number>;
}

function xavier(shape: number[], fanIn: number, fanOut: number, seed: number): tf.Tensor {
  const limit = Math.sqrt(6 / (fanIn + fanOut)); // Glorot & Bengio 2010, uniform variant
  return tf.randomUniform(shape, -limit, limit, 'float32', seed);
}

export class MultiHeadAttention {
  readonly config: ResolvedMultiHeadAttentionConfig;
  readonly headDim: number;
  private readonly params: Map<MhaWeightName, tf.Variable>;

  constructor(config: MultiHeadAttentionConfig) {
    this.config = resolveMultiHeadAttentionConfig(config);
    const { embedDim: E, numHeads: H, kDim, vDim, seed, bias, scoreKind, additiveDim: A } = this.config;
    const dh = E / H;
    this.headDim = dh;
    this.params = new Map();
    const add = (name: MhaWeightName, init: () => tf.Tensor) => {
      this.params.set(name, tf.tidy(() => tf.variable(init(), true)));
    };
    add('wq', () => xavier([E, E], E, E, seed * 16 + 1));
    add('wk', () => xavier([kDim, E], kDim, E, seed * 16 + 2));
    add('wv', () => xavier([vDim, E], vDim, E, seed * 16 + 3));
    add('wo', () => xavier([E, E], E, E, seed * 16 + 4));
    if (bias) for (const b of ['bq', 'bk', 'bv', 'bo'] as const) add(b, () => tf.zeros([E]));
    if (scoreKind === 'additive') {
      add('aq', () => xavier([H, dh, A], dh, A, seed * 16 + 5));
      add('ak', () => xavier([H, dh, A], dh, A, seed * 16 + 6));
      add('ab', () => tf.zeros([H, A]));
      add('av', () => xavier([H, A], A, 1, seed * 16 + 7));
    }
  }

  /** Every parameter, for an optimizer or tf.variableGrads. */
  get trainableVariables(): tf.Variable[] {
    return [...this.params.values()];
  }

  /** Named parameters (the names setWeights takes). */
  get namedVariables(): ReadonlyMap<MhaWeightName, tf.Variable> {
    return this.params;
  }

  get parameterCount(): number {
    let n = 0;
    for (const v of this.params.values()) n += v.size;
    return n;
  }

  /** A copy of every parameter as plain arrays. */
  getWeights(): Record<string, { shape: number[]; data: Float32Array }> {
    const out: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [name, v] of this.params) out[name] = { shape: [...v.shape], data: Float32Array.from(v.dataSync()) }; // a copy on every backend
    return out;
  }

  /**
   * Sets parameters from arrays (any subset). Each entry is {shape, data} or a flat array; data is row-major and
   * kernels are [in, out]. Unknown names and wrong sizes are errors that say what was expected.
   */
  setWeights(weights: Partial<Record<string, WeightArray | ArrayLike<number>>>): void {
    // Check everything first so that a bad entry leaves the layer unchanged.
    const updates: Array<[tf.Variable, ArrayLike<number>]> = [];
    for (const [name, value] of Object.entries(weights)) {
      if (value === undefined) continue;
      const v = this.params.get(name as MhaWeightName);
      if (!v) {
        throw new Error(
          `MultiHeadAttention.setWeights: unknown weight "${name}"; this layer has ${[...this.params.keys()].join(', ')}`,
        );
      }
      const data = 'data' in value && 'shape' in value ? value.data : (value as ArrayLike<number>);
      if ('shape' in value && Array.isArray(value.shape)) {
        const expectedShape = v.shape.join(',');
        if (value.shape.join(',') !== expectedShape) {
          throw new Error(
            `MultiHeadAttention.setWeights: "${name}" must have shape [${v.shape.join(', ')}], got [${value.shape.join(', ')}]`,
          );
        }
      }
      if (data.length !== v.size) {
        throw new Error(
          `MultiHeadAttention.setWeights: "${name}" needs ${v.size} values (shape [${v.shape.join(', ')}]), got ${data.length}`,
        );
      }
      updates.push([v, data]);
    }
    for (const [v, data] of updates) tf.tidy(() => v.assign(tf.tensor(Array.from(data), v.shape, 'float32')));
  }

  /**
   * @param query [B, Tq, E]
   * @param key   [B, Tk, kDim]
   * @param value [B, Tk, vDim]
   * @returns output [B, Tq, E] and per-head weights [B, H, Tq, Tk]
   */
  apply(query: tf.Tensor, key: tf.Tensor, value: tf.Tensor, options: MultiHeadAttentionOptions = {}): AttentionResult {
    const { embedDim: E, numHeads: H, kDim, vDim } = this.config;
    const dh = this.headDim;
    this.checkInputs(query, key, value, options);
    const [B, Tq] = query.shape as [number, number, number];
    const Tk = key.shape[1]!;
    const p = (n: MhaWeightName) => this.params.get(n) ?? null;

    return tf.tidy(() => {
      const project = (x: tf.Tensor, width: number, T: number, w: MhaWeightName, b: MhaWeightName) =>
        linear(tf.reshape(x, [B * T, width]), p(w)!, p(b)); // [B*T, E]
      // [B*T, E] -> [B, T, H, dh] -> [B, H, T, dh]
      const splitHeads = (x: tf.Tensor, T: number) => tf.transpose(tf.reshape(x, [B, T, H, dh]), [0, 2, 1, 3]);

      const q = splitHeads(project(query, E, Tq, 'wq', 'bq'), Tq); // [B, H, Tq, dh]
      const k = splitHeads(project(key, kDim, Tk, 'wk', 'bk'), Tk); // [B, H, Tk, dh]
      const v = splitHeads(project(value, vDim, Tk, 'wv', 'bv'), Tk); // [B, H, Tk, dh]

      const scores = this.config.scoreKind === 'dot' ? this.dotScores(q, k) : this.additiveScores(q, k); // [B, H, Tq, Tk]
      const allow = this.allowMask(B, Tq, Tk, options); // broadcastable to [B, H, Tq, Tk] or null
      const weights = maskedSoftmax(scores, allow); // [B, H, Tq, Tk]

      const heads = batchMatMul(weights, v); // [B, H, Tq, dh]
      const merged = tf.reshape(tf.transpose(heads, [0, 2, 1, 3]), [B * Tq, E]); // [B*Tq, E]
      const out = linear(merged, p('wo')!, p('bo')); // [B*Tq, E]
      return { output: tf.reshape(out, [B, Tq, E]), weights };
    });
  }

  /** q_h k_h^T / sqrt(dh): [B, H, Tq, dh] x [B, H, Tk, dh] -> [B, H, Tq, Tk] */
  private dotScores(q: tf.Tensor, k: tf.Tensor): tf.Tensor {
    return tf.mul(batchMatMul(q, k, true), 1 / Math.sqrt(this.headDim));
  }

  /**
   * va_h . tanh(q_h Aq_h + k_h Ak_h + ab_h) per head -> [B, H, Tq, Tk]. The heads' hidden units sit side by side in
   * the last axis ([..., H*A]) and va is applied as one product with a block-diagonal [H*A, H] matrix: long rows
   * for the elementwise tanh and a matrix product for the sum, instead of many short rows.
   */
  private additiveScores(q: tf.Tensor, k: tf.Tensor): tf.Tensor {
    const [B, H, Tq, dh] = q.shape as [number, number, number, number];
    const Tk = k.shape[2]!;
    const A = this.config.additiveDim;
    const aq = this.params.get('aq')!; // [H, dh, A]
    const ak = this.params.get('ak')!; // [H, dh, A]
    // Per-head projection: [H, B*T, dh] x [H, dh, A] -> [H, B*T, A] -> [B, T, H*A]
    const perHead = (x: tf.Tensor, T: number, w: tf.Tensor) => {
      const projected = tf.matMul(tf.reshape(tf.transpose(x, [1, 0, 2, 3]), [H, B * T, dh]), w); // [H, B*T, A]
      return tf.reshape(tf.transpose(tf.reshape(projected, [H, B, T, A]), [1, 2, 0, 3]), [B, T, H * A]); // [B, T, H*A]
    };
    const qa = tf.reshape(perHead(q, Tq, aq), [B, Tq, 1, H * A]); // [B, Tq, 1, H*A]
    const ka = tf.reshape(perHead(k, Tk, ak), [B, 1, Tk, H * A]); // [B, 1, Tk, H*A]
    const ab = tf.reshape(this.params.get('ab')!, [1, 1, 1, H * A]);
    const hidden = tf.tanh(tf.add(tf.add(qa, ka), ab)); // [B, Tq, Tk, H*A]
    const av = tf.mul(tf.reshape(this.params.get('av')!, [H * A, 1]), blockDiagonalOnes(H, A)); // [H*A, H]
    const scores = tf.matMul(tf.reshape(hidden, [B * Tq * Tk, H * A]), av); // [B*Tq*Tk, H]
    return tf.transpose(tf.reshape(scores, [B, Tq, Tk, H]), [0, 3, 1, 2]); // [B, H, Tq, Tk]
  }

  /** Combines key padding, an explicit mask and causality into one allow mask, or null. */
  private allowMask(B: number, Tq: number, Tk: number, o: MultiHeadAttentionOptions): tf.Tensor | null {
    let allow: tf.Tensor | null = null;
    const and = (m: tf.Tensor) => (allow = allow ? tf.mul(allow, m) : m);
    if (o.keyPaddingMask) and(tf.reshape(tf.sub(1, tf.cast(o.keyPaddingMask, 'float32')), [B, 1, 1, Tk])); // [B, 1, 1, Tk]
    if (o.mask) and(tf.reshape(tf.cast(o.mask, 'float32'), o.mask.rank === 3 ? [B, 1, Tq, Tk] : [Tq, Tk])); // [B, 1, Tq, Tk]
    if (o.causal) and(causalMask(Tq, Tk)); // [Tq, Tk]
    return allow;
  }

  private checkInputs(query: tf.Tensor, key: tf.Tensor, value: tf.Tensor, o: MultiHeadAttentionOptions): void {
    const { embedDim: E, kDim, vDim } = this.config;
    const fail = (msg: string) => {
      throw new Error(`MultiHeadAttention.apply: ${msg}`);
    };
    const shape = (t: tf.Tensor) => `[${t.shape.join(', ')}]`;
    if (query.rank !== 3 || query.shape[2] !== E) fail(`query must be [B, Tq, ${E}], got ${shape(query)}`);
    if (key.rank !== 3 || key.shape[2] !== kDim) fail(`key must be [B, Tk, ${kDim}], got ${shape(key)}`);
    if (value.rank !== 3 || value.shape[2] !== vDim) fail(`value must be [B, Tk, ${vDim}], got ${shape(value)}`);
    const [B, Tq] = query.shape;
    const Tk = key.shape[1];
    if (key.shape[0] !== B || value.shape[0] !== B) fail(`batch sizes differ: query ${shape(query)}, key ${shape(key)}, value ${shape(value)}`);
    if (value.shape[1] !== Tk) fail(`key and value need the same length: key ${shape(key)}, value ${shape(value)}`);
    if (o.keyPaddingMask && o.keyPaddingMask.shape.join() !== [B, Tk].join()) {
      fail(`keyPaddingMask must be [${B}, ${Tk}], got ${shape(o.keyPaddingMask)}`);
    }
    if (o.mask) {
      const ok = o.mask.shape.join() === [B, Tq, Tk].join() || o.mask.shape.join() === [Tq, Tk].join();
      if (!ok) fail(`mask must be [${B}, ${Tq}, ${Tk}] or [${Tq}, ${Tk}], got ${shape(o.mask)}`);
    }
  }

  /** Frees the parameters. */
  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}

/** [H*A, H] with ones where row r belongs to head floor(r / A): sums each head's A hidden units into its column. */
function blockDiagonalOnes(H: number, A: number): tf.Tensor {
  const data = new Float32Array(H * A * H);
  for (let r = 0; r < H * A; r++) data[r * H + Math.floor(r / A)] = 1;
  return tf.tensor2d(data, [H * A, H]);
}
