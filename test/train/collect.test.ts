/** Data collection: determinism, sharding, resuming after a crash, and the on-disk format's checks. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectInProcess, parseShard, shardPlan } from '../../src/train/collect.js';
import { untilFirstFailure } from '../../src/io/untilFirstFailure.js';
import { listEpisodes, readEpisode, readMeta } from '../../src/train/dataset.js';
import { isHeldOutCombo } from '../../sim/tasks/index.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'vla-collect-'));
const base = { tasks: ['pick', 'push'] as const, episodes: 2, seed: 5, imageSize: 32, shard: { index: 0, count: 1 } };

describe('collect', () => {
  it('writes whole episodes that read back, and the same seed gives the same dataset', () => {
    const a = tmp();
    const b = tmp();
    collectInProcess({ ...base, tasks: [...base.tasks], out: a });
    collectInProcess({ ...base, tasks: [...base.tasks], out: b });
    const names = listEpisodes(a);
    expect(names).toEqual(['pick-000000', 'pick-000001', 'push-000000', 'push-000001']);
    expect(listEpisodes(b)).toEqual(names);
    expect(readMeta(a).imageSize).toBe(32);
    for (const n of names) {
      const ea = readEpisode(a, n, 32);
      const eb = readEpisode(b, n, 32);
      expect(eb.record).toEqual(ea.record);
      expect(Buffer.from(eb.frames).equals(Buffer.from(ea.frames))).toBe(true);
      expect(ea.record.success).toBe(true);
      expect(ea.record.actions).toHaveLength(ea.record.steps * 5);
      expect(ea.record.proprio).toHaveLength(ea.record.steps * 11);
      expect(Buffer.from(eb.segmentation).equals(Buffer.from(ea.segmentation))).toBe(true);
      // The first frame's mask shows the target (segmentation id = its index + 1) and only ids of scene objects.
      const first = ea.segmentation.subarray(0, 32 * 32);
      expect(first.includes(ea.record.targetIndex + 1)).toBe(true);
      expect(Math.max(...first)).toBeLessThanOrEqual(ea.record.objects.length);
      expect(ea.record.objects[ea.record.targetIndex]).toEqual(ea.record.target);
      // The end-effector pose rides at the end of each proprio row: z above the table.
      expect(ea.record.proprio[9]!).toBeGreaterThan(0);
    }
  });

  it('shards split the plan into disjoint parts that together are the whole', () => {
    const tasks = ['pick', 'place', 'push'] as const;
    const whole = shardPlan([...tasks], 7, { index: 0, count: 1 }).map((p) => `${p.task}${p.index}`);
    const parts = [0, 1, 2].flatMap((i) => shardPlan([...tasks], 7, { index: i, count: 3 }).map((p) => `${p.task}${p.index}`));
    expect(new Set(parts).size).toBe(parts.length);
    expect([...parts].sort()).toEqual([...whole].sort());
    expect(() => parseShard('3/3')).toThrow(/0 <= i < N/);
    expect(parseShard('1/4')).toEqual({ index: 1, count: 4 });
  });

  it('resumes: only missing episodes are collected again', () => {
    const dir = tmp();
    collectInProcess({ ...base, tasks: ['pick'], out: dir });
    const before = readFileSync(join(dir, 'episodes', 'pick-000000.json'), 'utf8');
    rmSync(join(dir, 'episodes', 'pick-000001.json')); // as if the process died before this episode finished
    const p = collectInProcess({ ...base, tasks: ['pick'], out: dir });
    expect(p).toMatchObject({ written: 1, skipped: 1 });
    expect(readFileSync(join(dir, 'episodes', 'pick-000000.json'), 'utf8')).toBe(before);
    expect(listEpisodes(dir)).toEqual(['pick-000000', 'pick-000001']);
  });

  it('refuses to mix settings in one folder, and names the file of a broken episode', () => {
    const dir = tmp();
    collectInProcess({ ...base, tasks: ['pick'], episodes: 1, out: dir });
    expect(() => collectInProcess({ ...base, tasks: ['pick'], episodes: 1, seed: 6, out: dir })).toThrow(/other settings/);
    writeFileSync(join(dir, 'episodes', 'pick-000000.rgb.gz'), Buffer.from([1, 2, 3]));
    expect(() => readEpisode(dir, 'pick-000000', 32)).toThrow(/pick-000000/);
  });

  it('reads and resumes a folder whose meta.json and records say driver "expert", and refuses any other driver, naming the file', () => {
    const dir = tmp();
    collectInProcess({ ...base, tasks: ['pick'], episodes: 1, out: dir });
    const metaPath = join(dir, 'meta.json');
    const recordPath = join(dir, 'episodes', 'pick-000000.json');
    const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
    const record = JSON.parse(readFileSync(recordPath, 'utf8'));
    expect(meta.driver).toBeUndefined();
    writeFileSync(metaPath, JSON.stringify({ ...meta, driver: 'expert' }));
    writeFileSync(recordPath, JSON.stringify({ ...record, driver: 'expert' }));
    expect(readMeta(dir).driver).toBe('expert');
    expect(readEpisode(dir, 'pick-000000', 32).record.success).toBe(true);
    expect(collectInProcess({ ...base, tasks: ['pick'], episodes: 1, out: dir })).toMatchObject({ written: 0, skipped: 1 });
    writeFileSync(recordPath, JSON.stringify({ ...record, driver: 'dagger', policySteps: 10 }));
    expect(() => readEpisode(dir, 'pick-000000', 32)).toThrow(/pick-000000\.json: driver: expected "expert" or no driver/);
    writeFileSync(metaPath, JSON.stringify({ ...meta, driver: 'dagger', policy: 'models/default', beta: 0.3 }));
    expect(() => readMeta(dir)).toThrow(/meta\.json: driver: expected "expert" or no driver/);
  });

  it('DART noise moves the arm off the recorded actions, keeps the expert\'s labels, and is seeded', () => {
    /** Mean horizontal gap (m) between each recorded action and the end effector's actual move that step. */
    const gap = (dir: string) => {
      let sum = 0;
      let n = 0;
      for (const name of listEpisodes(dir)) {
        const e = readEpisode(dir, name, 32).record;
        for (let t = 0; t + 1 < e.steps; t++) {
          const mx = e.proprio[(t + 1) * 11 + 7]! - e.proprio[t * 11 + 7]!;
          const my = e.proprio[(t + 1) * 11 + 8]! - e.proprio[t * 11 + 8]!;
          sum += Math.hypot(mx - e.actions[t * 5]!, my - e.actions[t * 5 + 1]!);
          n++;
        }
      }
      return sum / n;
    };
    const clean = tmp();
    const a = tmp();
    const b = tmp();
    collectInProcess({ ...base, tasks: [...base.tasks], out: clean });
    collectInProcess({ ...base, tasks: [...base.tasks], out: a, noise: 0.005 });
    collectInProcess({ ...base, tasks: [...base.tasks], out: b, noise: 0.005 });
    expect(readMeta(a).noise).toBe(0.005);
    expect(readMeta(clean).noise).toBeUndefined();
    // The drift shows in the executed path: the arm's moves differ from the recorded actions by more than the
    // controller's own tracking error.
    expect(gap(a)).toBeGreaterThan(1.3 * gap(clean));
    for (const name of listEpisodes(a)) {
      const na = readEpisode(a, name, 32);
      const nb = readEpisode(b, name, 32);
      const c = readEpisode(clean, name, 32);
      expect(nb.record).toEqual(na.record);
      expect(Buffer.from(nb.frames).equals(Buffer.from(na.frames))).toBe(true);
      // The first label is the expert's, from the same first state as without noise.
      expect(na.record.actions.slice(0, 5)).toEqual(c.record.actions.slice(0, 5));
      expect(na.record.proprio).not.toEqual(c.record.proprio);
    }
    expect(() => collectInProcess({ ...base, tasks: [...base.tasks], out: a, noise: 0.002 })).toThrow(/noise 0.005 m/);
  });

  it('--misses makes the first grasp miss and records the expert recovering', () => {
    const dir = tmp();
    collectInProcess({ ...base, tasks: ['pick', 'push'], out: dir, misses: 1 });
    expect(readMeta(dir).misses).toBe(1);
    for (const name of listEpisodes(dir)) {
      const e = readEpisode(dir, name, 32).record;
      if (e.task === 'push') {
        expect(e.injectedMiss).toBeUndefined(); // nothing to grasp in a push
        continue;
      }
      expect(e.injectedMiss).toBe(true);
      // The labels close twice (the missed grasp, then the retry) and the retry holds the object.
      const onsets: number[] = [];
      for (let t = 0; t < e.steps; t++) {
        if (e.actions[t * 5 + 4]! >= 0.5 && (t === 0 || e.actions[(t - 1) * 5 + 4]! < 0.5)) onsets.push(t);
      }
      expect(onsets.length).toBeGreaterThanOrEqual(2);
      const first = onsets[0]!;
      // During the miss the gripper closes (opening falls) yet holds nothing.
      const opening = (t: number) => e.proprio[t * 11 + 5]!;
      const holding = (t: number) => e.proprio[t * 11 + 6]!;
      expect(opening(first + 12)).toBeLessThan(0.2);
      for (let t = first; t <= first + 12; t++) expect(holding(t)).toBe(0);
      // Meanwhile the recorded labels say "open" (the expert is already going back up to approach again).
      expect(e.actions[(first + 6) * 5 + 4]).toBeLessThan(0.5);
      expect(e.actions[(first + 6) * 5 + 2]).toBeGreaterThan(0);
      expect(e.success).toBe(true);
    }
  });

  it('--stalls parks the arm low beside its way down while the labels say move on, and the expert still succeeds', () => {
    /** The longest run of steps with the gripper still (< 1 mm a step), low, while the recorded action moves. */
    const longestStall = (e: { steps: number; proprio: number[]; actions: number[] }) => {
      let best = 0;
      let run = 0;
      for (let t = 1; t < e.steps; t++) {
        const d = Math.hypot(e.proprio[t * 11 + 7]! - e.proprio[(t - 1) * 11 + 7]!, e.proprio[t * 11 + 8]! - e.proprio[(t - 1) * 11 + 8]!, e.proprio[t * 11 + 9]! - e.proprio[(t - 1) * 11 + 9]!);
        const labelMoves = Math.max(...[0, 1, 2].map((k) => Math.abs(e.actions[(t - 1) * 5 + k]!))) > 0.001;
        run = d < 0.001 && e.proprio[t * 11 + 9]! < 0.07 && labelMoves ? run + 1 : 0;
        best = Math.max(best, run);
      }
      return best;
    };
    const dir = tmp();
    collectInProcess({ ...base, tasks: ['pick', 'push'], out: dir, stalls: 1 });
    expect(readMeta(dir).stalls).toBe(1);
    const plain = tmp();
    collectInProcess({ ...base, tasks: ['pick', 'push'], out: plain });
    for (const name of listEpisodes(dir)) {
      const e = readEpisode(dir, name, 32).record;
      expect(e.injectedStall).toBe(true);
      expect(longestStall(e)).toBeGreaterThanOrEqual(14);
      expect(e.success).toBe(true);
      const p = readEpisode(plain, name, 32).record;
      expect(p.injectedStall).toBeUndefined();
      expect(longestStall(p)).toBeLessThan(3); // the expert itself never stands still low while saying "move"
    }
  });

  /** Every episode of `dir` succeeded; how many of them have other actions than the same episode of `plain`. */
  const successfulEpisodesWithOtherActions = (dir: string, plain: string) => {
    let differ = 0;
    for (const n of listEpisodes(dir)) {
      const a = readEpisode(dir, n, 32).record;
      expect(a.success).toBe(true);
      if (JSON.stringify(a.actions) !== JSON.stringify(readEpisode(plain, n, 32).record.actions)) differ++;
    }
    return differ;
  };

  it('--blend records the blended expert: its meta says so, the episodes differ, and resuming with another blend is refused', () => {
    const dir = tmp();
    const plain = tmp();
    collectInProcess({ ...base, tasks: ['pick', 'push'], out: dir, blend: 0.012 });
    collectInProcess({ ...base, tasks: ['pick', 'push'], out: plain });
    expect(readMeta(dir).blend).toBe(0.012);
    expect(readMeta(plain).blend).toBeUndefined();
    expect(successfulEpisodesWithOtherActions(dir, plain)).toBeGreaterThan(0);
    expect(() => collectInProcess({ ...base, tasks: ['pick', 'push'], out: dir, blend: 0.01 })).toThrow(/other settings .*blend 0\.012 m/);
  });

  it('--release-band records the placing expert\'s band: its meta says so, place episodes differ, another band is refused', () => {
    const dir = tmp();
    const plain = tmp();
    collectInProcess({ ...base, tasks: ['place'], out: dir, blend: 0.012, releaseBand: 0.03 });
    collectInProcess({ ...base, tasks: ['place'], out: plain, blend: 0.012 });
    expect(readMeta(dir).releaseBand).toBe(0.03);
    expect(readMeta(plain).releaseBand).toBeUndefined();
    expect(successfulEpisodesWithOtherActions(dir, plain)).toBeGreaterThan(0);
    expect(() => collectInProcess({ ...base, tasks: ['place'], out: dir, blend: 0.012, releaseBand: 0.02 })).toThrow(/other settings .*release band 0\.03 m/);
  });

  it('--siblings K: groups of K episodes share a scene and name different objects; meta says so; another K is refused', () => {
    const dir = tmp();
    const plain = tmp();
    collectInProcess({ ...base, tasks: ['pick', 'place'], episodes: 6, out: dir, siblings: 3 });
    collectInProcess({ ...base, tasks: ['pick', 'place'], episodes: 6, out: plain });
    expect(readMeta(dir).siblings).toBe(3);
    expect(readMeta(plain).siblings).toBeUndefined();
    for (const task of ['pick', 'place']) {
      for (const g of [0, 1]) {
        const group = [0, 1, 2].map((k) => readEpisode(dir, `${task}-00000${3 * g + k}`, 32));
        const first = group[0]!;
        for (const e of group) {
          expect(e.record.success).toBe(true);
          expect(e.record.objects).toEqual(first.record.objects);
          // The same scene: the first frames are the same picture.
          expect(Buffer.from(e.frames.subarray(0, 32 * 32 * 3)).equals(Buffer.from(first.frames.subarray(0, 32 * 32 * 3)))).toBe(true);
          if (task === 'place') expect(e.record.destinationIndex).toBe(first.record.destinationIndex);
        }
        const targets = new Set(group.map((e) => e.record.targetIndex));
        // Movable objects a seen-split command may name (held-out colour-shape combinations are never targets here).
        const movable = first.record.objects.filter((o) => o.kind !== 'bowl' && o.kind !== 'plate' && !isHeldOutCombo(o)).length;
        expect(targets.size, `${task} group ${g}`).toBe(Math.min(3, movable));
      }
      // Without --siblings, consecutive episodes have scenes of their own.
      expect(readEpisode(plain, `${task}-000001`, 32).record.objects).not.toEqual(readEpisode(plain, `${task}-000000`, 32).record.objects);
    }
    expect(() => collectInProcess({ ...base, tasks: ['pick', 'place'], episodes: 6, out: dir, siblings: 2 })).toThrow(/other settings .*siblings 3/);
  });

  it('--confusers P: scenes get an object of the target\'s colour and one of its shape, named first by siblings; meta says so; another P is refused', () => {
    const dir = tmp();
    collectInProcess({ ...base, tasks: ['pick', 'place'], episodes: 6, out: dir, siblings: 3, confusers: 1 });
    expect(readMeta(dir).confusers).toBe(1);
    for (const task of ['pick', 'place']) {
      for (const g of [0, 1]) {
        const group = [0, 1, 2].map((k) => readEpisode(dir, `${task}-00000${3 * g + k}`, 32).record);
        const first = group[0]!;
        const t = first.objects[first.targetIndex]!;
        for (const e of group) expect(e.success).toBe(true);
        // The scene holds an object of the target's colour and another shape, and one of its shape and another colour.
        expect(first.objects.some((o) => o.colour === t.colour && o.kind !== t.kind && o.kind !== 'bowl' && o.kind !== 'plate'), `${task} group ${g}`).toBe(true);
        expect(first.objects.some((o) => o.kind === t.kind && o.colour !== t.colour), `${task} group ${g}`).toBe(true);
        // The siblings name objects sharing the target's colour or shape (at least two are in the scene).
        for (const e of group.slice(1)) {
          const o = e.objects[e.targetIndex]!;
          expect(o.colour === t.colour || o.kind === t.kind, `${task} group ${g}: ${o.colour} ${o.kind} for ${t.colour} ${t.kind}`).toBe(true);
        }
      }
    }
    // Without --confusers the same plan gives other scenes.
    const plain = tmp();
    collectInProcess({ ...base, tasks: ['pick', 'place'], episodes: 3, out: plain, siblings: 3 });
    expect(readEpisode(plain, 'pick-000000', 32).record.objects).not.toEqual(readEpisode(dir, 'pick-000000', 32).record.objects);
    expect(() => collectInProcess({ ...base, tasks: ['pick', 'place'], episodes: 6, out: dir, siblings: 3, confusers: 0.5 })).toThrow(/other settings .*confusers 1/);
  });

  it('--confuser-shapes all: every other shape of the target\'s colour is in the scene, held-out pairs never named; meta says so; a change is refused', () => {
    const dir = tmp();
    collectInProcess({ ...base, tasks: ['pick', 'place'], episodes: 4, out: dir, siblings: 2, confusers: 1, confuserShapes: 'all' });
    expect(readMeta(dir).confuserShapes).toBe('all');
    for (const task of ['pick', 'place']) {
      for (let i = 0; i < 4; i++) {
        const e = readEpisode(dir, `${task}-00000${i}`, 32).record;
        const t = e.objects[e.targetIndex]!;
        expect(isHeldOutCombo(t), `${task} ${i}: ${t.colour} ${t.kind} named`).toBe(false);
        if (i % 2 === 0) {
          const kinds = new Set(e.objects.filter((o) => o.colour === t.colour).map((o) => o.kind));
          for (const k of ['ball', 'cube', 'cylinder']) expect(kinds.has(k as 'ball'), `${task} ${i}: ${t.colour} ${k}`).toBe(true);
        }
      }
    }
    expect(() => collectInProcess({ ...base, tasks: ['pick', 'place'], episodes: 4, out: dir, siblings: 2, confusers: 1 })).toThrow(/other settings .*confuser shapes all/);
  });

  it('--supersampling K: frames and masks rendered K times larger and box-filtered; the same episodes otherwise; meta says so; another K is refused', () => {
    const plain = tmp();
    const aa = tmp();
    collectInProcess({ ...base, tasks: ['pick'], episodes: 1, out: plain });
    collectInProcess({ ...base, tasks: ['pick'], episodes: 1, out: aa, supersampling: 3 });
    expect(readMeta(aa).supersampling).toBe(3);
    expect(readMeta(plain).supersampling).toBeUndefined();
    const p = readEpisode(plain, 'pick-000000', 32);
    const a = readEpisode(aa, 'pick-000000', 32);
    // The same scene, command and expert (the expert reads the state, not the image), other pictures of it.
    expect(a.record.command).toBe(p.record.command);
    expect(a.record.actions).toEqual(p.record.actions);
    expect(Buffer.from(a.frames).equals(Buffer.from(p.frames))).toBe(false);
    const first = a.segmentation.subarray(0, 32 * 32);
    expect(first.includes(a.record.targetIndex + 1)).toBe(true);
    expect(() => collectInProcess({ ...base, tasks: ['pick'], episodes: 1, out: aa })).toThrow(/other settings .*supersampling 3/);
  });
});

describe('untilFirstFailure (collect workers)', () => {
  it('aborts the other jobs at the first failure, waits for them to stop, and throws that failure', async () => {
    const events: string[] = [];
    const slow = (name: string) => (stop: AbortSignal) =>
      new Promise<void>((ok, fail) => {
        // Never finishes on its own: only the abort ends it (a job that is not aborted would hang the test).
        stop.addEventListener('abort', () => setTimeout(() => (events.push(`${name} stopped`), fail(new Error(`${name} aborted`))), 10));
      });
    const broken = () => new Promise<void>((_, fail) => setTimeout(() => (events.push('broken failed'), fail(new Error('worker 1 exited with code 1'))), 5));
    await expect(untilFirstFailure([slow('a'), broken, slow('c')])).rejects.toThrow('worker 1 exited with code 1');
    expect(events.sort()).toEqual(['a stopped', 'broken failed', 'c stopped']);
  });

  it('resolves when every job succeeds', async () => {
    let n = 0;
    await untilFirstFailure([async () => void n++, async () => void n++]);
    expect(n).toBe(2);
  });
});
