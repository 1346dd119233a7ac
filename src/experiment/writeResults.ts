/** Writes a finished experiment's attention.json, report.md and pictures into its folder. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reportSeeds } from '../recipe/Recipe.js';
import { writeAtomic } from '../io/files.js';
import { EXPERIMENT_FORMAT, experimentMinutes, machine, summariseVariants, type RunResult } from './AttentionExperiment.js';
import type { ExperimentPlan } from './ExperimentPlan.js';
import { learningCurvesPng, successVsTimePng, variantMapsPng } from './figures.js';
import { formatExperimentReport, type ExperimentReport } from './report.js';

export function writeExperimentResults(plan: ExperimentPlan, results: readonly RunResult[], out: string): ExperimentReport {
  const report: ExperimentReport = {
    format: EXPERIMENT_FORMAT,
    version: 1,
    base: plan.base,
    budgetMinutes: plan.budgetMinutes,
    seeds: plan.seeds,
    steps: plan.steps,
    batchSize: plan.batchSize,
    evaluation: { ...plan.evaluation, reportSeeds: reportSeeds(plan.evaluation) },
    minutes: experimentMinutes(results),
    machine: machine(),
    commit: results[0]?.provenance.commit ?? null,
    variants: summariseVariants(plan, results),
  };
  writeAtomic(join(out, 'attention.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeAtomic(join(out, 'report.md'), formatExperimentReport(report));
  const runs = join(out, 'runs');
  writeFileSync(join(out, 'learning-curves.png'), learningCurvesPng(runs, results));
  writeFileSync(join(out, 'success-vs-time.png'), successVsTimePng(results));
  writeFileSync(join(out, 'maps.png'), variantMapsPng(runs, results, plan.evaluation.seed));
  return report;
}
