/**
 * The viewer's attention panel (browser code) on a stand-in 2-D canvas: the heatmap it paints is the selected head's
 * (or the heads' mean) map of the selected word, min-max scaled onto the colour ramp, and drawing frame after frame
 * reuses its image buffers instead of allocating new ones (it redraws 20 times a second).
 */
import { describe, expect, it } from 'vitest';

interface FakeImageData {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

class FakeCanvas {
  width = 0;
  height = 0;
  created = 0;
  painted: FakeImageData | null = null;
  private readonly ctx = {
    fillStyle: '',
    imageSmoothingEnabled: true,
    fillRect: () => {},
    drawImage: () => {},
    createImageData: (w: number, h: number): FakeImageData => {
      this.created++;
      return { width: w, height: h, data: new Uint8ClampedArray(w * h * 4) };
    },
    putImageData: (img: FakeImageData) => {
      this.painted = img;
    },
  };
  getContext() {
    return this.ctx;
  }
}

const made: FakeCanvas[] = [];
(globalThis as { document?: unknown }).document = { createElement: () => (made.push(new FakeCanvas()), made.at(-1)) };
const { AttentionPanel, heatColour } = await import('../../src/viewer/public/AttentionPanel.js');

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

describe('AttentionPanel', () => {
  it('paints the chosen word and head (or the mean of the heads) min-max scaled, reusing its buffers frame after frame', () => {
    const panel = new AttentionPanel(new FakeCanvas(), { textContent: '' });
    const [imageCanvas, heatCanvas] = made.slice(-2) as [FakeCanvas, FakeCanvas];
    // 1 layer, 2 heads, 2 words, 1 camera, a 2x2 patch grid: maps[layer][head][word][patch].
    panel.setPolicy({ grid: [2, 2], heads: 2, cameras: ['scene'] });
    panel.setWords({ words: ['red', 'ball'] });
    const maps = new Float32Array([
      ...[0.1, 0.2, 0.3, 0.4], // head 0, "red"
      ...[0.7, 0.1, 0.1, 0.1], // head 0, "ball"
      ...[0.3, 0.2, 0.1, 0.4], // head 1, "red"
      ...[0.1, 0.1, 0.1, 0.7], // head 1, "ball"
    ]);
    const frame = { maps: b64(new Uint8Array(maps.buffer)), images: [b64(new Uint8Array(4 * 4 * 3).fill(9))], width: 4, height: 4 };
    const ramp = (v: number) => [...heatColour(v), Math.round(255 * (0.15 + 0.6 * v))];
    const pixels = () => Array.from({ length: 4 }, (_, i) => Array.from(heatCanvas.painted!.data.slice(4 * i, 4 * i + 4)));

    panel.select({ word: 1, head: '0' });
    panel.setFrame(frame);
    expect(pixels()).toEqual([ramp(1), ramp(0), ramp(0), ramp(0)]); // head 0 of "ball": patch 0 at the top
    panel.select({ head: 'avg' }); // mean of the heads for "ball": 0.4, 0.1, 0.1, 0.4
    expect(pixels()).toEqual([ramp(1), ramp(0), ramp(0), ramp(1)]);
    panel.select({ word: 0 }); // mean for "red": 0.2, 0.2, 0.2, 0.4
    expect(pixels()).toEqual([ramp(0), ramp(0), ramp(0), ramp(1)]);
    expect(Array.from(imageCanvas.painted!.data.slice(0, 4))).toEqual([9, 9, 9, 255]); // the camera image under it

    for (let k = 0; k < 20; k++) panel.setFrame(frame);
    expect([imageCanvas.created, heatCanvas.created]).toEqual([1, 1]); // one ImageData each for 23 draws
    expect(panel.draws).toBe(23);
  });

  it('colours the ends of the ramp with its first and last stops', () => {
    expect(heatColour(0)).toEqual([0, 0, 40]);
    expect(heatColour(1)).toEqual([252, 255, 164]);
    expect(heatColour(0.35)).toEqual([120, 28, 109]);
  });
});
