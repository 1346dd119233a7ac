/**
 * Training batches in two parts, so that the pixel work can run on several threads while the random draws stay in
 * one place and in one order:
 *
 *   planBatch   (one thread: the training rng) which frame each sample reads, its shift and colour jitter, its
 *               command (a paraphrase drawn here); the draws are made in the order makeBatch always made them
 *   renderBatch (any thread, pure) the augmented images and every target from a BatchSource (the dataset's arrays,
 *               which loadEpisodes puts on SharedArrayBuffers so that worker threads read them without a copy)
 *   batchTensors  the arrays as a PolicyBatch
 *
 * makeBatch = batchTensors(renderBatch(planBatch(...))). A plan split into parts renders to the same rows as the
 * whole plan (every row depends only on its own sample's plan).
 */
import * as tf from '../tf/tf.js';
import type { Rng } from '../../sim/util/Rng.js';
import { PATCH_COLOURS, PATCH_KINDS, PATCH_LABEL_FULL_PIXELS, UNK_ID, type PolicyBatch, type Tokenizer } from '../policy/index.js';
import type { ParsedCommand } from '../../sim/tasks/language.js';
import { drawParaphrase } from '../../sim/tasks/paraphrase.js';
import { koreanCommandWords } from '../language/koreanPolicy.js';
import { PROPRIO_KEYS } from './dataset.js';

const A = 5;
const P = PROPRIO_KEYS.length;

export interface BatchOptions {
  chunk: number;
  maxWords: number;
  camera: string;
  /** Augment (training) or not (validation). */
  augment: boolean;
  /** Max pixels of random shift; default 4. */
  shift?: number;
  /** Numbers of proprioception the policy reads (the first of PROPRIO_KEYS); default all. */
  proprioDim?: number;
  /** Also build grounding targets over a patch grid of this many rows and columns (patch side = S / grid). */
  groundingGrid?: number;
  /**
   * Paraphrase augmentation (training only, with `augment`): with probability `p` a sample's command is replaced
   * by a paraphrase of it (sim/tasks/paraphrase.ts), encoded with `tokenizer`. Never a held-out template.
   */
  paraphrase?: { p: number; tokenizer: Tokenizer };
  /**
   * Korean augmentation (training only, with `augment`): with probability `p` a sample's command is replaced by the
   * words a policy reads for it said in Korean (src/language/koreanPolicy.ts), the destination or direction first
   * in a quarter of those, encoded with `tokenizer`.
   */
  korean?: { p: number; tokenizer: Tokenizer };
  /**
   * Unknown-word augmentation (training only, with `augment`): the probability that one [UNK] is inserted at a
   * uniformly drawn position of a sample's command (after any paraphrase or Korean; not when the command already
   * fills `maxWords`). Random insertion as in Wei & Zou 2019 ("EDA: Easy Data Augmentation Techniques for Boosting
   * Performance on Text Classification"): a word the policy does not know, or a word where the seen phrasings have
   * none (after the object's name, which only push commands fill, with a direction), must not change what to do.
   */
  unknownWords?: number;
  /**
   * Also build patch label targets (config.patchLabels) over a patch grid of this many rows and columns: per patch,
   * the shares of each kind and colour among its object pixels, and its weight min(1, object pixels /
   * PATCH_LABEL_FULL_PIXELS).
   */
  labelGrid?: number;
}

/** What renderBatch reads of a dataset (Episodes has all of it); plain data, so it can go to a worker thread. */
export interface BatchSource {
  imageSize: number;
  frameStride: number;
  /** Kept frames in chunks of framesPerChunk frames (one typed array holds at most 4 GiB): see frameAt. */
  frames: readonly Uint8Array[];
  /** Segmentation masks, chunked like frames. */
  segmentation: readonly Uint8Array[];
  framesPerChunk: number;
  proprio: Float32Array;
  actions: Float32Array;
  episodes: ReadonlyArray<{ start: number; length: number; frameStart: number; frameOffset: number; kindOf: Int8Array; colourOf: Int8Array }>;
}

/** The per-episode parts planBatch reads besides BatchSource's. */
export interface PlanEpisode {
  ids: Int32Array;
  mask: Int32Array;
  referents: Int32Array;
  parsed: ParsedCommand | null;
  referentsOf: (words: readonly string[]) => Int32Array;
}

