/**
 * What `vla eval` adds for running past one machine and for Foxglove: --shard (with the Kubernetes
 * Indexed Job's JOB_COMPLETION_INDEX), --report (a shard report to merge), --merge (shard reports into one
 * evaluation) and --mcap (every episode into one MCAP log). See docs/interop.md.
 */
import type { Driver } from '../../../sim/env/Driver.js';
import { formatEvaluation, type EpisodeResult, type Evaluation } from '../../eval/index.js';
import type { TaskName } from '../../../sim/tasks/index.js';
import { EpisodeRecorder, type AttentionSource } from '../../interop/mcap/EpisodeRecorder.js';
import { makeShardReport, mergeShardReports, readShardReport, type ShardPlan } from '../../interop/shard/evalReport.js';
import { ensureWritableFileDir, writeAtomic } from '../../io/files.js';

/** `vla eval --merge FILES...`: prints the merged evaluation (and its JSON with --json). */
export function printMergedEvaluation(files: string[], json: boolean): void {
  const merged = mergeShardReports(files.map(readShardReport), files);
  console.log(`merged ${files.length} shard report(s): ${merged.episodes} episodes`);
  console.log(formatEvaluation(merged));
  if (json) console.log(JSON.stringify(merged));
}

export interface EvalHooks {
  driverFactory: (seed: number) => Driver;
  onEpisode: (r: EpisodeResult, task: TaskName, i: number) => Promise<void>;
  /** Writes the shard report (with --report) and closes the MCAP file (with --mcap). */
  finish: (evaluation: Evaluation) => Promise<void>;
}

/**
 * The driver factory and per-episode callback of an evaluation with --mcap and/or --report; `plan` describes the
 * evaluation for the report. Checks both paths can be written before any episode runs.
 */
export async function evalHooks(
  o: { mcap?: string; report?: string; plan: ShardPlan; label: string; policy: AttentionSource | null },
  make: (seed: number) => Driver,
): Promise<EvalHooks> {
  if (o.report) ensureWritableFileDir(o.report, '--report');
  if (o.mcap) ensureWritableFileDir(o.mcap, '--mcap');
  const recorder = o.mcap ? await EpisodeRecorder.create(o.mcap) : null;
  const approach: Record<string, number[]> = {};
  let current: { command: string; seed: number; task: string; driver: string } | null = null;
  return {
    driverFactory: (seed) => {
      if (!recorder) return make(seed);
      const inner = recorder.wrap(make(seed), o.policy);
      // The episode's command is known once the environment is reset: begin the episode in the log there.
      return {
        reset: (env) => {
          current = { command: env.info.command, seed, task: env.info.task, driver: o.label };
          recorder.beginEpisode(current);
          inner.reset(env);
        },
        act: (obs, env) => inner.act(obs, env),
      };
    },
    onEpisode: async (r, task) => {
      if (r.approachError !== null) (approach[task] ??= []).push(r.approachError);
      if (recorder && current) {
        recorder.endEpisode(current, r);
        await recorder.flush();
      }
    },
    finish: async (evaluation) => {
      await recorder?.close();
      if (o.report) {
        // Atomic: a killed shard leaves no half report for --merge to read.
        writeAtomic(o.report, JSON.stringify(makeShardReport(o.plan, evaluation, approach)));
      }
    },
  };
}
