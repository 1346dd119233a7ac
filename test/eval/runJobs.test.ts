/** The recipe evaluation's job runner: answers kept per job, and the first failure stops the other jobs. */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runJobs, type Job, type JobRunner } from '../../src/eval/protocol.js';

const answer = { successRate: 1, episodes: 1, meanSteps: 10, seconds: 1, perTask: {} };
const jobs: Job[] = ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => ({ id, args: [id] }));

describe('runJobs', () => {
  it('writes one answer per job and skips the jobs already answered on a rerun', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vla-runjobs-'));
    const started: string[] = [];
    const run: JobRunner = async (args) => (started.push(args[0]!), answer);
    const first = await runJobs(jobs.slice(0, 3), dir, 2, () => {}, run);
    expect([...first.keys()].sort()).toEqual(['a', 'b', 'c']);
    expect(existsSync(join(dir, 'b.json'))).toBe(true);
    await runJobs(jobs, dir, 2, () => {}, run);
    expect(started.sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('stops on the first failure: no new job starts, the running ones are aborted, and that error is thrown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vla-runjobs-'));
    const started: string[] = [];
    const aborted: string[] = [];
    const run: JobRunner = (args, stop) =>
      new Promise((ok, fail) => {
        const id = args[0]!;
        started.push(id);
        if (id === 'b') return setTimeout(() => fail(new Error('job b broke')), 20);
        // 'a' runs until it is aborted; a job that is never aborted would hang the test.
        stop.addEventListener('abort', () => (aborted.push(id), fail(new Error(`${id} aborted`))));
        if (id !== 'a') setTimeout(() => ok(answer), 5);
      });
    await expect(runJobs(jobs, dir, 2, () => {}, run)).rejects.toThrow('job b broke');
    expect(started).toEqual(['a', 'b']);
    expect(aborted).toEqual(['a']);
    expect(existsSync(join(dir, 'a.json'))).toBe(false);
  });

  it('a malformed answer is a failure that names the command', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vla-runjobs-'));
    const run: JobRunner = async () => ({ successRate: 'high' });
    await expect(runJobs(jobs.slice(0, 1), dir, 1, () => {}, run)).rejects.toThrow(/the answer of vla a: not an evaluation/);
  });
});