/** One sample of a batch, everything random about it drawn. */
export interface SamplePlan {
  episode: number;
  t: number;
  /** Shift (pixels) and colour jitter: pixel' = (pixel - 128) * gain + 128 + bias. */
  sx: number;
  sy: number;
  gain: number;
  bias: number;
  /** The command's tokens, mask and referents (the episode's, or a paraphrase's). */
  ids: Int32Array;
  mask: Int32Array;
  referents: Int32Array;
}

/** The arrays of a PolicyBatch (rows of `n` samples); the optional ones as BatchOptions asks. */
export interface BatchArrays {
  n: number;
  imageSize: number;
  camera: string;
  chunk: number;
  maxWords: number;
  proprioDim: number;
  images: Float32Array;
  tokens: Int32Array;
  tokenMask: Int32Array;
  proprio: Float32Array;
  actions: Float32Array;
  valid: Float32Array;
  ground?: { grid: number; target: Float32Array; weight: Float32Array };
  labels?: { patches: number; kind: Float32Array; colour: Float32Array; weight: Float32Array };
}

/** Where a sample's frame is in frames (in frames): the sample's step must be one whose frame is kept. */
export function frameIndex(data: Pick<BatchSource, 'episodes' | 'frameStride'>, s: { episode: number; t: number }): number {
  const e = data.episodes[s.episode]!;
  const k = s.t - e.frameOffset;
  if (k < 0 || k % data.frameStride !== 0 || s.t >= e.length) {
    throw new Error(`episode ${s.episode} step ${s.t}: no frame kept there (frame stride ${data.frameStride}, first kept step ${e.frameOffset})`);
  }
  return e.frameStart + k / data.frameStride;
}

/** Draws everything random about the samples, in makeBatch's order: per sample shift x, y, gain, bias, Korean, paraphrase. */
export function planBatch(episodes: readonly PlanEpisode[], samples: ReadonlyArray<{ episode: number; t: number }>, o: BatchOptions, rng: Rng): SamplePlan[] {
  const shiftMax = o.augment ? (o.shift ?? 4) : 0;
  const L = o.maxWords;
  return samples.map((s) => {
    const e = episodes[s.episode]!;
    const sx = shiftMax ? rng.int(-shiftMax, shiftMax) : 0;
    const sy = shiftMax ? rng.int(-shiftMax, shiftMax) : 0;
    const gain = o.augment ? rng.float(0.85, 1.15) : 1; // contrast
    const bias = o.augment ? rng.float(-20, 20) : 0; // brightness
    let { ids, mask, referents } = e;
    // Korean first: a sample said in Korean is not also paraphrased; `paraphrase` is the share of the other samples.
    const korean = o.augment && o.korean && e.parsed !== null && rng.float(0, 1) < o.korean.p;
    if (korean) {
      const parsed = e.parsed!;
      const first = parsed.task !== 'pick' && rng.float(0, 1) < 0.25;
      const enc = o.korean!.tokenizer.encode(koreanCommandWords(parsed, first).words.join(' '), L);
      ids = Int32Array.from(enc.ids);
      mask = Int32Array.from(enc.mask);
      referents = e.referentsOf(enc.words);
    } else if (o.augment && o.paraphrase && e.parsed && rng.float(0, 1) < o.paraphrase.p) {
      const text = drawParaphrase(e.parsed, L, rng);
      if (text !== null) {
        const enc = o.paraphrase.tokenizer.encode(text, L);
        ids = Int32Array.from(enc.ids);
        mask = Int32Array.from(enc.mask);
        referents = e.referentsOf(enc.words);
      }
    }
    if (o.augment && o.unknownWords && rng.float(0, 1) < o.unknownWords) ({ ids, mask, referents } = insertUnknown(ids, mask, referents, rng));
    return { episode: s.episode, t: s.t, sx, sy, gain, bias, ids, mask, referents };
  });
}

/**
 * The command with one [UNK] inserted before word k (k drawn from 0..n, n its words; k = n appends), the later
 * words and their referents moved one place on; unchanged (after the same draw) when it has no room left.
 */
export function insertUnknown(ids: Int32Array, mask: Int32Array, referents: Int32Array, rng: Rng): { ids: Int32Array; mask: Int32Array; referents: Int32Array } {
  const L = ids.length;
  let n = 0;
  while (n < L && mask[n] === 1) n++;
  const k = rng.int(0, n);
  if (n >= L) return { ids, mask, referents };
  const shifted = (a: Int32Array, fill: number): Int32Array => {
    const out = new Int32Array(L);
    out.set(a.subarray(0, k), 0);
    out[k] = fill;
    out.set(a.subarray(k, L - 1), k + 1);
    return out;
  };
  return { ids: shifted(ids, UNK_ID), mask: shifted(mask, 1), referents: shifted(referents, 0) };
}

