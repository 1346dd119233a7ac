import { describe, expect, it } from 'vitest';
import {
  GifRecorder,
  createCameraImage,
  decodePng,
  depthToImage,
  encodePng,
  segmentationToImage,
  tileImages,
  upscale,
} from '../../../sim/render/imageIO.js';
import { benchRenderer } from '../../../sim/render/index.js';
import type { CameraImage } from '../../../sim/types.js';

function gradient(w: number, h: number): CameraImage {
  const im = createCameraImage(w, h, { depth: true, segmentation: true });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      im.rgb.set([(x * 37) % 256, (y * 53) % 256, (x * y) % 256], 3 * i);
      im.depth![i] = x + y === 0 ? Infinity : 0.5 + 0.01 * (x + y);
      im.segmentation![i] = (x + y) % 3;
    }
  }
  return im;
}

describe('image files', () => {
  it('PNG round trip keeps every byte', () => {
    const im = gradient(13, 7);
    const png = encodePng(im);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    const back = decodePng(png);
    expect([back.width, back.height]).toEqual([13, 7]);
    expect(Buffer.from(back.rgb).equals(Buffer.from(im.rgb))).toBe(true);
  });

  it('GIF starts with GIF89a, per-frame and fixed palettes, and rejects a frame of another size', () => {
    for (const palette of ['per-frame', 'fixed'] as const) {
      const gif = new GifRecorder({ delayMs: 50, palette });
      gif.addFrame(gradient(16, 12)).addFrame(upscale(gradient(8, 6), 2));
      expect(() => gif.addFrame(gradient(8, 8))).toThrow(/16x12/);
      const bytes = gif.finish();
      expect(Buffer.from(bytes.subarray(0, 6)).toString('latin1')).toBe('GIF89a');
      expect(bytes[bytes.length - 1]).toBe(0x3b); // trailer
      expect(gif.frames).toBe(2);
    }
  });

  it('upscale repeats pixels (and depth, segmentation); tileImages puts images side by side', () => {
    const im = gradient(3, 2);
    const big = upscale(im, 3);
    expect([big.width, big.height]).toEqual([9, 6]);
    for (let y = 0; y < 6; y++) {
      for (let x = 0; x < 9; x++) {
        const s = Math.floor(y / 3) * 3 + Math.floor(x / 3);
        expect(Array.from(big.rgb.subarray(3 * (y * 9 + x), 3 * (y * 9 + x) + 3))).toEqual(Array.from(im.rgb.subarray(3 * s, 3 * s + 3)));
        expect(big.depth![y * 9 + x]).toBe(im.depth![s]);
        expect(big.segmentation![y * 9 + x]).toBe(im.segmentation![s]);
      }
    }
    expect(() => upscale(im, 1.5)).toThrow();
    const tiled = tileImages([im, big], { gap: 1, background: [9, 9, 9] });
    expect([tiled.width, tiled.height]).toEqual([13, 6]);
    expect(Array.from(tiled.rgb.subarray(3 * 4, 3 * 5))).toEqual(Array.from(big.rgb.subarray(0, 3)));
    expect(Array.from(tiled.rgb.subarray(3 * 3, 3 * 4))).toEqual([9, 9, 9]); // the gap
    expect(Array.from(tiled.rgb.subarray(3 * (5 * 13), 3 * (5 * 13) + 3))).toEqual([9, 9, 9]); // below the short one
  });

  it('depth and segmentation have false-colour views', () => {
    const im = gradient(4, 4);
    const d = depthToImage(im);
    expect(d.rgb[0]).toBe(0); // Infinity -> black
    expect(d.rgb[3]).toBe(255); // nearest -> white
    const s = segmentationToImage(im);
    expect(Array.from(s.rgb.subarray(9, 12))).toEqual([0, 0, 0]); // id 0 at (3, 0)
    expect(s.rgb.subarray(3, 6).some((v) => v > 0)).toBe(true);
  });
});

describe('benchRenderer', () => {
  it('returns a median frame time per size', () => {
    const res = benchRenderer([[32, 24]], { frames: 5, warmup: 2 });
    expect(res).toHaveLength(1);
    expect(res[0]).toMatchObject({ width: 32, height: 24, frames: 5 });
    expect(res[0]!.medianMs).toBeGreaterThan(0);
    expect(res[0]!.drawnTriangles).toBeGreaterThan(50);
    expect(res[0]!.sceneTriangles).toBeGreaterThan(1000);
  });
});
