/**
 * Files and folders the commands write, with errors that name the path and say what to do.
 *
 * Why not `mkdirSync(dir, { recursive: true })`: on a path the kernel refuses without it being a missing parent
 * (e.g. /proc/x: mkdir says ENOENT although /proc exists), Node's recursive mkdir retries for ever at 100% CPU.
 * makeDir creates one level at a time from the nearest folder that exists, so every failure ends in an error.
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** One line for a file-system error: the path, what failed and, for the usual causes, what to do. */
export function fsErrorMessage(path: string, action: string, e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const why: Record<string, string> = {
    ENOSPC: 'no space left on the device; free some space and run again',
    EDQUOT: 'the disk quota is used up; free some space and run again',
    EACCES: 'permission denied; choose a folder you can write to',
    EPERM: 'operation not permitted; choose a folder you can write to',
    EROFS: 'the file system is read-only; choose another folder',
    ENOTDIR: 'a part of the path is a file, not a folder',
    EEXIST: 'something else is already there',
    ENOENT: 'a folder on the way is missing, or nothing can be created there',
    EISDIR: 'a folder is in the way',
    ENAMETOOLONG: 'the name is too long',
  };
  const reason = (err?.code && why[err.code]) ?? err?.message ?? String(e);
  return `${path}: cannot ${action} (${err?.code ? `${err.code}: ` : ''}${reason})`;
}

/** Creates `dir` and its missing parents (like mkdir -p), failing with one clear line instead of spinning. */
export function makeDir(dir: string): void {
  const full = resolve(dir);
  const missing: string[] = [];
  let cur = full;
  for (;;) {
    if (existsSync(cur)) break;
    missing.push(cur);
    const up = dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  if (existsSync(cur) && !statSync(cur).isDirectory()) {
    throw new Error(fsErrorMessage(dir, 'create this folder', Object.assign(new Error(`${cur} is a file`), { code: 'ENOTDIR' })));
  }
  for (const level of missing.reverse()) {
    try {
      mkdirSync(level);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(level).isDirectory()) continue; // made meanwhile
      throw new Error(fsErrorMessage(dir, 'create this folder', e));
    }
  }
}

/**
 * Checks, before any long work, that `dir` can be written: creates it (and its parents) and a probe file in it,
 * then removes the probe. Throws one line naming the folder and the reason (`what`, e.g. "--out", prefixes it).
 */
export function ensureWritableDir(dir: string, what?: string): void {
  const prefix = what ? `${what}: ` : '';
  try {
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new Error(`${dir}: is a file, not a folder`);
    makeDir(dir);
    const probe = join(dir, `.vla-write-check-${process.pid}`);
    try {
      closeSync(openSync(probe, 'w'));
    } catch (e) {
      throw new Error(fsErrorMessage(dir, 'write in this folder', e));
    }
    rmSync(probe, { force: true });
  } catch (e) {
    throw new Error(`${prefix}${(e as Error).message}`);
  }
}

/** The folder a file will go in must be writable (see ensureWritableDir). */
export function ensureWritableFileDir(file: string, what?: string): void {
  ensureWritableDir(dirname(file), what);
}

const TMP_MARK = '.tmp-';

/**
 * Writes a file through a temporary one (`path.tmp-PID`) and a rename, so that a reader never sees half of it. On
 * any failure (a full disk) the temporary file is removed and the error names `path` and the reason.
 */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}${TMP_MARK}${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* never made, or already gone */
    }
    throw new Error(fsErrorMessage(path, 'write', e));
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temporary files writeAtomic left in `dir` when its process died mid-write (a kill, a full disk):
 * `*.tmp-PID` whose PID is no running process. Returns how many were removed.
 */
export function removeStaleTemps(dir: string): number {
  if (!existsSync(dir)) return 0;
  let removed = 0;
  for (const f of readdirSync(dir)) {
    const m = /\.tmp-(\d+)$/.exec(f);
    if (!m || processAlive(Number(m[1]))) continue;
    rmSync(join(dir, f), { force: true });
    removed++;
  }
  return removed;
}

/**
 * Reads a JSON file a command wrote itself (a run's state, provenance, kept measures): a damaged or unreadable one
 * is one line naming the file and what to do (`remedy`), not a bare "Unexpected token". The caller checks the shape.
 */
export function readJsonFile(path: string, remedy: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(fsErrorMessage(path, 'read', e));
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message}); ${remedy}`);
  }
}

/** The rows of a JSON-lines file (a loss history): blank lines skipped, a bad row named by file and line. */
export function readJsonLines(path: string, remedy: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(fsErrorMessage(path, 'read', e));
  }
  const rows: unknown[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    try {
      rows.push(JSON.parse(line));
    } catch {
      throw new Error(`${path}:${i + 1}: not a JSON row; ${remedy}`);
    }
  }
  return rows;
}
