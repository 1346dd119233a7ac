/**
 * patchLabels: an auxiliary head on the vision tokens says what kind and colour of object each patch holds, trained
 * from the segmentation and the scene's objects. Its targets come from the recorded episodes, it leaves the actions
 * alone, and training lowers its loss.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '../../src/tf/tf.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/tf/backend.js';
import {
  PATCH_COLOURS,
  PATCH_KINDS,
  PATCH_LABEL_FULL_PIXELS,
  Tokenizer,
  VlaPolicy,
  disposeInputs,
  loadPolicy,
  observationsToInputs,
  resolvePolicyConfig,
} from '../../src/policy/index.js';
import { collectInProcess } from '../../src/train/collect.js';
import { listEpisodes, readEpisodeRecord } from '../../src/train/dataset.js';
import { loadEpisodes, makeBatch, splitSamples } from '../../src/train/TrainData.js';
import { train } from '../../src/train/train.js';
import { Rng } from '../../sim/util/Rng.js';
import { TINY, observation } from './helpers.js';
import { frameAt } from '../../src/train/batch.js';

let data = '';

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
  data = mkdtempSync(join(tmpdir(), 'vla-labels-data-'));
  collectInProcess({ out: data, tasks: ['pick', 'place'], episodes: 4, seed: 3, imageSize: 32, shard: { index: 0, count: 1 } });
});

const tiny = { imageSize: 32, supersampling: 1, patchSize: 8, width: 16, heads: 2, visionLayers: 1, languageLayers: 1, fusionLayers: 1, actionLayers: 1, stemChannels: 4, chunk: 4 };

describe('patchLabels', () => {
  it('is validated, adds only its own weights and leaves the actions alone', () => {
    expect(() => resolvePolicyConfig({ patchLabels: 'yes' as unknown as boolean })).toThrow(/patchLabels \("yes"\) must be true or false/);
    const plain = new VlaPolicy({ ...TINY, patchLabels: false });
    const labelled = new VlaPolicy({ ...TINY, patchLabels: true });
    const added = [...labelled.namedVariables.keys()].filter((k) => !plain.namedVariables.has(k));
    expect(added.sort()).toEqual(['vision/labels/bias', 'vision/labels/kernel']);
    tf.tidy(() => {
      const { inputs } = observationsToInputs([observation(16, 'pick up the red ball', 2)], plain.config, plain.tokenizer);
      const a = plain.forward(inputs);
      const b = labelled.forward(inputs);
      expect(b.patchLabels).toBeUndefined(); // only when asked
      expect(Array.from(b.actions.dataSync())).toEqual(Array.from(a.actions.dataSync()));
      const asked = labelled.forward(inputs, { patchLabels: true });
      expect(asked.patchLabels!.shape).toEqual([1, labelled.grid[0] * labelled.grid[1], PATCH_KINDS.length + PATCH_COLOURS.length]);
      expect(Array.from(asked.actions.dataSync())).toEqual(Array.from(a.actions.dataSync()));
    });
    plain.dispose();
    labelled.dispose();
  });

  it('targets are the kinds and colours of each patch\'s object pixels, from the recorded scene', () => {
    const eps = loadEpisodes(data, new Tokenizer(), 12);
    const names = listEpisodes(data);
    const B = eps.episodes.length;
    const refs = eps.episodes.map((_, i) => ({ episode: i, t: 0 }));
    const b = makeBatch(eps, refs, { chunk: 4, maxWords: 12, camera: 'scene', augment: false, labelGrid: 4 }, new Rng(1));
    const kind = b.patchKind!.arraySync() as number[][][]; // [B, 16, NK]
    const colour = b.patchColour!.arraySync() as number[][][]; // [B, 16, NC]
    const weight = b.patchLabelWeight!.arraySync() as number[][]; // [B, 16]
    let labelled = 0;
    for (let i = 0; i < B; i++) {
      const e = eps.episodes[i]!;
      // Episodes are read in the order of listEpisodes; every one of this collection succeeded.
      const record = readEpisodeRecord(data, names[i]!);
      expect(record.command).toBe(e.command);
      const seg = frameAt(eps, e.frameStart).seg;
      for (let p = 0; p < 16; p++) {
        const wantKind = new Array<number>(PATCH_KINDS.length).fill(0);
        const wantColour = new Array<number>(PATCH_COLOURS.length).fill(0);
        let n = 0;
        for (let y = Math.floor(p / 4) * 8; y < Math.floor(p / 4) * 8 + 8; y++) {
          for (let x = (p % 4) * 8; x < (p % 4) * 8 + 8; x++) {
            const id = seg[y * 32 + x]!;
            if (!id) continue;
            const o = record.objects[id - 1]!;
            wantKind[(PATCH_KINDS as readonly string[]).indexOf(o.kind)]! += 1;
            wantColour[(PATCH_COLOURS as readonly string[]).indexOf(o.colour)]! += 1;
            n++;
          }
        }
        expect(weight[i]![p]).toBeCloseTo(Math.min(1, n / PATCH_LABEL_FULL_PIXELS), 6);
        kind[i]![p]!.forEach((v, k) => expect(v).toBeCloseTo(n ? wantKind[k]! / n : 0, 6));
        colour[i]![p]!.forEach((v, k) => expect(v).toBeCloseTo(n ? wantColour[k]! / n : 0, 6));
        if (n) labelled++;
      }
    }
    expect(labelled).toBeGreaterThan(B); // several objects per scene, over several patches
    disposeInputs(b);
    const none = makeBatch(eps, refs.slice(0, 1), { chunk: 4, maxWords: 12, camera: 'scene', augment: false }, new Rng(1));
    expect(none.patchKind).toBeUndefined();
    disposeInputs(none);
  });

  it('training lowers the patch label loss and records it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'vla-labels-train-'));
    const config = { ...tiny, patchLabels: true };
    await train({ data, out, policy: config, train: { steps: 80, batchSize: 8, learningRate: 3e-3, evalEvery: 40, logEvery: 40, warmupSteps: 1, valFraction: 0.25 } });
    const rows = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { valTerms?: { labels: number } });
    expect(rows.filter((r) => r.valTerms).length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.valTerms).every((r) => r.valTerms!.labels > 0)).toBe(true);
    const eps = loadEpisodes(data, new Tokenizer(), 12);
    const split = splitSamples(eps, 0.25, 0);
    const batch = makeBatch(eps, split.train.slice(0, 32), { chunk: 4, maxWords: 12, camera: 'scene', augment: false, labelGrid: 4 }, new Rng(1));
    const term = (p: VlaPolicy) => tf.tidy(() => p.lossTerms(batch, { training: false, labelWeight: 1 }).labels.dataSync()[0]!);
    const fresh = new VlaPolicy(config);
    const trained = loadPolicy(out);
    const before = term(fresh);
    // About uniform at the start: (log 5 + log 6) / 2.
    expect(before).toBeGreaterThan((Math.log(PATCH_KINDS.length) + Math.log(PATCH_COLOURS.length)) / 2 - 0.5);
    expect(term(trained)).toBeLessThan(before - 0.5);
    // A policy without the head has no such term.
    const plain = new VlaPolicy({ ...tiny, patchLabels: false });
    expect(tf.tidy(() => plain.lossTerms(batch, { training: false, labelWeight: 1 }).labels.dataSync()[0]!)).toBe(0);
    disposeInputs(batch);
    fresh.dispose();
    trained.dispose();
    plain.dispose();
  }, 900_000);
});
