/**
 * Which training frame each sample of a step reads. Uniform by default; with a key-frame weight above 1, the frames
 * that lead up to a grasp or a release (the expert's gripper label changes within the next `window` steps) are
 * drawn that many times as often as the other frames of their episode. Each episode keeps the share of the draws it
 * has when uniform, so the balance of tasks and datasets is unchanged (a push episode, which never grasps, is drawn
 * as before). Those frames decide where the fingers close and open, and they are a small share of an episode, most
 * of which is the arm travelling.
 */
import { EE_ACTION_KEYS } from '../../sim/types.js';
import type { Rng } from '../../sim/util/Rng.js';
import type { Episodes, SampleRef } from './TrainData.js';

const GRIPPER = EE_ACTION_KEYS.indexOf('gripper');
const A = EE_ACTION_KEYS.length;
/**
 * Steps before a gripper change whose frames are key frames: two of the policy's 8-action chunks, the end of the
 * way down to a grasp and the last of the carry to a destination.
 */
export const KEY_FRAME_WINDOW = 16;

export class FrameSampler {
  /** Cumulative weights (null when uniform): samples[i] is drawn when a draw falls in [cumulative[i-1], cumulative[i]). */
  private readonly cumulative: Float64Array | null;
  /** How many of the samples are key frames (0 when uniform). */
  readonly keyFrames: number;

  constructor(
    private readonly samples: readonly SampleRef[],
    data: Pick<Episodes, 'episodes' | 'actions'>,
    o: { keyFrameWeight: number; window?: number },
  ) {
    if (samples.length === 0) throw new Error('FrameSampler: no training samples');
    if (!(o.keyFrameWeight >= 1)) throw new Error(`FrameSampler: keyFrameWeight must be >= 1, got ${o.keyFrameWeight}`);
    if (o.keyFrameWeight === 1) {
      this.cumulative = null;
      this.keyFrames = 0;
      return;
    }
    const window = o.window ?? KEY_FRAME_WINDOW;
    const changes = gripperChanges(data);
    const isKey = samples.map((s) => changes[s.episode]!.some((c) => c > s.t && c <= s.t + window));
    // Per episode: its samples and its key frames; each episode keeps the share of draws it has when uniform.
    const count = new Map<number, { n: number; keys: number }>();
    samples.forEach((s, i) => {
      const c = count.get(s.episode) ?? { n: 0, keys: 0 };
      c.n++;
      if (isKey[i]) c.keys++;
      count.set(s.episode, c);
    });
    const cumulative = new Float64Array(samples.length);
    let total = 0;
    samples.forEach((s, i) => {
      const c = count.get(s.episode)!;
      total += ((isKey[i] ? o.keyFrameWeight : 1) * c.n) / (c.keys * o.keyFrameWeight + c.n - c.keys);
      cumulative[i] = total;
    });
    this.cumulative = cumulative;
    this.keyFrames = isKey.filter(Boolean).length;
  }

  /** One sample, drawn with `rng` (uniform: exactly one rng.int, as training drew before key frames existed). */
  draw(rng: Rng): SampleRef {
    const c = this.cumulative;
    if (!c) return this.samples[rng.int(0, this.samples.length - 1)]!;
    const x = rng.nextFloat() * c[c.length - 1]!;
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (c[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return this.samples[lo]!;
  }
}

/** Per episode, the steps t at which the expert's gripper label switches (closed is >= 0.5) from step t - 1. */
export function gripperChanges(data: Pick<Episodes, 'episodes' | 'actions'>): number[][] {
  return data.episodes.map((e) => {
    const out: number[] = [];
    for (let t = 1; t < e.length; t++) {
      const before = data.actions[(e.start + t - 1) * A + GRIPPER]! >= 0.5;
      const now = data.actions[(e.start + t) * A + GRIPPER]! >= 0.5;
      if (before !== now) out.push(t);
    }
    return out;
  });
}
