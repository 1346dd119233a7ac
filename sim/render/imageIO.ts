/**
 * Getting camera images out of the simulator: PNG files (@napi-rs/canvas, a Skia binding shipped prebuilt in its
 * npm package), animated GIFs (gifenc: PnnQuant-style palette quantisation + LZW), nearest-neighbour upscaling
 * so a 64x64 policy frame is viewable, side-by-side tiling, and false-colour views of depth and segmentation.
 *
 * Images are CameraImage (sim/types.ts): rgb is width*height*3 bytes, row-major from the top-left pixel.
 */
import { createRequire } from 'node:module';
import { ImageData, Image, createCanvas } from '@napi-rs/canvas';
import type * as Gifenc from 'gifenc';
import type { CameraImage } from '../types.js';

// gifenc's "main" is CommonJS without detectable named exports, and its "module" build has a different default
// export; require() gives the same object under Node, tsx and vitest.
const gifenc = createRequire(import.meta.url)('gifenc') as typeof Gifenc;

/** A black image of the given size (rgb only unless asked). */
export function createCameraImage(
  width: number,
  height: number,
  extra: { depth?: boolean; segmentation?: boolean } = {},
): CameraImage {
  const image: CameraImage = { width, height, rgb: new Uint8Array(width * height * 3) };
  if (extra.depth) image.depth = new Float32Array(width * height).fill(Infinity);
  if (extra.segmentation) image.segmentation = new Uint8Array(width * height);
  return image;
}

function checkImage(image: CameraImage, who: string): void {
  const { width, height, rgb } = image;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`${who}: bad image size ${width}x${height}`);
  }
  if (rgb.length !== width * height * 3) {
    throw new Error(`${who}: a ${width}x${height} image needs ${width * height * 3} rgb bytes, got ${rgb.length}`);
  }
}

/** RGBA bytes (alpha 255) of an image; into `out` if given (length width*height*4). */
export function toRgba(image: CameraImage, out?: Uint8ClampedArray): Uint8ClampedArray {
  const n = image.width * image.height;
  const rgba = out ?? new Uint8ClampedArray(n * 4);
  const rgb = image.rgb;
  for (let i = 0; i < n; i++) {
    rgba[4 * i] = rgb[3 * i]!;
    rgba[4 * i + 1] = rgb[3 * i + 1]!;
    rgba[4 * i + 2] = rgb[3 * i + 2]!;
    rgba[4 * i + 3] = 255;
  }
  return rgba;
}

/** PNG bytes of the image (8-bit RGB(A), no colour-space conversion: the bytes are written as they are). */
export function encodePng(image: CameraImage): Buffer {
  checkImage(image, 'encodePng');
  const canvas = createCanvas(image.width, image.height);
  canvas.getContext('2d').putImageData(new ImageData(toRgba(image), image.width, image.height), 0, 0);
  return canvas.toBuffer('image/png');
}

/** Decodes a PNG (or any format Skia reads) to rgb; alpha is dropped. Synchronous. */
export function decodePng(bytes: Uint8Array): CameraImage {
  const img = new Image();
  img.src = bytes;
  if (!img.complete || img.width === 0) throw new Error('decodePng: could not decode the image');
  const { width, height } = img;
  const ctx = createCanvas(width, height).getContext('2d');
  ctx.drawImage(img, 0, 0);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const out = createCameraImage(width, height);
  for (let i = 0, n = width * height; i < n; i++) {
    out.rgb[3 * i] = rgba[4 * i]!;
    out.rgb[3 * i + 1] = rgba[4 * i + 1]!;
    out.rgb[3 * i + 2] = rgba[4 * i + 2]!;
  }
  return out;
}

/** Nearest-neighbour enlargement by an integer factor; depth and segmentation are enlarged too when present. */
export function upscale(image: CameraImage, factor: number): CameraImage {
  checkImage(image, 'upscale');
  if (!(Number.isInteger(factor) && factor >= 1)) throw new Error(`upscale: factor must be an integer >= 1, got ${factor}`);
  const { width: w, height: h } = image;
  const W = w * factor;
  const out = createCameraImage(W, h * factor, { depth: !!image.depth, segmentation: !!image.segmentation });
  for (let y = 0; y < h * factor; y++) {
    const sy = (y / factor) | 0;
    for (let x = 0; x < W; x++) {
      const s = sy * w + ((x / factor) | 0);
      const d = y * W + x;
      out.rgb[3 * d] = image.rgb[3 * s]!;
      out.rgb[3 * d + 1] = image.rgb[3 * s + 1]!;
      out.rgb[3 * d + 2] = image.rgb[3 * s + 2]!;
      if (image.depth) out.depth![d] = image.depth[s]!;
      if (image.segmentation) out.segmentation![d] = image.segmentation[s]!;
    }
  }
  return out;
}

/** Images side by side, left to right, tops aligned, `gap` pixels of `background` (bytes) between them. */
export function tileImages(
  images: readonly CameraImage[],
  options: { gap?: number; background?: readonly [number, number, number] } = {},
): CameraImage {
  if (images.length === 0) throw new Error('tileImages: no images');
  const gap = options.gap ?? 2;
  const [br, bg, bb] = options.background ?? [255, 255, 255];
  const width = images.reduce((s, im) => s + im.width, 0) + gap * (images.length - 1);
  const height = Math.max(...images.map((im) => im.height));
  const out = createCameraImage(width, height);
  for (let i = 0; i < width * height; i++) {
    out.rgb[3 * i] = br;
    out.rgb[3 * i + 1] = bg;
    out.rgb[3 * i + 2] = bb;
  }
  let x0 = 0;
  for (const im of images) {
    checkImage(im, 'tileImages');
    for (let y = 0; y < im.height; y++) {
      out.rgb.set(im.rgb.subarray(3 * y * im.width, 3 * (y + 1) * im.width), 3 * (y * width + x0));
    }
    x0 += im.width + gap;
  }
  return out;
}

