/** Evaluations as the text `vla eval` and `vla train --recipe` print. */
import { formatRate } from '../../sim/util/wilson.js';
import type { AttentionOnTarget } from './attention.js';
import type { LanguageSensitivity } from './language.js';
import type { ModelEvaluation, Rate } from './protocol.js';
import { APPROACH_CLOSE, type Evaluation, type TargetTable } from './tally.js';

export function formatEvaluation(e: Evaluation): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const lines = [`task      episodes  success  mean steps  per split (95% Wilson intervals) / failures`];
  for (const [task, t] of Object.entries(e.perTask)) {
    const splits = Object.entries(t.perSplit).map(([k, v]) => `${k} ${formatRate(v.successes, v.episodes)}`).join(', ');
    const fails = (Object.entries(t.failures).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none') + (t.parked ? ` (${t.parked} of them parked at the end)` : '');
    lines.push(`${task.padEnd(9)} ${String(t.episodes).padStart(8)}  ${pct(t.successRate).padStart(7)}  ${t.meanSteps.toFixed(1).padStart(10)}  ${splits}; failures: ${fails}`);
  }
  lines.push(`overall   ${String(e.episodes).padStart(8)}  ${pct(e.successRate).padStart(7)}  ${e.meanSteps.toFixed(1).padStart(10)}  (${e.seconds.toFixed(1)} s, ${(e.episodes / e.seconds).toFixed(2)} episodes/s)`);
  for (const [task, t] of Object.entries(e.perTask)) lines.push(`${task}: ${formatRate(t.successes, t.episodes)}`);
  const overall = Object.values(e.perTask).reduce((n, t) => n + t.successes, 0);
  lines.push(`overall: ${formatRate(overall, e.episodes)}`);
  for (const [task, t] of Object.entries(e.perTask)) {
    const a = t.approach;
    if (!a || a.measured === 0) continue;
    lines.push(`${task}: the gripper came down a median ${(100 * a.median!).toFixed(1)} cm ${task === 'push' ? 'beside the line of the push' : 'from the target'}, ${a.close} of ${a.measured} within ${100 * APPROACH_CLOSE} cm`);
  }
  for (const [task, t] of Object.entries(e.perTask)) {
    const f = t.failedBy;
    if (!f || f.byTarget + f.byOther + f.never === 0) continue;
    lines.push(`${task} failures: ${f.byTarget} came down by the target, ${f.byOther} by another object, ${f.never} never came down`);
  }
  for (const [task, t] of Object.entries(e.perTask)) {
    const weak = weakestTargets(t.perTarget);
    if (weak) lines.push(`${task}: ${weak}`);
  }
  return lines.join('\n');
}

/** Counts as "name n", most first (ties by name): ["orange cylinder 4", "yellow cylinder 1"]. */
export function countsMostFirst(counts: Readonly<Record<string, number>>): string[] {
  return Object.entries(counts)
    .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
    .map(([name, n]) => `${name} ${n}`);
}

/**
 * The targets with failures, lowest success rate first (at most `max`), each with what its failures came down by:
 * "the targets that failed most: orange cube 14/18 (came down by orange ball 2, red cube 1), ...". '' when none failed.
 */
export function weakestTargets(perTarget: Record<string, TargetTable>, max = 4): string {
  const failed = Object.entries(perTarget)
    .filter(([, t]) => t.successes < t.episodes)
    .sort(([a, x], [b, y]) => x.successRate - y.successRate || y.episodes - x.episodes || a.localeCompare(b));
  if (failed.length === 0) return '';
  const show = failed.slice(0, max).map(([name, t]) => {
    const by = countsMostFirst(t.cameDownBy);
    return `${name} ${t.successes}/${t.episodes}${by.length ? ` (came down by ${by.join(', ')})` : ''}`;
  });
  const more = failed.length > max ? `, and ${failed.length - max} more` : '';
  return `the targets that failed most: ${show.join(', ')}${more}`;
}

/**
 * The printed line: "language sensitivity (pick): 89.6% of 48 counterfactual commands on 15 scenes picked the named
 * object; of the 5 failures, 3 came down by another object (purple ball -> purple cylinder 2, ...), 2 by the named
 * one, 0 never came down (wrong object: 5)"; the confusions most frequent first, at most four.
 */
export function formatLanguageSensitivity(ls: LanguageSensitivity): string {
  const did = ls.task === 'pick' ? 'picked the named object' : 'put the named object in its destination';
  let line = `language sensitivity (${ls.task}): ${(100 * ls.rate).toFixed(1)}% of ${ls.commands} counterfactual commands on ${ls.scenes} scene${ls.scenes === 1 ? '' : 's'} ${did}`;
  const failed = ls.commands - ls.successes;
  if (failed === 0) return line;
  const f = ls.failedBy;
  const taken = countsMostFirst(ls.confusions);
  const shown = taken.length > 4 ? [...taken.slice(0, 4), `and ${taken.length - 4} more`] : taken;
  line += `; of the ${failed} failures, ${f.byOther} came down by another object${shown.length ? ` (${shown.join(', ')})` : ''}`;
  line += `, ${f.byTarget} by the named one, ${f.never} never came down`;
  const reasons = Object.entries(ls.failures).map(([k, n]) => `${k}: ${n}`).join(', ');
  return `${line} (${reasons})`;
}

/** The printed lines of attentionOnTarget: the share on the target, where the words point, at which object. */
export function formatAttentionOnTarget(at: AttentionOnTarget): string {
  const pt = at.pointing;
  return [
    `attention on target: ${(100 * at.targetShare).toFixed(1)}% of the target words' attention on the target's patches ` +
      `(uniform: ${(100 * at.uniformShare).toFixed(1)}%, ratio ${at.ratio.toFixed(2)}x) over ${at.episodes} first frames`,
    `where the words point: the target words' maps are centred ${at.keypointErrorPx.toFixed(2)} px from the target (median)`,
    `which object the words point at: ${pt.atTarget} of ${pt.words} target words centred nearest the target; the others ` +
      `nearest an object of its colour (another shape) ${pt.sameColour}, of its shape (another colour) ${pt.sameShape}, neither ${pt.other}`,
  ].join('\n');
}

/** The evaluation as a markdown table (task x split, each cell "rate (k/n, CI)"). */
export function formatModelEvaluation(m: ModelEvaluation, splits: readonly string[]): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const cell = (r: Rate) => `${pct(r.rate)} (${r.successes}/${r.episodes}, ${pct(r.ci95[0])}-${pct(r.ci95[1])})`;
  const cols = [...splits, 'overall'];
  const lines = [`| task | ${cols.join(' | ')} |`, `| --- | ${cols.map(() => '---').join(' | ')} |`];
  for (const [task, t] of Object.entries(m.perTask)) lines.push(`| ${task} | ${cols.map((c) => cell(t[c]!)).join(' | ')} |`);
  lines.push('', `Overall ${cell(m.overall)} on report seeds ${m.seeds[0]}-${m.seeds[1]} (95% Wilson intervals).`);
  if (m.languageSensitivity) {
    const l = m.languageSensitivity;
    lines.push(`Language sensitivity: ${cell(l)} of counterfactual commands on ${l.scenes} scenes.`);
  }
  return lines.join('\n');
}
