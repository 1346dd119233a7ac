/**
 * Training and evaluation of the command translator: Adam on the training pairs (teacher forcing, cross-entropy),
 * then greedy translation of the held-out pairs (exact match), and the alignment of the last decoder block's
 * cross-attention with the true word alignment of the corpus.
 */
import * as tf from '../tf/tf.js';
import { Rng } from '../../sim/util/Rng.js';
import type { ScoreKind } from '../attention/index.js';
import { buildCorpus, Vocabulary, type Pair, type PairSplit, type TranslationDirection } from './corpus.js';
import { Translator, type TranslatorConfig } from './Translator.js';

export interface TranslateOptions {
  direction: TranslationDirection;
  scoreKind: ScoreKind;
  heads: number;
  steps: number;
  seed: number;
  batchSize: number;
  learningRate: number;
  width: number;
  encoderLayers: number;
  decoderLayers: number;
}

export const TRANSLATE_DEFAULTS: Readonly<TranslateOptions> = {
  direction: 'en-ko',
  scoreKind: 'dot',
  heads: 4,
  steps: 600,
  seed: 0,
  batchSize: 64,
  learningRate: 2e-3,
  width: 64,
  encoderLayers: 2,
  decoderLayers: 1,
};

export interface TranslateProgress {
  step: number;
  steps: number;
  loss: number;
  /** Exact match on a fixed sample of training pairs, measured every `EVAL_EVERY` steps. */
  trainExactMatch: number | null;
}

export interface Rate {
  correct: number;
  total: number;
}

export interface TranslateEvaluation {
  /** Exact match of greedy translations over all held-out pairs, and per held-out split. */
  heldoutExactMatch: number;
  heldout: Record<Exclude<PairSplit, 'train'>, Rate>;
  /** Share of target words (with a source word) whose strongest cross-attention (mean over heads) is on a source word. */
  alignmentAccuracy: number;
  alignmentWords: number;
  /** The same per part of the command the target word says (colour, object, destination, direction, verb, please). */
  alignmentByPart: Record<string, Rate>;
  /** Mean entropy (nats) of the cross-attention rows of every head, and that of uniform attention over the same rows. */
  attentionEntropy: number;
  uniformEntropy: number;
  /** A few held-out pairs with what the model wrote. */
  examples: Array<{ source: string; reference: string; output: string; split: PairSplit }>;
}

export interface TrainedTranslator {
  model: Translator;
  source: Vocabulary;
  target: Vocabulary;
  options: TranslateOptions;
  curve: Array<{ step: number; loss: number; trainExactMatch: number | null }>;
  /** First measured step at which the training sample was translated at least 95% exactly, or null. */
  stepsTo95: number | null;
  trainPairs: number;
  trainSeconds: number;
}

export const EVAL_EVERY = 50;
const TRAIN_SAMPLE = 256;

/** The vocabularies of a corpus (every pair, held-out ones included: held-out pairs use only words seen in training). */
export function vocabularies(pairs: readonly Pair[]): { source: Vocabulary; target: Vocabulary } {
  return { source: new Vocabulary(pairs.flatMap((p) => p.source)), target: new Vocabulary(pairs.flatMap((p) => p.target)) };
}

/** Pads id lists with 0 into [B, T] int32. */
function padded(rows: readonly number[][]): tf.Tensor2D {
  const T = Math.max(1, ...rows.map((r) => r.length));
  const data = new Int32Array(rows.length * T);
  rows.forEach((r, b) => data.set(r, b * T));
  return tf.tensor2d(data, [rows.length, T], 'int32');
}

interface Batch {
  source: tf.Tensor2D;
  targetInput: tf.Tensor2D;
  targetOutput: tf.Tensor2D;
}

function makeBatch(pairs: readonly Pair[], sv: Vocabulary, tv: Vocabulary): Batch {
  const target = pairs.map((p) => tv.encode(p.target));
  return {
    source: padded(pairs.map((p) => sv.encode(p.source))),
    targetInput: padded(target.map((t) => [Vocabulary.BOS, ...t])),
    targetOutput: padded(target.map((t) => [...t, Vocabulary.EOS])),
  };
}

function disposeBatch(b: Batch): void {
  b.source.dispose();
  b.targetInput.dispose();
  b.targetOutput.dispose();
}

