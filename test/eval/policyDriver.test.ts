/** How a policy's action chunks become executed actions: receding horizon and ACT's temporal ensembling. */
import { describe, expect, it } from 'vitest';
import { parseExecution } from '../../src/policy/ChunkExecutor.js';
import { policyDriver } from '../../src/eval/index.js';
import type { VlaPolicy } from '../../src/policy/index.js';
import type { EeAction, Observation } from '../../sim/types.js';
import type { Environment } from '../../sim/env/Environment.js';

/** A stand-in policy: call c predicts, for chunk entry k, dx = 100 c + k and a gripper from `grip(c, k)`. */
function fakePolicy(K: number, grip: (c: number, k: number) => number = () => 0) {
  let calls = 0;
  const policy = {
    config: { chunk: K },
    act: (): EeAction[] => {
      const c = calls++;
      return Array.from({ length: K }, (_, k) => ({ dx: 100 * c + k, dy: 0, dz: 0, dyaw: 0, gripper: grip(c, k) }));
    },
  };
  return { policy: policy as unknown as VlaPolicy, calls: () => calls };
}
const obs = {} as Observation;
const env = {} as Environment;

describe('policyDriver', () => {
  it('receding:N runs the policy every N steps and executes its chunk in order', () => {
    const f = fakePolicy(4);
    const d = policyDriver(f.policy, { mode: 'receding', steps: 3 });
    d.reset(env);
    const dx = Array.from({ length: 7 }, () => d.act(obs, env).dx);
    expect(dx).toEqual([0, 1, 2, 100, 101, 102, 200]);
    expect(f.calls()).toBe(3);
  });

  it('ensemble averages what every chunk covering the step predicted for it, oldest weighted most', () => {
    const f = fakePolicy(3);
    const d = policyDriver(f.policy, { mode: 'ensemble', decay: 0 });
    d.reset(env);
    // Step t is covered by the chunks of calls t-2..t, each predicting 100 c + (t - c) for it.
    const dx = Array.from({ length: 5 }, () => d.act(obs, env).dx);
    expect(dx[0]).toBeCloseTo(0);
    expect(dx[1]).toBeCloseTo((1 + 100) / 2);
    expect(dx[2]).toBeCloseTo((2 + 101 + 200) / 3);
    expect(dx[4]).toBeCloseTo((202 + 301 + 400) / 3);
    expect(f.calls()).toBe(5);
    // With a decay, the oldest chunk counts most: weights 1, e^-1, e^-2.
    const g = fakePolicy(3);
    const e = policyDriver(g.policy, { mode: 'ensemble', decay: 1 });
    e.reset(env);
    const x = Array.from({ length: 3 }, () => e.act(obs, env).dx);
    const w = [1, Math.exp(-1), Math.exp(-2)];
    expect(x[2]).toBeCloseTo((w[0]! * 2 + w[1]! * 101 + w[2]! * 200) / (w[0]! + w[1]! + w[2]!));
    // reset forgets the old chunks.
    e.reset(env);
    expect(e.act(obs, env).dx).toBeCloseTo(300);
  });

  it('closes the gripper on a weighted majority of the chunks', () => {
    // Only the newest call's chunk says "close": outvoted by the two older ones at step 2.
    const d = policyDriver(fakePolicy(3, (c) => (c === 2 ? 1 : 0)).policy, { mode: 'ensemble', decay: 0 });
    d.reset(env);
    expect([0, 1, 2].map(() => d.act(obs, env).gripper)).toEqual([0, 0, 0]);
    // Older chunks saying "close" for later steps carry it.
    const e = policyDriver(fakePolicy(3, (_c, k) => (k >= 1 ? 1 : 0)).policy, { mode: 'ensemble', decay: 0 });
    e.reset(env);
    expect([0, 1, 2].map(() => e.act(obs, env).gripper)).toEqual([0, 1, 1]);
  });

  it('parses the --execution values and explains a wrong one', () => {
    expect(parseExecution('ensemble')).toEqual({ mode: 'ensemble', decay: 0 });
    expect(parseExecution('ensemble:0.5')).toEqual({ mode: 'ensemble', decay: 0.5 });
    expect(parseExecution('receding:4')).toEqual({ mode: 'receding', steps: 4 });
    expect(parseExecution('2')).toEqual({ mode: 'receding', steps: 2 });
    for (const bad of ['', 'ensemble:x', 'receding:0', 'receding:1.5', 'fast']) expect(() => parseExecution(bad)).toThrow(/--execution: expected/);
  });
});
