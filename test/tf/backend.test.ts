/**
 * Backend selection (src/tf/backend.ts).
 *
 * - resolveBackendRequest: the flag beats env VLA_BACKEND, env is used when there is no flag, 'auto' otherwise;
 *   names are trimmed and case-insensitive; unknown names throw a BackendError naming the source ('--backend' or
 *   'VLA_BACKEND') and listing every valid name.
 * - selectBackend: forcing 'node' / 'node-gpu' (not installed here) throws an error with the npm command that
 *   installs them; forcing 'cpu' activates cpu and reports the backend line once, not again on a repeat call.
 * - withBackend: switches to another backend for the callback and restores the previous one, also on throw.
 */
import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import * as tf from '../../src/tf/tf.js';
import {
  BACKEND_NAMES,
  BackendError,
  installCommand,
  resolveBackendRequest,
  selectBackend,
  withBackend,
} from '../../src/tf/backend.js';

/** Runs fn and returns what it threw (failing the test if it did not throw). */
async function thrown(fn: () => unknown): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  expect.fail('expected an error to be thrown');
}

describe('resolveBackendRequest', () => {
  it('the flag beats env', () => {
    expect(resolveBackendRequest('cpu', 'wasm')).toEqual({ request: 'cpu', source: 'flag' });
    expect(resolveBackendRequest('wasm', 'cpu')).toEqual({ request: 'wasm', source: 'flag' });
    expect(resolveBackendRequest('auto', 'cpu')).toEqual({ request: 'auto', source: 'flag' });
  });

  it('env is used when there is no flag (undefined or empty)', () => {
    expect(resolveBackendRequest(undefined, 'cpu')).toEqual({ request: 'cpu', source: 'env' });
    expect(resolveBackendRequest('', 'node-gpu')).toEqual({ request: 'node-gpu', source: 'env' });
  });

  it('auto when neither is given', () => {
    expect(resolveBackendRequest(undefined, undefined)).toEqual({ request: 'auto', source: 'auto' });
    expect(resolveBackendRequest('', '')).toEqual({ request: 'auto', source: 'auto' });
  });

  it('accepts every backend name, trimmed and in any case', () => {
    for (const name of BACKEND_NAMES) {
      expect(resolveBackendRequest(name, undefined).request).toBe(name);
      expect(resolveBackendRequest(undefined, ` ${name.toUpperCase()} `).request).toBe(name);
    }
  });

  it.each([
    ['flag', 'gpu', undefined, '--backend'],
    ['flag (even with a valid env)', 'tpu', 'cpu', '--backend'],
    ['env', undefined, 'webgl', 'VLA_BACKEND'],
  ] as const)('unknown name from %s throws a BackendError naming the source and the valid names', async (_what, flag, env, where) => {
    const err = await thrown(() => resolveBackendRequest(flag, env));
    expect(err).toBeInstanceOf(BackendError);
    expect(err.name).toBe('BackendError');
    expect(err.message).toContain(where);
    expect(err.message).toContain(`"${flag ?? env}"`);
    for (const name of [...BACKEND_NAMES, 'auto']) expect(err.message).toContain(name);
    // the flag's error must not blame env and vice versa
    if (where === '--backend') expect(err.message).not.toContain('VLA_BACKEND');
    else expect(err.message).not.toContain('--backend');
  });
});

