/**
 * Picks the TensorFlow.js backend, in one place.
 *
 * Order when nothing is forced: `node-gpu` (@tensorflow/tfjs-node-gpu) if installed and loadable, then `node`
 * (@tensorflow/tfjs-node), then `wasm` (@tensorflow/tfjs-backend-wasm, a regular dependency and the usual
 * choice), then `cpu` (pure JavaScript). The native packages are never dependencies of this project: their
 * install step downloads libtensorflow from outside the npm registry, which fails on machines without internet.
 * A user who has them installs them by hand (see docs/backends.md).
 *
 * A backend is forced with the `--backend` flag or the env variable `VLA_BACKEND` (the flag wins). Forcing one
 * that is not installed is an error that names the npm command installing it.
 */
import * as tf from './tf.js';

export const BACKEND_NAMES = ['node-gpu', 'node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];
export type BackendRequest = BackendName | 'auto';

/** What each of our backend names means to TensorFlow.js. */
const BACKENDS = {
  'node-gpu': { npmPackage: '@tensorflow/tfjs-node-gpu', tfName: 'tensorflow' },
  node: { npmPackage: '@tensorflow/tfjs-node', tfName: 'tensorflow' },
  wasm: { npmPackage: '@tensorflow/tfjs-backend-wasm', tfName: 'wasm' },
  cpu: { npmPackage: '@tensorflow/tfjs', tfName: 'cpu' },
} as const satisfies Record<BackendName, { npmPackage: string; tfName: string }>;

export interface BackendInfo {
  /** Our name for it. */
  name: BackendName;
  /** The name TensorFlow.js registered it under (`tf.getBackend()`). */
  tfName: string;
  /** How it was chosen. */
  source: 'flag' | 'env' | 'auto';
  /** A one-line description, e.g. "wasm (SIMD, 1 thread)". */
  description: string;
}

export class BackendError extends Error {
  override name = 'BackendError';
}

/** The npm command that installs the package of a backend, pinned to the tfjs-core version in use. */
export function installCommand(name: BackendName): string {
  return `npm install ${BACKENDS[name].npmPackage}@${tf.version_core}`;
}

/**
 * Decides what was asked for: the flag if given, else env VLA_BACKEND, else auto. Pure, so it can be tested.
 * Throws BackendError on an unknown name.
 */
export function resolveBackendRequest(
  flag: string | undefined,
  env: string | undefined,
): { request: BackendRequest; source: BackendInfo['source'] } {
  const pick = (value: string, source: 'flag' | 'env') => {
    const v = value.trim().toLowerCase();
    if (v === 'auto') return { request: 'auto' as const, source };
    if ((BACKEND_NAMES as readonly string[]).includes(v)) return { request: v as BackendName, source };
    const where = source === 'flag' ? '--backend' : 'env VLA_BACKEND';
    throw new BackendError(
      `${where}: unknown backend "${value}"; expected one of ${[...BACKEND_NAMES, 'auto'].join(', ')}`,
    );
  };
  if (flag !== undefined && flag !== '') return pick(flag, 'flag');
  if (env !== undefined && env !== '') return pick(env, 'env');
  return { request: 'auto', source: 'auto' };
}

function isModuleNotFound(err: unknown, pkg: string): boolean {
  const e = err as { code?: string; message?: string };
  return (
    (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') &&
    typeof e.message === 'string' &&
    e.message.includes(pkg)
  );
}

/** Loads a native backend package; returns null if it is not installed, throws if it is but fails to load. */
async function loadNative(name: 'node' | 'node-gpu'): Promise<'ok' | 'absent'> {
  const pkg = BACKENDS[name].npmPackage;
  try {
    // A variable specifier keeps TypeScript from resolving a package that is normally absent.
    const specifier: string = pkg;
    await import(specifier);
  } catch (err) {
    if (isModuleNotFound(err, pkg)) return 'absent';
    throw new BackendError(`${pkg} is installed but failed to load: ${(err as Error).message}`);
  }
  if (tf.findBackendFactory(BACKENDS[name].tfName) == null) {
    // The package brought its own copy of tfjs-core, so it registered itself somewhere we do not see.
    throw new BackendError(
      `${pkg} loaded but registered with a different copy of @tensorflow/tfjs-core than this project uses ` +
        `(${tf.version_core}); install the matching version: ${installCommand(name)}`,
    );
  }
  return 'ok';
}

async function describe(name: BackendName): Promise<string> {
  if (name === 'wasm') {
    const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
    return `wasm (@tensorflow/tfjs-backend-wasm, ${simd ? 'SIMD' : 'no SIMD'}, 1 thread: tfjs has no wasm threads in Node)`;
  }
  if (name === 'cpu') return 'cpu (@tensorflow/tfjs-backend-cpu via @tensorflow/tfjs, pure JavaScript)';
  return `${name} (${BACKENDS[name].npmPackage}, native TensorFlow)`;
}

async function activate(name: BackendName): Promise<boolean> {
  const ok = await tf.setBackend(BACKENDS[name].tfName);
  if (ok) await tf.ready();
  return ok && tf.getBackend() === BACKENDS[name].tfName;
}

export interface SelectOptions {
  /** The value of a --backend flag, if any. */
  flag?: string | undefined;
  /** Defaults to process.env.VLA_BACKEND. */
  env?: string | undefined;
  /** Where to say which backend runs; default stderr. Pass null to stay quiet. */
  log?: ((line: string) => void) | null;
}

let announced: string | null = null;

/**
 * Activates the backend chosen by flag, env or the automatic order and says once (per process) which one runs.
 * Calling it again with the same outcome is cheap and silent.
 */
export async function selectBackend(options: SelectOptions = {}): Promise<BackendInfo> {
  // Production mode: silences tfjs's console advice and skips its debug checks.
  tf.env().set('PROD', true);
  const { request, source } = resolveBackendRequest(options.flag, options.env ?? process.env.VLA_BACKEND);
  let chosen: BackendName | null = null;

  if (request !== 'auto') {
    if (request === 'node' || request === 'node-gpu') {
      const state = await loadNative(request);
      if (state === 'absent') {
        throw new BackendError(
          `backend "${request}" was requested (${source === 'flag' ? '--backend' : 'VLA_BACKEND'}) but ` +
            `${BACKENDS[request].npmPackage} is not installed; install it with: ${installCommand(request)}`,
        );
      }
    }
    if (!(await activate(request))) {
      throw new BackendError(`backend "${request}" is installed but TensorFlow.js could not initialise it`);
    }
    chosen = request;
  } else {
    for (const name of BACKEND_NAMES) {
      if (name === 'node' || name === 'node-gpu') {
        try {
          if ((await loadNative(name)) === 'absent') continue;
        } catch {
          continue; // installed but broken: fall through to the next one, as auto promises
        }
      }
      if (await activate(name)) {
        chosen = name;
        break;
      }
    }
    if (chosen === null) throw new BackendError('no TensorFlow.js backend could be initialised');
  }

  const info: BackendInfo = { name: chosen, tfName: BACKENDS[chosen].tfName, source, description: await describe(chosen) };
  const line = `TensorFlow.js backend: ${info.description}${source === 'auto' ? '' : ` [from ${source === 'flag' ? '--backend' : 'VLA_BACKEND'}]`}`;
  if (announced !== line && options.log !== null) {
    announced = line;
    const log = options.log ?? ((l: string) => process.stderr.write(`${l}\n`));
    log(line);
  }
  return info;
}

/**
 * Runs `fn` with another backend active (e.g. cpu for a comparison) and switches back afterwards.
 * Tensors created inside belong to that backend; dispose them inside.
 */
export async function withBackend<T>(name: BackendName, fn: () => Promise<T> | T): Promise<T> {
  // Before any backend is initialised getBackend() is undefined: then there is nothing to go back to.
  const previous = tf.getBackend() as string | undefined;
  if (!(await activate(name))) throw new BackendError(`backend "${name}" could not be initialised`);
  try {
    return await fn();
  } finally {
    if (previous) await tf.setBackend(previous);
  }
}
