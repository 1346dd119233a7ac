/**
 * savePolicy / loadPolicy: the folder layout and TF.js weights manifest, a round trip with identical actions and
 * maps, an interrupted save, and clear errors for missing files, corrupt JSON, wrong format or version, shape
 * mismatches and truncated weights.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '../../src/tf/tf.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/tf/backend.js';
import { CONFIG_FIELDS_ADDED_LATER, CheckpointError, REMOVED_CONFIG_FIELDS, VlaPolicy, computeStats, loadPolicy, savePolicy } from '../../src/policy/index.js';
import { TINY, observation } from './helpers.js';

let root: string;
let policy: VlaPolicy;
let saved: string;

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
  root = mkdtempSync(join(tmpdir(), 'vla-policy-ckpt-'));
  const stats = computeStats(
    [[0.01, -0.02, 0.005, 0.1, 1], [-0.01, 0.02, 0, -0.1, 0]],
    [[0, 0.1, 0.2, 0.3, 0.4, 1, 0, 0.1, 0, 0.2, 0], [0.1, 0.2, 0.3, 0.4, 0.5, 0.5, 1, 0.2, 0.1, 0.1, 0.3]],
  );
  policy = new VlaPolicy({ ...TINY, seed: 11 }, { stats });
  saved = join(root, 'ok');
  savePolicy(policy, saved);
});

afterAll(() => {
  policy.dispose();
  rmSync(root, { recursive: true, force: true });
});

/** A fresh copy of the saved checkpoint to damage. */
function copy(name: string): string {
  const dir = join(root, name);
  savePolicy(policy, dir);
  return dir;
}

