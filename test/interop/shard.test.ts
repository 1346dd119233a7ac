/**
 * Running past one machine: the shard a process runs (flag, Kubernetes Indexed Job environment), and sharded
 * evaluations whose reports merge into the evaluation the whole run gives.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate, type EvaluateOptions } from '../../src/eval/index.js';
import { makeShardReport, mergeShardReports, readShardReport, type ShardReport } from '../../src/interop/shard/evalReport.js';
import { parseShardFlag, resolveShard } from '../../src/interop/shard/shard.js';

describe('shard from flag and environment', () => {
  it('takes i/N from the flag, the index from JOB_COMPLETION_INDEX, the count from the flag or VLA_SHARD_COUNT', () => {
    expect(resolveShard(parseShardFlag('2/5'), { JOB_COMPLETION_INDEX: '4' })).toEqual({ index: 2, count: 5 });
    expect(resolveShard(parseShardFlag('5'), { JOB_COMPLETION_INDEX: '4' })).toEqual({ index: 4, count: 5 });
    expect(resolveShard(undefined, { JOB_COMPLETION_INDEX: '3', VLA_SHARD_COUNT: '8' })).toEqual({ index: 3, count: 8 });
    expect(resolveShard(undefined, {})).toEqual({ index: 0, count: 1 });
  });

  it('refuses what cannot be a shard, saying which variable or flag', () => {
    expect(() => parseShardFlag('3/3')).toThrow('--shard: expected i/N with 0 <= i < N');
    expect(() => parseShardFlag('a/b')).toThrow('--shard: expected i/N (e.g. 0/4) or N');
    expect(() => resolveShard(undefined, { JOB_COMPLETION_INDEX: '1' })).toThrow('set VLA_SHARD_COUNT=N');
    expect(() => resolveShard(parseShardFlag('4'), {})).toThrow('needs the index from JOB_COMPLETION_INDEX');
    expect(() => resolveShard(parseShardFlag('4'), { JOB_COMPLETION_INDEX: '4' })).toThrow('JOB_COMPLETION_INDEX=4 is not below the shard count 4');
    expect(() => resolveShard(undefined, { JOB_COMPLETION_INDEX: '0', VLA_SHARD_COUNT: 'x' })).toThrow('VLA_SHARD_COUNT: expected a whole number');
  });
});

describe('sharded evaluation', () => {
  const base: EvaluateOptions = { tasks: ['pick', 'push'], episodes: 5, seed: 7, progress: 'none' };
  const plan = (index: number, count: number) => ({ policy: 'expert', tasks: ['pick', 'push'], episodes: 5, seed: 7, split: null, phrasing: null, execution: '"default"', shard: { index, count } });

  async function shardReport(index: number, count: number): Promise<ShardReport> {
    const approach: Record<string, number[]> = {};
    const indices: number[] = [];
    const e = await evaluate({
      ...base,
      shard: { index, count },
      onEpisode: (r, task, i) => {
        indices.push(i);
        if (r.approachError !== null) (approach[task] ??= []).push(r.approachError);
      },
    });
    // Shard index of count runs episodes index, index + count, ... of each task.
    expect(indices.length).toBeGreaterThan(0);
    expect(indices.every((i) => i % count === index)).toBe(true);
    return makeShardReport(plan(index, count), e, approach);
  }

  it('merges shard reports into the whole evaluation, intervals and medians included', async () => {
    const whole = await evaluate(base);
    const reports = [await shardReport(0, 3), await shardReport(1, 3), await shardReport(2, 3)];
    expect(reports.map((r) => r.evaluation.perTask.pick!.episodes)).toEqual([2, 2, 1]);
    // Through files, as vla eval --report and --merge pass them.
    const dir = mkdtempSync(join(tmpdir(), 'vla-shard-'));
    const files = reports.map((r, i) => {
      const f = join(dir, `s${i}.json`);
      writeFileSync(f, JSON.stringify(r));
      return f;
    });
    const merged = mergeShardReports(files.map(readShardReport), files);
    const { seconds: _a, ...m } = merged;
    const { seconds: _b, ...w } = whole;
    expect(m).toEqual(w);
    expect(merged.perTask.pick!.ci95[0]).toBeGreaterThan(0);
  }, 600_000);

  it('refuses a missing shard, a repeated one and a report of another evaluation', async () => {
    const r0 = await shardReport(0, 2);
    const r1 = await shardReport(1, 2);
    expect(() => mergeShardReports([r0], ['a.json'])).toThrow('shard(s) 1/2 missing');
    expect(() => mergeShardReports([r0, r0], ['a.json', 'b.json'])).toThrow('b.json and a.json are both shard 0/2');
    expect(() => mergeShardReports([r0, { ...r1, seed: 8 }], ['a.json', 'b.json'])).toThrow('b.json is of another evaluation than a.json');
    const dir = mkdtempSync(join(tmpdir(), 'vla-shard-'));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...r0, shard: { index: -1, count: 2 } }));
    expect(() => readShardReport(join(dir, 'bad.json'))).toThrow(`${join(dir, 'bad.json')}: not a shard report of vla eval --report: shard.index`);
  }, 600_000);
});
