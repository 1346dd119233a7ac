/**
 * Normalisation statistics (std floor, gripper left alone), the proprio vector, de-normalisation of outputs, the
 * physical units of act(), and the policy benchmark's plumbing (timings are measured, never asserted).
 */
import * as tf from '../../src/tf/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/tf/backend.js';
import { STD_FLOOR, VlaPolicy, checkStats, computeStats, identityStats, observationsToInputs, proprioVector, toEeActions } from '../../src/policy/index.js';
import type { EeAction } from '../../sim/types.js';
import { benchPolicy, syntheticBatch } from '../../src/policy/bench.js';
import { PATCH_COLOURS, PATCH_KINDS } from '../../src/policy/PatchLabels.js';
import { disposeInputs } from '../../src/policy/processing.js';
import { TINY, observation } from './helpers.js';

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
});

describe('normalisation', () => {
  it('computes mean and std per dimension, floors constant dimensions and leaves the gripper alone', () => {
    const s = computeStats(
      [Float32Array.from([0.01, 0, 0.02, 0, 1]), Float32Array.from([0.03, 0, 0.02, 0, 0])],
      [[1, 2, 3, 4, 5, 0, 0], [3, 2, 3, 4, 5, 1, 1]],
    );
    expect(s.action.mean[0]).toBeCloseTo(0.02, 7);
    expect(s.action.std[0]).toBeCloseTo(0.01, 7);
    expect(s.action.std[1]).toBe(STD_FLOOR);
    expect(s.action.std[2]).toBe(STD_FLOOR); // constant 0.02: floored, not 0
    expect(s.action.mean[4]).toBe(0);
    expect(s.action.std[4]).toBe(1);
    expect(s.proprio.mean).toEqual([2, 2, 3, 4, 5, 0.5, 0.5]);
    expect(s.proprio.std[0]).toBeCloseTo(1, 7);
    expect(() => computeStats([], [[0]])).toThrow('no action samples');
    expect(() => computeStats([[0, 0, 0, 0]], [[0]])).toThrow('actions must have 5 numbers');
    expect(() => computeStats([[0, 0, 0, 0, NaN]], [[0]])).toThrow('non-finite');
    expect(() => checkStats({ action: { mean: [0], std: [1] }, proprio: identityStats().proprio }, 5, 7)).toThrow('action.mean: expected 5 finite numbers');
  });

  it('builds the proprio vector: joints, gripper opening, holding, and the end-effector pose when asked', () => {
    const obs = { joints: [1, 2, 3, 4, 5], gripperOpening: 0.25, holding: true, eePose: { x: 0.1, y: -0.2, z: 0.3, yaw: 0.4 } };
    expect(proprioVector(obs)).toEqual([1, 2, 3, 4, 5, 0.25, 1]);
    expect(proprioVector(obs, true)).toEqual([1, 2, 3, 4, 5, 0.25, 1, 0.1, -0.2, 0.3, 0.4]);
  });

  it('de-normalises deltas and thresholds the gripper logit at 0 (sigmoid 0.5)', () => {
    const stats = { action: { mean: [0.01, 0, 0, 0, 0], std: [0.02, 0.5, 1, 1, 1] }, proprio: identityStats().proprio };
    const [a, b] = toEeActions([1, 2, 0, 0, 0.3, -1, 0, 0, 0, -0.01], 1, 2, stats)[0]! as [EeAction, EeAction];
    expect(a.dx).toBeCloseTo(0.03, 7);
    expect(a.dy).toBeCloseTo(1, 7);
    expect(a.gripper).toBe(1);
    expect(b.dx).toBeCloseTo(-0.01, 7);
    expect(b.gripper).toBe(0);
  });

  it('act() de-normalises with the stored statistics', () => {
    const policy = new VlaPolicy(TINY);
    const obs = observation(16, 'pick up the red ball', 3);
    const raw = tf.tidy(() => Array.from(policy.forward(observationsToInputs([obs], policy.config, policy.tokenizer).inputs).actions.dataSync()));
    const stats = { action: { mean: [0.1, 0.2, 0.3, 0.4, 0], std: [2, 3, 4, 5, 1] }, proprio: identityStats().proprio };
    policy.setStats(stats);
    const acts = policy.act(obs);
    expect(acts[1]!.dz).toBeCloseTo(raw[5 + 2]! * 4 + 0.3, 5);
    expect(acts[0]!.gripper).toBe(raw[4]! >= 0 ? 1 : 0);
    expect(policy.stats).toEqual(stats);
    policy.dispose();
  });
});

describe('benchPolicy', () => {
  it('measures act() latency, a training step and the dominant kernels', async () => {
    const r = await benchPolicy({ config: TINY, actCalls: 5, trainBatch: 4, trainSteps: 1 });
    expect(r.backend).toBe('wasm');
    expect(r.actMedianMs).toBeGreaterThan(0);
    expect(r.trainStepMs).toBeGreaterThan(0);
    expect(r.kernels.length).toBeGreaterThan(5);
  });

  it("gives the training step's batch patch label targets when the policy has the head, as the PyTorch mirror's", () => {
    for (const patchLabels of [true, false]) {
      const policy = new VlaPolicy({ ...TINY, patchLabels });
      const P = policy.grid[0] * policy.grid[1];
      const batch = syntheticBatch(policy, 3, 1, true);
      if (patchLabels) {
        expect(batch.patchKind!.shape).toEqual([3, P, PATCH_KINDS.length]);
        expect(batch.patchColour!.shape).toEqual([3, P, PATCH_COLOURS.length]);
        const w = batch.patchLabelWeight!.dataSync();
        expect(w.some((x) => x === 1) && w.every((x) => x === 0 || x === 1)).toBe(true);
        const labels = tf.tidy(() => policy.lossTerms(batch, { training: true, labelWeight: 0.5 }).labels.dataSync()[0]!);
        expect(labels).toBeGreaterThan(0);
      } else {
        expect(batch.patchKind).toBeUndefined();
      }
      disposeInputs(batch);
      policy.dispose();
    }
  });
});
