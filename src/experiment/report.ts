/**
 * An attention experiment's results as files: DIR/attention.json (every variant's figures, the plan, the minutes, the
 * machine) and DIR/report.md (the tables, and for each question of the experiment the two figures it compares and
 * whether their 95% intervals overlap).
 */
import type { Rate } from '../eval/protocol.js';
import { EXPERIMENT_FORMAT, type VariantSummary } from './AttentionExperiment.js';
import type { ExperimentPlan } from './ExperimentPlan.js';

export interface ExperimentReport {
  format: typeof EXPERIMENT_FORMAT;
  version: 1;
  base: ExperimentPlan['base'];
  budgetMinutes: number;
  seeds: number;
  steps: number;
  batchSize: number;
  evaluation: ExperimentPlan['evaluation'] & { reportSeeds: [number, number] };
  minutes: { collect: number; train: number; evaluate: number; measure: number; total: number };
  machine: { cpus: number; node: string; backend: string };
  commit: string | null;
  variants: VariantSummary[];
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const cell = (r: Rate) => `${pct(r.rate)} (${r.successes}/${r.episodes}, ${pct(r.ci95[0])}-${pct(r.ci95[1])})`;

/** Whether two rates' 95% intervals overlap: the difference is then not established by these episodes. */
export function intervalsOverlap(a: Rate, b: Rate): boolean {
  return a.ci95[0] <= b.ci95[1] && b.ci95[0] <= a.ci95[1];
}

/** One question answered from two variants' figures, or null when either was not run. */
function compare(byName: Map<string, VariantSummary>, question: string, a: string, b: string): string | null {
  const x = byName.get(a);
  const y = byName.get(b);
  if (!x || !y) return null;
  const diff = 100 * (x.successRate - y.successRate);
  const verdict = intervalsOverlap(x.success, y.success)
    ? 'the intervals overlap: these episodes do not tell them apart'
    : `${diff > 0 ? a : b} is better beyond the 95% intervals`;
  const lang = x.language && y.language ? `; language sensitivity ${pct(x.language.rate)} vs ${pct(y.language.rate)}` : '';
  const att = `; attention on target ${x.attentionOnTarget.ratio.toFixed(2)}x vs ${y.attentionOnTarget.ratio.toFixed(2)}x uniform`;
  return `- **${question}** ${a} ${pct(x.successRate)} vs ${b} ${pct(y.successRate)} (${diff >= 0 ? '+' : ''}${diff.toFixed(1)} points): ${verdict}${lang}${att}.`;
}

export function formatExperimentReport(r: ExperimentReport): string {
  const byName = new Map(r.variants.map((v) => [v.name, v]));
  const lines = [
    '# Attention experiment',
    '',
    `Every variant trained ${r.seeds} time(s) (training seeds 0-${r.seeds - 1}) for ${r.steps} steps of ${r.batchSize} samples on the data of ` +
      `\`${r.base.path}\`'s first stage, evaluated on seeds ${r.evaluation.reportSeeds[0]}-${r.evaluation.reportSeeds[1]} ` +
      `(${r.evaluation.episodes} episodes per task and split per run; language sensitivity on ${r.evaluation.languageScenes} scenes). ` +
      `Rates pool the seeds' episodes, with 95% Wilson intervals. ${r.minutes.total.toFixed(0)} minutes of work on ${r.machine.cpus} cores ` +
      `(collection of the shared datasets ${r.minutes.collect.toFixed(0)}, training ${r.minutes.train.toFixed(0)}, evaluation ${(r.minutes.evaluate + r.minutes.measure).toFixed(0)}).`,
    '',
    '| variant | success | per seed | language sensitivity | attention on target (x uniform) | parameters | train min | inference ms |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.variants.map(
      (v) =>
        `| ${v.name}: ${v.what} | ${cell(v.success)} | ${v.perSeed.map((s) => pct(s.successRate)).join(', ')} | ${v.language ? cell(v.language) : '-'} | ` +
        `${pct(v.attentionOnTarget.targetShare)} vs ${pct(v.attentionOnTarget.uniformShare)} (${v.attentionOnTarget.ratio.toFixed(2)}x) | ${v.parameters} | ${v.trainMinutes.toFixed(1)} | ${v.inferenceMs.toFixed(1)} |`,
    ),
    '',
    '## The questions',
    '',
    ...[
      compare(byName, 'Dot-product or additive scores (4 heads)?', 'dot-4', 'additive-4'),
      compare(byName, 'Dot-product or additive scores (1 head)?', 'dot-1', 'additive-1'),
      compare(byName, 'Four heads or one (dot-product)?', 'dot-4', 'dot-1'),
      compare(byName, 'Four heads or one (additive)?', 'additive-4', 'additive-1'),
      compare(byName, 'Cross-attention or one joint stream?', 'dot-4', 'concat-4'),
    ].filter((l) => l !== null),
    '',
    '## Per task and split',
    '',
  ];
  const tasks = Object.keys(r.variants[0]?.perTask ?? {});
  const cols = [...r.evaluation.splits, 'overall'];
  for (const task of tasks) {
    lines.push(`**${task}**`, '', `| variant | ${cols.join(' | ')} |`, `| --- | ${cols.map(() => '---').join(' | ')} |`);
    for (const v of r.variants) lines.push(`| ${v.name} | ${cols.map((c) => (v.perTask[task]?.[c] ? cell(v.perTask[task][c]) : '-')).join(' | ')} |`);
    lines.push('');
  }
  lines.push('Pictures: `learning-curves.png` (validation loss of every run), `success-vs-time.png`, `maps.png` (each variant\'s words on one scene).');
  return `${lines.join('\n')}\n`;
}
