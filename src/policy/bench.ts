/**
 * Policy speed on the active backend: act() latency at batch 1 (median of N calls after warm-up), one training
 * step (forward + backward + Adam) at a given batch size, the parameter count, and the kernels that dominate
 * inference (tf.profile). Run directly: `npx tsx src/policy/bench.ts [--backend wasm] [--json]`.
 *
 * `benchTorchStep` runs src/bench/torch_policy_step.py, the same architecture and training step in PyTorch on the
 * CPU, for `vla bench policy --torch` (needs Debian's python3-torch). For that comparison the TF.js step is timed as
 * src/train/train.ts runs it (trainStep 'train': grounding loss, global-norm clip, Adam), not as a bare minimize().
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '../tf/tf.js';
import { selectBackend } from '../tf/backend.js';
import type { Observation } from '../../sim/types.js';
import { DEFAULT_POLICY_CONFIG, patchGrid, type PolicyConfig } from './config.js';
import type { PolicyBatch } from './processing.js';
import { disposeInputs } from './processing.js';
import { VlaPolicy } from './VlaPolicy.js';
import { PATCH_COLOURS, PATCH_KINDS } from './PatchLabels.js';

export interface PolicyBenchResult {
  backend: string;
  parameterCount: number;
  /** Tokens of the policy's tokenizer (rows of the word embedding). */
  vocabSize: number;
  /** act() at batch 1, milliseconds. */
  actMedianMs: number;
  actP90Ms: number;
  /** One forward + backward + Adam step, milliseconds (median of the timed steps). */
  trainStepMs: number;
  trainBatch: number;
  /** How the step was timed (see BenchTrainStep) and over how many steps (after one warm-up step). */
  trainStep: BenchTrainStep;
  trainSteps: number;
  /** Kernels of one inference forward pass, by total time, largest first. */
  kernels: Array<{ name: string; count: number; ms: number }>;
  kernelCount: number;
}

/** A fixed synthetic observation of the policy's sizes. */
export function syntheticObservation(config: Pick<PolicyConfig, 'imageSize' | 'cameras'>, command = 'pick up the red ball'): Observation {
  const S = config.imageSize;
  const rgb = new Uint8Array(S * S * 3).map((_, i) => (i * 37 + 11) % 256);
  const images = Object.fromEntries(config.cameras.map((c) => [c, { width: S, height: S, rgb }]));
  return { images, joints: [0, 0.3, -0.6, 0.4, 0], gripperOpening: 1, holding: false, eePose: { x: 0.1, y: 0, z: 0.2, yaw: 0 }, command, step: 0 };
}

/**
 * 'minimize': optimizer.minimize(loss) without grounding targets (the historical figure of this bench);
 * 'train': the step of src/train/train.ts: loss with groundingWeight 0.5 on synthetic grounding targets,
 * tf.variableGrads, clip by global norm 1.0, Adam's applyGradients, loss read back (what the PyTorch script mirrors).
 */
export type BenchTrainStep = 'minimize' | 'train';

/**
 * A synthetic training batch (random pixels, a fixed command) of the policy's sizes. With `grounding`, the last two
 * words of the command get grounding targets spread evenly over 4 pseudo-random patches (as makeBatch would give),
 * and a policy with the patch label head gets a random kind and colour on about a quarter of its patches (as the
 * PyTorch mirror's batch).
 */