/** Greedy translations of `pairs`, as word lists. */
export function translateAll(t: Pick<TrainedTranslator, 'model' | 'source' | 'target'>, sources: readonly string[][]): string[][] {
  const out: string[][] = [];
  const maxSteps = t.model.config.maxLength - 1;
  for (let i = 0; i < sources.length; i += 512) {
    const src = padded(sources.slice(i, i + 512).map((s) => t.source.encode(s)));
    for (const ids of t.model.greedy(src, Vocabulary.BOS, Vocabulary.EOS, maxSteps)) out.push(t.target.decode(ids));
    src.dispose();
  }
  return out;
}

const exact = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((w, i) => w === b[i]);

/** Trains a translator from scratch on the training pairs of `direction`. Deterministic for a seed on one backend. */
export function trainTranslator(o: TranslateOptions, onProgress?: (p: TranslateProgress) => void): TrainedTranslator {
  const pairs = buildCorpus(o.direction);
  const train = pairs.filter((p) => p.split === 'train');
  const { source, target } = vocabularies(pairs);
  const maxLength = Math.max(...pairs.map((p) => Math.max(p.source.length, p.target.length + 1)));
  const config: TranslatorConfig = {
    sourceVocab: source.size,
    targetVocab: target.size,
    width: o.width,
    heads: o.heads,
    scoreKind: o.scoreKind,
    encoderLayers: o.encoderLayers,
    decoderLayers: o.decoderLayers,
    maxLength,
    seed: o.seed,
  };
  const model = new Translator(config);
  const rng = new Rng(`translate:${o.seed}`);
  const sample = Array.from({ length: Math.min(TRAIN_SAMPLE, train.length) }, () => train[rng.int(0, train.length - 1)]!);
  const optimizer = tf.train.adam(o.learningRate);
  const vars = model.trainableVariables;
  const curve: TrainedTranslator['curve'] = [];
  let stepsTo95: number | null = null;
  const started = performance.now();
  try {
    for (let step = 1; step <= o.steps; step++) {
      // Linear warm-up over the first 5% of steps, then cosine decay to a tenth (Loshchilov & Hutter 2017).
      const warm = Math.max(1, Math.round(0.05 * o.steps));
      const progress = Math.max(0, (step - warm) / Math.max(1, o.steps - warm));
      (optimizer as unknown as { learningRate: number }).learningRate =
        step <= warm ? (o.learningRate * step) / warm : o.learningRate * (0.1 + 0.45 * (1 + Math.cos(Math.PI * progress)));
      const batch = makeBatch(Array.from({ length: o.batchSize }, () => train[rng.int(0, train.length - 1)]!), source, target);
      const cost = optimizer.minimize(() => model.loss(batch.source, batch.targetInput, batch.targetOutput), true, vars)!;
      const loss = cost.dataSync()[0]!;
      cost.dispose();
      disposeBatch(batch);
      let trainExactMatch: number | null = null;
      if (step % EVAL_EVERY === 0 || step === o.steps) {
        const outs = translateAll({ model, source, target }, sample.map((p) => p.source));
        trainExactMatch = outs.filter((w, i) => exact(w, sample[i]!.target)).length / sample.length;
        if (stepsTo95 === null && trainExactMatch >= 0.95) stepsTo95 = step;
        curve.push({ step, loss, trainExactMatch });
      }
      onProgress?.({ step, steps: o.steps, loss, trainExactMatch });
    }
  } finally {
    optimizer.dispose();
  }
  return { model, source, target, options: o, curve, stepsTo95, trainPairs: train.length, trainSeconds: (performance.now() - started) / 1000 };
}

/** Attention maps of one pair under teacher forcing: mean over heads is left to the caller. */
export interface PairAttention {
  /** [H][Tt][Ts]: the last decoder block's cross-attention; row i produced target word i. */
  cross: number[][][];
  /** [H][Tt][Tt]: the last decoder block's causal self-attention (input words: the start mark and target words). */
  decoderSelf: number[][][];
}

const toNested = (t: tf.Tensor): number[][][][] => t.arraySync() as number[][][][];

