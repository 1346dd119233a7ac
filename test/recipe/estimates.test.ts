import { describe, expect, it } from 'vitest';
import { estimateEvalMinutes, estimateTrainMinutes, estimateTrainSamplesPerSecond, forwardMacs } from '../../src/recipe/estimates.js';
import { resolvePolicyConfig } from '../../src/policy/config.js';
import type { EvaluationSpec } from '../../src/recipe/Recipe.js';

describe('training cost estimates', () => {
  const base = resolvePolicyConfig({ spaceToDepth: 1 });

  it('counts the stem at the folded resolution: space-to-depth 2 costs less than none, the same image', () => {
    const folded = resolvePolicyConfig({ spaceToDepth: 2 });
    expect(forwardMacs(folded)).toBeLessThan(forwardMacs(base));
    // Without the stem only the patch embedding and the layers remain, and folding changes neither.
    const a = resolvePolicyConfig({ convStem: false, spaceToDepth: 1 });
    const b = resolvePolicyConfig({ convStem: false, spaceToDepth: 2 });
    expect(forwardMacs(a)).toBe(forwardMacs(b));
  });

  it('grows with the model: a wider model, more layers and a second camera all cost more', () => {
    const m = forwardMacs(base);
    expect(forwardMacs(resolvePolicyConfig({ spaceToDepth: 1, width: 128, heads: 4 }))).toBeGreaterThan(m);
    expect(forwardMacs(resolvePolicyConfig({ spaceToDepth: 1, visionLayers: base.visionLayers + 1 }))).toBeGreaterThan(m);
    const two = forwardMacs(resolvePolicyConfig({ spaceToDepth: 1, cameras: ['scene', 'wrist'] }));
    expect(two).toBeGreaterThan(m);
    expect(two).toBeLessThan(2 * m);
  });

  it('turns the cost into minutes: one worker is slower, twice the steps take twice as long', () => {
    expect(estimateTrainSamplesPerSecond(base, 1)).toBeLessThan(estimateTrainSamplesPerSecond(base, 2));
    const one = estimateTrainMinutes({ steps: 1000, batchSize: 64 }, base);
    expect(estimateTrainMinutes({ steps: 2000, batchSize: 64 }, base)).toBeCloseTo(2 * one, 6);
    expect(one).toBeGreaterThan(0);
  });

  it('plans a weak policy\'s evaluation longer: its failures run to the step limit', () => {
    const spec: EvaluationSpec = { tasks: ['pick', 'place', 'push'], splits: ['seen'], episodes: 20, seed: 0, languageScenes: 0, usedForChoosing: [] };
    const trained = estimateEvalMinutes(spec, 2);
    expect(estimateEvalMinutes(spec, 2, 0.25)).toBeGreaterThan(2 * trained);
    expect(estimateEvalMinutes(spec, 1)).toBeCloseTo(2 * trained, 6);
    expect(estimateEvalMinutes({ ...spec, episodes: 40 }, 2)).toBeCloseTo(2 * trained, 6);
  });
});