export function syntheticBatch(policy: VlaPolicy, B: number, seed = 1, grounding = false): PolicyBatch {
  const c = policy.config;
  const enc = policy.tokenizer.encode('pick up the red ball', c.maxWords);
  const L = c.maxWords;
  const T = c.cameras.length * patchGrid(c).patches;
  const ground = grounding ? { target: new Float32Array(B * L * T), weight: new Float32Array(B * L) } : null;
  if (ground) {
    const n = enc.mask.reduce((a, m) => a + m, 0);
    let r = seed >>> 0;
    for (let b = 0; b < B; b++) {
      for (let i = Math.max(0, n - 2); i < n; i++) {
        ground.weight[b * L + i] = 1;
        for (let j = 0; j < 4; j++) {
          r = (Math.imul(r, 1664525) + 1013904223) >>> 0;
          ground.target[(b * L + i) * T + (r % T)]! += 0.25;
        }
      }
    }
  }
  return tf.tidy(() => {
    const images: Record<string, tf.Tensor> = {};
    for (const cam of c.cameras) images[cam] = tf.floor(tf.randomUniform([B, c.imageSize, c.imageSize, 3], 0, 256, 'float32', seed));
    const gripper = tf.cast(tf.greater(tf.randomUniform([B, c.chunk, 1], 0, 1, 'float32', seed + 1), 0.5), 'float32');
    return {
      images,
      tokens: tf.tile(tf.tensor2d(enc.ids, [1, c.maxWords], 'int32'), [B, 1]), // [B, L]
      tokenMask: tf.tile(tf.tensor2d(enc.mask, [1, c.maxWords], 'int32'), [B, 1]), // [B, L]
      proprio: tf.randomNormal([B, c.proprioDim], 0, 1, 'float32', seed + 2), // [B, 7]
      actions: tf.concat([tf.randomNormal([B, c.chunk, c.actionDim - 1], 0, 0.01, 'float32', seed + 3), gripper], 2), // [B, K, 5]
      actionValid: tf.ones([B, c.chunk]), // [B, K]
      ...(ground ? { groundTarget: tf.tensor3d(ground.target, [B, L, T]), groundWeight: tf.tensor2d(ground.weight, [B, L]) } : {}),
      ...(grounding && c.patchLabels ? syntheticPatchLabels(B, patchGrid(c).patches, seed) : {}),
    } as unknown as tf.TensorContainer;
  }) as unknown as PolicyBatch;
}

