/**
 * Feature statistics as LeRobot keeps them (meta/stats.json and the stats/* columns of meta/episodes): per
 * dimension min, max, mean, std, count and the quantiles q01, q10, q50, q90, q99. LeRobot's policies normalise
 * their inputs and outputs with these (mean/std or min/max), so they must describe the exported values.
 *
 * Camera features have per-channel stats in [0, 1] (pixel / 255) of shape [3, 1, 1], as LeRobot computes for
 * images and videos. For 8-bit pixels a 256-bin histogram per channel gives every statistic exactly.
 */

/** The quantiles LeRobot records (its DEFAULT_QUANTILES), with their keys. */
export const QUANTILES: ReadonlyArray<readonly [string, number]> = [
  ['q01', 0.01],
  ['q10', 0.1],
  ['q50', 0.5],
  ['q90', 0.9],
  ['q99', 0.99],
];

/** One feature's stats: each entry an array shaped like the feature (count: [n]). */
export type FeatureStats = Record<string, unknown[]>;

/** The q-quantile of sorted values, interpolated linearly between ranks (numpy's default method). */
function quantileSorted(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Stats of a vector feature from its rows (`rows` frames of `dim` values, flat, row-major). Population standard
 * deviation (numpy's std), as LeRobot uses.
 */
export function vectorStats(values: ArrayLike<number>, dim: number): FeatureStats {
  const rows = values.length / dim;
  if (!Number.isInteger(rows) || rows === 0) throw new Error(`stats: ${values.length} values do not make whole rows of ${dim}`);
  const out: FeatureStats = { min: [], max: [], mean: [], std: [], count: [rows] };
  for (const [k] of QUANTILES) out[k] = [];
  const column = new Float64Array(rows);
  for (let d = 0; d < dim; d++) {
    let sum = 0;
    for (let r = 0; r < rows; r++) sum += column[r] = values[r * dim + d]!;
    const mean = sum / rows;
    let sq = 0;
    for (let r = 0; r < rows; r++) sq += (column[r]! - mean) ** 2;
    column.sort();
    out.min!.push(column[0]);
    out.max!.push(column[rows - 1]);
    out.mean!.push(mean);
    out.std!.push(Math.sqrt(sq / rows));
    for (const [k, q] of QUANTILES) out[k]!.push(quantileSorted(column, q));
  }
  return out;
}

/** Per-channel 256-bin histograms of RGB frames: accumulate frames, then read LeRobot's image stats. */
export class PixelHistogram {
  /** 3 x 256 counts. */
  readonly counts = new Float64Array(3 * 256);

  /** Adds interleaved RGB pixels (3 bytes a pixel). */
  add(rgb: Uint8Array): void {
    const c = this.counts;
    for (let i = 0; i < rgb.length; i += 3) {
      c[rgb[i]!]!++;
      c[256 + rgb[i + 1]!]!++;
      c[512 + rgb[i + 2]!]!++;
    }
  }

  /** Adds another histogram's counts (episode stats into the dataset's). */
  merge(other: PixelHistogram): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i]! += other.counts[i]!;
  }

  /** Stats in [0, 1] shaped [3, 1, 1]; count is the number of frames (`frames`), as LeRobot counts images. */
  stats(frames: number): FeatureStats {
    const out: FeatureStats = { min: [], max: [], mean: [], std: [], count: [frames] };
    for (const [k] of QUANTILES) out[k] = [];
    for (let ch = 0; ch < 3; ch++) {
      const h = this.counts.subarray(256 * ch, 256 * (ch + 1));
      let n = 0;
      let sum = 0;
      let min = -1;
      let max = -1;
      for (let v = 0; v < 256; v++) {
        if (h[v]! === 0) continue;
        if (min < 0) min = v;
        max = v;
        n += h[v]!;
        sum += v * h[v]!;
      }
      if (n === 0) throw new Error('stats: no pixels');
      const mean = sum / n;
      let sq = 0;
      for (let v = 0; v < 256; v++) sq += h[v]! * (v - mean) ** 2;
      const wrap = (x: number) => [[x / 255]];
      out.min!.push(wrap(min));
      out.max!.push(wrap(max));
      out.mean!.push(wrap(mean));
      out.std!.push(wrap(Math.sqrt(sq / n)));
      for (const [k, q] of QUANTILES) out[k]!.push(wrap(histogramQuantile(h, n, q)));
    }
    return out;
  }
}

/** The q-quantile of the values a histogram counts, interpolated between ranks as quantileSorted does. */
function histogramQuantile(h: Float64Array, n: number, q: number): number {
  const pos = q * (n - 1);
  const valueAt = (rank: number) => {
    let seen = 0;
    for (let v = 0; v < 256; v++) {
      seen += h[v]!;
      if (seen > rank) return v;
    }
    return 255;
  };
  const lo = Math.floor(pos);
  const a = valueAt(lo);
  return a + (pos - lo) * (valueAt(Math.min(lo + 1, n - 1)) - a);
}
