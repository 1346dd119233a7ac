/** `vla serve` and `vla bench viewer` as a user runs them. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const vla = join(root, 'bin/vla.js');
let child: ChildProcess | null = null;

afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = null;
});

/** Starts `vla serve ...` and resolves with the address it prints. */
function serve(args: string[]): Promise<{ url: string; out: () => string }> {
  const p = spawn(process.execPath, [vla, 'serve', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  child = p;
  let out = '';
  return new Promise((resolvePromise, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /open (http:\/\/\S+)/.exec(out);
      if (m) resolvePromise({ url: m[1]!, out: () => out });
    };
    p.stdout!.on('data', onData);
    p.stderr!.on('data', onData);
    p.on('exit', (code) => reject(new Error(`vla serve exited with ${code}: ${out}`)));
  });
}

describe('vla serve', () => {
  it('prints the address on 127.0.0.1, serves the page, and stops on SIGTERM', async () => {
    const { url, out } = await serve(['--port', '0', '--policy', 'none']);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(out()).toMatch(/policy: none/);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>VLA viewer</title>');
    const exited = new Promise<number | null>((r) => child!.on('exit', (code) => r(code)));
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('warns that a non-loopback --host has no authentication, and refuses a page opened by another DNS name', async () => {
    const { url, out } = await serve(['--host', '0.0.0.0', '--port', '0', '--policy', 'none']);
    expect(out()).toMatch(/warning: --host 0\.0\.0\.0 serves the viewer beyond this machine, and it has no authentication/);
    const port = new URL(url).port;
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    child!.kill('SIGKILL');
    const quiet = await serve(['--port', '0', '--policy', 'none']);
    expect(quiet.out()).not.toMatch(/warning/);
  });

  it('says clearly when the port is taken, the port is invalid, or the policy folder is missing', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = spawnSync(process.execPath, [vla, 'serve', '--port', String(port), '--policy', 'none'], { cwd: root, encoding: 'utf8', timeout: 600_000 });
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(`vla: port ${port} on 127.0.0.1 is in use; give another with --port`);
    } finally {
      blocker.close();
    }
    const bad = spawnSync(process.execPath, [vla, 'serve', '--port', '70000'], { cwd: root, encoding: 'utf8', timeout: 600_000 });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/expected a port number 0\.\.65535, got "70000"/);
    const missing = spawnSync(process.execPath, [vla, 'serve', '--port', '0', '--policy', 'no/such/dir'], { cwd: root, encoding: 'utf8', timeout: 600_000 });
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim()).toBe('vla: --policy: no/such/dir not found; give a policy folder (from vla train) or "none"');
  });
});

describe('vla bench viewer', () => {
  it('prints the load figures and, with --json, one JSON object', () => {
    const r = spawnSync(process.execPath, [vla, 'bench', 'viewer', '--clients', '3', '--seconds', '2', '--policy', 'none', '--json'], { cwd: root, encoding: 'utf8', timeout: 600_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/messages\s+\d+ received, \d+ messages\/s/);
    expect(r.stdout).toMatch(/server RSS\s+[\d.]+ MiB at start, [\d.]+ MiB at end/);
    const j = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(j.clients).toBe(3);
    expect(j.errors).toEqual([]);
    expect(j.messages).toBeGreaterThan(0);
  }, 900_000);
});
