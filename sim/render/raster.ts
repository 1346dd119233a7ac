/**
 * The fixed-function back end of the software renderer: homogeneous clipping, triangle rasterisation with a
 * z-buffer, and the linear -> sRGB output encoding.
 *
 *  - Clipping: Sutherland-Hodgman (1974) in homogeneous clip space (Blinn & Newell 1978), before the divide by w,
 *    so a triangle crossing the near plane is cut into a polygon of the part in front of it.
 *  - Rasterisation: edge functions (Pineda 1988, "A parallel algorithm for polygon rasterization") over the
 *    triangle's bounding box, on vertices snapped to 1/SUB pixel (8 sub-pixel bits, as GPUs do), so edge values
 *    are exact integers in doubles. Coverage is sampled at pixel centres with the top-left fill rule (as D3D10 and
 *    OpenGL/WebGL rasterisers), so two triangles sharing an edge cover each pixel exactly once.
 *  - Depth: the z-buffer holds 1/w (w = clip w = distance along the view axis), which is affine in screen space;
 *    larger = nearer, 0 = empty. Colours are interpolated perspective-correctly (c/w over 1/w).
 */
import type { CameraImage } from '../types.js';

/** Sub-pixel steps per pixel. */
export const SUB = 256;
const HALF = SUB / 2;
/** Guard band, in viewport half-extents: vertices within it are rasterised unclipped, others clipped to it. */
export const GUARD = 8;
/**
 * Outcode bits (bit p = outside plane p of PLANES) that require clipping: near, far and the four guard planes.
 * The renderer's bits 6..9 (outside the viewport: x < -w, x > w, y < -w, y > w) only serve to reject.
 */
export const CLIP_MASK = 63;
/** Numbers per clipped-polygon vertex: clip x y z w, then the barycentrics b0 b1 b2 of the source triangle. */
export const POLY_ATTRS = 7;
/** Numbers per rasterised vertex in a triangle buffer: fixed-point X, Y, 1/w, linear r, g, b. */
export const TRI_ATTRS = 6;

/** Clip planes (a, b, c, e), inside when a*x + b*y + c*z + e*w >= 0: near, far, left, right, bottom, top (guard). */
const PLANES = new Float64Array([
  0, 0, 1, 1, 0, 0, -1, 1, 1, 0, 0, GUARD, -1, 0, 0, GUARD, 0, 1, 0, GUARD, 0, -1, 0, GUARD,
]);

/**
 * Clips the convex polygon src (n vertices of POLY_ATTRS numbers) against plane p into dst, interpolating every
 * attribute linearly in clip space. Returns the output vertex count (at most n + 1).
 */
export function clipPolygon(src: Float64Array, n: number, dst: Float64Array, p: number): number {
  const a = PLANES[4 * p]!;
  const b = PLANES[4 * p + 1]!;
  const c = PLANES[4 * p + 2]!;
  const e = PLANES[4 * p + 3]!;
  let out = 0;
  for (let k = 0; k < n; k++) {
    const o = k * POLY_ATTRS;
    const q = (k + 1 === n ? 0 : k + 1) * POLY_ATTRS;
    const dk = a * src[o]! + b * src[o + 1]! + c * src[o + 2]! + e * src[o + 3]!;
    const dq = a * src[q]! + b * src[q + 1]! + c * src[q + 2]! + e * src[q + 3]!;
    if (dk >= 0) {
      for (let j = 0; j < POLY_ATTRS; j++) dst[out * POLY_ATTRS + j] = src[o + j]!;
      out++;
    }
    if (dk >= 0 !== dq >= 0) {
      const t = dk / (dk - dq);
      for (let j = 0; j < POLY_ATTRS; j++) dst[out * POLY_ATTRS + j] = src[o + j]! + t * (src[q + j]! - src[o + j]!);
      out++;
    }
  }
  return out;
}

