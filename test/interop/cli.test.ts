/**
 * Issue 32 as a user runs it, through bin/vla.js: collect -> export lerobot; eval shards from a Kubernetes
 * Indexed Job's environment -> eval --merge; run --mcap. Each bad input ends in one line naming what was wrong.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ffmpegPath } from '../../src/interop/lerobot/VideoEncoder.js';
import { listEpisodes } from '../../src/train/dataset.js';
import { readMcap } from './readMcap.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));
// The environment without any shard variables of the machine running the tests.
const { JOB_COMPLETION_INDEX: _i, VLA_SHARD_COUNT: _c, ...cleanEnv } = process.env;

function vla(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(root, 'bin/vla.js'), ...args], { cwd: root, encoding: 'utf8', env: { ...cleanEnv, VLA_BACKEND: '', ...env }, timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);

describe('vla interop commands', () => {
  it('collects a dataset and exports it as a LeRobot v3.0 folder', () => {
    const data = tmp('vla-cli-data-');
    expect(vla(['collect', '--out', data, '--task', 'pick', '--episodes', '2', '--workers', '1']).code).toBe(0);
    const out = join(tmp('vla-cli-lerobot-'), 'ds');
    const video = ffmpegPath() ? ['--vcodec', 'libx264'] : ['--no-videos'];
    const r = vla(['export', 'lerobot', '--data', data, '--out', out, ...video, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lastJson(r.stdout)).toMatchObject({ episodes: 2, tasks: 2 });
    const info = JSON.parse(readFileSync(join(out, 'meta/info.json'), 'utf8'));
    expect(info.codebase_version).toBe('v3.0');
    expect(existsSync(join(out, 'data/chunk-000/file-000.parquet'))).toBe(true);

    const bad = vla(['export', 'lerobot', '--data', join(data, 'nope'), '--out', join(out, 'x')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe(`vla: ${join(data, 'nope', 'meta.json')}: not found (is ${join(data, 'nope')} a dataset made by vla collect?)`);
  }, 900_000);

  it('collects the shard a Kubernetes Indexed Job pod is given: --shard N with JOB_COMPLETION_INDEX', () => {
    const data = tmp('vla-cli-kshard-');
    const r = vla(['collect', '--out', data, '--task', 'pick', '--episodes', '4', '--shard', '2', '--workers', '1'], { JOB_COMPLETION_INDEX: '1' });
    expect(r.code).toBe(0);
    expect(listEpisodes(data)).toEqual(['pick-000001', 'pick-000003']);
  }, 900_000);

  it('runs eval shards from JOB_COMPLETION_INDEX and VLA_SHARD_COUNT and merges their reports', () => {
    const dir = tmp('vla-cli-shards-');
    const files = [0, 1].map((i) => join(dir, `shard-${i}.json`));
    files.forEach((f, i) => {
      const r = vla(['eval', '--policy', 'expert', '--task', 'pick', '--episodes', '3', '--report', f], { JOB_COMPLETION_INDEX: String(i), VLA_SHARD_COUNT: '2' });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`shard ${i}/2`);
    });
    const merged = vla(['eval', '--merge', ...files, '--json']);
    expect(merged.code).toBe(0);
    const m = lastJson(merged.stdout);
    expect(m.episodes).toBe(3);
    expect(m.perTask.pick.ci95[1]).toBeLessThanOrEqual(1);
    expect(merged.stdout).toMatch(/overall: .*\(\d\/3, 95% CI/);

    const missing = vla(['eval', '--merge', files[0]!]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('vla: --merge: shard(s) 1/2 missing');
    const noCount = vla(['eval', '--policy', 'expert', '--episodes', '1'], { JOB_COMPLETION_INDEX: '0' });
    expect(noCount.code).toBe(1);
    expect(noCount.stderr).toContain('JOB_COMPLETION_INDEX=0 is set but not the shard count');
  }, 900_000);

  it('vla run --mcap writes a log with camera, joint and pose channels', async () => {
    const dir = tmp('vla-cli-mcap-');
    const file = join(dir, 'episode.mcap');
    const r = vla(['run', 'pick up the red ball', '--policy', 'expert', '--out', dir, '--mcap', file]);
    expect(r.code).toBe(0);
    const { byTopic } = await readMcap(file);
    for (const topic of ['/camera/scene', '/joint_states', '/tf', '/action', '/episode']) expect(byTopic.has(topic)).toBe(true);
    expect(byTopic.get('/episode')!.messages[1]).toMatchObject({ success: true, command: 'pick up the red ball' });
  }, 900_000);
});
