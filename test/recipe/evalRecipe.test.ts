/** `vla eval --policy DIR --recipe FILE`: a recipe's evaluation protocol on any policy, answers cached per model. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/tf/backend.js';
import { VlaPolicy, savePolicy } from '../../src/policy/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const smoke = join(root, 'recipes/smoke.json');
const cache = mkdtempSync(join(tmpdir(), 'vla-evalrecipe-cache-'));
const vla = (args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, [join(root, 'bin/vla.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 600_000, env: { ...process.env, VLA_CACHE: cache, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);
const tiny = (seed: number) => ({ imageSize: 32, supersampling: 1, patchSize: 8, width: 16, heads: 2, visionLayers: 1, languageLayers: 1, fusionLayers: 1, actionLayers: 1, stemChannels: 4, chunk: 4, seed });
const dirs: string[] = [];

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
  for (const seed of [1, 2]) {
    const dir = join(mkdtempSync(join(tmpdir(), 'vla-evalrecipe-')), `tiny${seed}`);
    const p = new VlaPolicy(tiny(seed));
    savePolicy(p, dir);
    p.dispose();
    dirs.push(dir);
  }
});

describe('vla eval --recipe', () => {
  it("runs the recipe's protocol (tasks, splits, report seeds, language) and reuses its answers only for the same model", () => {
    // Inside a Kubernetes Indexed Job's pod: the protocol's jobs still run every episode, not a shard of them.
    const r = vla(['eval', '--policy', dirs[0]!, '--recipe', smoke, '--json'], { JOB_COMPLETION_INDEX: '1', VLA_SHARD_COUNT: '2' });
    expect(r.code, r.stderr).toBe(0);
    const m = lastJson(r.stdout);
    expect(m.seeds).toEqual([900000, 900003]);
    expect(m.perTask.pick.seen.episodes).toBe(2);
    expect(m.perTask.pick['heldout-combo'].episodes).toBe(2);
    expect(m.perTask.pick.overall.episodes).toBe(4);
    expect(m.languageSensitivity.scenes).toBe(1);
    expect(r.stdout).toContain('| pick |');
    expect(r.stderr).toContain('evaluated pick-seen');

    const again = vla(['eval', '--policy', dirs[0]!, '--recipe', smoke, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('evaluated pick-seen'); // answered from the cache
    expect(lastJson(again.stdout).perTask).toEqual(m.perTask);

    const other = vla(['eval', '--policy', dirs[1]!, '--recipe', smoke, '--json']);
    expect(other.code, other.stderr).toBe(0);
    expect(other.stderr).toContain('evaluated pick-seen'); // another model: evaluated anew
    expect(readdirSync(join(cache, 'evaluations'))).toHaveLength(2);
  }, 900_000);

  it('refuses the expert and folders that hold no policy, in one line', () => {
    const expert = vla(['eval', '--policy', 'expert', '--recipe', smoke]);
    expect(expert.code).toBe(1);
    expect(expert.stderr).toMatch(/--recipe evaluates a policy folder/);
    const empty = vla(['eval', '--policy', mkdtempSync(join(tmpdir(), 'vla-empty-')), '--recipe', smoke]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/not a policy folder \(no config.json\)/);
    expect(empty.stderr).not.toMatch(/\n\s+at /);
  }, 900_000);
});
