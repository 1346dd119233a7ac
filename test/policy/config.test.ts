/**
 * resolvePolicyConfig: defaults, a frozen result, the input never mutated, and one error that lists every problem
 * with field, value and reason.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_CONFIG, REMOVED_CONFIG_FIELDS, patchGrid, resolvePolicyConfig, type PolicyConfig } from '../../src/policy/index.js';

describe('resolvePolicyConfig', () => {
  it('fills in the documented defaults', () => {
    const c = resolvePolicyConfig({});
    expect(c).toEqual(DEFAULT_POLICY_CONFIG);
    expect(c).toMatchObject({ imageSize: 64, cameras: ['scene'], supersampling: 4, convStem: true, stemChannels: 16, patchSize: 8, width: 64, heads: 4 });
    expect(c).toMatchObject({ visionLayers: 2, languageLayers: 1, fusionLayers: 1, actionLayers: 1, ffnMult: 2, scoreKind: 'dot' });
    expect(c).toMatchObject({ maxWords: 12, chunk: 8, actionDim: 5, proprioDim: 11, eeProprio: true, attentionKeypoints: true, dropout: 0, seed: 0 });
    expect(patchGrid(c)).toEqual({ gh: 8, gw: 8, patches: 64 });
    expect(resolvePolicyConfig()).toEqual(c);
  });

  it('returns a new frozen object and leaves its input alone', () => {
    const input: Partial<PolicyConfig> = { width: 32, heads: 2, cameras: ['scene', 'wrist'] };
    const snapshot = structuredClone(input);
    const c = resolvePolicyConfig(input);
    expect(input).toEqual(snapshot);
    expect(Object.isFrozen(input)).toBe(false);
    expect(c).not.toBe(input);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.cameras)).toBe(true);
    expect(c.cameras).not.toBe(input.cameras);
    expect(() => {
      (c as PolicyConfig).width = 8;
    }).toThrow();
  });

  it('lists every problem in one error, with field, value and why', () => {
    const input = { patchSize: 7, heads: 5, fusionLayers: 0, scoreKind: 'cosine', dropout: 1.5, actionDim: 6, widht: 3 } as unknown as Partial<PolicyConfig>;
    const snapshot = structuredClone(input);
    let message = '';
    try {
      resolvePolicyConfig(input);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('7 problems');
    expect(message).toContain('patchSize (7) must divide imageSize (64): the image is cut into whole patches');
    expect(message).toContain('heads (5) must divide width (64)');
    expect(message).toMatch(/fusionLayers \(0\) must be a positive integer: .*never see the image/);
    expect(message).toContain('scoreKind ("cosine") must be one of "dot", "additive"');
    expect(message).toContain('dropout (1.5) must be a number in [0, 1)');
    expect(message).toContain('actionDim (6) must be 5');
    expect(message).toContain('unknown field "widht"');
    expect(input).toEqual(snapshot);
  });

  it('refuses the removed switches as unknown fields, on or off', () => {
    for (const k of Object.keys(REMOVED_CONFIG_FIELDS)) {
      for (const v of [true, false]) {
        expect(() => resolvePolicyConfig({ [k]: v } as Partial<PolicyConfig>)).toThrow(`invalid policy config (1 problem):\n  - unknown field "${k}": the fields are imageSize, cameras,`);
      }
    }
  });

  it('rejects bad types and values of other fields', () => {
    const bad: Array<[Partial<PolicyConfig>, string]> = [
      [{ imageSize: 0 }, 'imageSize (0) must be a positive integer'],
      [{ imageSize: 64.5 }, 'imageSize (64.5) must be a positive integer'],
      [{ cameras: [] }, 'cameras ([]) must be a non-empty array'],
      [{ cameras: ['scene', ' '] }, 'cameras[1] (" ") must be a non-empty camera name'],
      [{ cameras: 'scene' as never }, 'cameras ("scene") must be a non-empty array'],
      [{ heads: 3, width: 64, patchSize: 5 }, 'invalid policy config (2 problems)'],
      [{ eeProprio: true, proprioDim: 5 }, 'proprioDim (5) is too small'],
      [{ spaceToDepth: 3 }, 'spaceToDepth (3) must divide imageSize (64)'],
      [{ seed: 2 ** 32 }, 'seed (4294967296) must be an integer from 0 to 4294967295'],
      [{ cameras: ['scene', 'scene'] }, 'must not repeat a name'],
      [{ supersampling: 0 }, 'supersampling (0) must be an integer from 1 to 8'],
      [{ supersampling: 2.5 }, 'supersampling (2.5) must be an integer from 1 to 8'],
      [{ convStem: 'yes' as unknown as boolean }, 'convStem ("yes") must be true or false'],
      [{ visionLayers: -1 }, 'visionLayers (-1) must be an integer >= 0'],
      [{ seed: 1.5 }, 'seed (1.5) must be an integer'],
      [{ activation: 'tanh' as never }, 'activation ("tanh") must be one of "gelu", "relu"'],
    ];
    for (const [input, text] of bad) expect(() => resolvePolicyConfig(input), text).toThrow(text);
    expect(() => resolvePolicyConfig(null as never)).toThrow('expected an object');
  });

  it('accepts zero-layer encoders and a stem-less model', () => {
    const c = resolvePolicyConfig({ visionLayers: 0, languageLayers: 0, convStem: false, dropout: 0.1, scoreKind: 'additive' });
    expect(c.visionLayers).toBe(0);
    expect(c.scoreKind).toBe('additive');
  });
});
