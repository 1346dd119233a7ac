/**
 * Shard reports of `vla eval --shard ... --report FILE` and their merge (`vla eval --merge FILES...`): each shard
 * writes what it evaluated (policy, tasks, episodes, seed, split, execution, which shard) with its Evaluation and
 * its episodes' approach errors; the merge checks that the shards belong to one evaluation and are all there, and
 * adds them up into the Evaluation the whole run would have given (success rates with 95% Wilson intervals,
 * sim/util/wilson.ts; the approach medians from the episodes themselves). Only `seconds` differs: the merge
 * reports the shards' summed compute time.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { EvaluationSchema } from '../../eval/schema.js';
import { rate, summariseApproach, type Evaluation, type FailureSites } from '../../eval/tally.js';
import { formatZodError } from '../../io/zodIssues.js';
import type { Shard } from './shard.js';

export const REPORT_FORMAT = 'vla-eval-shard';

export const ShardReportSchema = z.object({
  format: z.literal(REPORT_FORMAT),
  version: z.literal(1),
  policy: z.string(),
  tasks: z.array(z.string()).min(1),
  episodes: z.number().int().positive(),
  seed: z.number().int().nonnegative(),
  split: z.string().nullable(),
  phrasing: z.string().nullable().default(null),
  execution: z.string(),
  shard: z.object({ index: z.number().int().nonnegative(), count: z.number().int().positive() }),
  /** By task: the approach error (m) of each episode where the gripper came down (EpisodeResult.approachError). */
  approachErrors: z.record(z.string(), z.array(z.number())),
  evaluation: EvaluationSchema,
});
export type ShardReport = z.infer<typeof ShardReportSchema>;

export interface ShardPlan {
  policy: string;
  tasks: string[];
  episodes: number;
  seed: number;
  split: string | null;
  /** `--phrasing`: the language commands were said freely in, or null. */
  phrasing: string | null;
  execution: string;
  shard: Shard;
}

export function makeShardReport(plan: ShardPlan, evaluation: Evaluation, approachErrors: Record<string, number[]>): ShardReport {
  return { format: REPORT_FORMAT, version: 1, ...plan, approachErrors, evaluation };
}

export function readShardReport(path: string): ShardReport {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : `not a JSON shard report (${(e as Error).message})`}`);
  }
  const r = ShardReportSchema.safeParse(json);
  if (!r.success) throw new Error(`${path}: not a shard report of vla eval --report: ${formatZodError(r.error)}`);
  return r.data;
}

const addCounts = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
};

/** Checks that the reports are the shards 0..N-1 of one evaluation; throws naming the files and the difference. */
function checkShards(reports: readonly ShardReport[], files: readonly string[]): void {
  if (reports.length === 0) throw new Error('--merge: give the shard reports to merge');
  const first = reports[0]!;
  const key = (r: ShardReport) => JSON.stringify([r.policy, r.tasks, r.episodes, r.seed, r.split, r.phrasing, r.execution, r.shard.count]);
  reports.forEach((r, i) => {
    if (key(r) !== key(first)) {
      throw new Error(
        `--merge: ${files[i]} is of another evaluation than ${files[0]} (policy, tasks, episodes, seed, split, phrasing, execution, shard count: ` +
          `${key(r)} vs ${key(first)})`,
      );
    }
  });
  const seen = new Map<number, string>();
  reports.forEach((r, i) => {
    const other = seen.get(r.shard.index);
    if (other) throw new Error(`--merge: ${files[i]} and ${other} are both shard ${r.shard.index}/${r.shard.count}`);
    seen.set(r.shard.index, files[i]!);
  });
  const missing = Array.from({ length: first.shard.count }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length) throw new Error(`--merge: shard(s) ${missing.map((i) => `${i}/${first.shard.count}`).join(', ')} missing`);
}

/** The Evaluation of the whole run, from all its shards' reports (files: their paths, for messages). */
export function mergeShardReports(reports: readonly ShardReport[], files: readonly string[]): Evaluation {
  checkShards(reports, files);
  const perTask: Evaluation['perTask'] = {};
  for (const task of reports[0]!.tasks) {
    const parts = reports.map((r) => r.evaluation.perTask[task]).filter((t) => t !== undefined);
    const episodes = parts.reduce((n, t) => n + t.episodes, 0);
    const successes = parts.reduce((n, t) => n + t.successes, 0);
    const splits: Record<string, { e: number; s: number }> = {};
    const targets: Record<string, { e: number; s: number; by: Record<string, number> }> = {};
    const failures: Record<string, number> = {};
    let failedBy: FailureSites | null = null;
    for (const t of parts) {
      for (const [k, v] of Object.entries(t.perSplit)) {
        const sp = (splits[k] ??= { e: 0, s: 0 });
        sp.e += v.episodes;
        sp.s += v.successes;
      }
      for (const [k, v] of Object.entries(t.perTarget)) {
        const tg = (targets[k] ??= { e: 0, s: 0, by: {} });
        tg.e += v.episodes;
        tg.s += v.successes;
        addCounts(tg.by, v.cameDownBy);
      }
      addCounts(failures, t.failures);
      if (t.failedBy) {
        failedBy ??= { byTarget: 0, byOther: 0, never: 0 };
        failedBy.byTarget += t.failedBy.byTarget;
        failedBy.byOther += t.failedBy.byOther;
        failedBy.never += t.failedBy.never;
      }
    }
    perTask[task] = {
      ...rate(episodes, successes),
      meanSteps: episodes ? parts.reduce((n, t) => n + t.meanSteps * t.episodes, 0) / episodes : 0,
      perSplit: Object.fromEntries(Object.keys(splits).sort().map((k) => [k, rate(splits[k]!.e, splits[k]!.s)])),
      failures,
      parked: parts.reduce((n, t) => n + t.parked, 0),
      approach: summariseApproach(reports.flatMap((r) => r.approachErrors[task] ?? [])),
      failedBy,
      perTarget: Object.fromEntries(Object.keys(targets).sort().map((k) => [k, { ...rate(targets[k]!.e, targets[k]!.s), cameDownBy: targets[k]!.by }])),
    };
  }
  const episodes = Object.values(perTask).reduce((n, t) => n + t.episodes, 0);
  const successes = Object.values(perTask).reduce((n, t) => n + t.successes, 0);
  const steps = Object.values(perTask).reduce((n, t) => n + t.meanSteps * t.episodes, 0);
  const seconds = reports.reduce((n, r) => n + r.evaluation.seconds, 0);
  return { successRate: episodes ? successes / episodes : 0, episodes, meanSteps: episodes ? steps / episodes : 0, perTask, seconds };
}
