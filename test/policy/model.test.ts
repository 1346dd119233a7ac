/**
 * VlaPolicy on the wasm backend: output shapes of the default config, padding never attended to (exact zeros,
 * and padding ids do not change actions), determinism by seed, attention maps summing to 1, no tensor leaks,
 * several cameras and the additive score.
 */
import * as tf from '../../src/tf/tf.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/tf/backend.js';
import { VlaPolicy, averageHeads, disposeInputs, observationsToInputs } from '../../src/policy/index.js';
import { TINY, observation } from './helpers.js';

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
});

describe('default config', () => {
  let policy: VlaPolicy;
  beforeAll(() => {
    policy = new VlaPolicy();
  });
  afterAll(() => policy.dispose());

  it('maps a batch to K actions and one [B, heads, L, P] map per fusion layer', () => {
    const obs = [observation(64, 'pick up the red ball', 1), observation(64, 'push the blue cube to the left', 2)];
    const { inputs } = observationsToInputs(obs, policy.config, policy.tokenizer);
    const out = policy.forward(inputs, { keepAttention: true });
    expect(out.actions.shape).toEqual([2, 8, 5]);
    expect(out.crossWeights).toHaveLength(1);
    expect(out.crossWeights[0]!.shape).toEqual([2, 4, 12, 64]);
    expect(out.attention!.vision.map((w) => w.shape)).toEqual([[2, 4, 64, 64], [2, 4, 64, 64]]);
    expect(out.attention!.language[0]!.shape).toEqual([2, 4, 12, 12]);
    expect(out.attention!.action[0]!.shape).toEqual([2, 4, 8, 12]); // proprioPlace 'queries': the memory is the 12 words
    expect(Array.from(out.actions.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([out.actions, ...out.crossWeights, ...Object.values(out.attention!).flat()]);
    disposeInputs(inputs);
  });

  it('counts its parameters and names them descriptively', () => {
    expect(policy.parameterCount).toBe(policy.trainableVariables.reduce((n, v) => n + v.size, 0));
    expect(policy.parameterCount).toBeGreaterThan(200_000);
    expect(policy.parameterCount).toBeLessThan(300_000);
    const names = [...policy.namedVariables.keys()];
    for (const n of ['vision/stem/conv1/kernel', 'vision/patch_embed/kernel', 'vision/pos_embed', 'vision/block0/attn/wq', 'vision/block1/ffn/fc2/bias']) expect(names).toContain(n);
    for (const n of ['language/token_embed', 'fusion/block0/attn/wk', 'proprio/proj/kernel', 'action/queries', 'action/head/kernel']) expect(names).toContain(n);
    expect(policy.namedVariables.get('vision/patch_embed/kernel')!.shape).toEqual([8 * 8 * 16, 64]);
    expect(policy.namedVariables.get('action/queries')!.shape).toEqual([8, 64]);
  });

  it('act() returns K physical actions with a 0/1 gripper and leaks no tensor', () => {
    const obs = observation(64, 'Pick up the RED ball!', 3);
    policy.act(obs); // warm-up
    const before = tf.memory().numTensors;
    const actions = policy.act(obs);
    policy.attentionMaps(obs);
    expect(tf.memory().numTensors).toBe(before);
    expect(actions).toHaveLength(8);
    for (const a of actions) {
      expect(Object.keys(a).sort()).toEqual(['dx', 'dy', 'dyaw', 'dz', 'gripper']);
      expect([0, 1]).toContain(a.gripper);
    }
  });

  it('attention maps: one distribution over the 8x8 grid per layer, head and real word', () => {
    const maps = policy.attentionMaps(observation(64, 'put the blue cube in the green bowl', 4));
    expect(maps.words).toEqual(['put', 'the', 'blue', 'cube', 'in', 'the', 'green', 'bowl']);
    expect(maps.grid).toEqual([8, 8]);
    expect(maps.layers).toHaveLength(1);
    expect(maps.layers[0]).toHaveLength(4);
    for (const head of maps.layers[0]!) {
      expect(head).toHaveLength(8);
      for (const m of head) {
        expect(m).toHaveLength(64);
        expect(m.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        expect(m.every((v) => v >= 0)).toBe(true);
      }
    }
    const avg = averageHeads(maps.layers);
    expect(avg[0]).toHaveLength(8);
    expect(avg[0]![0]!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('reports unknown words in the maps and rejects images of the wrong size', () => {
    expect(policy.attentionMaps(observation(64, 'lift the crimson ball', 5)).unknown).toEqual(['crimson']);
    expect(() => policy.act(observation(32, 'lift the red ball'))).toThrow('camera "scene" image is 32x32; this policy takes 64x64');
    expect(() => policy.act(observation(64, 'x', 1, ['wrist']))).toThrow('observation has no image from camera "scene"');
  });
});

describe('padding', () => {
  it('padding keys get exactly zero weight, and padding ids do not change anything', () => {
    const policy = new VlaPolicy({ ...TINY, languageLayers: 2, actionLayers: 2 });
    const obs = [observation(16, 'grab the red ball', 1), observation(16, 'push the green can left', 2)];
    const { inputs } = observationsToInputs(obs, policy.config, policy.tokenizer);
    const L = policy.config.maxWords;
    const real = [4, 5];
    const out = policy.forward(inputs, { keepAttention: true });
    const check = (w: tf.Tensor, keys: number) => {
      const [B, H, Tq, Tk] = w.shape as number[];
      expect(Tk).toBe(keys);
      const d = w.dataSync();
      for (let b = 0; b < B!; b++)
        for (let h = 0; h < H!; h++)
          for (let i = 0; i < Tq!; i++)
            for (let j = real[b]!; j < L; j++) expect(d[((b * H! + h) * Tq! + i) * Tk! + j]).toBe(0);
    };
    for (const w of out.attention!.language) check(w, L);
    for (const w of out.attention!.action) check(w, L); // proprioPlace 'queries': the memory is the words alone

    // Other ids at the padding positions (the mask still says padding): the same actions, bit for bit.
    const ids = inputs.tokens.arraySync() as number[][];
    const changed = ids.map((row, b) => row.map((id, j) => (j >= real[b]! ? 2 + ((j * 7) % 40) : id)));
    const tokens2 = tf.tensor2d(changed, [2, L], 'int32');
    const out2 = policy.forward({ ...inputs, tokens: tokens2 });
    expect(Array.from(out2.actions.dataSync())).toEqual(Array.from(out.actions.dataSync()));
    tf.dispose([out.actions, out2.actions, ...out.crossWeights, ...out2.crossWeights, ...Object.values(out.attention!).flat(), tokens2]);
    disposeInputs(inputs);
    policy.dispose();
  });
});

describe('determinism', () => {
  it('the same seed gives identical weights and actions; another seed differs', () => {
    const a = new VlaPolicy({ ...TINY, seed: 3 });
    const b = new VlaPolicy({ ...TINY, seed: 3 });
    const c = new VlaPolicy({ ...TINY, seed: 4 });
    const wa = a.getWeights();
    const wb = b.getWeights();
    const wc = c.getWeights();
    for (const [name, w] of wa) expect(Array.from(wb.get(name)!.data), name).toEqual(Array.from(w.data));
    const q = 'action/queries';
    expect(Array.from(wc.get(q)!.data)).not.toEqual(Array.from(wa.get(q)!.data));
    const obs = observation(16, 'lift the yellow cylinder', 9);
    expect(b.act(obs)).toEqual(a.act(obs));
    const ra = tf.tidy(() => a.forward(observationsToInputs([obs], a.config, a.tokenizer).inputs).actions.dataSync());
    const rc = tf.tidy(() => c.forward(observationsToInputs([obs], c.config, c.tokenizer).inputs).actions.dataSync());
    expect(Array.from(rc)).not.toEqual(Array.from(ra));
    for (const p of [a, b, c]) p.dispose();
  });
});

describe('variants', () => {
  it('two cameras share the vision encoder; maps cover both grids and still sum to 1', () => {
    const policy = new VlaPolicy({ ...TINY, cameras: ['scene', 'wrist'] });
    const obs = observation(16, 'pick up the red ball', 1, ['scene', 'wrist']);
    expect(policy.act(obs)).toHaveLength(4);
    const maps = policy.attentionMaps(obs);
    expect(maps.cameras).toEqual(['scene', 'wrist']);
    expect(maps.layers[0]![0]![0]).toHaveLength(2 * 16);
    expect(maps.layers[0]![1]![4]!.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    expect(policy.namedVariables.get('vision/camera_embed')!.shape).toEqual([2, 32]);
    policy.dispose();
  });

  it("fusion 'concat': words and patches in one self-attention stream; maps over the patches sum to 1, padding words change nothing, the weights are cross's", () => {
    const cross = new VlaPolicy({ ...TINY, fusionLayers: 2 });
    const concat = new VlaPolicy({ ...TINY, fusionLayers: 2, fusion: 'concat' });
    // The same parameters (names and shapes): only the wiring differs.
    expect([...concat.namedVariables].map(([k, v]) => `${k}:${v.shape}`)).toEqual([...cross.namedVariables].map(([k, v]) => `${k}:${v.shape}`));
    const obs = [observation(16, 'grab the red ball', 1), observation(16, 'push the green can left', 2)];
    const { inputs } = observationsToInputs(obs, concat.config, concat.tokenizer);
    const out = concat.forward(inputs);
    const L = concat.config.maxWords;
    expect(out.crossWeights.map((w) => w.shape)).toEqual([[2, 2, L, 16], [2, 2, L, 16]]);
    const rows = tf.tidy(() => Array.from(tf.sum(out.crossWeights[1]!, -1).dataSync()));
    for (const r of rows) expect(r).toBeCloseTo(1, 5);
    // Other ids at the padding positions: padding words are masked as keys, so the actions stay bit for bit.
    const real = [4, 5];
    const ids = inputs.tokens.arraySync() as number[][];
    const tokens2 = tf.tensor2d(ids.map((row, b) => row.map((id, j) => (j >= real[b]! ? 2 + ((j * 5) % 30) : id))), [2, L], 'int32');
    const out2 = concat.forward({ ...inputs, tokens: tokens2 });
    expect(Array.from(out2.actions.dataSync())).toEqual(Array.from(out.actions.dataSync()));
    // And the wiring matters: with the same weights, cross-attention gives other actions.
    const outCross = cross.forward(inputs);
    expect(Array.from(outCross.actions.dataSync())).not.toEqual(Array.from(out.actions.dataSync()));
    tf.dispose([out.actions, out2.actions, outCross.actions, ...out.crossWeights, ...out2.crossWeights, ...outCross.crossWeights, tokens2]);
    disposeInputs(inputs);
    cross.dispose();
    concat.dispose();
  });

  it('additive scores, ReLU, no stem, zero encoder layers and dropout all run; dropout only while training', () => {
    const policy = new VlaPolicy({ ...TINY, scoreKind: 'additive', activation: 'relu', convStem: false, visionLayers: 0, languageLayers: 0, dropout: 0.2 });
    const obs = observation(16, 'slide the blue block forward', 2);
    const { inputs } = observationsToInputs([obs], policy.config, policy.tokenizer);
    const run = (training: boolean) => tf.tidy(() => Array.from(policy.forward(inputs, { training }).actions.dataSync()));
    expect(run(false)).toEqual(run(false));
    expect(run(true)).not.toEqual(run(false));
    expect(policy.namedVariables.has('fusion/block0/attn/av')).toBe(true);
    expect(policy.namedVariables.has('vision/stem/conv1/kernel')).toBe(false);
    disposeInputs(inputs);
    policy.dispose();
  });

  it('the score kind is how words score patches: only the fusion layers get additive parameters', () => {
    const policy = new VlaPolicy({ ...TINY, scoreKind: 'additive' });
    const additive = [...policy.namedVariables.keys()].filter((n) => /\/attn\/(aq|ak|ab|av)$/.test(n));
    expect(additive.length).toBe(4 * policy.config.fusionLayers);
    expect(additive.every((n) => n.startsWith('fusion/'))).toBe(true);
    expect(policy.config.visionLayers + policy.config.languageLayers + policy.config.actionLayers).toBeGreaterThan(0);
    policy.dispose();
  });
});
