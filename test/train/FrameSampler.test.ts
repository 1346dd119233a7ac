// Key-frame sampling: which frames count as leading up to a gripper change, how often they are drawn, and that the
// uniform case draws exactly what training drew before the option existed (so older recipes train the same).
import { describe, expect, it } from 'vitest';
import { Rng } from '../../sim/util/Rng.js';
import { EE_ACTION_KEYS } from '../../sim/types.js';
import { FrameSampler, gripperChanges } from '../../src/train/FrameSampler.js';
import type { SampleRef } from '../../src/train/TrainData.js';

const A = EE_ACTION_KEYS.length;

/** Episodes of the given lengths whose gripper label is closed over [from, to) (or never). */
function episodes(specs: Array<{ length: number; closed?: [number, number] }>) {
  const total = specs.reduce((n, s) => n + s.length, 0);
  const actions = new Float32Array(total * A);
  let start = 0;
  const eps = specs.map((s) => {
    if (s.closed) for (let t = s.closed[0]; t < s.closed[1]; t++) actions[(start + t) * A + A - 1] = 1;
    const e = { start, length: s.length };
    start += s.length;
    return e;
  });
  // FrameSampler reads only start and length of an episode.
  return { episodes: eps as never, actions };
}

function allSamples(lengths: number[]): SampleRef[] {
  return lengths.flatMap((n, episode) => Array.from({ length: n }, (_, t) => ({ episode, t })));
}

describe('gripperChanges', () => {
  it('finds the step of each close and each open, and none for an episode that never closes', () => {
    const data = episodes([{ length: 50, closed: [20, 40] }, { length: 30 }, { length: 30, closed: [10, 30] }]);
    expect(gripperChanges(data)).toEqual([[20, 40], [], [10]]);
  });
});

describe('FrameSampler', () => {
  it('with weight 1 draws exactly the uniform sequence of rng.int over the samples', () => {
    const samples = allSamples([40, 60]);
    const data = episodes([{ length: 40, closed: [10, 20] }, { length: 60 }]);
    const sampler = new FrameSampler(samples, data, { keyFrameWeight: 1 });
    expect(sampler.keyFrames).toBe(0);
    const a = new Rng('s');
    const b = new Rng('s');
    for (let i = 0; i < 200; i++) expect(sampler.draw(a)).toBe(samples[b.int(0, samples.length - 1)]);
  });

  it('marks the frames within the window before a change as key frames', () => {
    const samples = allSamples([100]);
    const data = episodes([{ length: 100, closed: [50, 80] }]);
    const sampler = new FrameSampler(samples, data, { keyFrameWeight: 2, window: 10 });
    // t in [40, 49] precede the close at 50, t in [70, 79] the open at 80.
    expect(sampler.keyFrames).toBe(20);
  });

  it('draws key frames in proportion to their weight', () => {
    const samples = allSamples([100, 100]);
    const data = episodes([{ length: 100, closed: [50, 100] }, { length: 100 }]);
    const sampler = new FrameSampler(samples, data, { keyFrameWeight: 4, window: 10 });
    expect(sampler.keyFrames).toBe(10);
    const rng = new Rng('draws');
    let key = 0;
    const n = 40_000;
    for (let i = 0; i < n; i++) {
      const s = sampler.draw(rng);
      if (s.episode === 0 && s.t >= 40 && s.t < 50) key++;
    }
    // Each episode keeps half the draws; within the first, 10 frames of weight 4 against 90 of weight 1.
    const want = 0.5 * (40 / 130);
    expect(key / n).toBeGreaterThan(want - 0.01);
    expect(key / n).toBeLessThan(want + 0.01);
    // The second episode, which never closes the gripper, keeps its half.
    let second = 0;
    for (let i = 0; i < n; i++) if (sampler.draw(rng).episode === 1) second++;
    expect(second / n).toBeGreaterThan(0.49);
    expect(second / n).toBeLessThan(0.51);
  });

  it('draws only samples it was given, the same ones for the same seed', () => {
    const samples = allSamples([30, 30]).filter((s) => s.t % 2 === 0);
    const data = episodes([{ length: 30, closed: [15, 30] }, { length: 30, closed: [5, 25] }]);
    const sampler = new FrameSampler(samples, data, { keyFrameWeight: 3 });
    const draw = (seed: string) => {
      const rng = new Rng(seed);
      return Array.from({ length: 300 }, () => sampler.draw(rng));
    };
    const first = draw('x');
    for (const s of first) expect(samples).toContain(s);
    expect(draw('x')).toEqual(first);
    expect(draw('y')).not.toEqual(first);
  });

  it('refuses a weight below 1 and an empty training set', () => {
    const data = episodes([{ length: 10 }]);
    expect(() => new FrameSampler(allSamples([10]), data, { keyFrameWeight: 0.5 })).toThrow(/keyFrameWeight must be >= 1/);
    expect(() => new FrameSampler([], data, { keyFrameWeight: 2 })).toThrow(/no training samples/);
  });
});
