/**
 * Episodes in lockstep: a group of episodes shares one batched policy prediction per step, and every episode ends
 * exactly as it does run alone (same steps, outcome and measures), for the expert and for a policy.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { selectBackend } from '../../src/tf/backend.js';
import { Environment } from '../../sim/env/Environment.js';
import { expertDriver } from '../../sim/env/Driver.js';
import { VlaPolicy } from '../../src/policy/index.js';
import { evaluate, languageSensitivity, PolicyBatcher, policyDriver, runEpisode, type EpisodeResult } from '../../src/eval/index.js';
import type { TaskName } from '../../sim/tasks/index.js';
import { TINY, observation } from '../policy/helpers.js';

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
});

const CAMERAS = [{ name: 'scene' as const, width: 16, height: 16 }];

async function episodesOf(o: Parameters<typeof evaluate>[0]): Promise<EpisodeResult[]> {
  const out: EpisodeResult[] = [];
  await evaluate({ ...o, progress: 'none', onEpisode: (r) => void out.push(r) });
  return out;
}

describe('episodes in lockstep', () => {
  it('a policy predicts once per step for the whole group, and every episode ends as it does alone', async () => {
    const policy = new VlaPolicy({ ...TINY, seed: 5 });
    const batched = vi.spyOn(policy, 'actBatch');
    const batcher = new PolicyBatcher(policy);
    const base = { tasks: ['pick', 'place'] as TaskName[], episodes: 5, seed: 40, cameras: CAMERAS, maxSteps: 15, driverFactory: () => policyDriver(policy, undefined, batcher) };
    const alone = await episodesOf({ ...base, lockstep: 1 });
    const callsAlone = batched.mock.calls.length;
    batched.mockClear();
    const together = await episodesOf({ ...base, lockstep: 4 });
    expect(together).toEqual(alone);
    expect(alone.map((r) => r.seed)).toEqual(together.map((r) => r.seed));
    // 10 episodes of 15 steps: one prediction per episode-step alone, at most one per group-step together.
    expect(callsAlone).toBe(10 * 15);
    expect(batched.mock.calls.length).toBeLessThanOrEqual(Math.ceil(5 / 4) * 2 * 15);
    expect(Math.max(...batched.mock.calls.map((c) => c[0].length))).toBe(4);
    policy.dispose();
  });

  it('the batcher gives each episode its own chunk, equal to a single prediction', () => {
    const policy = new VlaPolicy({ ...TINY, seed: 6 });
    const batcher = new PolicyBatcher(policy);
    const obs = [observation(16, 'pick up the red ball', 1), observation(16, 'push the blue cube left', 2), observation(16, 'put the green ball in the red bowl', 3)];
    const owners = obs.map(() => ({}));
    obs.forEach((o, i) => batcher.request(owners[i]!, o));
    const taken = [2, 0, 1].map((i) => ({ i, chunk: batcher.take(owners[i]!, obs[i]!) }));
    for (const { i, chunk } of taken) expect(chunk).toEqual(policy.act(obs[i]!));
    // Nothing queued: a lone driver's prediction.
    expect(batcher.take({}, obs[1]!)).toEqual(policy.act(obs[1]!));
    policy.dispose();
  });

  it('the expert and language sensitivity give the same episodes in groups as one by one', async () => {
    const base = { tasks: ['pick', 'push'] as TaskName[], episodes: 3, seed: 7, cameras: [], maxSteps: 120 };
    const grouped = await episodesOf({ ...base, lockstep: 3 });
    expect(grouped).toEqual(await episodesOf({ ...base, lockstep: 1 }));
    expect(grouped.some((r) => r.success)).toBe(true);
    const env = new Environment({ cameras: [] });
    const one = await runEpisode({ seed: grouped[0]!.seed, task: 'pick', split: 'seen', env, driver: expertDriver(base.seed) });
    expect(one).toEqual(grouped[0]);
    const ls = await languageSensitivity({ makeDriver: expertDriver, env, scenes: 2, seed: 3 });
    expect(ls.commands).toBeGreaterThan(4);
    expect(ls.successes).toBe(ls.commands);
  });
});
