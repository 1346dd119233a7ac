/**
 * Dot-product against additive scores, one head against four: the same corpus, steps and training seeds for each
 * variant, and a table of what each reached (held-out exact match, alignment accuracy, steps to 95% training
 * accuracy, attention entropy), the mean and range over the seeds.
 */
import type { ScoreKind } from '../attention/index.js';
import type { TrainedTranslator, TranslateEvaluation, TranslateOptions } from './train.js';

export interface Variant {
  name: string;
  scoreKind: ScoreKind;
  heads: number;
}

export const COMPARED_VARIANTS: readonly Variant[] = [
  { name: 'dot-product, 4 heads', scoreKind: 'dot', heads: 4 },
  { name: 'additive, 4 heads', scoreKind: 'additive', heads: 4 },
  { name: 'dot-product, 1 head', scoreKind: 'dot', heads: 1 },
  { name: 'additive, 1 head', scoreKind: 'additive', heads: 1 },
];

/** One trained variant at one seed: what the table and the JSON report. */
export interface RunSummary {
  variant: string;
  scoreKind: ScoreKind;
  heads: number;
  seed: number;
  parameters: number;
  heldoutExactMatch: number;
  heldoutCorrect: number;
  heldoutTotal: number;
  alignmentAccuracy: number;
  /** Alignment accuracy of the verb words alone (the words other parts of the command also predict). */
  verbAlignment: number;
  alignmentByPart: TranslateEvaluation['alignmentByPart'];
  attentionEntropy: number;
  uniformEntropy: number;
  stepsTo95: number | null;
  trainSeconds: number;
}

export function summarise(v: Variant, t: TrainedTranslator, e: TranslateEvaluation): RunSummary {
  const correct = e.heldout['heldout-combo'].correct + e.heldout['heldout-template'].correct;
  const total = e.heldout['heldout-combo'].total + e.heldout['heldout-template'].total;
  return {
    variant: v.name,
    scoreKind: v.scoreKind,
    heads: v.heads,
    seed: t.options.seed,
    parameters: t.model.parameterCount,
    heldoutExactMatch: e.heldoutExactMatch,
    heldoutCorrect: correct,
    heldoutTotal: total,
    alignmentAccuracy: e.alignmentAccuracy,
    verbAlignment: e.alignmentByPart.verb ? e.alignmentByPart.verb.correct / e.alignmentByPart.verb.total : 0,
    alignmentByPart: e.alignmentByPart,
    attentionEntropy: e.attentionEntropy,
    uniformEntropy: e.uniformEntropy,
    stepsTo95: t.stepsTo95,
    trainSeconds: t.trainSeconds,
  };
}

/** The seeds of a comparison: the base seed and the next ones. */
export function comparisonSeeds(base: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => base + i);
}

export function variantOptions(base: TranslateOptions, v: Variant, seed: number): TranslateOptions {
  return { ...base, scoreKind: v.scoreKind, heads: v.heads, seed };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** "95.1% (94.0-96.2)": the mean over seeds and the range. */
function meanRange(xs: readonly number[], f: (x: number) => string): string {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return xs.length > 1 ? `${f(mean)} (${f(Math.min(...xs))}-${f(Math.max(...xs))})` : f(mean);
}

/** The comparison as a markdown table: one row per variant, each cell the mean over seeds with the range. */
export function comparisonTable(runs: readonly RunSummary[]): string {
  const lines = [
    '| variant | parameters | held-out exact match | alignment accuracy | of verbs | steps to 95% training accuracy | attention entropy (uniform) | training s |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const v of COMPARED_VARIANTS) {
    const rs = runs.filter((r) => r.variant === v.name);
    if (rs.length === 0) continue;
    const steps = rs.map((r) => (r.stepsTo95 === null ? 'not reached' : String(r.stepsTo95))).join(', ');
    lines.push(
      `| ${v.name} | ${rs[0]!.parameters} | ${meanRange(rs.map((r) => r.heldoutExactMatch), pct)} | ${meanRange(rs.map((r) => r.alignmentAccuracy), pct)} | ` +
        `${meanRange(rs.map((r) => r.verbAlignment), pct)} | ${steps} | ` +
        `${meanRange(rs.map((r) => r.attentionEntropy), (x) => x.toFixed(2))} (${rs[0]!.uniformEntropy.toFixed(2)}) | ${meanRange(rs.map((r) => r.trainSeconds), (x) => x.toFixed(0))} |`,
    );
  }
  return lines.join('\n');
}
