/**
 * relativeKeypoints: the gripper's point is projected into the camera image and subtracted from each word's
 * keypoints; the differences reach the word through an MLP whose last layer starts at zero.
 */
import * as tf from '../../src/tf/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/tf/backend.js';
import { VlaPolicy, observationsToInputs, resolvePolicyConfig } from '../../src/policy/index.js';
import { RelativeKeypoints } from '../../src/policy/RelativeKeypoints.js';
import { ParamStore } from '../../src/policy/blocks.js';
import { Environment } from '../../sim/env/Environment.js';
import { maskCentroid } from '../../src/train/measures.js';
import type { Observation } from '../../sim/types.js';
import { TINY, observation } from './helpers.js';

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
});

function actionsOf(p: VlaPolicy, obs: Observation): number[] {
  return tf.tidy(() => {
    const { inputs } = observationsToInputs([obs], p.config, p.tokenizer);
    return Array.from(p.forward(inputs).actions.dataSync());
  });
}

describe('relativeKeypoints', () => {
  it('is validated: it needs keypoints, the end-effector pose and one fixed camera', () => {
    expect(resolvePolicyConfig({}).relativeKeypoints).toBe(false);
    expect(resolvePolicyConfig({ relativeKeypoints: true }).relativeKeypoints).toBe(true);
    expect(() => resolvePolicyConfig({ relativeKeypoints: true, attentionKeypoints: false })).toThrow(/relativeKeypoints \(true\) needs attentionKeypoints or pixelKeypoints/);
    expect(resolvePolicyConfig({ relativeKeypoints: true, attentionKeypoints: false, pixelKeypoints: true }).relativeKeypoints).toBe(true);
    expect(() => resolvePolicyConfig({ relativeKeypoints: true, eeProprio: false, proprioDim: 7 })).toThrow(/needs eeProprio \(true\)/);
    expect(() => resolvePolicyConfig({ relativeKeypoints: true, cameras: ['wrist'] })).toThrow(/needs exactly one fixed camera, one of scene, top, side/);
    expect(() => resolvePolicyConfig({ relativeKeypoints: true, cameras: ['scene', 'top'] })).toThrow(/needs exactly one fixed camera/);
    expect(() => resolvePolicyConfig({ relativeKeypoints: 'yes' as unknown as boolean })).toThrow(/relativeKeypoints \("yes"\) must be true or false/);
  });

  it('projects the gripper where the renderer draws an object under it (segmentation centroid, 64x64)', () => {
    const config = resolvePolicyConfig({ relativeKeypoints: true });
    const rel = new RelativeKeypoints(new ParamStore(0), config, config.heads);
    const env = new Environment({ cameras: [] });
    let checked = 0;
    for (const seed of [3, 4, 5, 6]) {
      env.reset({ seed, task: 'pick', split: 'seen' });
      const img = env.render('scene', 64, 64, { segmentation: true });
      env.snapshot().objects.forEach((o, i) => {
        const kind = env.info.scene.objects[i]!.kind;
        if (kind !== 'ball' && kind !== 'cube') return; // centres at about RELATIVE_POINT_HEIGHT
        const c = maskCentroid(img.segmentation!, 64, i + 1);
        if (c.count < 8) return; // mostly hidden
        const proprio = [0, 0, 0, 0, 0, 1, 0, o.position.x, o.position.y, 0.3, 0];
        const [u, v] = tf.tidy(() => Array.from(rel.gripperPixel(tf.tensor2d([proprio])).dataSync()));
        expect(Math.abs(((u! + 1) / 2) * 64 - c.x), `${o.id} x`).toBeLessThan(1);
        expect(Math.abs(((v! + 1) / 2) * 64 - c.y), `${o.id} y`).toBeLessThan(1);
        checked++;
      });
    }
    expect(checked).toBeGreaterThan(5);
  });

  it('starts as the model without it, and then makes the actions depend on where the gripper is in the image', () => {
    const on = new VlaPolicy({ ...TINY, seed: 7, relativeKeypoints: true });
    const off = new VlaPolicy({ ...TINY, seed: 7 });
    const obs = observation(16, 'pick up the red ball', 2);
    expect(actionsOf(on, obs)).toEqual(actionsOf(off, obs));
    tf.tidy(() => {
      const v = on.namedVariables.get('fusion/relative/fc2/kernel')!;
      v.assign(tf.randomNormal(v.shape, 0, 0.1, 'float32', 1));
    });
    const moved = { ...obs, eePose: { ...obs.eePose, x: 0.15, y: -0.1 } };
    const a = actionsOf(on, obs);
    const b = actionsOf(on, moved);
    const offA = actionsOf(off, obs);
    const offB = actionsOf(off, moved);
    // What the module adds is not a constant: it differs between the two gripper positions.
    const addedA = a.map((x, i) => x - offA[i]!);
    const addedB = b.map((x, i) => x - offB[i]!);
    expect(Math.max(...addedA.map(Math.abs))).toBeGreaterThan(1e-4);
    expect(Math.max(...addedA.map((x, i) => Math.abs(x - addedB[i]!)))).toBeGreaterThan(1e-4);
    on.dispose();
    off.dispose();
  });
});
