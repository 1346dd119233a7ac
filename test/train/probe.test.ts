/**
 * vla probe: a linear probe on a frozen policy's patch tokens. Its head learns (the loss falls from chance), it
 * counts the held-out single-object patches it asked about, leaves the policy as it was, and gives the same answer
 * twice. (Whether the probe tells trunks apart needs real data, not this tiny set.)
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/tf/backend.js';
import { PATCH_COLOURS, PATCH_KINDS, VlaPolicy, savePolicy } from '../../src/policy/index.js';
import { collectInProcess } from '../../src/train/collect.js';
import { formatProbe, probePatchTokens } from '../../src/train/probe.js';

const tiny = { imageSize: 32, supersampling: 1, patchSize: 8, width: 16, heads: 2, visionLayers: 1, languageLayers: 1, fusionLayers: 1, actionLayers: 1, stemChannels: 4, chunk: 4 };
let data = '';
let policyDir = '';

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
  data = mkdtempSync(join(tmpdir(), 'vla-probe-data-'));
  collectInProcess({ out: data, tasks: ['pick', 'place'], episodes: 5, seed: 4, imageSize: 32, shard: { index: 0, count: 1 } });
  policyDir = mkdtempSync(join(tmpdir(), 'vla-probe-policy-'));
  const p = new VlaPolicy(tiny);
  savePolicy(p, policyDir);
  p.dispose();
});

describe('vla probe', () => {
  it('trains its head, counts the patches it asked about, and repeats itself', () => {
    const weightsBefore = readFileSync(join(policyDir, 'weights.bin'));
    const losses: number[] = [];
    const o = { steps: 150, batchSize: 32, frameStride: 2, valFraction: 0.3 };
    const r = probePatchTokens(policyDir, data, { ...o, onProgress: (_s: number, _n: number, loss: number) => losses.push(loss) });
    expect(losses.length).toBe(150);
    // From about chance, (log 5 + log 6) / 2 = 1.7, down: the head's weights are the ones trained.
    expect(losses[0]!).toBeGreaterThan((Math.log(PATCH_KINDS.length) + Math.log(PATCH_COLOURS.length)) / 2 - 0.4);
    expect(r.finalLoss).toBeLessThan(losses[0]! - 0.3);
    expect(r.frames).toBeGreaterThan(0);
    expect(r.patches).toBeGreaterThan(r.frames / 2);
    expect(r.kinds.map((k) => k.kind)).toEqual([...PATCH_KINDS]);
    expect(r.kinds.reduce((a, k) => a + k.patches, 0)).toBe(r.patches);
    for (const k of r.kinds) expect(Object.values(k.said).reduce((a, v) => a + v, 0)).toBe(k.patches);
    expect(r.kindAccuracy).toBeCloseTo(r.kinds.reduce((a, k) => a + k.right, 0) / r.patches, 9);
    expect(formatProbe(r)).toMatch(/colour right in \d+\.\d%/);
    // The policy on disk is untouched, and the same call gives the same answer.
    expect(readFileSync(join(policyDir, 'weights.bin')).equals(weightsBefore)).toBe(true);
    const again = probePatchTokens(policyDir, data, o);
    expect(again.kinds).toEqual(r.kinds);
    expect(again.colourAccuracy).toBe(r.colourAccuracy);
  }, 900_000);

  it('says so when the data has too few episodes to hold some out', () => {
    expect(() => probePatchTokens(policyDir, data, { steps: 1, valFraction: 0 })).toThrow(/too few episodes to hold some out/);
  });
});
