/**
 * `vla collect --workers 2` killed at its coordinator alone (issue 33: the workers ran on, reparented, and died later
 * with an EPIPE stack trace): the workers stop after the episode they are writing, and a rerun resumes.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listEpisodes } from '../../src/train/dataset.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** The pids whose parent is `pid` (from /proc/PID/stat: "pid (comm) state ppid ..."). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `ok` every 200 ms for at most `ms` (a generous bound for a loaded machine, not a speed claim). */
async function waitFor(ok: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(200)) if (ok()) return true;
  return ok();
}

describe.runIf(process.platform === 'linux')('vla collect: workers exit with their coordinator', () => {
  it('SIGKILL to the coordinator alone stops both workers; the episodes on disk are whole', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'vla-orphans-')), 'data');
    const coordinator = spawn(process.execPath, [join(root, 'bin/vla.js'), 'collect', '--out', out, '--episodes', '400', '--workers', '2'], {
      cwd: root,
      stdio: 'ignore',
    });
    const workers = () => childrenOf(coordinator.pid!);
    let pids: number[] = [];
    try {
      // Wait until both workers run and have written an episode: they are in their collection loop.
      expect(await waitFor(() => (pids = workers()).length === 2 && listEpisodes(out).length >= 2, 240_000)).toBe(true);
      const before = listEpisodes(out).length;
      coordinator.kill('SIGKILL');
      expect(await waitFor(() => pids.every((p) => !alive(p)), 180_000)).toBe(true);
      // Each worker finishes at most the episode it was writing (and one that ended as the kill was sent); orphaned
      // workers that ran on until an EPIPE wrote dozens more.
      expect(listEpisodes(out).length - before).toBeLessThanOrEqual(4);
    } finally {
      coordinator.kill('SIGKILL');
      for (const p of pids) if (alive(p)) process.kill(p, 'SIGKILL');
    }
  }, 420_000);
});
