/**
 * What an evaluation reports: success rates with their 95% Wilson intervals per task, split and target, failure
 * reasons, where the gripper came down; and the tally that adds episodes up into it.
 */
import type { TaskName } from '../../sim/tasks/index.js';
import { median } from '../../sim/util/median.js';
import { wilsonInterval } from '../../sim/util/wilson.js';
import type { EpisodeResult } from './EpisodeRun.js';

export interface RateTable {
  episodes: number;
  successes: number;
  successRate: number;
  /** The 95% Wilson interval of successRate: [low, high] (sim/util/wilson.ts). */
  ci95: [number, number];
}

/**
 * One target ("purple ball") of one task: its episodes, and for pick and place the failed ones that came down by
 * another object, counted by that object's name (which object it was taken for).
 */
export type TargetTable = RateTable & { cameDownBy: Record<string, number> };

export interface Evaluation {
  /** Overall success rate, 0..1 (the field scripts read). */
  successRate: number;
  episodes: number;
  meanSteps: number;
  /**
   * failures: by reason; parked: failed episodes that ended with the arm standing still (EpisodeResult.parked);
   * approach: where the gripper came down (EpisodeResult.approachError), over the episodes where it did;
   * failedBy: pick and place, where the failed episodes came down (EpisodeResult.cameDownBy), null for push;
   * perTarget: by the named object ("purple ball"), sorted by name.
   */
  perTask: Record<
    string,
    RateTable & {
      meanSteps: number;
      perSplit: Record<string, RateTable>;
      failures: Record<string, number>;
      parked: number;
      approach: ApproachSummary;
      failedBy: FailureSites | null;
      perTarget: Record<string, TargetTable>;
    }
  >;
  seconds: number;
}

export interface ApproachSummary {
  /** Episodes where the gripper came down. */
  measured: number;
  /** Median approachError (m) over them; null when none. */
  median: number | null;
  /** How many came down within APPROACH_CLOSE (2 cm). */
  close: number;
}

/** Where failed episodes first came down (EpisodeResult.cameDownBy): by the target, by another object, never. */
export interface FailureSites {
  byTarget: number;
  byOther: number;
  never: number;
}

/** Counts a failed episode in `sites` by where it first came down. */
export function countFailureSite(sites: FailureSites, r: Pick<EpisodeResult, 'cameDownBy'>): void {
  if (!r.cameDownBy) sites.never++;
  else if (r.cameDownBy.isTarget) sites.byTarget++;
  else sites.byOther++;
}

/** An approach within this distance (m) counts as close in ApproachSummary. */
export const APPROACH_CLOSE = 0.02;

export function summariseApproach(errors: readonly number[]): ApproachSummary {
  const n = errors.length;
  return { measured: n, median: n === 0 ? null : median(errors), close: errors.filter((e) => e < APPROACH_CLOSE).length };
}

export const rate = (episodes: number, successes: number): RateTable => {
  const ci = wilsonInterval(successes, episodes);
  return { episodes, successes, successRate: episodes ? successes / episodes : 0, ci95: [ci.low, ci.high] };
};

/** One task's episodes as evaluate() runs them, before they become its row of Evaluation.perTask. */
export interface TaskTally {
  splits: Record<string, { e: number; s: number }>;
  failures: Record<string, number>;
  parked: number;
  approaches: number[];
  failedBy: FailureSites;
  targets: Record<string, { e: number; s: number; by: Record<string, number> }>;
  successes: number;
  steps: number;
}

export const newTally = (): TaskTally => ({ splits: {}, failures: {}, parked: 0, approaches: [], failedBy: { byTarget: 0, byOther: 0, never: 0 }, targets: {}, successes: 0, steps: 0 });

export function addToTally(t: TaskTally, r: EpisodeResult): void {
  const sp = (t.splits[r.split] ??= { e: 0, s: 0 });
  const tg = (t.targets[r.target] ??= { e: 0, s: 0, by: {} });
  sp.e++;
  tg.e++;
  if (r.success) {
    sp.s++;
    tg.s++;
    t.successes++;
  } else {
    if (r.cameDownBy && !r.cameDownBy.isTarget) tg.by[r.cameDownBy.name] = (tg.by[r.cameDownBy.name] ?? 0) + 1;
    t.failures[r.reason] = (t.failures[r.reason] ?? 0) + 1;
    if (r.parked) t.parked++;
    countFailureSite(t.failedBy, r);
  }
  if (r.approachError !== null) t.approaches.push(r.approachError);
  t.steps += r.steps;
}

export function summariseTally(t: TaskTally, task: TaskName, episodes: number): Evaluation['perTask'][string] {
  return {
    ...rate(episodes, t.successes),
    meanSteps: episodes ? t.steps / episodes : 0,
    perSplit: Object.fromEntries(Object.entries(t.splits).map(([k, v]) => [k, rate(v.e, v.s)])),
    failures: t.failures,
    parked: t.parked,
    approach: summariseApproach(t.approaches),
    failedBy: task === 'push' ? null : t.failedBy,
    perTarget: Object.fromEntries(
      Object.keys(t.targets)
        .sort()
        .map((k) => [k, { ...rate(t.targets[k]!.e, t.targets[k]!.s), cameDownBy: t.targets[k]!.by }]),
    ),
  };
}