/**
 * Depth (metres) as grey: `near` and closer white, `far` and beyond (and Infinity) black. Defaults: the finite
 * minimum and maximum of the image.
 */
export function depthToImage(image: CameraImage, range: { near?: number; far?: number } = {}): CameraImage {
  const depth = image.depth;
  if (!depth) throw new Error('depthToImage: the image has no depth');
  let lo = Infinity;
  let hi = -Infinity;
  for (const d of depth) {
    if (Number.isFinite(d)) {
      lo = Math.min(lo, d);
      hi = Math.max(hi, d);
    }
  }
  const near = range.near ?? lo;
  const far = range.far ?? hi;
  const out = createCameraImage(image.width, image.height);
  for (let i = 0; i < depth.length; i++) {
    const d = depth[i]!;
    const t = Number.isFinite(d) && far > near ? Math.min(1, Math.max(0, (far - d) / (far - near))) : Number.isFinite(d) ? 1 : 0;
    out.rgb.fill(Math.round(t * 255), 3 * i, 3 * i + 3);
  }
  return out;
}

/** Segmentation ids as distinct colours (0 = black), golden-angle hues. */
export function segmentationToImage(image: CameraImage): CameraImage {
  const seg = image.segmentation;
  if (!seg) throw new Error('segmentationToImage: the image has no segmentation');
  const out = createCameraImage(image.width, image.height);
  for (let i = 0; i < seg.length; i++) {
    const id = seg[i]!;
    if (id === 0) continue;
    const h = (id * 137.508) % 360;
    const f = (n: number) => {
      const k = (n + h / 60) % 6;
      return Math.round(255 * (1 - 0.75 * Math.max(0, Math.min(k, 4 - k, 1))));
    };
    out.rgb[3 * i] = f(5);
    out.rgb[3 * i + 1] = f(3);
    out.rgb[3 * i + 2] = f(1);
  }
  return out;
}

/** A fixed 256-colour palette: the 6x6x6 web-safe cube plus 40 greys between its levels. */
export function fixedPalette(): Gifenc.Palette {
  const p: number[][] = [];
  for (let r = 0; r < 6; r++) for (let g = 0; g < 6; g++) for (let b = 0; b < 6; b++) p.push([r * 51, g * 51, b * 51]);
  for (let i = 0; i < 40; i++) {
    const v = Math.round(((i + 1) * 255) / 41);
    p.push([v, v, v]);
  }
  return p;
}

export interface GifOptions {
  /** Delay per frame, milliseconds (GIF stores hundredths of a second). Default 100. */
  delayMs?: number;
  /** 'per-frame': quantise each frame to its own best palette (default); 'fixed': one 256-colour cube palette. */
  palette?: 'per-frame' | 'fixed';
  /** 0 = loop forever (default), -1 = play once, n = repeat n times. */
  repeat?: number;
}

/** Collects frames of one size into an animated GIF. */
export class GifRecorder {
  private readonly encoder = gifenc.GIFEncoder();
  private readonly delayMs: number;
  private readonly mode: 'per-frame' | 'fixed';
  private readonly repeat: number;
  private readonly fixed: Gifenc.Palette | null;
  private rgba: Uint8ClampedArray | null = null;
  private width = 0;
  private height = 0;
  private finished = false;
  frames = 0;

  constructor(options: GifOptions = {}) {
    this.delayMs = options.delayMs ?? 100;
    this.mode = options.palette ?? 'per-frame';
    this.repeat = options.repeat ?? 0;
    this.fixed = this.mode === 'fixed' ? fixedPalette() : null;
  }

  /** Appends a frame; every frame must have the size of the first. */
  addFrame(image: CameraImage): this {
    if (this.finished) throw new Error('GifRecorder: addFrame after finish');
    checkImage(image, 'GifRecorder.addFrame');
    if (this.frames === 0) {
      this.width = image.width;
      this.height = image.height;
      this.rgba = new Uint8ClampedArray(image.width * image.height * 4);
    } else if (image.width !== this.width || image.height !== this.height) {
      throw new Error(`GifRecorder: frame is ${image.width}x${image.height}, the first was ${this.width}x${this.height}`);
    }
    const rgba = toRgba(image, this.rgba!);
    const palette = this.fixed ?? gifenc.quantize(rgba, 256);
    const index = gifenc.applyPalette(rgba, palette);
    const first = this.frames === 0;
    this.encoder.writeFrame(index, this.width, this.height, {
      delay: this.delayMs,
      ...(first || this.mode === 'per-frame' ? { palette } : {}),
      ...(first ? { repeat: this.repeat } : {}),
    });
    this.frames++;
    return this;
  }

  /** Ends the stream and returns the GIF file's bytes (starting "GIF89a"). */
  finish(): Uint8Array {
    if (this.frames === 0) throw new Error('GifRecorder: no frames');
    if (!this.finished) {
      this.encoder.finish();
      this.finished = true;
    }
    return this.encoder.bytes();
  }
}
