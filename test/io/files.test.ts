/** src/io/files.ts (issue 33): folders that cannot be made fail at once, by name; a full disk leaves no temp file. */
import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

// writeFileSync fails like a full disk for paths containing "FULL" (after writing part of the file, as the kernel does).
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const writeFileSync = (path: fs.PathOrFileDescriptor, data: string | NodeJS.ArrayBufferView, options?: fs.WriteFileOptions) => {
    if (String(path).includes('FULL')) {
      real.writeFileSync(path, '');
      throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC', errno: -28 });
    }
    return real.writeFileSync(path, data, options);
  };
  return { ...real, writeFileSync, default: { ...real, writeFileSync } };
});

const { ensureWritableDir, makeDir, removeStaleTemps, writeAtomic } = await import('../../src/io/files.js');

describe('makeDir and ensureWritableDir', () => {
  it.runIf(process.platform === 'linux')('fail at once, naming the folder, where recursive mkdir would spin for ever (/proc/x)', () => {
    expect(() => makeDir('/proc/x/y')).toThrow(/^\/proc\/x\/y: cannot create this folder \(ENOENT/);
    expect(() => ensureWritableDir('/proc/x', '--out')).toThrow(/^--out: \/proc\/x: cannot create this folder/);
  });

  it('refuses a file in the way, and creates nested folders', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vla-files-'));
    writeFileSync(join(dir, 'f'), 'x');
    expect(() => ensureWritableDir(join(dir, 'f'), '--out')).toThrow(/is a file, not a folder/);
    expect(() => makeDir(join(dir, 'f', 'sub'))).toThrow(/cannot create this folder \(ENOTDIR/);
    ensureWritableDir(join(dir, 'a', 'b', 'c'));
    expect(readdirSync(join(dir, 'a', 'b', 'c'))).toEqual([]); // the probe file is gone
  });
});

describe('writeAtomic', () => {
  it('on a full disk names the path, says ENOSPC, and leaves no temporary file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vla-files-'));
    const path = join(dir, 'FULL.json');
    expect(() => writeAtomic(path, '{}')).toThrow(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: cannot write \\(ENOSPC: no space left`));
    expect(readdirSync(dir)).toEqual([]);
  });

  it('removeStaleTemps removes only temporary files of processes that are gone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vla-files-'));
    writeFileSync(join(dir, 'a.json.tmp-2147483646'), '');
    writeFileSync(join(dir, `b.json.tmp-${process.pid}`), '');
    writeFileSync(join(dir, 'c.json'), '{}');
    expect(removeStaleTemps(dir)).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(['b.json.tmp-' + process.pid, 'c.json'].sort());
  });
});