describe('selectBackend', () => {
  it.each([
    ['node', '@tensorflow/tfjs-node@'],
    ['node-gpu', '@tensorflow/tfjs-node-gpu@'],
  ] as const)('flag %s (not installed) throws with the npm command that installs it', async (flag, pkg) => {
    const err = await thrown(() => selectBackend({ flag, log: null }));
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toContain(`npm install ${pkg}${tf.version_core}`);
    expect(err.message).toContain(installCommand(flag));
    expect(err.message).toContain('--backend');
    expect(err.message).toContain('not installed');
  });

  it('env VLA_BACKEND=node (not installed) names VLA_BACKEND and the npm command', async () => {
    const err = await thrown(() => selectBackend({ env: 'node', log: null }));
    expect(err).toBeInstanceOf(BackendError);
    expect(err.message).toContain('VLA_BACKEND');
    expect(err.message).toContain('npm install @tensorflow/tfjs-node@');
  });

  it('an unknown flag is rejected before anything is activated', async () => {
    await selectBackend({ flag: 'cpu', log: null });
    const err = await thrown(() => selectBackend({ flag: 'cuda', log: null }));
    expect(err).toBeInstanceOf(BackendError);
    expect(tf.getBackend()).toBe('cpu');
  });

  it('flag cpu activates cpu and reports the backend line once', async () => {
    // Announce some other line first, so the cpu line below is new whatever ran before.
    await selectBackend({ flag: 'wasm', log: null });
    expect(tf.getBackend()).toBe('wasm');

    const log = vi.fn<(line: string) => void>();
    const info = await selectBackend({ flag: 'cpu', log });
    expect(tf.getBackend()).toBe('cpu');
    expect(info).toMatchObject({ name: 'cpu', tfName: 'cpu', source: 'flag' });
    expect(info.description).toContain('cpu');
    expect(log).toHaveBeenCalledTimes(1);
    const line = log.mock.calls[0]![0];
    expect(line).toContain('TensorFlow.js backend');
    expect(line).toContain(info.description);
    expect(line).toContain('--backend');

    // Same outcome again: silent.
    const again = await selectBackend({ flag: 'cpu', log });
    expect(again).toEqual(info);
    expect(log).toHaveBeenCalledTimes(1);
    expect(tf.getBackend()).toBe('cpu');

    // A different outcome (same backend, chosen by env) is a new line and is reported.
    const fromEnv = await selectBackend({ env: 'cpu', log });
    expect(fromEnv.source).toBe('env');
    expect(log).toHaveBeenCalledTimes(2);
    expect(log.mock.calls[1]![0]).toContain('VLA_BACKEND');
  });

  it('flag wasm activates wasm and describes it', async () => {
    const info = await selectBackend({ flag: 'wasm', log: null });
    expect(tf.getBackend()).toBe('wasm');
    expect(info).toMatchObject({ name: 'wasm', tfName: 'wasm', source: 'flag' });
    expect(info.description).toMatch(/^wasm \(/);
  });
});

describe('withBackend', () => {
  beforeAll(async () => {
    await selectBackend({ flag: 'wasm', log: null });
  });

  it('switches for the callback and restores afterwards', async () => {
    expect(tf.getBackend()).toBe('wasm');
    const seen = await withBackend('cpu', () => {
      // a computation really runs on cpu inside
      const x = tf.tensor([1, 2, 3]);
      const s = tf.sum(x).dataSync()[0];
      x.dispose();
      return { backend: tf.getBackend(), s };
    });
    expect(seen).toEqual({ backend: 'cpu', s: 6 });
    expect(tf.getBackend()).toBe('wasm');
  });

  it('awaits an async callback before restoring', async () => {
    const seen = await withBackend('cpu', async () => {
      await new Promise((r) => setTimeout(r, 5));
      return tf.getBackend();
    });
    expect(seen).toBe('cpu');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('restores the previous backend when the callback throws, and rethrows', async () => {
    const err = await thrown(() =>
      withBackend('cpu', () => {
        throw new Error('boom');
      }),
    );
    expect(err.message).toBe('boom');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('restores cpu too (the previous backend, not a fixed default)', async () => {
    await selectBackend({ flag: 'cpu', log: null });
    expect(await withBackend('wasm', () => tf.getBackend())).toBe('wasm');
    expect(tf.getBackend()).toBe('cpu');
  });
});

// Before any backend has been initialised tf.getBackend() is undefined; withBackend must not try to restore it.
// Needs a fresh process (this file has already initialised backends), hence one child node run for both tests.
describe('withBackend in a fresh process', () => {
  let child: { first: unknown; afterSelect: unknown };
  beforeAll(() => {
    const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
    const script = [
      "const tf = await import('@tensorflow/tfjs-core');",
      "const { withBackend, selectBackend } = await import('./src/tf/backend.ts');",
      'const run = async () => { try { return { result: await withBackend("cpu", () => 42) }; }',
      '  catch (e) { return { error: e.message }; } };',
      'const first = await run();',
      'await selectBackend({ flag: "wasm", log: null });',
      'const afterSelect = { ...(await run()), backend: tf.getBackend() };',
      'console.log(JSON.stringify({ first, afterSelect }));',
    ].join('\n');
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
    });
    child = JSON.parse(stdout.trim().split('\n').at(-1)!);
  });

  it('the child works: after selectBackend, withBackend returns the result and restores wasm', () => {
    expect(child.afterSelect).toEqual({ result: 42, backend: 'wasm' });
  });

  it('withBackend as the very first tfjs call returns the callback result', () => {
    expect(child.first).toEqual({ result: 42 });
  });
});
