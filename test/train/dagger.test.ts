/**
 * DAgger: a policy drives while the expert labels every step; such collections train together with plain
 * demonstrations, and training can start from a trained policy (fine-tuning). Also the expert's way back when another
 * driver knocked it off its descent.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/tf/backend.js';
import { VlaPolicy, loadPolicy } from '../../src/policy/index.js';
import { collectInProcess } from '../../src/train/collect.js';
import { listEpisodes, readEpisode, readMeta } from '../../src/train/dataset.js';
import { loadEpisodes } from '../../src/train/TrainData.js';
import { extendPolicy, train } from '../../src/train/train.js';
import { observation } from '../policy/helpers.js';
import { Environment } from '../../sim/env/Environment.js';
import { ScriptedExpert } from '../../sim/expert/ScriptedExpert.js';

const tiny = { imageSize: 32, supersampling: 1, patchSize: 8, width: 16, heads: 2, visionLayers: 1, languageLayers: 1, fusionLayers: 1, actionLayers: 1, stemChannels: 4, chunk: 4 };
const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));
const plan = { tasks: ['pick' as const, 'push' as const], episodes: 2, seed: 11, imageSize: 32, shard: { index: 0, count: 1 } };
let demos = '';
let policyDir = '';

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
  demos = tmp('vla-dagger-demos-');
  collectInProcess({ ...plan, out: demos });
  policyDir = tmp('vla-dagger-policy-');
  // A barely trained policy: it fails, which is what DAgger data is for.
  await train({ data: demos, out: policyDir, policy: tiny, train: { steps: 4, batchSize: 4, warmupSteps: 1, checkpointEvery: 4, evalEvery: 4, logEvery: 2 } });
}, 900_000);

describe('DAgger collection', () => {
  it('records the expert labels of the states the policy drove into, the same for the same seed', () => {
    const a = tmp('vla-dagger-a-');
    const b = tmp('vla-dagger-b-');
    collectInProcess({ ...plan, out: a, dagger: { policy: policyDir, beta: 0 } });
    collectInProcess({ ...plan, out: b, dagger: { policy: policyDir, beta: 0 } });
    expect(readMeta(a)).toMatchObject({ driver: 'dagger', policy: policyDir, beta: 0 });
    const names = listEpisodes(a);
    expect(names).toHaveLength(4);
    let policyFailed = 0;
    for (const n of names) {
      const ea = readEpisode(a, n, 32);
      const eb = readEpisode(b, n, 32);
      expect(eb.record).toEqual(ea.record);
      expect(Buffer.from(eb.frames).equals(Buffer.from(ea.frames))).toBe(true);
      // beta 0: the policy chose every executed action.
      expect(ea.record).toMatchObject({ driver: 'dagger', policySteps: ea.record.steps });
      if (!ea.record.success) policyFailed++;
      // The labels are the expert's: bounded steps, gripper 0 or 1.
      for (let t = 0; t < ea.record.steps; t++) expect([0, 1]).toContain(ea.record.actions[t * 5 + 4]);
    }
    expect(policyFailed).toBeGreaterThan(0);
    // The states differ from the expert's own demonstrations of the same seeds.
    const demo = readEpisode(demos, names[0]!, 32);
    const mixed = readEpisode(a, names[0]!, 32);
    expect(Buffer.from(mixed.frames).equals(Buffer.from(demo.frames))).toBe(false);
  }, 900_000);

  it('with beta 1 the (lenient) expert drives every step and succeeds', () => {
    const dir = tmp('vla-dagger-beta1-');
    collectInProcess({ ...plan, out: dir, dagger: { policy: policyDir, beta: 1 } });
    for (const n of listEpisodes(dir)) {
      const d = readEpisode(dir, n, 32);
      expect(d.record).toMatchObject({ policySteps: 0, success: true, driver: 'dagger' });
    }
  }, 900_000);

  it('refuses to add DAgger episodes to a folder of plain demonstrations', () => {
    expect(() => collectInProcess({ ...plan, out: demos, dagger: { policy: policyDir, beta: 0.5 } })).toThrow(/other settings/);
  });
});

describe('training on several collections', () => {
  it('loads the successful demonstrations and every DAgger episode, and refuses mixed image sizes', async () => {
    const dag = tmp('vla-dagger-load-');
    collectInProcess({ ...plan, out: dag, dagger: { policy: policyDir, beta: 0 } });
    const policy = loadPolicy(policyDir);
    const steps = (dir: string, all: boolean) =>
      listEpisodes(dir).map((n) => readEpisode(dir, n, 32).record).filter((r) => all || r.success).reduce((s, r) => s + r.steps, 0);
    const both = loadEpisodes([demos, dag], policy.tokenizer, policy.config.maxWords);
    expect(both.episodes).toHaveLength(8);
    expect(both.actions.length / 5).toBe(steps(demos, false) + steps(dag, true));
    const big = tmp('vla-dagger-64-');
    collectInProcess({ ...plan, tasks: ['pick'], episodes: 1, imageSize: 40, out: big });
    expect(() => loadEpisodes([demos, big], policy.tokenizer, policy.config.maxWords)).toThrow(/40x40 .* 32x32; datasets trained on together need one image size/);
    policy.dispose();
  }, 900_000);

  it('fine-tunes from a trained policy: its config and normalisation, a new schedule', async () => {
    const dag = tmp('vla-dagger-ft-');
    collectInProcess({ ...plan, tasks: ['pick'], out: dag, dagger: { policy: policyDir, beta: 0.5 } });
    const out = tmp('vla-dagger-out-');
    const o = { steps: 2, batchSize: 4, warmupSteps: 1, checkpointEvery: 2, evalEvery: 2, logEvery: 1 };
    const r = await train({ data: [demos, dag], init: policyDir, out, policy: {}, train: o });
    expect(r.steps).toBe(2);
    const before = loadPolicy(policyDir);
    const after = loadPolicy(out);
    expect(after.config).toEqual(before.config);
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
    await expect(train({ data: demos, init: policyDir, out: tmp('vla-dagger-bad-'), policy: { width: 32 }, train: o })).rejects.toThrow(
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

describe('the expert labelling for another driver', () => {
  it('leniently, starts down once over the object at any height, where the strict expert first goes to its hover point', () => {
    const run = (lenient: boolean) => {
      const env = new Environment({ cameras: [] });
      const obs = env.reset({ seed: 4, task: 'pick', split: 'seen' });
      const o = env.snapshot().objects[env.info.target]!.position;
      // Straight above the object, 5 cm higher than any hover point, at the expert's grasp yaw (found by asking a
      // twin: same seed, same draws).
      const probe = { ...obs, eePose: { ...obs.eePose, x: o.x, y: o.y, z: o.z + 0.2 } };
      const twin = new ScriptedExpert(4, { lenient: false });
      twin.reset(env.info, env.snapshot());
      let yaw = probe.eePose.yaw;
      for (let i = 0; i < 100; i++) yaw += twin.act({ ...probe, eePose: { ...probe.eePose, yaw } }, env.snapshot()).dyaw;
      const expert = new ScriptedExpert(4, { lenient });
      expert.reset(env.info, env.snapshot());
      const a = expert.act({ ...probe, eePose: { ...probe.eePose, yaw } }, env.snapshot());
      return { phase: expert.currentPhase, dz: a.dz };
    };
    expect(run(true).phase).toBe('descend');
    expect(run(false).phase).toBe('approach');
    expect(run(true).dz).toBeLessThan(0);
  });
});

describe('the expert knocked off course', () => {
  it('goes back up and approaches again instead of cutting diagonally through the scene', () => {
    const env = new Environment({ cameras: [] });
    let obs = env.reset({ seed: 3, task: 'pick', split: 'seen' });
    const expert = new ScriptedExpert(3);
    expert.reset(env.info, env.snapshot());
    for (let t = 0; t < 200 && expert.currentPhase !== 'descend'; t++) obs = env.step(expert.act(obs, env.snapshot())).observation;
    expect(expert.currentPhase).toBe('descend');
    // Pretend another driver moved the gripper 5 cm sideways.
    const shifted = { ...obs, eePose: { ...obs.eePose, x: obs.eePose.x + 0.05 } };
    const a = expert.act(shifted, env.snapshot());
    expect(expert.currentPhase).toBe('approach');
    expect(a.dx).toBeLessThan(0); // back towards the object, at the hover height
    expect(a.gripper).toBe(0);
  });
});