/** One-hot kind [B, P, kinds] and colour [B, P, colours] targets, weight 1 on about a quarter of the patches [B, P]. */
function syntheticPatchLabels(B: number, P: number, seed: number): { patchKind: tf.Tensor; patchColour: tf.Tensor; patchLabelWeight: tf.Tensor } {
  const kind = tf.randomUniform([B, P], 0, PATCH_KINDS.length, 'int32', seed + 4);
  const colour = tf.randomUniform([B, P], 0, PATCH_COLOURS.length, 'int32', seed + 5);
  return {
    patchKind: tf.oneHot(kind, PATCH_KINDS.length), // [B, P, kinds]
    patchColour: tf.oneHot(colour, PATCH_COLOURS.length), // [B, P, colours]
    patchLabelWeight: tf.cast(tf.less(tf.randomUniform([B, P], 0, 1, 'float32', seed + 6), 0.25), 'float32'), // [B, P]
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;

export async function benchPolicy(
  options: { config?: Partial<PolicyConfig>; actCalls?: number; trainBatch?: number; trainSteps?: number; trainStep?: BenchTrainStep } = {},
): Promise<PolicyBenchResult> {
  const policy = new VlaPolicy(options.config ?? {});
  try {
    const obs = syntheticObservation(policy.config);
    for (let i = 0; i < 20; i++) policy.act(obs); // warm-up: kernels compiled, buffers allocated
    const times: number[] = [];
    for (let i = 0; i < (options.actCalls ?? 100); i++) {
      const t0 = performance.now();
      policy.act(obs);
      times.push(performance.now() - t0);
    }

    const info = await tf.profile(() => {
      policy.act(obs);
    });
    const byKernel = new Map<string, { count: number; ms: number }>();
    for (const k of info.kernels) {
      // tf.customGrad wrappers (matMul2d, conv2dSame, gatherRows) show up as "unnamed scope" whose time includes
      // the kernels inside them, which are listed on their own: skip them so nothing is counted twice.
      if (k.name === 'unnamed scope') continue;
      const e = byKernel.get(k.name) ?? { count: 0, ms: 0 };
      e.count += 1;
      e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      byKernel.set(k.name, e);
    }
    const kernels = [...byKernel.entries()].map(([name, e]) => ({ name, ...e })).sort((a, b) => b.ms - a.ms);

    const B = options.trainBatch ?? 32;
    const mode = options.trainStep ?? 'minimize';
    const trainSteps = options.trainSteps ?? 5;
    const batch = syntheticBatch(policy, B, 1, mode === 'train');
    const optimizer = tf.train.adam(1e-3);
    const stepTimes: number[] = [];
    for (let i = 0; i < trainSteps + 1; i++) {
      const t0 = performance.now();
      tf.tidy(() => {
        if (mode === 'minimize') {
          const loss = optimizer.minimize(() => policy.loss(batch, { training: true }), true, policy.trainableVariables);
          loss?.dataSync();
          return;
        }
        // src/train/train.ts, one step (TRAIN_DEFAULTS: groundingWeight 0.5, patchLabelWeight 0.5, clipNorm 1.0)
        const { value, grads } = tf.variableGrads(() => policy.loss(batch, { training: true, groundingWeight: 0.5, labelWeight: 0.5 }), policy.trainableVariables);
        const names = Object.keys(grads);
        const norm = tf.sqrt(tf.addN(names.map((k) => tf.sum(tf.square(grads[k]!)))));
        const scale = tf.minimum(1, tf.div(1.0, tf.add(norm, 1e-6)));
        const scaled: Record<string, tf.Tensor> = {};
        for (const k of names) scaled[k] = tf.mul(grads[k]!, scale);
        optimizer.applyGradients(scaled as unknown as Parameters<typeof optimizer.applyGradients>[0]);
        value.dataSync();
      });
      if (i > 0) stepTimes.push(performance.now() - t0); // the first step builds Adam's slots
    }
    disposeInputs(batch);
    optimizer.dispose();
    return {
      backend: tf.getBackend(),
      parameterCount: policy.parameterCount,
      vocabSize: policy.tokenizer.size,
      actMedianMs: median(times),
      actP90Ms: quantile(times, 0.9),
      trainStepMs: median(stepTimes),
      trainBatch: B,
      trainStep: mode,
      trainSteps,
      kernels,
      kernelCount: info.kernels.filter((k) => k.name !== 'unnamed scope').length,
    };
  } finally {
    policy.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The same training step in PyTorch (src/bench/torch_policy_step.py)

/** The PyTorch script, next to this module's tree (the sources run through tsx, there is no build directory). */
export const TORCH_SCRIPT = fileURLToPath(new URL('../bench/torch_policy_step.py', import.meta.url));
const TORCH_INSTALL_HINT = 'install PyTorch for the system Python: apt-get install python3-torch (Debian), or set PYTHON to a python with torch';

export interface TorchStepResult {
  parameters: number;
  /** Median ms of one forward + backward + clip + Adam step. */
  trainStepMs: number;
  stepTimesMs: number[];
  batch: number;
  threads: number;
  torch: string;
  /** torch's BLAS as its build reports it ("generic" for Debian's python3-torch: whatever libblas.so.3 is). */
  blas: string;
  /** The BLAS library actually loaded ('' if unknown), e.g. .../blas/libblas.so.3.11.0, the reference BLAS. */
  blasLibrary: string;
}

/** True when the loaded BLAS is the unoptimised reference (netlib) one Debian installs by default. */
export function isReferenceBlas(t: Pick<TorchStepResult, 'blas' | 'blasLibrary'>): boolean {
  return t.blasLibrary ? /\/blas\/libblas\.so/.test(t.blasLibrary) : t.blas === 'generic';
}

/** The PolicyConfig fields the PyTorch mirror can change (everything else is DEFAULT_POLICY_CONFIG). */
export const TORCH_CONFIG_FIELDS = ['imageSize', 'patchSize', 'spaceToDepth'] as const;

/** The Python the comparison runs: env PYTHON, else /usr/bin/python3 (Debian's, where python3-torch lives). */
export function torchPython(): string {
  return process.env.PYTHON || '/usr/bin/python3';
}

/** Throws one clear line unless the Python exists and imports torch; returns torch's version. */
export function checkTorch(python = torchPython()): string {
  const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) {
    const why = (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : r.error.message;
    throw new Error(`--torch needs Python 3 with PyTorch, but ${python} is ${why}: ${TORCH_INSTALL_HINT}`);
  }
  if (r.status !== 0) throw new Error(`--torch needs PyTorch, but ${python} cannot import torch: ${TORCH_INSTALL_HINT}`);
  if (!existsSync(TORCH_SCRIPT)) throw new Error(`--torch: the script ${TORCH_SCRIPT} is missing`);
  return r.stdout.trim();
}

/**
 * Runs the PyTorch training step of the default policy (batch, timed steps after warm-up, threads) and returns its
 * final JSON line. Throws one clear line when Python or torch is missing or the script fails.
 */
export function benchTorchStep(o: {
  batch: number;
  steps: number;
  warmup: number;
  threads: number;
  vocab: number;
  python?: string;
  /** The policy config; only TORCH_CONFIG_FIELDS reach the script (the rest is the default policy's). */
  config?: Pick<PolicyConfig, (typeof TORCH_CONFIG_FIELDS)[number]>;
  /** PolicyConfig.patchLabels: the patch label head and its loss (weight 0.5, as train.ts) in the step. */
  patchLabels?: boolean;
}): TorchStepResult {
  const python = o.python ?? torchPython();
  const c = o.config ?? DEFAULT_POLICY_CONFIG;
  const args = [TORCH_SCRIPT, '--json-only', '--batch', String(o.batch), '--steps', String(o.steps), '--warmup', String(o.warmup), '--threads', String(o.threads), '--vocab', String(o.vocab)];
  args.push('--image-size', String(c.imageSize), '--patch-size', String(c.patchSize), '--space-to-depth', String(c.spaceToDepth));
  if (o.patchLabels) args.push('--patch-labels');
  const r = spawnSync(python, args, { encoding: 'utf8', timeout: 30 * 60_000, maxBuffer: 16 << 20 });
  if (r.error) throw new Error(`--torch: could not run ${python}: ${r.error.message}: ${TORCH_INSTALL_HINT}`);
  if (r.status === 3) throw new Error(`--torch needs PyTorch, but ${python} cannot import torch: ${TORCH_INSTALL_HINT}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{')) {
    const err = (r.stderr || '').trim().split('\n').pop() ?? '';
    throw new Error(`--torch: ${TORCH_SCRIPT} failed (exit ${r.status ?? r.signal}): ${err || 'no output'}`);
  }
  return JSON.parse(last) as TorchStepResult;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const flag = args.includes('--backend') ? args[args.indexOf('--backend') + 1] : undefined;
  await selectBackend({ flag, log: null });
  const r = await benchPolicy();
  if (args.includes('--json')) console.log(JSON.stringify(r));
  else {
    console.log(`backend ${r.backend}; ${r.parameterCount} parameters`);
    console.log(`act() batch 1: median ${r.actMedianMs.toFixed(2)} ms, p90 ${r.actP90Ms.toFixed(2)} ms (${r.kernelCount} kernels per call)`);
    console.log(`train step batch ${r.trainBatch} (forward + backward + Adam): ${r.trainStepMs.toFixed(0)} ms`);
    console.log('kernels of one act() by time:');
    for (const k of r.kernels.slice(0, 12)) console.log(`  ${k.name.padEnd(20)} x${String(k.count).padStart(3)}  ${k.ms.toFixed(3)} ms`);
  }
}
