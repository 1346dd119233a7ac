/** Training end to end on a tiny dataset: outputs, resume, config errors, schedule, batches and augmentation. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../../src/tf/tf.js';
import { selectBackend } from '../../src/tf/backend.js';
import { disposeInputs, loadPolicy, Tokenizer, VlaPolicy } from '../../src/policy/index.js';
import { collectInProcess } from '../../src/train/collect.js';
import { loadEpisodes, makeBatch, splitSamples, wordReferents } from '../../src/train/TrainData.js';
import { frameAt, insertUnknown } from '../../src/train/batch.js';
import { learningRateAt, readTrainConfig, train } from '../../src/train/train.js';
import { Rng } from '../../sim/util/Rng.js';
import { SHAPE_NOUNS, VOCABULARY } from '../../sim/tasks/language.js';
import { KOREAN_POLICY_VOCABULARY, KOREAN_POLICY_WORDS, koreanCommandWords, readsKorean } from '../../src/language/koreanPolicy.js';
import { allParaphrases } from '../../sim/tasks/paraphrase.js';

const tiny = { imageSize: 32, supersampling: 1, patchSize: 8, width: 16, heads: 2, visionLayers: 1, languageLayers: 1, fusionLayers: 1, actionLayers: 1, stemChannels: 4, chunk: 4 };
let data = '';

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
  data = mkdtempSync(join(tmpdir(), 'vla-train-data-'));
  collectInProcess({ out: data, tasks: ['pick'], episodes: 3, seed: 1, imageSize: 32, shard: { index: 0, count: 1 } });
});

describe('train', () => {
  it('writes a loadable policy, metrics and a loss curve, and resumes where it stopped', async () => {
    const out = mkdtempSync(join(tmpdir(), 'vla-train-out-'));
    const o = { steps: 20, batchSize: 8, checkpointEvery: 10, evalEvery: 10, logEvery: 5, warmupSteps: 5 };
    const r = await train({ data, out, policy: tiny, train: o });
    expect(r.steps).toBe(20);
    expect(Number.isFinite(r.finalLoss)).toBe(true);
    for (const f of ['config.json', 'weights.bin', 'weights.json', 'metrics.jsonl', 'loss.png', 'train-state.json']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const steps = () => readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step as number);
    expect(steps()).toEqual([5, 10, 15, 20]);
    loadPolicy(out).dispose();
    // "Crash" after logging steps past the last checkpoint (the rows a killed run leaves), and resume with more
    // steps: it continues from step 20, not from scratch, and the redone steps have one row each.
    const metrics = join(out, 'metrics.jsonl');
    // The last row was cut short mid-write: dropped, not a reason to refuse.
    writeFileSync(metrics, `${readFileSync(metrics, 'utf8')}${JSON.stringify({ step: 25, loss: 9, valLoss: null })}\n{"step": 2`);
    await train({ data, out, policy: tiny, train: { ...o, steps: 30 } });
    expect(steps()).toEqual([5, 10, 15, 20, 25, 30]);
    expect(readFileSync(metrics, 'utf8')).not.toContain('"loss":9,');
    expect(JSON.parse(readFileSync(join(out, 'train-state.json'), 'utf8')).step).toBe(30);
  }, 900_000);

  it('a run stopped and resumed ends with the weights of the same run uninterrupted (moments, sample stream, average)', async () => {
    const weightsOf = (dir: string) => {
      const p = loadPolicy(dir);
      const w = [...p.getWeights().values()].flatMap((v) => Array.from(v.data));
      p.dispose();
      return w;
    };
    // One worker: the same backend and the same order of sums. Paraphrase and unknown words draw from the stream too.
    const o = { batchSize: 4, warmupSteps: 2, checkpointEvery: 3, evalEvery: 3, logEvery: 3, workers: 1, paraphrase: 0.5, unknownWords: 0.3 };
    for (const emaDecay of [0, 0.9]) {
      const whole = mkdtempSync(join(tmpdir(), 'vla-train-whole-'));
      await train({ data, out: whole, policy: tiny, train: { ...o, emaDecay, steps: 8 } });
      const parts = mkdtempSync(join(tmpdir(), 'vla-train-parts-'));
      // Killed during step 5: the checkpoint of step 3 is the last one. The same command resumes from it.
      const stop = (p: { step: number }) => {
        if (p.step === 5) throw new Error('killed');
      };
      await expect(train({ data, out: parts, policy: tiny, train: { ...o, emaDecay, steps: 8 }, onProgress: stop })).rejects.toThrow('killed');
      await train({ data, out: parts, policy: tiny, train: { ...o, emaDecay, steps: 8 } });
      expect(weightsOf(parts), `emaDecay ${emaDecay}`).toEqual(weightsOf(whole));
    }
  }, 900_000);

  it('refuses a dataset whose frames do not fit the policy', async () => {
    const out = mkdtempSync(join(tmpdir(), 'vla-train-out-'));
    await expect(train({ data, out, policy: { ...tiny, imageSize: 64 }, train: { steps: 1 } })).rejects.toThrow(/32x32 but the policy reads 64x64/);
  });

  it('refuses frames rendered otherwise than the policy\'s config.supersampling says, and trains when they agree', async () => {
    const aa = mkdtempSync(join(tmpdir(), 'vla-train-aa-'));
    collectInProcess({ out: aa, tasks: ['pick'], episodes: 3, seed: 1, imageSize: 32, shard: { index: 0, count: 1 }, supersampling: 2 });
    const out = mkdtempSync(join(tmpdir(), 'vla-train-out-'));
    await expect(train({ data: aa, out, policy: tiny, train: { steps: 1 } })).rejects.toThrow(
      /frames rendered with supersampling 2 \(meta.json\) but the policy's config.supersampling is 1; set "policy": \{"supersampling": 2\}/,
    );
    await expect(train({ data: [data, aa], out, policy: tiny, train: { steps: 1 } })).rejects.toThrow(/vla-train-aa-.*: frames rendered with supersampling 2 but .* with 1/);
    const o = { steps: 2, batchSize: 4, warmupSteps: 1, checkpointEvery: 2, evalEvery: 2, logEvery: 1 };
    await train({ data: aa, out, policy: { ...tiny, supersampling: 2 }, train: o });
    const policy = loadPolicy(out);
    expect(policy.config.supersampling).toBe(2);
    policy.dispose();
  }, 900_000);
});

describe('training config files', () => {
  it('name the file and the field that is wrong', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vla-train-cfg-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ train: { stepz: 10 } }));
    expect(() => readTrainConfig(bad)).toThrow(/bad\.json: train\..*stepz|bad\.json: train/);
    writeFileSync(bad, JSON.stringify({ train: { steps: -1 } }));
    expect(() => readTrainConfig(bad)).toThrow(/bad\.json: train\.steps/);
    writeFileSync(bad, '{ not json');
    expect(() => readTrainConfig(bad)).toThrow(/bad\.json: not valid JSON/);
    expect(() => readTrainConfig(join(dir, 'missing.json'))).toThrow(/missing\.json: not found/);
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ policy: { width: 32 }, train: { steps: 5 } }));
    expect(readTrainConfig(good)).toEqual({ policy: { width: 32 }, train: { steps: 5 } });
  });
});

describe('learning-rate schedule', () => {
  it('warms up linearly, peaks, then decays by cosine to 5%', () => {
    const o = { steps: 100, learningRate: 1e-3, warmupSteps: 10 };
    expect(learningRateAt(0, o)).toBeCloseTo(1e-4);
    expect(learningRateAt(9, o)).toBeCloseTo(1e-3);
    expect(learningRateAt(10, o)).toBeCloseTo(1e-3);
    expect(learningRateAt(55, o)).toBeLessThan(learningRateAt(20, o));
    expect(learningRateAt(100, o)).toBeCloseTo(5e-5);
  });
});

describe('batches', () => {
  it('hold the recorded frame without augmentation, and keep colours' + ' hue order with it', () => {
    const eps = loadEpisodes(data, new Tokenizer(), 12);
    const { train: refs, val } = splitSamples(eps, 0.34, 0);
    expect(refs.length + val.length).toBe(eps.episodes.reduce((n, e) => n + e.length, 0));
    const plain = makeBatch(eps, [refs[0]!], { chunk: 4, maxWords: 12, camera: 'scene', augment: false }, new Rng(1));
    const f = eps.episodes[refs[0]!.episode]!.start + refs[0]!.t;
    const px = plain.images.scene!.dataSync();
    const pixels = frameAt(eps, f).pixels;
    expect(Array.from(px.slice(0, 30))).toEqual(Array.from(pixels.subarray(0, 30)));
    // A strongly red pixel stays red (R the largest channel) under brightness/contrast jitter.
    const idx = Array.from({ length: 32 * 32 }, (_, i) => i).find((i) => {
      const o = i * 3;
      return pixels[o]! > pixels[o + 1]! + 60 && pixels[o]! > pixels[o + 2]! + 60;
    });
    if (idx !== undefined) {
      for (let s = 0; s < 10; s++) {
        const aug = makeBatch(eps, [refs[0]!], { chunk: 4, maxWords: 12, camera: 'scene', augment: true, shift: 0 }, new Rng(s));
        const a = aug.images.scene!.dataSync();
        expect(a[idx * 3]!).toBeGreaterThan(Math.max(a[idx * 3 + 1]!, a[idx * 3 + 2]!));
        tf.dispose(Object.values(aug.images));
      }
    }
    const valid = plain.actionValid.dataSync();
    expect(valid.length).toBe(4);
  });

  it('with paraphrase augmentation say the command in other seen words, and ground the words that name the target there', () => {
    const tok = new Tokenizer();
    const eps = loadEpisodes(data, tok, 12);
    const ref = { episode: 0, t: 0 };
    const e = eps.episodes[0]!;
    const list = new Set(allParaphrases(e.parsed!, 12));
    const opts = { chunk: 4, maxWords: 12, camera: 'scene', groundingGrid: 4, paraphrase: { p: 1, tokenizer: tok } };
    // Without augmentation (validation) the recorded command stays.
    const plain = makeBatch(eps, [ref], { ...opts, augment: false }, new Rng(1));
    expect(tok.decode(plain.tokens.dataSync()).join(' ')).toBe(e.command);
    disposeInputs(plain);
    const said = new Set<string>();
    for (let s = 0; s < 12; s++) {
      const b = makeBatch(eps, [ref], { ...opts, augment: true, shift: 0 }, new Rng(s));
      const text = tok.decode(b.tokens.dataSync()).join(' ');
      expect(list.has(text), text).toBe(true);
      said.add(text);
      // The grounding weight marks exactly the target's colour and noun in the new wording.
      const names = [e.parsed!.target.colour, ...SHAPE_NOUNS[e.parsed!.target.kind]];
      const w = Array.from(b.groundWeight!.dataSync());
      text.split(' ').forEach((word, i) => expect(w[i]).toBe(names.includes(word) ? 1 : 0));
      disposeInputs(b);
    }
    expect(said.size).toBeGreaterThan(3);
  });

  it('with Korean augmentation say the command in the Korean words a policy reads, and ground the Korean names of the target', () => {
    const tok = new Tokenizer([...VOCABULARY, ...KOREAN_POLICY_VOCABULARY]);
    const eps = loadEpisodes(data, tok, 12);
    const ref = { episode: 0, t: 0 };
    const e = eps.episodes[0]!;
    const opts = { chunk: 4, maxWords: 12, camera: 'scene', groundingGrid: 4, korean: { p: 1, tokenizer: tok } };
    const plain = makeBatch(eps, [ref], { ...opts, augment: false }, new Rng(1));
    expect(tok.decode(plain.tokens.dataSync()).join(' ')).toBe(e.command);
    disposeInputs(plain);
    const b = makeBatch(eps, [ref], { ...opts, augment: true, shift: 0 }, new Rng(2));
    const words = tok.decode(b.tokens.dataSync());
    expect(words).toEqual(koreanCommandWords(e.parsed!).words); // pick: the object first, always
    const k = KOREAN_POLICY_WORDS;
    const names: string[] = [k.colours[e.parsed!.target.colour], k.shapes[e.parsed!.target.kind]];
    const w = Array.from(b.groundWeight!.dataSync());
    words.forEach((word, i) => expect(w[i], word).toBe(names.includes(word) ? 1 : 0));
    disposeInputs(b);
  });

  it('with Korean augmentation on place episodes, put the destination first in some samples and ground both objects\' Korean names', () => {
    const placeData = mkdtempSync(join(tmpdir(), 'vla-train-place-'));
    collectInProcess({ out: placeData, tasks: ['place'], episodes: 2, seed: 3, imageSize: 32, shard: { index: 0, count: 1 } });
    const tok = new Tokenizer([...VOCABULARY, ...KOREAN_POLICY_VOCABULARY]);
    const eps = loadEpisodes(placeData, tok, 12);
    const e = eps.episodes[0]!;
    const c = e.parsed!;
    const k = KOREAN_POLICY_WORDS;
    const opts = { chunk: 4, maxWords: 12, camera: 'scene', groundingGrid: 4, korean: { p: 1, tokenizer: tok }, augment: true, shift: 0 };
    const orders = new Set<string>();
    for (let s = 0; s < 24; s++) {
      const b = makeBatch(eps, [{ episode: 0, t: 0 }], opts, new Rng(s));
      const words = tok.decode(b.tokens.dataSync());
      expect([koreanCommandWords(c).words, koreanCommandWords(c, true).words]).toContainEqual(words);
      orders.add(words[0] === k.colours[c.target.colour] && words[1] === k.shapes[c.target.kind] ? 'object first' : 'destination first');
      const w = Array.from(b.groundWeight!.dataSync());
      const sameColour = c.target.colour === c.destination!.colour;
      const named = [k.shapes[c.target.kind], k.receptacles[c.destination!.kind], ...(sameColour ? [] : [k.colours[c.target.colour], k.colours[c.destination!.colour]])];
      words.forEach((word, i) => expect(w[i], word).toBe(named.includes(word) ? 1 : 0));
      disposeInputs(b);
    }
    expect(orders).toEqual(new Set(['object first', 'destination first']));
  });

  it('with unknown-word augmentation insert one [UNK] anywhere in the command, the other words and their grounding kept in order', () => {
    const tok = new Tokenizer();
    const eps = loadEpisodes(data, tok, 12);
    const e = eps.episodes[0]!;
    const words = e.command.split(' ');
    const names = [e.parsed!.target.colour, ...SHAPE_NOUNS[e.parsed!.target.kind]];
    const opts = { chunk: 4, maxWords: 12, camera: 'scene', groundingGrid: 4, unknownWords: 1, shift: 0 };
    const plain = makeBatch(eps, [{ episode: 0, t: 0 }], { ...opts, augment: false }, new Rng(1));
    expect(tok.decode(plain.tokens.dataSync())).toEqual(words);
    disposeInputs(plain);
    const places = new Set<number>();
    for (let s = 0; s < 40; s++) {
      const b = makeBatch(eps, [{ episode: 0, t: 0 }], { ...opts, augment: true }, new Rng(s));
      const said = tok.decode(b.tokens.dataSync());
      const k = said.indexOf('[UNK]');
      expect(said.length, said.join(' ')).toBe(words.length + 1);
      expect([...said.slice(0, k), ...said.slice(k + 1)]).toEqual(words);
      expect(Array.from(b.tokenMask.dataSync()).filter((m) => m === 1).length).toBe(words.length + 1);
      const w = Array.from(b.groundWeight!.dataSync());
      said.forEach((word, i) => expect(w[i], word).toBe(names.includes(word) ? 1 : 0));
      places.add(k);
      disposeInputs(b);
    }
    expect(places.size).toBe(words.length + 1); // before every word, and after the last
    // A command that fills the word budget has no room: it is kept as it is.
    const full = Int32Array.from({ length: 4 }, (_, i) => i + 2);
    const r = insertUnknown(full, new Int32Array(4).fill(1), new Int32Array(4), new Rng(0));
    expect(Array.from(r.ids)).toEqual([2, 3, 4, 5]);
  });

  it('refuses Korean augmentation for a policy whose vocabulary has no Korean words', async () => {
    const first = mkdtempSync(join(tmpdir(), 'vla-train-out-'));
    await train({ data, out: first, policy: tiny, train: { steps: 1, batchSize: 2, warmupSteps: 1, workers: 1 } });
    const out = mkdtempSync(join(tmpdir(), 'vla-train-out-'));
    await expect(train({ data, init: first, out, policy: {}, train: { steps: 1, korean: 0.5, workers: 1 } })).rejects.toThrow(/korean 0.5: the policy of .* has no Korean words in its vocabulary; train one from scratch with it/);
    const fresh = mkdtempSync(join(tmpdir(), 'vla-train-out-'));
    await train({ data, out: fresh, policy: tiny, train: { steps: 2, batchSize: 2, warmupSteps: 1, korean: 0.5, workers: 1 } });
    const trained = loadPolicy(fresh);
    expect(readsKorean(trained.tokenizer)).toBe(true);
    trained.dispose();
  }, 300_000);
});

describe('loading', () => {
  it('puts the frames in chunks of whole frames no larger than one array may be (4 GiB), the same frames however chunked', () => {
    const eps = loadEpisodes(data, new Tokenizer(), 12);
    const frames = eps.episodes.reduce((n, e) => n + e.length, 0);
    expect(eps.frames.map((c) => c.length)).toEqual([frames * 32 * 32 * 3]);
    expect(eps.segmentation.map((c) => c.length)).toEqual([frames * 32 * 32]);
    // A limit of a third of the frames (plus a few bytes): three whole-frame chunks and a remainder.
    const per = Math.floor(frames / 3);
    const chunked = loadEpisodes(data, new Tokenizer(), 12, { maxFrameBytes: per * 32 * 32 * 3 + 7 });
    expect(chunked.framesPerChunk).toBe(per);
    expect(chunked.frames.map((c) => c.length / (32 * 32 * 3))).toEqual([per, per, per, frames - 3 * per].filter((n) => n > 0));
    for (let f = 0; f < frames; f++) {
      expect(Buffer.from(frameAt(chunked, f).pixels).equals(Buffer.from(frameAt(eps, f).pixels)), `frame ${f}`).toBe(true);
      expect(Buffer.from(frameAt(chunked, f).seg).equals(Buffer.from(frameAt(eps, f).seg)), `mask ${f}`).toBe(true);
    }
  });

  it('with a frame stride keeps the frame of every k-th step, the phases taking turns over the episodes, and every step\'s actions', () => {
    const all = loadEpisodes(data, new Tokenizer(), 12);
    const k = 3;
    const some = loadEpisodes(data, new Tokenizer(), 12, { frameStride: k, maxFrameBytes: Math.ceil(all.frames[0]!.length / 2) });
    expect(some.frameStride).toBe(k);
    expect(Array.from(some.proprio)).toEqual(Array.from(all.proprio));
    expect(Array.from(some.actions)).toEqual(Array.from(all.actions));
    const B = 32 * 32 * 3;
    let keptTotal = 0;
    some.episodes.forEach((e, i) => {
      expect(e.frameOffset).toBe(i % k);
      const kept = Math.floor((e.length - 1 - e.frameOffset) / k) + 1;
      keptTotal += kept;
      // Kept frame j of the episode is the frame of step offset + j k.
      for (const j of [0, kept - 1]) {
        const t = e.frameOffset + j * k;
        const mine = frameAt(some, e.frameStart + j).pixels;
        const full = frameAt(all, all.episodes[i]!.start + t).pixels;
        expect(Buffer.from(mine).equals(Buffer.from(full))).toBe(true);
      }
    });
    expect(some.frames.reduce((n, c) => n + c.length, 0)).toBe(keptTotal * B);
    expect(some.segmentation.reduce((n, c) => n + c.length, 0)).toBe(keptTotal * 32 * 32);
    const { train: refs, val } = splitSamples(some, 0.34, 0);
    expect(refs.length + val.length).toBe(keptTotal);
    for (const r of [...refs, ...val]) expect((r.t - some.episodes[r.episode]!.frameOffset) % k).toBe(0);
    // A batch of a kept step holds that step's frame and the chunk of actions from that step on.
    const r = refs.find((x) => x.t > 0)!;
    const b = makeBatch(some, [r], { chunk: 4, maxWords: 12, camera: 'scene', augment: false }, new Rng(1));
    const ref = makeBatch(all, [r], { chunk: 4, maxWords: 12, camera: 'scene', augment: false }, new Rng(1));
    expect(Array.from(b.images.scene!.dataSync())).toEqual(Array.from(ref.images.scene!.dataSync()));
    expect(Array.from(b.actions.dataSync())).toEqual(Array.from(ref.actions.dataSync()));
    disposeInputs(b);
    disposeInputs(ref);
    expect(() => loadEpisodes(data, new Tokenizer(), 12, { frameStride: 0 })).toThrow(/frameStride must be a whole number >= 1, got 0/);
  });
});

describe('grounding targets', () => {
  it('map the words naming the target and the destination to the segmentation ids of those objects', () => {
    const record = {
      objects: [
        { kind: 'cube', colour: 'red' },
        { kind: 'ball', colour: 'red' },
        { kind: 'bowl', colour: 'blue' },
        { kind: 'plate', colour: 'red' },
      ],
      targetIndex: 1,
      destinationIndex: 2,
    };
    const ids = wordReferents(['put', 'the', 'red', 'sphere', 'in', 'the', 'blue', 'bowl'], record, 10);
    expect(Array.from(ids)).toEqual([0, 0, 2, 2, 0, 0, 3, 3, 0, 0]);
    // A colour shared by the target and the destination names neither.
    const same = wordReferents(['put', 'the', 'red', 'ball', 'on', 'the', 'red', 'plate'], { ...record, destinationIndex: 3 }, 8);
    expect(Array.from(same)).toEqual([0, 0, 0, 2, 0, 0, 0, 4]);
  });

  it('are distributions over the patches the named object covers, shifted with the image', () => {
    const eps = loadEpisodes(data, new Tokenizer(), 12);
    const ref = { episode: 0, t: 0 };
    const e = eps.episodes[0]!;
    const opts = { chunk: 4, maxWords: 12, camera: 'scene', augment: false, groundingGrid: 4 };
    const b = makeBatch(eps, [ref], opts, new Rng(1));
    const target = b.groundTarget!.arraySync() as number[][][]; // [1, 12, 16]
    const weight = Array.from(b.groundWeight!.dataSync());
    const named = Array.from(e.referents).map((id) => id > 0);
    expect(named.some(Boolean)).toBe(true); // "pick up the red ball": colour and noun
    weight.forEach((w, i) => expect(w).toBe(named[i] ? 1 : 0));
    // Each named word's target sums to 1 and sits where the object's pixels are.
    const seg = frameAt(eps, e.start).seg;
    weight.forEach((w, i) => {
      if (!w) return;
      const row = target[0]![i]!;
      expect(row.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
      const id = e.referents[i]!;
      row.forEach((v, p) => {
        const py = Math.floor(p / 4);
        const px = p % 4;
        let n = 0;
        for (let y = py * 8; y < py * 8 + 8; y++) for (let x = px * 8; x < px * 8 + 8; x++) if (seg[y * 32 + x] === id) n++;
        expect(v > 0).toBe(n > 0);
      });
    });
    tf.dispose([b.groundTarget!, b.groundWeight!]);
    expect(makeBatch(eps, [ref], { ...opts, groundingGrid: undefined }, new Rng(1)).groundTarget).toBeUndefined();
  });

});
