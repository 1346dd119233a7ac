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

const { ensureWritableDir, makeDir, readJsonFile, readJsonLines, removeStaleTemps, writeAtomic } = await import('../../src/io/files.js');

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

describe('readJsonFile and readJsonLines', () => {
  it('read what is there, and name the file (and line) with the remedy when it is damaged or missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vla-json-'));
    writeFileSync(join(dir, 'ok.json'), '{"a": 1}');
    writeFileSync(join(dir, 'cut.json'), '{"a": ');
    writeFileSync(join(dir, 'rows.jsonl'), '{"step": 1}\n\n{"step": 2}\n');
    writeFileSync(join(dir, 'bad.jsonl'), '{"step": 1}\n{"step": \n{"step": 3}\n');
    expect(readJsonFile(join(dir, 'ok.json'), 'x')).toEqual({ a: 1 });
    expect(() => readJsonFile(join(dir, 'cut.json'), 'delete it')).toThrow(new RegExp(`^${join(dir, 'cut.json')}: not valid JSON \\(.*\\); delete it$`));
    expect(() => readJsonFile(join(dir, 'none.json'), 'x')).toThrow(new RegExp(`^${join(dir, 'none.json')}: cannot read`));
    expect(readJsonLines(join(dir, 'rows.jsonl'), 'x')).toEqual([{ step: 1 }, { step: 2 }]);
    expect(() => readJsonLines(join(dir, 'bad.jsonl'), 'remove the line')).toThrow(`${join(dir, 'bad.jsonl')}:2: not a JSON row; remove the line`);
  });
});
