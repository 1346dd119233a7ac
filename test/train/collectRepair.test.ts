/**
 * Collect trusts no file for being there (issue 33): a damaged episode is collected again, byte-identical; bad
 * settings are refused before anything runs; temporary files of dead writers are removed.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect, collectInProcess } from '../../src/train/collect.js';
import { episodeProblem, listEpisodes } from '../../src/train/dataset.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'vla-collect-repair-'));
const base = { tasks: ['pick'] as Array<'pick'>, episodes: 3, seed: 11, imageSize: 16, shard: { index: 0, count: 1 } };
const bytes = (dir: string) => Object.fromEntries(readdirSync(join(dir, 'episodes')).map((f) => [f, readFileSync(join(dir, 'episodes', f))]));

describe('collect verifies what it resumes', () => {
  it('re-collects a corrupted, a truncated and a half-written episode, to the same bytes, and skips the whole ones', () => {
    const dir = tmp();
    collectInProcess({ ...base, out: dir });
    const before = bytes(dir);
    const ep = (n: number, ext: string) => join(dir, 'episodes', `pick-00000${n}${ext}`);
    const rgb = readFileSync(ep(0, '.rgb.gz'));
    const mid = Math.floor(rgb.length / 2);
    rgb[mid] = rgb[mid]! ^ 0xff; // a flipped byte: gzip's CRC finds it
    writeFileSync(ep(0, '.rgb.gz'), rgb);
    truncateSync(ep(1, '.seg.gz'), 10);
    writeFileSync(ep(2, '.json'), '{"task": "pick", "ind'); // cut short
    for (const n of [0, 1, 2]) expect(episodeProblem(dir, 'pick', n, 16)).not.toBeNull();

    const p = collectInProcess({ ...base, out: dir });
    expect(p).toMatchObject({ written: 3, skipped: 0, repaired: 3 });
    expect(bytes(dir)).toEqual(before);
    const again = collectInProcess({ ...base, out: dir });
    expect(again).toMatchObject({ written: 0, skipped: 3 });
    expect(again.repaired ?? 0).toBe(0);
  });

  it('refuses an image size past the bound before writing anything, without "run again to resume"', async () => {
    const dir = join(tmp(), 'never');
    await expect(collect({ ...base, imageSize: 100000, out: dir, workers: 2 })).rejects.toThrow(/^collect: imageSize: .*512/);
    let message = '';
    try {
      await collect({ ...base, imageSize: 100000, out: dir, workers: 2 });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).not.toMatch(/resume/);
    expect(existsSync(dir)).toBe(false);
  });

  it('removes the temporary files of writers that died, and keeps a live writer\'s', () => {
    const dir = tmp();
    collectInProcess({ ...base, episodes: 1, out: dir });
    // A pid far past pid_max is no process; our own pid is a live writer.
    const dead = join(dir, 'episodes', 'pick-000005.json.tmp-2147483646');
    const live = join(dir, 'episodes', `pick-000006.json.tmp-${process.pid}`);
    writeFileSync(dead, '');
    writeFileSync(live, '');
    collectInProcess({ ...base, episodes: 1, out: dir });
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(listEpisodes(dir)).toEqual(['pick-000000']);
  });
});
