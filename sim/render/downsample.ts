/**
 * Supersampling anti-aliasing (SSAA): an image rendered at k times the width and height, reduced to the final size
 * by averaging each k x k block of samples (a box filter). The rasteriser samples coverage at pixel centres only, so
 * without it an object 4 px wide is a hard-edged blob whose outline jumps a whole pixel (about 1.5 cm of table at
 * 64x64) at a time; a real camera integrates the light over each pixel, and the averaged edges carry where an edge
 * lies inside the pixel and how round the outline is.
 *
 * Colours are averaged in linear light (sRGB bytes -> linear -> mean -> sRGB byte), as GPU resolves of multisampled
 * sRGB targets do; averaging the bytes themselves would darken every edge. Segmentation: each pixel takes the label
 * of most of its samples, a tie going to the larger label (an object over the table). Depth: the nearest sample.
 */
import type { CameraImage } from '../types.js';
import { srgbByteAt, srgbToLinear } from './raster.js';

/** The largest supported factor (k x k = 64 samples per pixel). */
export const MAX_SUPERSAMPLING = 8;

/** Whether k is a supported supersampling factor: an integer from 1 to MAX_SUPERSAMPLING. */
export function isSupersampling(k: unknown): k is number {
  return typeof k === 'number' && Number.isInteger(k) && k >= 1 && k <= MAX_SUPERSAMPLING;
}

/** sRGB byte -> linear, by table. */
const LINEAR = new Float64Array(256);
for (let i = 0; i < 256; i++) LINEAR[i] = srgbToLinear(i / 255);

// Module-level scratch: one pixel's mean linear colour; its label counts, and the labels seen (so only those are
// cleared).
const _mean = new Float64Array(3);
const _counts = new Uint16Array(256);
const _seen = new Uint8Array(MAX_SUPERSAMPLING * MAX_SUPERSAMPLING);

/**
 * Reduces `src` (k*W x k*H) into `out` (W x H) by k x k box filtering. `out.segmentation` and `out.depth` are filled
 * when both `src` and `out` have them. Throws if the sizes do not match by the factor k.
 */
export function downsampleImage(src: CameraImage, k: number, out: CameraImage): CameraImage {
  const W = out.width;
  const H = out.height;
  if (!isSupersampling(k)) {
    throw new Error(`downsampleImage: the factor must be an integer 1..${MAX_SUPERSAMPLING}, got ${k}`);
  }
  if (src.width !== W * k || src.height !== H * k) {
    throw new Error(`downsampleImage: a ${W}x${H} image at factor ${k} needs a ${W * k}x${H * k} source, got ${src.width}x${src.height}`);
  }
  const SW = src.width;
  const n = k * k;
  const s = src.rgb;
  const d = out.rgb;
  const seg = src.segmentation && out.segmentation ? { from: src.segmentation, to: out.segmentation } : null;
  const depth = src.depth && out.depth ? { from: src.depth, to: out.depth } : null;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let near = Infinity;
      let labels = 0;
      for (let sy = 0; sy < k; sy++) {
        let p = (y * k + sy) * SW + x * k;
        for (let sx = 0; sx < k; sx++, p++) {
          r += LINEAR[s[p * 3]!]!;
          g += LINEAR[s[p * 3 + 1]!]!;
          b += LINEAR[s[p * 3 + 2]!]!;
          if (depth) near = Math.min(near, depth.from[p]!);
          if (seg) {
            const l = seg.from[p]!;
            if (_counts[l] === 0) _seen[labels++] = l;
            _counts[l]!++;
          }
        }
      }
      const o = y * W + x;
      _mean[0] = r / n;
      _mean[1] = g / n;
      _mean[2] = b / n;
      d[o * 3] = srgbByteAt(_mean, 0);
      d[o * 3 + 1] = srgbByteAt(_mean, 1);
      d[o * 3 + 2] = srgbByteAt(_mean, 2);
      if (depth) depth.to[o] = near;
      if (seg) {
        let best = 0;
        let bestCount = -1;
        for (let i = 0; i < labels; i++) {
          const l = _seen[i]!;
          const c = _counts[l]!;
          if (c > bestCount || (c === bestCount && l > best)) {
            best = l;
            bestCount = c;
          }
          _counts[l] = 0;
        }
        seg.to[o] = best;
      }
    }
  }
  return out;
}
