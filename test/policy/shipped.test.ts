/**
 * The shipped model, models/default, loads and acts exactly as it did when its golden actions were recorded
 * (shipped-actions.json, written by this test when run 16 of the default recipe became the shipped model): the
 * policy code may be simplified, its answers may not move by a bit. Only a new shipped model is a
 * reason to record them again: VLA_WRITE_GOLDEN=1 npx vitest run test/policy/shipped.test.ts
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/tf/backend.js';
import { loadPolicy } from '../../src/policy/index.js';
import { Environment } from '../../sim/env/Environment.js';
import type { EeAction, Observation } from '../../sim/types.js';

const GOLDEN = 'test/policy/shipped-actions.json';
const TASKS = ['pick', 'place', 'push'] as const;

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
});

describe('models/default', () => {
  it('gives the recorded actions on rendered first frames, one at a time and batched', () => {
    const policy = loadPolicy('models/default');
    const c = policy.config;
    const env = new Environment({ cameras: [{ name: 'scene', width: c.imageSize, height: c.imageSize, supersampling: c.supersampling }] });
    const observations: Observation[] = [];
    for (let seed = 0; seed < 6; seed++) observations.push(env.reset({ seed, task: TASKS[seed % 3]! }));
    const rows = (actions: EeAction[][]) => actions.map((chunk) => chunk.map((a) => [a.dx, a.dy, a.dz, a.dyaw, a.gripper]));
    const now = {
      commands: observations.map((o) => o.command),
      act: rows(observations.map((o) => policy.act(o))),
      actBatch: rows(policy.actBatch(observations)),
    };
    policy.dispose();
    if (process.env.VLA_WRITE_GOLDEN === '1' || !existsSync(GOLDEN)) {
      if (process.env.VLA_WRITE_GOLDEN !== '1') throw new Error(`${GOLDEN} is missing; VLA_WRITE_GOLDEN=1 records it`);
      writeFileSync(GOLDEN, `${JSON.stringify(now)}\n`);
    }
    const golden = JSON.parse(readFileSync(GOLDEN, 'utf8')) as typeof now;
    expect(now.commands).toEqual(golden.commands);
    expect(now.act).toEqual(golden.act);
    expect(now.actBatch).toEqual(golden.actBatch);
  }, 900_000);
});
