/** The encoder-decoder: causal decoding, padding that changes nothing, seeded determinism, and that it learns. */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../src/tf/tf.js';
import { selectBackend } from '../../src/tf/backend.js';
import {
  Translator,
  buildCorpus,
  comparisonTable,
  evaluateTranslator,
  trainTranslator,
  TRANSLATE_DEFAULTS,
  type RunSummary,
  type TranslatorConfig,
} from '../../src/translate/index.js';

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
});

const config: TranslatorConfig = {
  sourceVocab: 12,
  targetVocab: 9,
  width: 16,
  heads: 4,
  scoreKind: 'dot',
  encoderLayers: 1,
  decoderLayers: 2,
  maxLength: 8,
  seed: 3,
};

const ids = (rows: number[][]) => tf.tensor2d(rows, [rows.length, rows[0]!.length], 'int32');

describe.each(['dot', 'additive'] as const)('Translator (%s)', (scoreKind) => {
  it('a target word sees only the words before it: later words change nothing earlier, the mask is exact', () => {
    const m = new Translator({ ...config, scoreKind });
    const src = ids([[3, 4, 5]]);
    const a = m.forward(src, ids([[1, 6, 7, 8]]));
    const b = m.forward(src, ids([[1, 6, 2, 3]]));
    const la = a.logits.arraySync() as number[][][];
    const lb = b.logits.arraySync() as number[][][];
    for (let t = 0; t < 2; t++) for (let v = 0; v < 9; v++) expect(lb[0]![t]![v]).toBeCloseTo(la[0]![t]![v]!, 5);
    expect(Math.abs(lb[0]![3]![0]! - la[0]![3]![0]!)).toBeGreaterThan(1e-6);
    const self = a.decoderSelf[1]!.arraySync() as number[][][][]; // [B, H, Tt, Tt]
    for (const head of self[0]!) head.forEach((row, i) => row.forEach((w, j) => (j > i ? expect(w).toBe(0) : undefined)));
    tf.dispose([a.logits, b.logits, ...a.cross, ...b.cross, ...a.decoderSelf, ...b.decoderSelf, ...a.encoderSelf, ...b.encoderSelf, src]);
    m.dispose();
  });

  it('source padding gets no attention and does not change the translation', () => {
    const m = new Translator({ ...config, scoreKind });
    const tgt = ids([[1, 6, 7]]);
    const plain = m.forward(ids([[3, 4, 5]]), tgt);
    const padded = m.forward(ids([[3, 4, 5, 0, 0]]), tgt);
    const lp = plain.logits.arraySync() as number[][][];
    const ld = padded.logits.arraySync() as number[][][];
    lp[0]!.forEach((row, t) => row.forEach((v, k) => expect(ld[0]![t]![k]).toBeCloseTo(v, 5)));
    const cross = padded.cross[0]!.arraySync() as number[][][][]; // [B, H, Tt, Ts]
    for (const head of cross[0]!) for (const row of head) expect(row[3]! + row[4]!).toBe(0);
    m.dispose();
  });
});

describe('training', () => {
  it('the same seed gives the same run, another seed another', () => {
    const o = { ...TRANSLATE_DEFAULTS, steps: 6, width: 16, encoderLayers: 1 };
    const losses = (seed: number) => {
      const out: number[] = [];
      const t = trainTranslator({ ...o, seed }, (p) => out.push(p.loss));
      t.model.dispose();
      return out;
    };
    const a = losses(1);
    expect(losses(1)).toEqual(a);
    expect(losses(2)).not.toEqual(a);
  });

  it('learns the training pairs in a few hundred steps and translates held-out commands', () => {
    const t = trainTranslator({ ...TRANSLATE_DEFAULTS, steps: 250 });
    const last = t.curve[t.curve.length - 1]!;
    expect(last.loss).toBeLessThan(t.curve[0]!.loss);
    expect(last.trainExactMatch).toBeGreaterThanOrEqual(0.9);
    const e = evaluateTranslator(t, 2);
    const held = buildCorpus('en-ko').filter((p) => p.split !== 'train');
    expect(e.heldout['heldout-combo'].total + e.heldout['heldout-template'].total).toBe(held.length);
    // Far above chance (an exact sentence from ~30 Korean words); the full run's figures are in docs/attention.md.
    expect(e.heldoutExactMatch).toBeGreaterThan(0.5);
    expect(e.alignmentAccuracy).toBeGreaterThan(0.5);
    expect(e.attentionEntropy).toBeLessThan(e.uniformEntropy);
    expect(e.examples).toHaveLength(2);
    t.model.dispose();
  });
});

describe('comparisonTable', () => {
  const run = (variant: string, seed: number, exact: number, steps: number | null): RunSummary => ({
    variant,
    scoreKind: 'dot',
    heads: 4,
    seed,
    parameters: 1000,
    heldoutExactMatch: exact,
    heldoutCorrect: 0,
    heldoutTotal: 0,
    alignmentAccuracy: 0.8,
    verbAlignment: 0.5,
    alignmentByPart: {},
    attentionEntropy: 1,
    uniformEntropy: 2,
    stepsTo95: steps,
    trainSeconds: 60,
  });

  it('gives each variant the mean over seeds with the range, in the variants order', () => {
    const table = comparisonTable([run('additive, 4 heads', 0, 0.9, null), run('dot-product, 4 heads', 0, 0.9, 100), run('dot-product, 4 heads', 1, 0.8, 150)]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toContain('| dot-product, 4 heads | 1000 | 85.0% (80.0%-90.0%) | 80.0% (80.0%-80.0%) | 50.0% (50.0%-50.0%) | 100, 150 |');
    expect(lines[3]).toContain('| additive, 4 heads | 1000 | 90.0% | 80.0% | 50.0% | not reached |');
  });
});
