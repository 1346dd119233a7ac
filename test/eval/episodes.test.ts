/**
 * Episodes and evaluations (src/eval): whether a failed episode ended parked, where the gripper first came down and
 * by which object, the per-task tallies and printed summaries, and the seeds evaluate refuses.
 */
import { describe, expect, it } from 'vitest';
import { Environment } from '../../sim/env/Environment.js';
import { expertDriver } from '../../sim/env/Driver.js';
import { evaluate, formatEvaluation, runEpisode, summariseApproach, weakestTargets } from '../../src/eval/index.js';
import type { EeAction, Observation } from '../../sim/types.js';

describe('episode results', () => {
  const still: EeAction = { dx: 0, dy: 0, dz: 0, dyaw: 0, gripper: 0 };
  it('say whether a failed episode ended with the arm parked, and evaluate counts those per task', async () => {
    const env = new Environment({ cameras: [], maxSteps: 80 });
    // Stands still: a timeout, parked.
    const idle = await runEpisode({ seed: 3, task: 'pick', env, driver: { reset: () => {}, act: () => still } });
    expect(idle).toMatchObject({ success: false, reason: 'timeout', parked: true });
    // Keeps moving (1 cm up and down, alternating): a timeout, not parked, though it ends where it started.
    let t = 0;
    const shake = await runEpisode({ seed: 3, task: 'pick', env, driver: { reset: () => (t = 0), act: () => ({ ...still, dz: t++ % 2 ? -0.01 : 0.01 }) } });
    expect(shake).toMatchObject({ success: false, reason: 'timeout', parked: false });
    const e = await evaluate({ tasks: ['pick'], episodes: 2, seed: 3, cameras: [], maxSteps: 80, driverFactory: () => ({ reset: () => {}, act: () => still }) });
    expect(e.perTask.pick).toMatchObject({ successes: 0, parked: 2, failures: { timeout: 2 } });
    expect(formatEvaluation(e)).toMatch(/failures: timeout: 2 \(2 of them parked at the end\)/);
  });
});