describe('savePolicy', () => {
  it('writes config, a TF.js weights manifest, weights, normalisation, tokenizer and format', () => {
    expect(readdirSync(saved).sort()).toEqual(['config.json', 'format.json', 'normalization.json', 'tokenizer.json', 'weights.bin', 'weights.json']);
    const manifest = JSON.parse(readFileSync(join(saved, 'weights.json'), 'utf8'));
    expect(manifest).toHaveLength(1);
    expect(manifest[0].paths).toEqual(['weights.bin']);
    expect(manifest[0].weights[0]).toEqual({ name: 'vision/stem/conv1/kernel', shape: [3, 3, 3, 4], dtype: 'float32' });
    expect(readFileSync(join(saved, 'weights.bin')).byteLength).toBe(policy.parameterCount * 4);
    // What a browser's tf.io.loadWeights would do: decode the bytes with the manifest's specs.
    const bin = readFileSync(join(saved, 'weights.bin'));
    const decoded = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), manifest[0].weights);
    expect(Array.from(decoded['action/queries']!.dataSync())).toEqual(Array.from(policy.namedVariables.get('action/queries')!.dataSync()));
    tf.dispose(Object.values(decoded));
    const format = JSON.parse(readFileSync(join(saved, 'format.json'), 'utf8'));
    expect(format).toMatchObject({ format: 'vla-policy', version: 1, parameterCount: policy.parameterCount });
    // the config, and proprioPlace at its kept value: without it a checkpoint reads as written before the field
    expect(JSON.parse(readFileSync(join(saved, 'config.json'), 'utf8'))).toEqual({ ...policy.config, proprioPlace: 'queries' });
  });

  it('keeps other files in the folder and replaces an older checkpoint', () => {
    const dir = join(root, 'with-logs');
    savePolicy(policy, dir);
    writeFileSync(join(dir, 'metrics.jsonl'), '{}\n');
    savePolicy(policy, dir);
    expect(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')).toBe('{}\n');
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});

describe('loadPolicy', () => {
  it('gives back the same policy: identical weights, stats, actions and maps', () => {
    const loaded = loadPolicy(saved);
    expect(loaded.config).toEqual(policy.config);
    expect(loaded.stats).toEqual(policy.stats);
    expect(loaded.tokenizer.tokens).toEqual(policy.tokenizer.tokens);
    for (const text of ['pick up the red ball', 'put the blue cube into the green bowl', 'lift the crimson can']) {
      const obs = observation(16, text, 21);
      expect(loaded.act(obs)).toEqual(policy.act(obs));
      expect(loaded.attentionMaps(obs)).toEqual(policy.attentionMaps(obs));
    }
    loaded.dispose();
  });

  it('reads a checkpoint written before later config fields existed, with those features off', () => {
    const old = new VlaPolicy({ ...TINY, seed: 12, eeProprio: false, proprioDim: 7, attentionKeypoints: false, patchLabels: false, supersampling: 1 });
    const dir = join(root, 'older');
    savePolicy(old, dir);
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    for (const k of Object.keys(CONFIG_FIELDS_ADDED_LATER)) delete cfg[k];
    cfg.proprioPlace = 'queries'; // as written from the day it existed until it was removed
    writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
    const loaded = loadPolicy(dir);
    expect(loaded.config).toEqual(old.config);
    const obs = { ...observation(16, 'pick up the red ball', 3), joints: [0.1, 0.2, 0.3, 0.4, 0.5] };
    expect(loaded.act(obs)).toEqual(old.act(obs));
    loaded.dispose();
    old.dispose();
  });

  it('reads a checkpoint whose config.json names removed fields at their kept values, and refuses any other value', () => {
    const cfg = JSON.parse(readFileSync(join(saved, 'config.json'), 'utf8')) as Record<string, unknown>;
    const kept = Object.fromEntries(Object.entries(REMOVED_CONFIG_FIELDS).map(([k, f]) => [k, f.kept]));
    const dir = copy('removed-off');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, ...kept }));
    const loaded = loadPolicy(dir);
    expect(loaded.config).toEqual(policy.config);
    const obs = observation(16, 'pick up the red ball', 5);
    expect(loaded.act(obs)).toEqual(policy.act(obs));
    loaded.dispose();

    const on = copy('removed-on');
    const file = join(on, 'config.json');
    const refused = (fields: Record<string, unknown>, drop: string[] = []): string => {
      const c: Record<string, unknown> = { ...cfg, ...kept, ...fields };
      for (const k of drop) delete c[k];
      writeFileSync(file, JSON.stringify(c));
      try {
        loadPolicy(on).dispose();
      } catch (e) {
        expect(e).toBeInstanceOf(CheckpointError);
        return (e as Error).message;
      }
      throw new Error(`loaded with ${JSON.stringify(fields)} and without ${drop.join(', ')}`);
    };
    expect(refused({ pixelKeypoints: true })).toBe(`${file}: pixelKeypoints is true, but pixel keypoints were removed from vla (last in commit f5000ef); retrain without it`);
    expect(refused({ locateHead: true })).toBe(`${file}: locateHead is true, but the locate head was removed from vla (last in commit f5000ef); retrain without it`);
    expect(refused({ imageCentering: true, commandQuery: 1 })).toBe(
      `${file}: imageCentering is true, commandQuery is 1, but image centering and the command token were removed from vla (last in commit f5000ef); retrain without them`,
    );
    const lastIn = REMOVED_CONFIG_FIELDS.proprioPlace!.lastIn;
    expect(refused({ proprioPlace: 'memory' })).toBe(`${file}: proprioPlace is "memory", but the proprioception token in the action memory was removed from vla (last in commit ${lastIn}); retrain without it`);
    expect(refused({}, ['proprioPlace'])).toBe(
      `${file}: proprioPlace is not set (written before it existed: "memory"), but the proprioception token in the action memory was removed from vla (last in commit ${lastIn}); retrain without it`,
    );
    expect(refused({ actionMemory: 'words+patches', pixelKeypoints: true })).toBe(
      `${file}: pixelKeypoints is true, actionMemory is "words+patches", but pixel keypoints and the patch tokens in the action memory were removed from vla (last in commit f5000ef, ${lastIn}); retrain without them`,
    );
    for (const k of Object.keys(REMOVED_CONFIG_FIELDS)) {
      const message = refused({ [k]: true });
      expect(message).toMatch(new RegExp(`^${file}: ${k} is true, but .+ removed from vla \\(last in commit [0-9a-f]{7}\\); retrain without it$`));
      expect(message).not.toContain('\n');
    }
    // Without the field, a removed switch or actionMemory was off / 'words' before it existed: loads.
    const loads = copy('removed-absent');
    const c = { ...cfg, ...kept };
    for (const k of Object.keys(REMOVED_CONFIG_FIELDS).filter((k) => k !== 'proprioPlace')) delete c[k];
    writeFileSync(join(loads, 'config.json'), JSON.stringify(c));
    const again = loadPolicy(loads);
    expect(again.config).toEqual(policy.config);
    again.dispose();
  });

  it('names the missing file', () => {
    expect(() => loadPolicy(join(root, 'nowhere'))).toThrow(/format\.json is missing \(the folder .* does not exist\)/);
    const dir = copy('missing');
    rmSync(join(dir, 'tokenizer.json'));
    expect(() => loadPolicy(dir)).toThrow(`checkpoint ${dir}: tokenizer.json is missing`);
    const unfinished = copy('unfinished');
    rmSync(join(unfinished, 'format.json')); // what a crash mid-save leaves
    expect(() => loadPolicy(unfinished)).toThrow('format.json is missing (not a policy checkpoint, or its save did not finish)');
  });

  it('rejects a wrong format or version', () => {
    const dir = copy('version');
    const format = JSON.parse(readFileSync(join(dir, 'format.json'), 'utf8'));
    writeFileSync(join(dir, 'format.json'), JSON.stringify({ ...format, version: 2 }));
    expect(() => loadPolicy(dir)).toThrow(`checkpoint ${dir} was written by format version 2; this build reads version 1`);
    writeFileSync(join(dir, 'format.json'), JSON.stringify({ ...format, format: 'keras' }));
    expect(() => loadPolicy(dir)).toThrow('format.json says format "keras"; expected "vla-policy"');
  });

  it('reports corrupt JSON with the file name', () => {
    const dir = copy('corrupt');
    writeFileSync(join(dir, 'normalization.json'), '{"action": {"mean": [0, ');
    expect(() => loadPolicy(dir)).toThrow(new RegExp(`checkpoint ${dir}: normalization.json is not valid JSON`));
    const bad = copy('bad-config');
    const stored = JSON.parse(readFileSync(join(saved, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(bad, 'config.json'), JSON.stringify({ ...stored, patchSize: 5 }));
    expect(() => loadPolicy(bad)).toThrow('config.json: invalid policy config (1 problem):\n  - patchSize (5) must divide imageSize (16)');
  });

  it('reports truncated or oversized weights.bin', () => {
    const dir = copy('truncated');
    const size = policy.parameterCount * 4;
    truncateSync(join(dir, 'weights.bin'), size - 100);
    expect(() => loadPolicy(dir)).toThrow(`weights.bin is truncated: weights.json describes ${size} bytes, the file has ${size - 100}`);
    writeFileSync(join(dir, 'weights.bin'), Buffer.alloc(size + 8));
    expect(() => loadPolicy(dir)).toThrow('8 more than');
  });

  it('refuses weights that are not finite numbers, naming the file, the tensor and the element (issue 33)', () => {
    const dir = copy('nan');
    const size = policy.parameterCount * 4;
    writeFileSync(join(dir, 'weights.bin'), Buffer.alloc(size, 0xff)); // every float a NaN
    expect(() => loadPolicy(dir)).toThrow(CheckpointError);
    expect(() => loadPolicy(dir)).toThrow(
      new RegExp(`^checkpoint ${dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: weights.bin holds ${policy.parameterCount} weights that are not finite numbers \\(the first: "[^"]+" element 0 is NaN\\); the training diverged`),
    );
    const one = copy('inf');
    const bin = readFileSync(join(one, 'weights.bin'));
    const names = JSON.parse(readFileSync(join(one, 'weights.json'), 'utf8'))[0].weights as Array<{ name: string; shape: number[] }>;
    const firstSize = names[0]!.shape.reduce((a, b) => a * b, 1);
    bin.writeFloatLE(Infinity, (firstSize + 2) * 4); // the second tensor's element 2
    writeFileSync(join(one, 'weights.bin'), bin);
    expect(() => loadPolicy(one)).toThrow(`holds 1 weight that is not a finite number (the first: "${names[1]!.name}" element 2 is Infinity)`);
  });

  it('reports shape mismatches between weights and config', () => {
    const dir = copy('shapes');
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, chunk: 6 }));
    expect(() => loadPolicy(dir)).toThrow('weights.json does not fit config.json: "action/queries" has shape [4, 32], the model built from config.json needs [6, 32]');
    const renamed = copy('renamed');
    const manifest = readFileSync(join(renamed, 'weights.json'), 'utf8').replace('"action/head/bias"', '"action/head/b"');
    writeFileSync(join(renamed, 'weights.json'), manifest);
    expect(() => loadPolicy(renamed)).toThrow(/"action\/head\/bias" is missing; "action\/head\/b" is not a weight of this model/);
    expect(() => loadPolicy(renamed)).toThrow(CheckpointError);
    expect(existsSync(join(renamed, 'format.json'))).toBe(true);
  });

  it('does not leak the tensors of a policy it failed to load', () => {
    const dir = join(root, 'shapes');
    const before = tf.memory().numTensors;
    expect(() => loadPolicy(dir)).toThrow();
    expect(tf.memory().numTensors).toBe(before);
  });
});