/** Linear 0..1 -> sRGB byte, with the sRGB OETF that WebGLRenderer applies for its default outputColorSpace. */
export function linearToSrgbByte(v: number): number {
  const c = v <= 0 ? 0 : v >= 1 ? 1 : v <= 0.0031308 ? v * 12.92 : 1.055 * Math.pow(v, 1 / 2.4) - 0.055;
  return Math.round(c * 255);
}

/** linearToSrgbByte(a[i]) by table (an array and an index, so no number is boxed for the call). */
export function srgbByteAt(a: Float64Array, i: number): number {
  const v = a[i]! * LUT_N;
  return SRGB_LUT[v >= LUT_N ? LUT_N : v > 0 ? (v + 0.5) | 0 : 0]!;
}

export function srgbToLinear(c: number): number {
  return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
}

const LUT_N = 16384;
/** linearToSrgbByte sampled at LUT_N + 1 points (off by at most one step of 1/LUT_N: < 0.1 of a byte). */
const SRGB_LUT = new Uint8Array(LUT_N + 1);
for (let i = 0; i <= LUT_N; i++) SRGB_LUT[i] = linearToSrgbByte(i / LUT_N);

/** Where rasterTri writes: the image buffers of one frame and the id of the mesh being drawn. */
export interface RasterTarget {
  width: number;
  height: number;
  /** width*height*3 sRGB bytes. */
  rgb: Uint8Array;
  /** width*height ids (a scratch buffer when segmentation is not asked for). */
  seg: Uint8Array;
  /** width*height values of 1/w; 0 = empty. */
  zbuf: Float64Array;
  segId: number;
  /** Triangles whose bounding box held at least one pixel centre (statistics). */
  triangles: number;
}

/** An empty target, to be filled by the renderer each frame. */
export function createRasterTarget(): RasterTarget {
  return { width: 0, height: 0, rgb: new Uint8Array(0), seg: new Uint8Array(0), zbuf: new Float64Array(0), segId: 0, triangles: 0 };
}

/** Fills the target with the background (sRGB bytes), empty depth and segmentation 0. */
export function clearTarget(t: RasterTarget, r: number, g: number, b: number): void {
  const n = t.width * t.height;
  const rgb = t.rgb;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    rgb[j] = r;
    rgb[j + 1] = g;
    rgb[j + 2] = b;
  }
  t.zbuf.fill(0, 0, n);
  t.seg.fill(0, 0, n);
}

/** Writes the depth image (metres along the view axis, Infinity where empty) from the target's z-buffer. */
export function resolveDepth(t: RasterTarget, out: NonNullable<CameraImage['depth']>): void {
  const z = t.zbuf;
  for (let i = 0, n = t.width * t.height; i < n; i++) out[i] = z[i]! > 0 ? 1 / z[i]! : Infinity;
}

/**
 * Rasterises one triangle: T holds 3 x TRI_ATTRS numbers (fixed-point screen X, Y with y down, 1/w, linear rgb),
 * in either winding (culling is the caller's). Pixels that pass the depth test get colour, 1/w and segId.
 */