function allocate(n: number, S: number, o: BatchOptions): BatchArrays {
  const L = o.maxWords;
  const K = o.chunk;
  const PD = o.proprioDim ?? P;
  if (PD > P) throw new Error(`makeBatch: the policy reads ${PD} proprioception numbers, the dataset has ${P} (${PROPRIO_KEYS.join(', ')})`);
  const G = o.groundingGrid ?? 0;
  const LG = o.labelGrid ?? 0;
  if (LG && S % LG !== 0) throw new Error(`makeBatch: labelGrid (${LG}) must divide the image side (${S})`);
  return {
    n,
    imageSize: S,
    camera: o.camera,
    chunk: K,
    maxWords: L,
    proprioDim: PD,
    images: new Float32Array(n * S * S * 3),
    tokens: new Int32Array(n * L),
    tokenMask: new Int32Array(n * L),
    proprio: new Float32Array(n * PD),
    actions: new Float32Array(n * K * A),
    valid: new Float32Array(n * K),
    ...(G ? { ground: { grid: G, target: new Float32Array(n * L * G * G), weight: new Float32Array(n * L) } } : {}),
    ...(LG
      ? { labels: { patches: LG, kind: new Float32Array(n * LG * LG * PATCH_KINDS.length), colour: new Float32Array(n * LG * LG * PATCH_COLOURS.length), weight: new Float32Array(n * LG * LG) } }
      : {}),
  };
}

/** Scratch arrays of renderBatch, per segmentation id. */
interface Scratch {
  counts: Float32Array; // pixels per patch of the grounding grid
}

/** The images and every target of planned samples (pure: the same plan gives the same arrays on any thread). */
export function renderBatch(data: BatchSource, plans: readonly SamplePlan[], o: BatchOptions): BatchArrays {
  const S = data.imageSize;
  const out = allocate(plans.length, S, o);
  const T = out.ground ? out.ground.grid ** 2 : 0;
  const scratch: Scratch = { counts: new Float32Array(256 * T) };
  plans.forEach((s, b) => {
    const e = data.episodes[s.episode]!;
    const fi = frameIndex(data, s);
    renderPixels(data, fi, e, s, b, out, scratch);
    const L = out.maxWords;
    out.tokens.set(s.ids.subarray(0, L), b * L);
    for (let i = 0; i < L; i++) out.tokenMask[b * L + i] = s.mask[i] ?? 0;
    if (out.ground) groundingTargets(out, b, s.referents, scratch);
    if (out.labels) labelWeights(out, b);
    const f = e.start + s.t; // step (proprio, actions)
    const PD = out.proprioDim;
    for (let d = 0; d < PD; d++) out.proprio[b * PD + d] = data.proprio[f * P + d]!;
    const K = out.chunk;
    for (let k = 0; k < K; k++) {
      if (s.t + k < e.length) {
        out.actions.set(data.actions.subarray((f + k) * A, (f + k + 1) * A), (b * K + k) * A);
        out.valid[b * K + k] = 1;
      }
    }
  });
  return out;
}

/** Kept frame fi's pixels (S x S x 3) and segmentation mask (S x S), as views into their chunks. */
export function frameAt(data: Pick<BatchSource, 'imageSize' | 'frames' | 'segmentation' | 'framesPerChunk'>, fi: number): { pixels: Uint8Array; seg: Uint8Array } {
  const S = data.imageSize;
  const c = Math.floor(fi / data.framesPerChunk);
  const k = fi - c * data.framesPerChunk;
  return { pixels: data.frames[c]!.subarray(k * S * S * 3, (k + 1) * S * S * 3), seg: data.segmentation[c]!.subarray(k * S * S, (k + 1) * S * S) };
}

