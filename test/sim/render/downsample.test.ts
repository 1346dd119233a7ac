/** Supersampling: box-filtering k x k samples into one pixel, in linear light; labels by majority; nearest depth. */
import { describe, expect, it } from 'vitest';
import { downsampleImage, MAX_SUPERSAMPLING } from '../../../sim/render/downsample.js';
import { createCameraImage } from '../../../sim/render/imageIO.js';
import { linearToSrgbByte } from '../../../sim/render/raster.js';
import { Environment } from '../../../sim/env/Environment.js';

/** A (2W x 2H) image whose every 2x2 block holds the given four grey bytes, labels and depths, top-left first. */
function blocks(W: number, H: number, grey: number[], labels: number[], depths: number[]) {
  const src = createCameraImage(2 * W, 2 * H, { depth: true, segmentation: true });
  for (let y = 0; y < 2 * H; y++) {
    for (let x = 0; x < 2 * W; x++) {
      const i = (y % 2) * 2 + (x % 2);
      const p = y * 2 * W + x;
      src.rgb.fill(grey[i]!, p * 3, p * 3 + 3);
      src.segmentation![p] = labels[i]!;
      src.depth![p] = depths[i]!;
    }
  }
  return src;
}

describe('downsampleImage', () => {
  it('averages in linear light: half black, half white is sRGB 188, not 128', () => {
    const out = downsampleImage(blocks(3, 2, [0, 255, 255, 0], [0, 0, 0, 0], [1, 1, 1, 1]), 2, createCameraImage(3, 2));
    expect(linearToSrgbByte(0.5)).toBe(188);
    expect([...out.rgb]).toEqual(new Array(3 * 2 * 3).fill(188));
  });

  it('keeps a uniform colour, gives each pixel the label most samples have (ties to the object) and the nearest depth', () => {
    const out = createCameraImage(2, 2, { depth: true, segmentation: true });
    downsampleImage(blocks(2, 2, [77, 77, 77, 77], [3, 3, 0, 5], [2, 0.5, Infinity, 1]), 2, out);
    expect([...out.rgb]).toEqual(new Array(12).fill(77));
    expect([...out.segmentation!]).toEqual([3, 3, 3, 3]);
    expect([...out.depth!]).toEqual([0.5, 0.5, 0.5, 0.5]);
    downsampleImage(blocks(2, 2, [0, 0, 0, 0], [0, 0, 4, 4], [1, 1, 1, 1]), 2, out);
    expect([...out.segmentation!]).toEqual([4, 4, 4, 4]);
    downsampleImage(blocks(2, 2, [0, 0, 0, 0], [0, 0, 0, 4], [1, 1, 1, 1]), 2, out);
    expect([...out.segmentation!]).toEqual([0, 0, 0, 0]);
  });

  it('is a copy at factor 1, and refuses sizes that do not match the factor', () => {
    const src = blocks(2, 2, [10, 200, 30, 90], [0, 1, 2, 3], [1, 2, 3, 4]);
    const same = downsampleImage(src, 1, createCameraImage(4, 4, { segmentation: true }));
    expect([...same.rgb]).toEqual([...src.rgb]);
    expect([...same.segmentation!]).toEqual([...src.segmentation!]);
    expect(() => downsampleImage(src, 2, createCameraImage(3, 2))).toThrow(/3x2 image at factor 2 needs a 6x4 source, got 4x4/);
    expect(() => downsampleImage(src, MAX_SUPERSAMPLING + 1, createCameraImage(1, 1))).toThrow(/integer 1\.\.8/);
  });
});

describe('Environment cameras with supersampling', () => {
  it('render k times larger and box-filter down: soft edges with more distinct colours, the same picture otherwise', () => {
    const env = new Environment({ cameras: [{ name: 'scene', width: 32, height: 32, segmentation: true, supersampling: 4 }] });
    const obs = env.reset({ seed: 0, command: 'pick up the red ball' });
    const aa = obs.images.scene!;
    const big = env.render('scene', 128, 128, { segmentation: true });
    const expected = downsampleImage(big, 4, createCameraImage(32, 32, { segmentation: true }));
    expect(Buffer.from(aa.rgb).equals(Buffer.from(expected.rgb))).toBe(true);
    expect(Buffer.from(aa.segmentation!).equals(Buffer.from(expected.segmentation!))).toBe(true);
    const plain = env.render('scene', 32, 32, { segmentation: true });
    const colours = (rgb: Uint8Array) => new Set(Array.from({ length: rgb.length / 3 }, (_, i) => (rgb[3 * i]! << 16) | (rgb[3 * i + 1]! << 8) | rgb[3 * i + 2]!)).size;
    expect(colours(aa.rgb)).toBeGreaterThan(2 * colours(plain.rgb));
    // Most pixels (the table) are the same; the objects keep about their area in the mask.
    let same = 0;
    for (let i = 0; i < 32 * 32; i++) if (aa.rgb[3 * i] === plain.rgb[3 * i]) same++;
    expect(same).toBeGreaterThan(0.8 * 32 * 32);
    const area = (m: Uint8Array) => m.reduce((s, v) => s + (v > 0 ? 1 : 0), 0);
    expect(Math.abs(area(aa.segmentation!) - area(plain.segmentation!))).toBeLessThan(0.3 * area(plain.segmentation!));
    expect(() => env.render('scene', 32, 32, { supersampling: 0 })).toThrow(/camera "scene": supersampling must be an integer from 1 to 8, got 0/);
  });
});