export function rasterTri(T: Float64Array, t: RasterTarget): void {
  let b = TRI_ATTRS;
  let c = 2 * TRI_ATTRS;
  let area = (T[b]! - T[0]!) * (T[c + 1]! - T[1]!) - (T[b + 1]! - T[1]!) * (T[c]! - T[0]!);
  if (area === 0) return;
  if (area < 0) {
    b = 2 * TRI_ATTRS;
    c = TRI_ATTRS;
    area = -area;
  }
  const x0 = T[0]!, y0 = T[1]!, x1 = T[b]!, y1 = T[b + 1]!, x2 = T[c]!, y2 = T[c + 1]!;
  const W = t.width;
  const minPx = Math.max(0, Math.ceil((Math.min(x0, x1, x2) - HALF) / SUB));
  const maxPx = Math.min(W - 1, Math.floor((Math.max(x0, x1, x2) - HALF) / SUB));
  const minPy = Math.max(0, Math.ceil((Math.min(y0, y1, y2) - HALF) / SUB));
  const maxPy = Math.min(t.height - 1, Math.floor((Math.max(y0, y1, y2) - HALF) / SUB));
  if (minPx > maxPx || minPy > maxPy) return;
  t.triangles++;
  // E_ab(p) = (bx - ax)(py - ay) - (by - ay)(px - ax), > 0 inside for this winding. e0 = E_12 is the weight of
  // v0, e1 = E_20 of v1, e2 = E_01 of v2; e0 + e1 + e2 = area. Top-left rule: the interior lies right of a
  // "left" edge (dy < 0) and below a "top" edge (dy = 0, dx > 0); pixel centres exactly on any other edge are
  // out. The values are integers, so "e >= 0" is "e > -1" and "e > 0" is "e > 0".
  const t0 = y2 - y1 < 0 || (y2 === y1 && x2 > x1) ? -1 : 0;
  const t1 = y0 - y2 < 0 || (y0 === y2 && x0 > x2) ? -1 : 0;
  const t2 = y1 - y0 < 0 || (y1 === y0 && x1 > x0) ? -1 : 0;
  const sx0 = -(y2 - y1) * SUB, sy0 = (x2 - x1) * SUB;
  const sx1 = -(y0 - y2) * SUB, sy1 = (x0 - x2) * SUB;
  const sx2 = -(y1 - y0) * SUB, sy2 = (x1 - x0) * SUB;
  const px = minPx * SUB + HALF;
  const py = minPy * SUB + HALF;
  let r0 = (x2 - x1) * (py - y1) - (y2 - y1) * (px - x1);
  let r1 = (x0 - x2) * (py - y2) - (y0 - y2) * (px - x2);
  let r2 = (x1 - x0) * (py - y0) - (y1 - y0) * (px - x0);
  // Attributes a/w as v0 + e1 * d1 + e2 * d2 (d_k = (v_k - v0) / area); the colour is then (c/w) / (1/w).
  const inv = 1 / area;
  const w0 = T[2]!, w1 = T[b + 2]!, w2 = T[c + 2]!;
  const R0 = T[3]! * w0, G0 = T[4]! * w0, B0 = T[5]! * w0;
  const dw1 = (w1 - w0) * inv, dw2 = (w2 - w0) * inv;
  const dR1 = (T[b + 3]! * w1 - R0) * inv, dR2 = (T[c + 3]! * w2 - R0) * inv;
  const dG1 = (T[b + 4]! * w1 - G0) * inv, dG2 = (T[c + 4]! * w2 - G0) * inv;
  const dB1 = (T[b + 5]! * w1 - B0) * inv, dB2 = (T[c + 5]! * w2 - B0) * inv;
  const z = t.zbuf;
  const rgb = t.rgb;
  const seg = t.seg;
  const id = t.segId;
  const lut = SRGB_LUT;
  for (let y = minPy; y <= maxPy; y++) {
    let e0 = r0, e1 = r1, e2 = r2;
    let p = y * W + minPx;
    for (let x = minPx; x <= maxPx; x++, p++) {
      if (e0 > t0 && e1 > t1 && e2 > t2) {
        const iw = w0 + e1 * dw1 + e2 * dw2;
        if (iw > z[p]!) {
          z[p] = iw;
          seg[p] = id;
          const s = LUT_N / iw;
          const r = (R0 + e1 * dR1 + e2 * dR2) * s;
          const g = (G0 + e1 * dG1 + e2 * dG2) * s;
          const bl = (B0 + e1 * dB1 + e2 * dB2) * s;
          const q = 3 * p;
          rgb[q] = lut[r >= LUT_N ? LUT_N : r > 0 ? (r + 0.5) | 0 : 0]!;
          rgb[q + 1] = lut[g >= LUT_N ? LUT_N : g > 0 ? (g + 0.5) | 0 : 0]!;
          rgb[q + 2] = lut[bl >= LUT_N ? LUT_N : bl > 0 ? (bl + 0.5) | 0 : 0]!;
        }
      }
      e0 += sx0;
      e1 += sx1;
      e2 += sx2;
    }
    r0 += sy0;
    r1 += sy1;
    r2 += sy2;
  }
}
