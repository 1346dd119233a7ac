/**
 * Attention maps: where each word of a command looks in the image, from the fusion layers' cross-attention.
 */

export interface AttentionMaps {
  /** The real (normalised) words of the command, in order; the maps' word index. */
  words: string[];
  /** Words the tokenizer did not know (encoded as [UNK]; they still get maps). */
  unknown: string[];
  /** Words cut off because the command was longer than maxWords (no maps). */
  dropped: string[];
  /** Camera names, in the order their patches appear in each map. */
  cameras: string[];
  /** Patch grid of one camera image: [rows, columns]. */
  grid: [number, number];
  /**
   * layers[layer][head][word]: Float32Array(cameras * rows * cols), camera after camera, rows top to bottom,
   * columns left to right; each sums to 1.
   */
  layers: Float32Array[][][];
}

/** Heads averaged: layers[layer][head][word] -> [layer][word], still summing to 1 per word. */
export function averageHeads(layers: readonly (readonly (readonly Float32Array[])[])[]): Float32Array[][] {
  return layers.map((heads) => {
    const H = heads.length;
    const first = heads[0] ?? [];
    return first.map((m0, w) => {
      const avg = new Float32Array(m0.length);
      for (const head of heads) {
        const m = head[w]!;
        for (let i = 0; i < avg.length; i++) avg[i] = avg[i]! + m[i]! / H;
      }
      return avg;
    });
  });
}

/** The map of one camera out of a map over all cameras' patches: a [rows * cols] slice. */
export function cameraSlice(map: Float32Array, grid: [number, number], cameraIndex: number): Float32Array {
  const n = grid[0] * grid[1];
  return map.subarray(cameraIndex * n, (cameraIndex + 1) * n);
}