/** Row b's image (shifted, jittered), grounding counts and patch label counts (from the segmentation, shifted alike). */
function renderPixels(data: BatchSource, fi: number, e: BatchSource['episodes'][number], s: SamplePlan, b: number, out: BatchArrays, scratch: Scratch): void {
  const S = data.imageSize;
  const frameBytes = S * S * 3;
  const { pixels: src, seg } = frameAt(data, fi);
  const { images } = out;
  const { counts } = scratch;
  const G = out.ground?.grid ?? 0;
  const T = G * G;
  const labels = out.labels;
  const LG = labels?.patches ?? 0;
  const LT = LG * LG;
  const NK = PATCH_KINDS.length;
  const NC = PATCH_COLOURS.length;
  if (G) counts.fill(0);
  const dst = b * frameBytes;
  for (let y = 0; y < S; y++) {
    const yy = Math.min(S - 1, Math.max(0, y + s.sy));
    for (let x = 0; x < S; x++) {
      const xx = Math.min(S - 1, Math.max(0, x + s.sx));
      const si = (yy * S + xx) * 3;
      const di = dst + (y * S + x) * 3;
      for (let c = 0; c < 3; c++) images[di + c] = Math.min(255, Math.max(0, (src[si + c]! - 128) * s.gain + 128 + s.bias));
      const id = seg[yy * S + xx]!;
      if (labels) {
        // Counts first (normalised per patch in labelWeights); an object of a kind or colour without a label counts for neither.
        const k = id ? (e.kindOf[id] ?? -1) : -1;
        const col = id ? (e.colourOf[id] ?? -1) : -1;
        const p = b * LT + Math.floor((y * LG) / S) * LG + Math.floor((x * LG) / S);
        if (k >= 0) labels.kind[p * NK + k]! += 1;
        if (col >= 0) labels.colour[p * NC + col]! += 1;
        if (k >= 0 || col >= 0) labels.weight[p]! += 1;
      }
      if (G && id) counts[id * T + Math.floor((y * G) / S) * G + Math.floor((x * G) / S)]! += 1;
    }
  }
}

/** Row b's grounding targets: per naming word, its object's share of pixels per patch. */
function groundingTargets(out: BatchArrays, b: number, referents: Int32Array, scratch: Scratch): void {
  const g = out.ground!;
  const T = g.grid * g.grid;
  const L = out.maxWords;
  const { counts } = scratch;
  for (let i = 0; i < L; i++) {
    const id = referents[i] ?? 0;
    if (!id) continue;
    let n = 0;
    for (let p = 0; p < T; p++) n += counts[id * T + p]!;
    if (n === 0) continue; // hidden in this frame
    g.weight[b * L + i] = 1;
    for (let p = 0; p < T; p++) g.target[(b * L + i) * T + p] = counts[id * T + p]! / n;
  }
}

/** Row b's patch label counts made shares, and the patches' weights. */
function labelWeights(out: BatchArrays, b: number): void {
  const l = out.labels!;
  const LT = l.patches * l.patches;
  const NK = PATCH_KINDS.length;
  const NC = PATCH_COLOURS.length;
  for (let p = b * LT; p < (b + 1) * LT; p++) {
    normaliseRow(l.kind, p * NK, NK);
    normaliseRow(l.colour, p * NC, NC);
    l.weight[p] = Math.min(1, l.weight[p]! / PATCH_LABEL_FULL_PIXELS);
  }
}

/** Divides a[at .. at + n) by its sum (left as zeros when the sum is 0). */
function normaliseRow(a: Float32Array, at: number, n: number): void {
  let sum = 0;
  for (let i = at; i < at + n; i++) sum += a[i]!;
  if (sum > 0) for (let i = at; i < at + n; i++) a[i]! /= sum;
}

/** The arrays as tensors (dispose with tf.dispose or disposeInputs). */
export function batchTensors(a: BatchArrays): PolicyBatch {
  const { n: B, imageSize: S, maxWords: L, chunk: K } = a;
  const T = a.ground ? a.ground.grid ** 2 : 0;
  const LT = a.labels ? a.labels.patches ** 2 : 0;
  return {
    images: { [a.camera]: tf.tensor4d(a.images, [B, S, S, 3]) },
    tokens: tf.tensor2d(a.tokens, [B, L], 'int32'),
    tokenMask: tf.tensor2d(a.tokenMask, [B, L], 'int32'),
    proprio: tf.tensor2d(a.proprio, [B, a.proprioDim]),
    actions: tf.tensor3d(a.actions, [B, K, A]),
    actionValid: tf.tensor2d(a.valid, [B, K]),
    ...(a.ground
      ? { groundTarget: tf.tensor3d(a.ground.target, [B, L, T]), groundWeight: tf.tensor2d(a.ground.weight, [B, L]) }
      : {}),
    ...(a.labels
      ? {
          patchKind: tf.tensor3d(a.labels.kind, [B, LT, PATCH_KINDS.length]),
          patchColour: tf.tensor3d(a.labels.colour, [B, LT, PATCH_COLOURS.length]),
          patchLabelWeight: tf.tensor2d(a.labels.weight, [B, LT]),
        }
      : {}),
  };
}
