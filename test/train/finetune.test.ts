/**
 * Training on several collections together, and training that starts from a trained policy (fine-tuning): its
 * config, normalisation and weights kept, parts added with fresh weights or as identity blocks.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/tf/backend.js';
import { VlaPolicy, loadPolicy } from '../../src/policy/index.js';
import { collectInProcess } from '../../src/train/collect.js';
import { listEpisodes, readEpisode } from '../../src/train/dataset.js';
import { loadEpisodes } from '../../src/train/TrainData.js';
import { extendPolicy, train } from '../../src/train/train.js';
import { observation } from '../policy/helpers.js';

const tiny = { imageSize: 32, supersampling: 1, patchSize: 8, width: 16, heads: 2, visionLayers: 1, languageLayers: 1, fusionLayers: 1, actionLayers: 1, stemChannels: 4, chunk: 4 };
const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));
const plan = { tasks: ['pick' as const, 'push' as const], episodes: 2, seed: 11, imageSize: 32, shard: { index: 0, count: 1 } };
let demos = '';
let more = '';
let policyDir = '';

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
  demos = tmp('vla-finetune-demos-');
  collectInProcess({ ...plan, out: demos });
  // Other demonstrations than the policy was trained on (another seed), for it to be fine-tuned on.
  more = tmp('vla-finetune-more-');
  collectInProcess({ ...plan, tasks: ['pick'], seed: 12, out: more });
  policyDir = tmp('vla-finetune-policy-');
  await train({ data: demos, out: policyDir, policy: tiny, train: { steps: 4, batchSize: 4, warmupSteps: 1, checkpointEvery: 4, evalEvery: 4, logEvery: 2 } });
}, 900_000);

describe('training on several collections', () => {
  it('loads the successful episodes of every collection, leaves the failed ones out, and refuses mixed image sizes', () => {
    // The pick episodes of demos' plan again, one of them marked as failed.
    const mixed = tmp('vla-finetune-mixed-');
    collectInProcess({ ...plan, tasks: ['pick'], out: mixed });
    const failed = join(mixed, 'episodes', 'pick-000001.json');
    writeFileSync(failed, JSON.stringify({ ...JSON.parse(readFileSync(failed, 'utf8')), success: false, reason: 'timeout' }));
    const records = (dir: string) => listEpisodes(dir).map((n) => readEpisode(dir, n, 32).record);
    expect(records(demos).every((r) => r.success)).toBe(true);
    expect(records(mixed).map((r) => r.success)).toEqual([true, false]);
    const steps = (dir: string) => records(dir).filter((r) => r.success).reduce((s, r) => s + r.steps, 0);
    const policy = loadPolicy(policyDir);
    const both = loadEpisodes([demos, mixed], policy.tokenizer, policy.config.maxWords);
    expect(both.episodes).toHaveLength(5);
    expect(both.actions.length / 5).toBe(steps(demos) + steps(mixed));
    const big = tmp('vla-finetune-40-');
    collectInProcess({ ...plan, tasks: ['pick'], episodes: 1, imageSize: 40, out: big });
    expect(() => loadEpisodes([demos, big], policy.tokenizer, policy.config.maxWords)).toThrow(/40x40 .* 32x32; datasets trained on together need one image size/);
    policy.dispose();
  }, 900_000);
});

describe('fine-tuning', () => {
  it('fine-tunes from a trained policy: its config and normalisation, a new schedule', async () => {
    const out = tmp('vla-finetune-out-');
    const o = { steps: 2, batchSize: 4, warmupSteps: 1, checkpointEvery: 2, evalEvery: 2, logEvery: 1 };
    const r = await train({ data: [demos, more], init: policyDir, out, policy: {}, train: o });
    expect(r.steps).toBe(2);
    const before = loadPolicy(policyDir);
    const after = loadPolicy(out);
    expect(after.config).toEqual(before.config);
    // The normalisation is the trained policy's, not one computed again from these (other) collections.
    expect(after.stats).toEqual(before.stats);
    // Trained further: the weights moved, but started from the given ones (small change after 2 steps).
    const wb = before.getWeights();
    const wa = after.getWeights();
    let moved = 0;
    let change = 0;
    let size = 0;
    for (const [k, { data: v }] of wb) {
      const u = wa.get(k)!.data;
      let d = 0;
      for (let i = 0; i < v.length; i++) {
        d += Math.abs(u[i]! - v[i]!);
        size += Math.abs(v[i]!);
      }
      if (d > 0) moved++;
      change += d;
    }
    expect(moved).toBeGreaterThan(0);
    // Two small Adam steps from the given weights: a change of a few percent, not a fresh start.
    expect(change / size).toBeLessThan(0.05);
    // Policy fields with --init may add parts, never change trained ones.
    await expect(train({ data: demos, init: policyDir, out: tmp('vla-finetune-bad-'), policy: { width: 32 }, train: o })).rejects.toThrow(
      /do not only add parts to that policy: "[^"]+" would change shape from \[/,
    );
    before.dispose();
    after.dispose();
  }, 900_000);

  it('fine-tunes with added parts: the trained weights kept, the new ones fresh, the same actions at first', () => {
    // A policy without the patch label head (the trained one has it) gets one.
    const trained = loadPolicy(policyDir);
    const base = new VlaPolicy({ ...trained.config, patchLabels: false }, { tokenizer: trained.tokenizer, stats: trained.stats });
    trained.dispose();
    const weights = base.getWeights();
    const obs = observation(32, 'pick up the red ball', 4);
    const actsBase = base.act(obs);
    const lines: string[] = [];
    const ext = extendPolicy(base, { patchLabels: true }, policyDir, (l) => lines.push(l));
    expect(ext.config.patchLabels).toBe(true);
    const extWeights = ext.getWeights();
    for (const [k, w] of weights) expect(Array.from(extWeights.get(k)!.data), k).toEqual(Array.from(w.data));
    expect(lines.join('\n')).toMatch(/new parts \(fresh weights\): vision\/labels\//);
    expect(ext.act(obs)).toEqual(actsBase);
    ext.dispose();
  });

  it('grows deeper stacks whose new blocks start as the identity: zero branch outputs, fresh weights feeding them, the same actions', () => {
    const base = loadPolicy(policyDir);
    const c = base.config;
    const obs = observation(32, 'pick up the red ball', 4);
    const actsBase = base.act(obs);
    const lines: string[] = [];
    const fields = { visionLayers: c.visionLayers + 1, languageLayers: c.languageLayers + 1, actionLayers: c.actionLayers + 1 };
    const ext = extendPolicy(base, fields, policyDir, (l) => lines.push(l));
    const w = ext.getWeights();
    for (const stack of ['vision', 'language', 'action'] as const) {
      const b = `${stack}/block${fields[`${stack}Layers`] - 1}`;
      expect(lines.join('\n')).toContain(`${b}/attn/wo`);
      // The branches' outputs are zero; what feeds them is fresh (not zero), so they learn once the outputs move.
      for (const k of ['attn/wo', 'attn/bo', 'ffn/fc2/kernel', 'ffn/fc2/bias']) expect(w.get(`${b}/${k}`)!.data.every((x) => x === 0), k).toBe(true);
      for (const k of ['attn/wq', 'ffn/fc1/kernel']) expect(w.get(`${b}/${k}`)!.data.some((x) => x !== 0), k).toBe(true);
    }
    // x + 0 is x: the grown policy's actions are bit for bit the trained one's.
    expect(ext.act(obs)).toEqual(actsBase);
    ext.dispose();
  });
});
