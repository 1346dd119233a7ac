import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

async function runCli(args: string[]) {
  const r = spawnSync(process.execPath, [join(root, 'bin/vla.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('vla parse', () => {
  it('prints the reading of an English and a Korean command, and exits 0', async () => {
    const en = await runCli(['parse', 'could you put the red ball in the blue bowl, please?']);
    expect(en.code).toBe(0);
    expect(en.stdout).toMatch(/task +place/);
    expect(en.stdout).toMatch(/ignored +could, you, the, the, please/);
    expect(en.stdout).toMatch(/command +put the red ball in the blue bowl/);
    const ko = await runCli(['parse', '빨간 공을 집어라', '--json']);
    expect(ko.code).toBe(0);
    const j = JSON.parse(ko.stdout.trim().split('\n').at(-1)!);
    expect(j).toMatchObject({ language: 'ko', task: 'pick', target: { kind: 'ball', colour: 'red' }, command: 'pick up the red ball', error: null });
    expect(j.words.map((w: { role: string }) => w.role)).toEqual(['colour', 'shape', 'verb']);
  });

  it('exits 1 and says what is missing or ambiguous', async () => {
    const r = await runCli(['parse', 'push the red ball']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/problem +push the red ball which way\?/);
    const s = await runCli(['parse', 'pick up the cube', '--scene', 'crowded']);
    expect(s.code).toBe(1);
    expect(s.stdout).toMatch(/which cube\? there are 2 on the table/);
  });

  it('keeps the reading of a pasted paragraph to a screenful: long lines cut, a few names per problem', async () => {
    const r = await runCli(['parse', 'pick up the red ball '.repeat(240)]);
    expect(r.code).toBe(1);
    expect(r.stdout.length).toBeLessThan(4000); // 20,000 characters before
    expect(r.stdout).toMatch(/words +pick up\[pick\] .*\.\.\. \(\d+ more characters\)/);
    expect(r.stdout).toMatch(/problem +one object at a time: the command names red ball and red ball and red ball and 237 more$/m);
  });
});