describe('approach error', () => {
  const still: EeAction = { dx: 0, dy: 0, dz: 0, dyaw: 0, gripper: 0 };
  /** Flies (at most 1 cm a step) to within 6 mm of `offset` beside the target at 10 cm high, then straight down. */
  const beside = (offset: { x: number; y: number }) => ({
    reset: () => {},
    act: (obs: Observation, env: Environment): EeAction => {
      const p = env.snapshot().objects[env.info.target]!.position;
      const goal = { x: p.x + offset.x, y: p.y + offset.y };
      const dx = goal.x - obs.eePose.x;
      const dy = goal.y - obs.eePose.y;
      const far = Math.hypot(dx, dy);
      if (far > 0.006) {
        const k = Math.min(1, 0.01 / far);
        return { ...still, dx: dx * k, dy: dy * k, dz: Math.max(-0.01, Math.min(0.01, 0.1 - obs.eePose.z)) };
      }
      return { ...still, dz: -0.01 };
    },
  });

  it('is where the gripper first came down: a few mm for the expert, the offset for a driver that comes down beside', async () => {
    const env = new Environment({ cameras: [] });
    for (const task of ['pick', 'push'] as const) {
      const r = await runEpisode({ seed: 21, task, env });
      expect(r.success).toBe(true);
      expect(r.approachError, task).not.toBeNull();
      expect(r.approachError!, task).toBeLessThan(0.01);
    }
    const off = await runEpisode({ seed: 21, task: 'pick', env, driver: beside({ x: 0.05, y: 0 }) });
    expect(off.approachError!).toBeGreaterThan(0.045);
    expect(off.approachError!).toBeLessThan(0.056);
    // Push measures across the line of the push: along it (behind the target, where a push starts) is no error.
    const push = await runEpisode({ seed: 21, task: 'push', env });
    const d = env.info.direction!;
    const along = await runEpisode({ seed: 21, task: 'push', env, driver: beside({ x: -0.04 * d.x, y: -0.04 * d.y }) });
    const across = await runEpisode({ seed: 21, task: 'push', env, driver: beside({ x: -0.04 * d.y, y: 0.04 * d.x }) });
    expect(push.command).toBe(along.command);
    expect(along.approachError!).toBeLessThan(0.007);
    expect(across.approachError!).toBeGreaterThan(0.035);
    // Never coming down: null.
    const idle = await runEpisode({ seed: 21, task: 'pick', env: new Environment({ cameras: [], maxSteps: 30 }), driver: { reset: () => {}, act: () => still } });
    expect(idle.approachError).toBeNull();
    expect(idle.cameDownBy).toBeNull();
  });

  /** Flies to 10 cm above another movable object of the scene (the first that is neither target nor destination), then straight down. */
  const byOther = {
    reset: () => {},
    act: (obs: Observation, env: Environment): EeAction => {
      const k = env.info.scene.objects.findIndex((o, i) => i !== env.info.target && i !== env.info.destination && o.kind !== 'bowl' && o.kind !== 'plate');
      const t = env.snapshot().objects[env.info.target]!.position;
      const p = env.snapshot().objects[k]!.position;
      return beside({ x: p.x - t.x, y: p.y - t.y }).act(obs, env);
    },
  };

  it('names the object the gripper came down by (pick and place), and evaluate counts where failures came down', async () => {
    const env = new Environment({ cameras: [] });
    for (const task of ['pick', 'place'] as const) {
      const r = await runEpisode({ seed: 21, task, env });
      const t = env.info.scene.objects[env.info.target]!;
      expect(r.target, task).toBe(`${t.colour} ${t.kind}`);
      expect(r.cameDownBy, task).toEqual({ id: t.id, name: r.target, isTarget: true });
      const wrong = await runEpisode({ seed: 21, task, env: new Environment({ cameras: [], maxSteps: 60 }), driver: byOther });
      expect(wrong.success, task).toBe(false);
      expect(wrong.cameDownBy?.isTarget, task).toBe(false);
      expect(wrong.cameDownBy?.id, task).not.toBe(env.info.scene.objects[env.info.target]!.id);
      expect(wrong.cameDownBy?.name, task).not.toBe(wrong.target);
    }
    // Push comes down behind the object: not measured.
    expect((await runEpisode({ seed: 21, task: 'push', env })).cameDownBy).toBeNull();
    const wrong = await evaluate({ tasks: ['pick', 'push'], episodes: 2, seed: 21, cameras: [], maxSteps: 60, driverFactory: () => byOther });
    expect(wrong.perTask.pick!.failedBy).toEqual({ byTarget: 0, byOther: 2, never: 0 });
    expect(wrong.perTask.push!.failedBy).toBeNull();
    const near = await evaluate({ tasks: ['pick'], episodes: 2, seed: 21, cameras: [], maxSteps: 60, driverFactory: () => beside({ x: 0, y: 0.01 }) });
    expect(near.perTask.pick!.failedBy).toEqual({ byTarget: 2, byOther: 0, never: 0 });
    const idle = await evaluate({ tasks: ['pick'], episodes: 1, seed: 21, cameras: [], maxSteps: 20, driverFactory: () => ({ reset: () => {}, act: () => still }) });
    expect(idle.perTask.pick!.failedBy).toEqual({ byTarget: 0, byOther: 0, never: 1 });
    expect(formatEvaluation(wrong)).toMatch(/pick failures: 0 came down by the target, 2 by another object, 0 never came down/);
    expect(formatEvaluation(wrong)).not.toMatch(/push failures/);
    // Per target: every episode counted under its target, the wrong object named by what it is.
    const perTarget = wrong.perTask.pick!.perTarget;
    expect(Object.values(perTarget).reduce((n, t) => n + t.episodes, 0)).toBe(2);
    for (const [name, t] of Object.entries(perTarget)) {
      expect(t.successes, name).toBe(0);
      expect(Object.values(t.cameDownBy).reduce((n, k) => n + k, 0), name).toBe(t.episodes);
      expect(Object.keys(t.cameDownBy), name).not.toContain(name);
    }
    const [first, t0] = Object.entries(perTarget)[0]!;
    const [taken] = Object.keys(t0.cameDownBy);
    expect(formatEvaluation(wrong)).toContain(`pick: the targets that failed most: ${first} 0/${t0.episodes} (came down by ${taken} `);
    expect(Object.values(near.perTask.pick!.perTarget).every((t) => Object.keys(t.cameDownBy).length === 0)).toBe(true);
  });

  it('weakestTargets lists the targets with failures, lowest success rate first, and what they were taken for', () => {
    const t = (episodes: number, successes: number, cameDownBy: Record<string, number> = {}) => ({ episodes, successes, successRate: successes / episodes, ci95: [0, 1] as [number, number], cameDownBy });
    const perTarget = {
      'blue cube': t(10, 10),
      'orange cube': t(10, 6, { 'orange ball': 1, 'red cube': 3 }),
      'purple ball': t(5, 4),
      'yellow cylinder': t(8, 4, { 'yellow ball': 2 }),
    };
    expect(weakestTargets(perTarget)).toBe(
      'the targets that failed most: yellow cylinder 4/8 (came down by yellow ball 2), orange cube 6/10 (came down by red cube 3, orange ball 1), purple ball 4/5',
    );
    expect(weakestTargets(perTarget, 1)).toBe('the targets that failed most: yellow cylinder 4/8 (came down by yellow ball 2), and 2 more');
    expect(weakestTargets({ 'blue cube': t(3, 3) })).toBe('');
  });

  it('is summarised per task by evaluate and printed', async () => {
    expect(summariseApproach([0.05, 0.01, 0.03])).toEqual({ measured: 3, median: 0.03, close: 1 });
    expect(summariseApproach([0.01, 0.03])).toMatchObject({ median: 0.02, close: 1 });
    expect(summariseApproach([])).toEqual({ measured: 0, median: null, close: 0 });
    const e = await evaluate({ tasks: ['pick'], episodes: 2, seed: 21, cameras: [], maxSteps: 60, driverFactory: () => beside({ x: 0, y: 0.04 }) });
    expect(e.perTask.pick!.approach.measured).toBe(2);
    expect(e.perTask.pick!.approach.median!).toBeCloseTo(0.04, 2);
    expect(formatEvaluation(e)).toMatch(/pick: the gripper came down a median 4\.\d cm from the target, 0 of 2 within 2 cm/);
  });
});

describe('evaluate refuses seeds that would repeat and plans that run nothing (issue 33)', () => {
  it('a seed past 2^53 (1e99 + i === 1e99: every episode the same scene), a negative seed, no task', async () => {
    await expect(evaluate({ tasks: ['pick'], episodes: 10, seed: 1e99, cameras: [] })).rejects.toThrow(/seed must be a non-negative integer with seed \+ episodes below 2\^53, got 1e\+99/);
    await expect(evaluate({ tasks: ['pick'], episodes: 1, seed: -1, cameras: [] })).rejects.toThrow(/got -1/);
    await expect(evaluate({ tasks: [], episodes: 1, seed: 0, cameras: [] })).rejects.toThrow(/at least one task and one episode, got 0 tasks/);
  });
});