/** The attention of the last decoder block for each pair, reading the reference translation (teacher forcing). */
export function attentionOf(t: Pick<TrainedTranslator, 'model' | 'source' | 'target'>, pairs: readonly Pair[]): PairAttention[] {
  const batch = makeBatch(pairs, t.source, t.target);
  const out = t.model.forward(batch.source, batch.targetInput);
  const L = out.cross.length - 1;
  const cross = toNested(out.cross[L]!); // [B, H, Tt, Ts]
  const self = toNested(out.decoderSelf[L]!); // [B, H, Tt, Tt]
  tf.dispose([out.logits, ...out.cross, ...out.decoderSelf, ...out.encoderSelf]);
  disposeBatch(batch);
  return pairs.map((p, b) => {
    const Ts = p.source.length;
    const Tt = p.target.length;
    return {
      cross: cross[b]!.map((h) => h.slice(0, Tt).map((row) => row.slice(0, Ts))),
      decoderSelf: self[b]!.map((h) => h.slice(0, Tt + 1).map((row) => row.slice(0, Tt + 1))),
    };
  });
}

/** Mean over heads of [H][R][C]. */
export function meanOverHeads(maps: number[][][]): number[][] {
  const H = maps.length;
  return maps[0]!.map((row, r) => row.map((_, c) => maps.reduce((s, h) => s + h[r]![c]!, 0) / H));
}

/** 'target:colour' and 'dest:colour' -> 'colour'; 'target:kind' -> 'object'; 'dest:kind' -> 'destination'. */
function partGroup(part: string): string {
  return part.endsWith(':colour') ? 'colour' : part === 'target:kind' ? 'object' : part === 'dest:kind' ? 'destination' : part;
}

function argMax(row: readonly number[]): number {
  let best = 0;
  for (let j = 1; j < row.length; j++) if (row[j]! > row[best]!) best = j;
  return best;
}

/** Alignment accuracy and entropy over `pairs`, in chunks. */
function alignment(
  t: TrainedTranslator,
  pairs: readonly Pair[],
): Pick<TranslateEvaluation, 'alignmentAccuracy' | 'alignmentWords' | 'alignmentByPart' | 'attentionEntropy' | 'uniformEntropy'> {
  let hits = 0;
  let words = 0;
  const byPart: Record<string, Rate> = {};
  let entropy = 0;
  let uniform = 0;
  let rows = 0;
  for (let i = 0; i < pairs.length; i += 256) {
    const chunk = pairs.slice(i, i + 256);
    attentionOf(t, chunk).forEach((a, k) => {
      const p = chunk[k]!;
      meanOverHeads(a.cross).forEach((row, w) => {
        if (p.targetSources[w]!.length === 0) return;
        const hit = p.targetSources[w]!.includes(argMax(row));
        const part = (byPart[partGroup(p.targetParts[w]!)] ??= { correct: 0, total: 0 });
        part.total++;
        words++;
        if (hit) {
          hits++;
          part.correct++;
        }
      });
      for (const head of a.cross) {
        for (const row of head) {
          entropy -= row.reduce((s, x) => (x > 0 ? s + x * Math.log(x) : s), 0);
          uniform += Math.log(row.length);
          rows++;
        }
      }
    });
  }
  return {
    alignmentAccuracy: words ? hits / words : 0,
    alignmentWords: words,
    alignmentByPart: byPart,
    attentionEntropy: entropy / rows,
    uniformEntropy: uniform / rows,
  };
}

/** Greedy translation of every held-out pair (exact match) and the alignment of the cross-attention there. */
export function evaluateTranslator(t: TrainedTranslator, examples = 4): TranslateEvaluation {
  const held = buildCorpus(t.options.direction).filter((p) => p.split !== 'train');
  const outs = translateAll(t, held.map((p) => p.source));
  const heldout = { 'heldout-combo': { correct: 0, total: 0 }, 'heldout-template': { correct: 0, total: 0 } };
  held.forEach((p, i) => {
    const r = heldout[p.split as keyof typeof heldout];
    r.total++;
    if (exact(outs[i]!, p.target)) r.correct++;
  });
  const correct = heldout['heldout-combo'].correct + heldout['heldout-template'].correct;
  const rng = new Rng(`translate-examples:${t.options.seed}`);
  const picked = Array.from({ length: Math.min(examples, held.length) }, () => rng.int(0, held.length - 1));
  return {
    heldoutExactMatch: correct / held.length,
    heldout,
    ...alignment(t, held),
    examples: picked.map((i) => ({ source: held[i]!.source.join(' '), reference: held[i]!.target.join(' '), output: outs[i]!.join(' '), split: held[i]!.split })),
  };
}
