/** `vla sim`, `vla eval` and `vla bench sim` as a user runs them. */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const vla = (args: string[]) => {
  const r = spawnSync(process.execPath, [join(root, 'bin/vla.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

describe('vla sim', () => {
  it('runs the expert on a command and writes a GIF and a PNG', () => {
    const out = mkdtempSync(join(tmpdir(), 'vla-sim-'));
    const r = vla(['sim', 'pick up the red ball', '--seed', '3', '--out', out, '--size', '96', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = lastJson(r.stdout);
    expect(j.success).toBe(true);
    expect(readFileSync(join(out, 'episode.gif')).subarray(0, 6).toString('ascii')).toBe('GIF89a');
    expect(readFileSync(join(out, 'first-frame.png')).subarray(1, 4).toString('ascii')).toBe('PNG');
  });

  it('samples a command from a task suite', () => {
    const out = mkdtempSync(join(tmpdir(), 'vla-sim-'));
    const r = vla(['sim', '--task', 'push', '--seed', '4', '--out', out, '--size', '64', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(lastJson(r.stdout).command).toMatch(/\b(left|right|forward|backward|back|toward|away)\b/);
    expect(existsSync(join(out, 'episode.gif'))).toBe(true);
  });

  it('--supersampling K renders the GIF and first frame anti-aliased (other bytes); refuses K outside 1..8', () => {
    const frames = [1, 4].map((k) => {
      const out = mkdtempSync(join(tmpdir(), 'vla-sim-'));
      const r = vla(['sim', 'pick up the red ball', '--seed', '3', '--out', out, '--size', '48', '--supersampling', String(k), '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(lastJson(r.stdout).success).toBe(true);
      return readFileSync(join(out, 'first-frame.png'));
    });
    expect(frames[1]!.equals(frames[0]!)).toBe(false);
    const r = vla(['sim', 'pick up the red ball', '--supersampling', '9', '--out', mkdtempSync(join(tmpdir(), 'vla-sim-'))]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('expected an integer from 1 to 8 (samples per pixel side), got "9"');
  });

  it('says clearly when the scene lacks what the command names', () => {
    const r = vla(['sim', 'pick up the purple ball', '--scene', 'default', '--out', mkdtempSync(join(tmpdir(), 'vla-sim-'))]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('vla: there is no purple ball on the table');
  });

  it('rejects an unknown task with the valid names', () => {
    const r = vla(['sim', '--task', 'juggle']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/juggle.*(pick|place|push)/s);
  });
});

describe('vla eval', () => {
  it('--json ends with one object whose successRate is the overall rate', () => {
    const r = vla(['eval', '--policy', 'expert', '--task', 'pick,push', '--episodes', '2', '--seed', '9', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = lastJson(r.stdout);
    expect(j.episodes).toBe(4);
    expect(j.successRate).toBeGreaterThanOrEqual(0);
    expect(j.successRate).toBeLessThanOrEqual(1);
    const successes = j.perTask.pick.successes + j.perTask.push.successes;
    expect(j.successRate).toBeCloseTo(successes / 4, 10);
    expect(Object.keys(j.perTask.pick.perSplit).length).toBeGreaterThan(0);
  });

  it('--split draws every command from one split, and rejects a split it does not know', () => {
    const r = vla(['eval', '--policy', 'expert', '--task', 'place', '--episodes', '3', '--seed', '4', '--split', 'heldout-template', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(Object.keys(lastJson(r.stdout).perTask.place.perSplit)).toEqual(['heldout-template']);
    const bad = vla(['eval', '--policy', 'expert', '--split', 'unseen']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/unseen.*heldout-template/s);
  });

  it('--videos writes GIFs of the first episodes', () => {
    const out = mkdtempSync(join(tmpdir(), 'vla-eval-'));
    const r = vla(['eval', '--policy', 'expert', '--task', 'push', '--episodes', '2', '--videos', '1', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(out, 'push-0-success.gif')).subarray(0, 6).toString('ascii')).toBe('GIF89a');
  });

  it('refuses policies it does not have', () => {
    const r = vla(['eval', '--policy', 'models/nothing', '--task', 'pick', '--episodes', '1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--policy/);
  });

  it('refuses --attention for the expert, which has no attention maps, instead of skipping it', () => {
    const r = vla(['eval', '--policy', 'expert', '--task', 'pick', '--episodes', '1', '--attention', '2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--attention needs a policy folder');
  });
});

describe('vla collect', () => {
  it('writes the plan, then on a second run says there is nothing left to collect', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'vla-collect-')), 'd');
    const args = ['collect', '--task', 'pick', '--episodes', '2', '--seed', '11', '--workers', '1', '--out', out];
    const first = vla(args);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/2 episodes written, 0 already there, expert success \d+\.\d% /);
    expect(existsSync(join(out, 'meta.json'))).toBe(true);
    const again = vla(args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing to collect, all 2 episodes of the plan already there');
    expect(again.stdout).not.toContain('-%');
  });
});

describe('vla probe', () => {
  it('probes the shipped policy on data rendered as it was trained, and refuses other data by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vla-probe-cli-'));
    const ss = join(dir, 'ss');
    const plain = join(dir, 'plain');
    // vla collect renders as the default policy reads (supersampling 4); a recipe whose policy reads one sample per
    // pixel makes the other kind.
    const recipe = join(dir, 'plain.json');
    const r1 = JSON.parse(readFileSync('recipes/smoke.json', 'utf8'));
    writeFileSync(recipe, JSON.stringify({ ...r1, policy: { supersampling: 1 }, datasets: { plain: { tasks: ['pick'], episodes: 3, seed: 12 } }, stages: [{ ...r1.stages[0], data: ['plain'] }] }));
    for (const args of [['--task', 'pick', '--episodes', '3', '--seed', '12', '--out', ss], ['--recipe', recipe, '--dataset', 'plain', '--out', plain]]) {
      const c = vla(['collect', '--workers', '1', ...args]);
      expect(c.code, c.stderr).toBe(0);
    }
    const r = vla(['probe', '--policy', 'models/default', '--data', ss, '--steps', '20', '--frames', '10', '--frame-stride', '8', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/a linear probe \(20 steps\) on the patch tokens, asked about \d+ single-object patches of \d+ held-out frames/);
    const j = lastJson(r.stdout);
    expect(j.kinds.map((k: { kind: string }) => k.kind)).toEqual(['ball', 'cube', 'cylinder', 'bowl', 'plate']);
    expect(j.patches).toBeGreaterThan(0);
    const bad = vla(['probe', '--policy', 'models/default', '--data', plain, '--steps', '1']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(`${plain}: frames of 64x64 rendered with supersampling 1 (meta.json), but models/default sees 64x64 with supersampling 4`);
    expect(bad.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }, 900_000);
});

describe('vla average', () => {
  it('averages policy folders into a new one and refuses what cannot be averaged, without a stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vla-average-cli-'));
    const copy = join(dir, 'copy');
    cpSync('models/default', copy, { recursive: true });
    const r = vla(['average', '--policies', `models/default,${copy}`, '--out', join(dir, 'soup'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`averaged 2 policies (${lastJson(r.stdout).parameters.toLocaleString('en-US')} parameters each) into ${join(dir, 'soup')}`);
    expect(lastJson(r.stdout).relativeDistances).toEqual([0, 0]);
    expect(readFileSync(join(dir, 'soup', 'weights.bin')).equals(readFileSync('models/default/weights.bin'))).toBe(true);
    const one = vla(['average', '--policies', 'models/default', '--out', join(dir, 'one')]);
    expect(one.code).not.toBe(0);
    expect(one.stderr).toContain('average: needs at least two policy folders, got 1');
    const w = vla(['average', '--policies', `models/default,${copy}`, '--weights', '1,0', '--out', join(dir, 'w')]);
    expect(w.code).not.toBe(0);
    expect(w.stderr).toContain('"0" is not one');
    for (const e of [one, w]) expect(e.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }, 900_000);
});

describe('vla bench sim', () => {
  it('--json has the documented fields', () => {
    const r = vla(['bench', 'sim', '--runs', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = lastJson(r.stdout);
    for (const k of ['realTimeFactor', 'physicsStepsPerSec', 'cameraFps64', 'cameraMs64x4']) expect(j[k], k).toBeGreaterThan(0);
  });
});
