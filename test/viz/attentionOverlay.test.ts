/** The per-word attention overlay: heat lands where the map puts its mass, panels are laid out, errors are clear. */
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { renderAttentionOverlayPng, upsampleGrid } from '../../src/viz/attentionOverlay.js';

const grey = { width: 16, height: 16, rgb: new Uint8Array(16 * 16 * 3).fill(128) };

async function decode(png: Buffer) {
  const img = await loadImage(png);
  const c = createCanvas(img.width, img.height);
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  return { width: img.width, data: g.getImageData(0, 0, img.width, img.height).data };
}

describe('upsampleGrid', () => {
  it('keeps a grid value at its cell centre and interpolates between', () => {
    const up = upsampleGrid([0, 1, 2, 3], 2, 2, 4, 4);
    expect(up[0]).toBeCloseTo(0); // top-left pixel sits in the top-left cell
    expect(up[15]).toBeCloseTo(3);
    expect(up[1 * 4 + 1]).toBeGreaterThan(0);
    expect(up[1 * 4 + 1]).toBeLessThan(3);
    expect(() => upsampleGrid([1, 2, 3], 2, 2, 4, 4)).toThrow(/expected 2x2 = 4/);
  });
});

describe('renderAttentionOverlayPng', () => {
  it('colours the attended patch and leaves the rest of the image as it was', async () => {
    const map = new Float32Array(16);
    map[0] = 1; // all mass on the top-left patch of a 4x4 grid
    const png = renderAttentionOverlayPng(grey, [{ label: 'red', map }], { grid: [4, 4], panelSize: 64 });
    const img = await decode(png);
    const at = (x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 3));
    const gap = 6;
    const labelH = 22;
    const hot = at(gap + 4, gap + labelH + 4); // inside the top-left patch
    const cold = at(gap + 60, gap + labelH + 60); // bottom-right
    expect(cold).toEqual([128, 128, 128]);
    expect(hot).not.toEqual([128, 128, 128]);
  });

  it('lays out one labelled panel per word', async () => {
    const maps = ['pick', 'red', 'ball'].map((label, i) => ({ label, map: Float32Array.from({ length: 4 }, (_, j) => (j === i ? 1 : 0)) }));
    const one = await decode(renderAttentionOverlayPng(grey, maps.slice(0, 1), { grid: [2, 2], panelSize: 50 }));
    const three = await decode(renderAttentionOverlayPng(grey, maps, { grid: [2, 2], panelSize: 50, title: 'pick up the red ball' }));
    expect(three.width).toBe(one.width + 2 * (50 + 6));
  });

  it('refuses empty panels and mismatched images', () => {
    expect(() => renderAttentionOverlayPng(grey, [], { grid: [2, 2] })).toThrow(/no panels/);
    expect(() => renderAttentionOverlayPng({ ...grey, rgb: new Uint8Array(5) }, [{ label: 'x', map: [1, 0, 0, 0] }], { grid: [2, 2] })).toThrow(/768 bytes/);
  });
});
