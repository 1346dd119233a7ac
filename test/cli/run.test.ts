/** `vla run`, `vla train` and `vla bench policy` as a user runs them (tiny models, so the test stays fast). */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/tf/backend.js';
import { VlaPolicy, savePolicy } from '../../src/policy/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const vla = (args: string[]) => {
  const r = spawnSync(process.execPath, [join(root, 'bin/vla.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);
let policyDir = '';

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
  policyDir = join(mkdtempSync(join(tmpdir(), 'vla-run-')), 'tiny');
  const p = new VlaPolicy({ width: 16, heads: 2, visionLayers: 1, stemChannels: 4, chunk: 4 });
  savePolicy(p, policyDir);
  p.dispose();
});

describe('vla run', () => {
  it('runs a policy on a command, writes the GIF and the per-word attention PNG, and reports success as JSON', () => {
    const out = mkdtempSync(join(tmpdir(), 'vla-run-out-'));
    const r = vla(['run', 'pick up the red ball', '--policy', policyDir, '--out', out, '--size', '64', '--json']);
    expect([0, 2]).toContain(r.code); // an untrained policy may fail the task: exit 2, but the run itself works
    const j = lastJson(r.stdout);
    expect(typeof j.success).toBe('boolean');
    expect(readFileSync(join(out, 'episode.gif')).subarray(0, 6).toString('ascii')).toBe('GIF89a');
    expect(existsSync(join(out, 'attention.png'))).toBe(true);
  });

  it('says clearly when the command names something absent, or the policy is missing', () => {
    const r = vla(['run', 'pick up the purple ball', '--scene', 'default', '--policy', policyDir]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe('vla: there is no purple ball on the table');
    const m = vla(['run', 'pick up the red ball', '--policy', join(policyDir, 'nope')]);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(/--policy: .*nope not found/);
  });
});

describe('vla bench policy', () => {
  it('--json ends with inferenceMs and trainStepMs', () => {
    const r = vla(['bench', 'policy', '--json', '--calls', '5', '--train-batch', '4']);
    expect(r.code, r.stderr).toBe(0);
    const j = lastJson(r.stdout);
    expect(j.inferenceMs).toBeGreaterThan(0);
    expect(j.trainStepMs).toBeGreaterThan(0);
    expect(j.parameters).toBeGreaterThan(100_000);
  });
});
