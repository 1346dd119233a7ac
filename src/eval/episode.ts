/**
 * Running episodes: one to its end (runEpisode), or many in lockstep groups so that a policy predicts for a whole
 * group in one batched forward pass (runEpisodes; the same results as one at a time, faster). A command can be said
 * in other words first (free-form English or Korean).
 */
import type { Driver } from '../../sim/env/Driver.js';
import type { Environment } from '../../sim/env/Environment.js';
import { Rng } from '../../sim/util/Rng.js';
import { getTask, resolveCommand, type Split, type TaskName } from '../../sim/tasks/index.js';
import type { Scene } from '../../sim/types.js';
import { EpisodeRun, objectName, type EpisodeOptions, type EpisodeResult } from './EpisodeRun.js';

/**
 * A command said in other words: the text a user would type, the command the simulator carries out (null: the text
 * was not understood, which counts as a failure, "not understood"), and, when the driver's policy reads other words
 * than that command (a Korean command in Korean words), those words.
 */
export interface Rephrased {
  text: string;
  command: string | null;
  reads?: string;
}

/** How a sampled command is said in other words, and the split its episodes are reported under. */
export interface Rephrasing {
  split: string;
  say: (command: string, scene: Scene, seed: number) => Rephrased;
}

/** `driver` given `command` as every observation's command (what its policy reads instead of the episode's). */
export function readingAs(driver: Driver, command: string): Driver {
  return {
    reset: (env) => driver.reset(env),
    prepare: (obs, env) => {
      obs.command = command; // each step's observation is a new object
      driver.prepare?.(obs, env);
    },
    act: (obs, env) => {
      obs.command = command;
      return driver.act(obs, env);
    },
  };
}

/** Runs one episode to its end (see EpisodeRun; several in lockstep: runEpisodes). */
export async function runEpisode(o: EpisodeOptions): Promise<EpisodeResult> {
  const run = new EpisodeRun(o);
  while (!run.done) {
    run.prepare();
    run.step();
  }
  return run.result();
}

/**
 * An episode to run (its options, and the command text and split to report it under, when said in other words), or
 * one already decided without running (a command not understood).
 */
export type EpisodePlan = { options: EpisodeOptions; report?: { command: string; split: string } } | { result: EpisodeResult };

/** The episode runEpisode would sample, said in other words first (EvaluateOptions.rephrase). */
export function rephrasedPlan(o: EpisodeOptions & { task: TaskName; split: Split }, rephrase: Rephrasing): EpisodePlan {
  const sampled = getTask(o.task).sampleEpisode(new Rng(o.seed), o.split); // as Environment.reset samples it
  const said = rephrase.say(sampled.command, sampled.scene, o.seed);
  if (said.command === null) {
    const ref = resolveCommand(sampled.command, sampled.scene);
    const target = sampled.scene.objects.find((x) => x.id === ref.targetId)!;
    const result: EpisodeResult = { seed: o.seed, task: o.task, command: said.text, split: rephrase.split, target: objectName(target), success: false, reason: 'not understood', steps: 0, time: 0, parked: false, approachError: null, cameDownBy: null };
    return { result };
  }
  const driver = said.reads !== undefined && o.driver ? readingAs(o.driver, said.reads) : o.driver;
  return { options: { ...o, command: said.command, scene: sampled.scene, ...(driver ? { driver } : {}) }, report: { command: said.text, split: rephrase.split } };
}

/** The episode of `rephrasedPlan`, run to its end. */
export async function rephrasedEpisode(o: EpisodeOptions & { task: TaskName; split: Split }, rephrase: Rephrasing): Promise<EpisodeResult> {
  const plan = rephrasedPlan(o, rephrase);
  if ('result' in plan) return plan.result;
  return reported(await runEpisode(plan.options), plan.report);
}

function reported(r: EpisodeResult, report: { command: string; split: string } | undefined): EpisodeResult {
  return report ? { ...r, command: report.command, split: report.split } : r;
}

/** Episodes an evaluation runs in lockstep by default: a policy's batch of 8 costs about two single predictions. */
export const LOCKSTEP_EPISODES = 8;

/**
 * Runs `plans` in lockstep groups of envs.length episodes, each episode of a group on its own environment: every
 * step, each running episode shows its driver the observation (a policy driver queues it), then each acts (the first
 * to act runs the queued observations as one batch). Each episode's own driver and seed decide it, so the results
 * are those of running the episodes one at a time. `onResult` gets them in the order of `plans`.
 */
export async function runEpisodes(plans: readonly EpisodePlan[], envs: readonly Environment[], onResult: (r: EpisodeResult, index: number) => void | Promise<void>): Promise<void> {
  if (envs.length === 0) throw new Error('runEpisodes: expected at least one environment');
  for (let first = 0; first < plans.length; first += envs.length) {
    const group = plans.slice(first, first + envs.length);
    const runs = group.map((p, k) => ('result' in p ? null : new EpisodeRun({ ...p.options, env: envs[k]! })));
    const active = runs.filter((r): r is EpisodeRun => r !== null);
    while (active.length > 0) {
      for (const run of active) run.prepare();
      for (const run of active) run.step();
      // Drop the finished episodes in place (no new array per control step).
      let kept = 0;
      for (const run of active) if (!run.done) active[kept++] = run;
      active.length = kept;
    }
    for (let k = 0; k < group.length; k++) {
      const p = group[k]!;
      await onResult('result' in p ? p.result : reported(runs[k]!.result(), p.report), first + k);
    }
  }
}
