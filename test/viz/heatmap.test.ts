/** The PNG heatmap: right size, colours follow the values, bad input is refused. */
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { rampColor, renderHeatmapGrid, renderHeatmapPng } from '../../src/viz/heatmap.js';

async function decode(png: Buffer) {
  const img = await loadImage(png);
  const c = createCanvas(img.width, img.height);
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  return { width: img.width, height: img.height, data: g.getImageData(0, 0, img.width, img.height).data };
}

describe('renderHeatmapPng', () => {
  it('draws each cell in the colour of its value', async () => {
    const cell = 40;
    const png = renderHeatmapPng({ values: [0, 1, 1, 0], rows: 2, cols: 2, cell });
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    const img = await decode(png);
    // No labels and no title: the grid starts at (12, 12).
    const px = (x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 3));
    const corner = (r: number, c: number) => px(12 + c * cell + 4, 12 + r * cell + 4);
    expect(corner(0, 0)).toEqual(rampColor(0));
    expect(corner(0, 1)).toEqual(rampColor(1));
    expect(corner(1, 0)).toEqual(rampColor(1));
    expect(corner(1, 1)).toEqual(rampColor(0));
  });

  it('makes room for labels and a title', async () => {
    const plain = await decode(renderHeatmapPng({ values: [0.5], rows: 1, cols: 1 }));
    const labelled = await decode(
      renderHeatmapPng({ values: [0.5], rows: 1, cols: 1, rowLabels: ['query'], colLabels: ['key'], title: 'a long title here' }),
    );
    expect(labelled.width).toBeGreaterThan(plain.width);
    expect(labelled.height).toBeGreaterThan(plain.height);
  });

  it('refuses a value count that does not match rows x cols', () => {
    expect(() => renderHeatmapPng({ values: [1, 2, 3], rows: 2, cols: 2 })).toThrow(/needs 4 values, got 3/);
    expect(() => renderHeatmapPng({ values: [1, 2, 3, 4], rows: 2, cols: 2, masked: [true] })).toThrow(/mask .* needs 4 entries, got 1/);
  });

  it('draws a masked cell grey, not in the colour of its value', async () => {
    const cell = 40;
    const img = await decode(renderHeatmapPng({ values: [1, 1], rows: 1, cols: 2, cell, masked: [false, true] }));
    const px = (x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 3));
    expect(px(12 + 2, 12 + 10)).toEqual(rampColor(1));
    expect(px(12 + cell + 2, 12 + 10)).toEqual([217, 217, 217]);
  });
});

describe('renderHeatmapGrid', () => {
  it('lays panels out in rows: two side by side are wider than one, two rows taller', async () => {
    const panel = { values: [0.2, 0.8], rows: 1, cols: 2 };
    const one = await decode(renderHeatmapGrid([[panel]]));
    const side = await decode(renderHeatmapGrid([[panel, panel]]));
    const stacked = await decode(renderHeatmapGrid([[panel], [panel]], 'title'));
    expect(side.width).toBeGreaterThan(one.width + 90);
    expect(side.height).toBe(one.height);
    expect(stacked.height).toBeGreaterThan(one.height + 40);
  });
});

describe('rampColor', () => {
  it('runs from dark to bright and clamps', () => {
    const lum = (c: number[]) => c[0]! + c[1]! + c[2]!;
    expect(lum(rampColor(1))).toBeGreaterThan(lum(rampColor(0.5)));
    expect(lum(rampColor(0.5))).toBeGreaterThan(lum(rampColor(0)));
    expect(rampColor(-3)).toEqual(rampColor(0));
    expect(rampColor(7)).toEqual(rampColor(1));
    expect(rampColor(Number.NaN)).toEqual(rampColor(0));
  });
});
