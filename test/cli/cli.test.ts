/** The `vla` command as a user runs it: a child process through bin/vla.js. */
import { spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function vla(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(root, 'bin/vla.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, VLA_BACKEND: '', ...env },
    timeout: 600_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('vla CLI', () => {
  it('--help lists the commands', () => {
    const r = vla(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['attention', 'bench']) expect(r.stdout).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
  });

  it('every command and subcommand has a help text with readable defaults', () => {
    const all: Array<{ path: string; cmd: Command }> = [];
    const walk = (cmd: Command, path: string) => {
      for (const sub of cmd.commands) {
        all.push({ path: `${path} ${sub.name()}`, cmd: sub });
        walk(sub, `${path} ${sub.name()}`);
      }
    };
    walk(buildProgram(), 'vla');
    expect(all.length).toBeGreaterThan(20);
    for (const { path, cmd } of all) {
      const help = cmd.helpInformation();
      expect(help, path).toContain(`Usage: ${path}`);
      expect(cmd.description().length, `${path} has no description`).toBeGreaterThan(20);
      expect(help, `${path} prints a default as raw JSON`).not.toMatch(/\(default:\s*[[{]/);
    }
  });

  it('--help on a subcommand prints its usage and exits 0', () => {
    const r = vla(['attention', 'translate', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: vla attention translate');
  });

  it('attention demo prints the table and writes a PNG', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'vla-demo-')), 'sub', 'demo.png');
    const r = vla(['attention', 'demo', 'grab the green cube', '--kind', 'additive', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^green\s+[0-9.]+/m);
    expect(r.stderr).toMatch(/TensorFlow\.js backend: wasm/);
    expect(existsSync(out)).toBe(true);
    expect(readFileSync(out).subarray(1, 4).toString('ascii')).toBe('PNG');
  });

  it('attention translate trains, reports held-out exact match and alignment as JSON, and writes the heatmaps', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'vla-translate-')), 'tr');
    const r = vla(['attention', 'translate', '--steps', '40', '--heads', '2', '--out', out, '--sentence', 'Pick up the RED ball!', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(j).toMatchObject({ direction: 'en-ko', scoreKind: 'dot', heads: 2, steps: 40 });
    expect(j.heldoutExactMatch).toBeGreaterThanOrEqual(0);
    expect(j.heldoutExactMatch).toBeLessThanOrEqual(1);
    expect(j.heldout['heldout-combo'].total).toBeGreaterThan(0);
    expect(j.alignmentAccuracy).toBeGreaterThanOrEqual(0);
    expect(j.sentence.source).toBe('pick up the red ball');
    expect(r.stdout).toContain('held-out exact match:');
    for (const png of [j.heatmap, j.sentence.heatmap]) expect(readFileSync(png).subarray(1, 4).toString('ascii')).toBe('PNG');
  });

  it('attention translate refuses a bad head count or unknown words before training, in one line', () => {
    const heads = vla(['attention', 'translate', '--heads', '3']);
    expect(heads.code).toBe(1);
    expect(heads.stderr.trim()).toBe('vla: --heads 3 must divide the model width 64 (1, 2, 4, 8, 16, 32 or 64)');
    const words = vla(['attention', 'translate', '--sentence', 'could you lift the red ball']);
    expect(words.code).toBe(1);
    expect(words.stderr).toMatch(/^vla: --sentence: the translator does not know "could", "you"; it reads the templates' words: /);
    expect(words.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unknown backend is one clear line and exit code 1, no stack trace', () => {
    const r = vla(['--backend', 'tpu', 'attention', 'demo']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('vla: --backend: unknown backend "tpu"; expected one of node-gpu, node, wasm, cpu, auto');
  });

  it('a backend that is not installed names the npm command', () => {
    const r = vla(['attention', 'demo'], { VLA_BACKEND: 'node' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/npm install @tensorflow\/tfjs-node@\d+\.\d+\.\d+/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('bench attention --json ends with one JSON object of figures', () => {
    const r = vla([
      '--backend', 'cpu', 'bench', 'attention', '--json', '--runs', '2', '--batch', '2', '--seq-len', '8',
      '--embed-dim', '16', '--heads', '2', '--long', '64', '--chunk', '16',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const last = r.stdout.trim().split('\n').at(-1)!;
    const j = JSON.parse(last);
    expect(j.backend).toBe('cpu');
    expect(j.forwardMs).toBeGreaterThan(0);
    expect(j.forwardBackwardMs).toBeGreaterThan(0);
    expect(j.chunked).toHaveLength(1);
    expect(j.chunked[0].maxAbsDiff).toBeLessThan(1e-4);
  });

  it('rejects a non-numeric option with a message naming it', () => {
    const r = vla(['bench', 'attention', '--runs', 'many']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--runs.*expected an integer from 1 to 10000000, got "many"/);
  });

  it('bench policy --torch refuses a config that changes what the PyTorch mirror cannot, naming the fields', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vla-bench-'));
    const file = join(dir, 'policy.json');
    writeFileSync(file, JSON.stringify({ imageSize: 128, patchSize: 16, spaceToDepth: 2, width: 32, heads: 4 }));
    const r = vla(['bench', 'policy', '--torch', '--config', file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`--torch: ${file} changes width;`);
    expect(r.stderr).toContain('can change only imageSize, patchSize, spaceToDepth');
  });

  it('--duration beyond what a timer holds is refused instead of ending at once', () => {
    for (const cmd of ['ros', 'ros-sim']) {
      const r = vla([cmd, '--duration', '3000000']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('at most 2147483 seconds');
    }
  });

  it('a command that fails while its connection is still retrying ends with code 1 instead of waiting forever', async () => {
    // A port nobody listens on: taken from the OS, then freed.
    const port = await new Promise<number>((ok) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as AddressInfo).port;
        srv.close(() => ok(p));
      });
    });
    // The controller's loop and the rosbridge client's reconnect timer keep Node alive; the 10 s connection timeout
    // of --command is the failure. Without the exit on failure this runs into spawnSync's timeout (status null).
    const r = spawnSync(process.execPath, [join(root, 'bin/vla.js'), 'ros', '--url', `ws://127.0.0.1:${port}`, '--command', 'pick up the red ball'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain(`could not connect to rosbridge at ws://127.0.0.1:${port}`);
  }, 150_000);
});
