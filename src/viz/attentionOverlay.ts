/**
 * Where the model looks, as a picture: one panel per word, each the camera image with that word's
 * cross-attention map over the patch grid laid on top as a heatmap, labelled with the word and with how peaked
 * the map is (the hottest patch's weight against the uniform share 1 / patches). Only attention above the
 * uniform share is coloured, so a map that looks everywhere leaves the image uncoloured.
 */
import { createCanvas, type SKRSContext2D } from '@napi-rs/canvas';
import { rampColor } from './heatmap.js';

export interface OverlayImage {
  width: number;
  height: number;
  /** Row-major RGB, 3 bytes per pixel. */
  rgb: Uint8Array;
}

export interface AttentionPanel {
  /** The label, e.g. the word ("red"), marked when the tokenizer did not know it. */
  label: string;
  /** Attention over the patch grid, row-major from the top-left patch, gh * gw values. */
  map: ArrayLike<number>;
}

export interface OverlayOptions {
  grid: readonly [number, number];
  /** Pixel size of each panel's image; default 192. */
  panelSize?: number;
  /** Heat opacity at the map's maximum; default 0.65. */
  alpha?: number;
  title?: string;
  /** Scale each panel to its own maximum (default) or to the maximum over all panels. */
  scale?: 'panel' | 'shared';
}

/** Samples a gh x gw grid bilinearly at pixel centres of a w x h image (patch centres at cell centres). */
export function upsampleGrid(map: ArrayLike<number>, gh: number, gw: number, w: number, h: number): Float32Array {
  if (map.length !== gh * gw) throw new Error(`attention map has ${map.length} values, expected ${gh}x${gw} = ${gh * gw}`);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const gy = Math.min(gh - 1, Math.max(0, ((y + 0.5) / h) * gh - 0.5));
    const y0 = Math.floor(gy);
    const y1 = Math.min(gh - 1, y0 + 1);
    const fy = gy - y0;
    for (let x = 0; x < w; x++) {
      const gx = Math.min(gw - 1, Math.max(0, ((x + 0.5) / w) * gw - 0.5));
      const x0 = Math.floor(gx);
      const x1 = Math.min(gw - 1, x0 + 1);
      const fx = gx - x0;
      const top = map[y0 * gw + x0]! * (1 - fx) + map[y0 * gw + x1]! * fx;
      const bottom = map[y1 * gw + x0]! * (1 - fx) + map[y1 * gw + x1]! * fx;
      out[y * w + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

function drawPanel(
  g: SKRSContext2D,
  image: OverlayImage,
  heat: Float32Array,
  base: number,
  max: number,
  x0: number,
  y0: number,
  size: number,
  alpha: number,
): void {
  const data = g.createImageData(size, size);
  const px = data.data;
  for (let y = 0; y < size; y++) {
    const sy = Math.min(image.height - 1, Math.floor((y / size) * image.height));
    for (let x = 0; x < size; x++) {
      const sx = Math.min(image.width - 1, Math.floor((x / size) * image.width));
      const s = (sy * image.width + sx) * 3;
      // Only attention above the uniform share shows: a uniform map leaves the image as it is.
      const t = max > base ? Math.max(0, heat[y * size + x]! - base) / (max - base) : 0;
      const [r, gg, b] = rampColor(t);
      const a = alpha * Math.min(1, t * 1.2);
      const d = (y * size + x) * 4;
      px[d] = image.rgb[s]! * (1 - a) + r * a;
      px[d + 1] = image.rgb[s + 1]! * (1 - a) + gg * a;
      px[d + 2] = image.rgb[s + 2]! * (1 - a) + b * a;
      px[d + 3] = 255;
    }
  }
  g.putImageData(data, x0, y0);
}

/** Renders the panels side by side (wrapping after 6) and returns PNG bytes. */
export function renderAttentionOverlayPng(image: OverlayImage, panels: readonly AttentionPanel[], o: OverlayOptions): Buffer {
  if (panels.length === 0) throw new Error('renderAttentionOverlayPng: no panels (the command has no words?)');
  if (image.rgb.length !== image.width * image.height * 3) {
    throw new Error(`renderAttentionOverlayPng: image needs ${image.width * image.height * 3} bytes, got ${image.rgb.length}`);
  }
  const size = o.panelSize ?? 192;
  const alpha = o.alpha ?? 0.65;
  const [gh, gw] = o.grid;
  const cols = Math.min(6, panels.length);
  const rows = Math.ceil(panels.length / cols);
  const label = 22;
  const top = o.title ? 26 : 0;
  const gap = 6;
  const TITLE_FONT = '14px "DejaVu Sans", "NanumGothic", sans-serif';
  const measure = createCanvas(1, 1).getContext('2d');
  measure.font = TITLE_FONT;
  const titleWidth = o.title ? Math.ceil(measure.measureText(o.title).width) + 2 * gap : 0; // a long title widens the image
  const canvas = createCanvas(Math.max(cols * (size + gap) + gap, titleWidth), top + rows * (size + label + gap) + gap);
  const g = canvas.getContext('2d');
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, canvas.width, canvas.height);
  const heats = panels.map((p) => upsampleGrid(p.map, gh, gw, size, size));
  const maxOf = (h: Float32Array) => h.reduce((m, v) => Math.max(m, v), 0);
  const shared = Math.max(...heats.map(maxOf));
  const base = 1 / (gh * gw); // the share of every patch under uniform attention
  panels.forEach((p, i) => {
    const x = gap + (i % cols) * (size + gap);
    const y = top + gap + Math.floor(i / cols) * (size + label + gap);
    const hottest = o.scale === 'shared' ? shared : maxOf(heats[i]!);
    // Strength grows with how peaked the map is: full at 3x the uniform share, nothing for a uniform map.
    const strength = Math.min(1, Math.max(0, (maxOf(heats[i]!) * gh * gw - 1) / 2));
    drawPanel(g, image, heats[i]!, base, hottest, x, y + label, size, alpha * strength);
    const peak = maxOf(heats[i]!) * gh * gw; // how many times the uniform share the hottest patch gets
    g.fillStyle = '#000000';
    g.font = 'bold 15px "DejaVu Sans", "NanumGothic", sans-serif';
    g.textBaseline = 'top';
    g.fillText(p.label, x + 2, y + 3);
    const w = g.measureText(p.label).width;
    g.font = '11px "DejaVu Sans", "NanumGothic", sans-serif';
    g.fillStyle = '#555555';
    g.fillText(`peak ${peak.toFixed(1)}x`, x + 8 + w, y + 6);
  });
  if (o.title) {
    g.fillStyle = '#000000';
    g.font = TITLE_FONT;
    g.textBaseline = 'top';
    g.fillText(o.title, gap, 6);
  }
  return canvas.toBuffer('image/png');
}
