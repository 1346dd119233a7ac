/**
 * Policy speed on the active backend: act() latency at batch 1 (median of N calls after warm-up), one training
 * step (forward + backward + Adam) at a given batch size, the parameter count, and the kernels that dominate
 * inference (tf.profile). Run directly: `npx tsx src/policy/bench.ts [--backend wasm] [--json]`.
 */
import { pathToFileURL } from 'node:url';
import * as tf from '../tf/tf.js';
import { selectBackend } from '../tf/backend.js';
import type { Observation } from '../../sim/types.js';
import type { PolicyConfig } from './config.js';
import type { PolicyBatch } from './processing.js';
import { disposeInputs } from './processing.js';
import { VlaPolicy } from './VlaPolicy.js';

export interface PolicyBenchResult {
  backend: string;
  parameterCount: number;
  /** act() at batch 1, milliseconds. */
  actMedianMs: number;
  actP90Ms: number;
  /** One forward + backward + Adam step, milliseconds (median of the timed steps). */
  trainStepMs: number;
  trainBatch: number;
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

/** A synthetic training batch (random pixels, a fixed command) of the policy's sizes. */
export function syntheticBatch(policy: VlaPolicy, B: number, seed = 1): PolicyBatch {
  const c = policy.config;
  const enc = policy.tokenizer.encode('pick up the red ball', c.maxWords);
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
    } as unknown as tf.TensorContainer;
  }) as unknown as PolicyBatch;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;

export async function benchPolicy(
  options: { config?: Partial<PolicyConfig>; actCalls?: number; trainBatch?: number; trainSteps?: number } = {},
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
    const batch = syntheticBatch(policy, B);
    const optimizer = tf.train.adam(1e-3);
    const stepTimes: number[] = [];
    for (let i = 0; i < (options.trainSteps ?? 5) + 1; i++) {
      const t0 = performance.now();
      tf.tidy(() => {
        const loss = optimizer.minimize(() => policy.loss(batch, { training: true }), true, policy.trainableVariables);
        loss?.dataSync();
      });
      if (i > 0) stepTimes.push(performance.now() - t0); // the first step builds Adam's slots
    }
    disposeInputs(batch);
    optimizer.dispose();
    return {
      backend: tf.getBackend(),
      parameterCount: policy.parameterCount,
      actMedianMs: median(times),
      actP90Ms: quantile(times, 0.9),
      trainStepMs: median(stepTimes),
      trainBatch: B,
      kernels,
      kernelCount: info.kernels.filter((k) => k.name !== 'unnamed scope').length,
    };
  } finally {
    policy.dispose();
  }
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
