/**
 * commandQuery: the mean of the command's real word tokens, through a linear layer, is added to every action query.
 * Off, the model is the one without it; on, the pooled token ignores padding and moves the actions.
 */
import * as tf from '../../src/tf/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/tf/backend.js';
import { VlaPolicy, observationsToInputs, resolvePolicyConfig } from '../../src/policy/index.js';
import { TINY, observation } from './helpers.js';

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
});

const actionsOf = (p: VlaPolicy, tokens?: (ids: Int32Array, mask: Float32Array | Int32Array) => void): Float32Array =>
  tf.tidy(() => {
    const { inputs } = observationsToInputs([observation(16, 'put the red ball in the bowl', 3)], p.config, p.tokenizer);
    if (tokens) {
      const ids = Int32Array.from(inputs.tokens.dataSync());
      tokens(ids, inputs.tokenMask.dataSync() as Float32Array);
      inputs.tokens = tf.tensor2d(ids, inputs.tokens.shape as [number, number], 'int32');
    }
    return p.forward(inputs).actions.dataSync() as Float32Array;
  });

describe('commandQuery', () => {
  it('adds one linear layer; zeroed, the actions are exactly those of the model without it', () => {
    const on = new VlaPolicy({ ...TINY, seed: 21, commandQuery: true });
    const off = new VlaPolicy({ ...TINY, seed: 21 });
    const E = TINY.width!;
    expect(on.parameterCount - off.parameterCount).toBe(E * E + E);
    const before = actionsOf(on);
    const without = actionsOf(off);
    // Untrained, the token already moves the actions (a zero-initialised bias alone would not).
    expect(Math.max(...before.map((v, i) => Math.abs(v - without[i]!)))).toBeGreaterThan(1e-5);
    tf.tidy(() => {
      for (const n of ['action/command/kernel', 'action/command/bias']) {
        const v = on.namedVariables.get(n)!;
        v.assign(tf.zerosLike(v));
      }
    });
    const zeroed = actionsOf(on);
    expect(Math.max(...zeroed.map((v, i) => Math.abs(v - without[i]!)))).toBeLessThan(1e-6);
    on.dispose();
    off.dispose();
  });

  it('pools the real words only: the ids in padding positions change nothing', () => {
    const p = new VlaPolicy({ ...TINY, seed: 22, commandQuery: true });
    const a = actionsOf(p);
    let padded = 0;
    const b = actionsOf(p, (ids, mask) => {
      for (let i = 0; i < ids.length; i++) {
        if (mask[i] === 0) {
          ids[i] = 3 + (i % 5);
          padded++;
        }
      }
    });
    expect(padded).toBeGreaterThan(0);
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBeLessThan(1e-6);
    // A real word changed does move them.
    const c = actionsOf(p, (ids) => {
      ids[0] = ids[0] === 3 ? 4 : 3;
    });
    expect(Math.max(...a.map((v, i) => Math.abs(v - c[i]!)))).toBeGreaterThan(1e-6);
    p.dispose();
  });

  it('must be a boolean', () => {
    expect(() => resolvePolicyConfig({ commandQuery: 'yes' as unknown as boolean })).toThrow(/commandQuery \("yes"\) must be true or false/);
  });
});
