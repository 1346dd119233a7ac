/**
 * Camera frames from ROS to the policy's input: sensor_msgs/Image (rgb8, bgr8, rgba8, bgra8, mono8) and
 * sensor_msgs/CompressedImage (PNG, JPEG, decoded by @napi-rs/canvas), then a centre crop to a square (or a
 * stretch) and a box-filter resize to the model's imageSize. Sizes are checked before anything is allocated
 * (PNG and JPEG headers are read first), so a huge or corrupt frame is refused with a reason, not decoded.
 */
import { Image, createCanvas } from '@napi-rs/canvas';
import type { CameraImage } from '../../sim/types.js';
import { MESSAGE_TYPES, parseCompressedImage, parseImage, type CompressedFrame, type Parsed, type RawImage } from './messages.js';

export const IMAGE_FIT_MODES = ['crop', 'stretch'] as const;
export type ImageFitMode = (typeof IMAGE_FIT_MODES)[number];

export interface ImageLimits {
  maxWidth: number;
  maxHeight: number;
}

const CHANNELS: Record<string, { n: number; order: readonly [number, number, number] }> = {
  rgb8: { n: 3, order: [0, 1, 2] },
  bgr8: { n: 3, order: [2, 1, 0] },
  rgba8: { n: 4, order: [0, 1, 2] },
  bgra8: { n: 4, order: [2, 1, 0] },
  mono8: { n: 1, order: [0, 0, 0] },
};
export const RAW_ENCODINGS = Object.keys(CHANNELS);

function checkSize(width: number, height: number, limits: ImageLimits, what: string): string | null {
  if (width > limits.maxWidth || height > limits.maxHeight) {
    return `${what} is ${width}x${height}, larger than the limit of ${limits.maxWidth}x${limits.maxHeight}`;
  }
  return null;
}

/** sensor_msgs/Image -> RGB. */
export function decodeRawImage(img: RawImage, limits: ImageLimits): Parsed<CameraImage> {
  const spec = CHANNELS[img.encoding];
  if (!spec) return { ok: false, reason: `Image: encoding "${img.encoding}" is not supported (supported: ${RAW_ENCODINGS.join(', ')})` };
  const tooBig = checkSize(img.width, img.height, limits, 'Image');
  if (tooBig) return { ok: false, reason: tooBig };
  if (img.step < img.width * spec.n) return { ok: false, reason: `Image: step ${img.step} is less than width ${img.width} x ${spec.n} bytes` };
  if (img.data.length < img.step * img.height) {
    return { ok: false, reason: `Image: ${img.width}x${img.height} ${img.encoding} with step ${img.step} needs ${img.step * img.height} bytes, got ${img.data.length}` };
  }
  const { width, height, step, data } = img;
  const rgb = new Uint8Array(width * height * 3);
  const [r, g, b] = spec.order;
  for (let y = 0; y < height; y++) {
    let s = y * step;
    let d = y * width * 3;
    for (let x = 0; x < width; x++, s += spec.n, d += 3) {
      rgb[d] = data[s + r]!;
      rgb[d + 1] = data[s + g]!;
      rgb[d + 2] = data[s + b]!;
    }
  }
  return { ok: true, value: { width, height, rgb } };
}

/** Width and height from a PNG or JPEG header, or a reason; reads no pixel data. */
export function compressedSize(data: Uint8Array): Parsed<{ kind: 'png' | 'jpeg'; width: number; height: number }> {
  if (data.length >= 24 && data[0] === 0x89 && data[1] === 0x50 && data[2] === 0x4e && data[3] === 0x47) {
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    if (!endsWith(data, [0x49, 0x45, 0x4e, 0x44], 4, 12)) return { ok: false, reason: 'CompressedImage: corrupt png (truncated: no IEND chunk)' };
    return { ok: true, value: { kind: 'png', width: dv.getUint32(16), height: dv.getUint32(20) } };
  }
  if (data.length >= 4 && data[0] === 0xff && data[1] === 0xd8) {
    if (!endsWith(data, [0xff, 0xd9], 0, 34)) return { ok: false, reason: 'CompressedImage: corrupt jpeg (truncated: no end-of-image marker)' };
    let i = 2;
    while (i + 9 < data.length) {
      if (data[i] !== 0xff) return { ok: false, reason: 'CompressedImage: corrupt JPEG (bad marker)' };
      const marker = data[i + 1]!;
      const len = (data[i + 2]! << 8) | data[i + 3]!;
      // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        const height = (data[i + 5]! << 8) | data[i + 6]!;
        const width = (data[i + 7]! << 8) | data[i + 8]!;
        return { ok: true, value: { kind: 'jpeg', width, height } };
      }
      if (len < 2) return { ok: false, reason: 'CompressedImage: corrupt JPEG (bad segment length)' };
      i += 2 + len;
    }
    return { ok: false, reason: 'CompressedImage: corrupt JPEG (no frame header)' };
  }
  return { ok: false, reason: 'CompressedImage: data is neither PNG nor JPEG' };
}

/** Whether `tail` occurs within the last `within` bytes of data, at least `skip` bytes before the end. */
function endsWith(data: Uint8Array, tail: readonly number[], skip: number, within: number): boolean {
  for (let i = data.length - tail.length - skip; i >= Math.max(0, data.length - within); i--) {
    if (tail.every((b, k) => data[i + k] === b)) return true;
  }
  return false;
}

/** sensor_msgs/CompressedImage (PNG or JPEG) -> RGB. */
export function decodeCompressedImage(frame: CompressedFrame, limits: ImageLimits): Parsed<CameraImage> {
  const size = compressedSize(frame.data);
  if (!size.ok) return size;
  const { width, height } = size.value;
  if (width <= 0 || height <= 0) return { ok: false, reason: `CompressedImage: header says ${width}x${height}` };
  const tooBig = checkSize(width, height, limits, 'CompressedImage');
  if (tooBig) return { ok: false, reason: tooBig };
  const image = new Image();
  try {
    image.src = Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength);
  } catch (e) {
    return { ok: false, reason: `CompressedImage: cannot decode ${size.value.kind} (${(e as Error).message})` };
  }
  if (image.width !== width || image.height !== height) {
    return { ok: false, reason: `CompressedImage: corrupt ${size.value.kind} (decoded ${image.width}x${image.height}, header says ${width}x${height})` };
  }
  const ctx = createCanvas(width, height).getContext('2d');
  ctx.drawImage(image, 0, 0);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, n = width * height; i < n; i++) {
    rgb[3 * i] = rgba[4 * i]!;
    rgb[3 * i + 1] = rgba[4 * i + 1]!;
    rgb[3 * i + 2] = rgba[4 * i + 2]!;
  }
  return { ok: true, value: { width, height, rgb } };
}

/**
 * Resizes to size x size: 'crop' takes the centred square of the shorter side first (keeps the aspect ratio),
 * 'stretch' scales the whole frame. Each output pixel averages the source pixels it covers (a box filter), so
 * downscaling does not alias; upscaling repeats pixels. Writes into `out` when given.
 */
export function fitImage(src: CameraImage, size: number, mode: ImageFitMode, out?: CameraImage): CameraImage {
  const dst = out ?? { width: size, height: size, rgb: new Uint8Array(size * size * 3) };
  let x0 = 0;
  let y0 = 0;
  let w = src.width;
  let h = src.height;
  if (mode === 'crop') {
    const side = Math.min(w, h);
    x0 = Math.floor((w - side) / 2);
    y0 = Math.floor((h - side) / 2);
    w = side;
    h = side;
  }
  const sx = w / size;
  const sy = h / size;
  const s = src.rgb;
  const d = dst.rgb;
  for (let oy = 0; oy < size; oy++) {
    const ya = y0 + Math.floor(oy * sy);
    const yb = Math.max(ya + 1, y0 + Math.floor((oy + 1) * sy));
    for (let ox = 0; ox < size; ox++) {
      const xa = x0 + Math.floor(ox * sx);
      const xb = Math.max(xa + 1, x0 + Math.floor((ox + 1) * sx));
      let r = 0;
      let g = 0;
      let b = 0;
      for (let y = ya; y < yb; y++) {
        let i = (y * src.width + xa) * 3;
        for (let x = xa; x < xb; x++, i += 3) {
          r += s[i]!;
          g += s[i + 1]!;
          b += s[i + 2]!;
        }
      }
      const n = (yb - ya) * (xb - xa);
      const o = (oy * size + ox) * 3;
      d[o] = Math.round(r / n);
      d[o + 1] = Math.round(g / n);
      d[o + 2] = Math.round(b / n);
    }
  }
  return dst;
}

/** A camera message (sensor_msgs/Image or CompressedImage, as `type` says) -> RGB and its header stamp (s). */
export function readFrame(msg: unknown, type: string, limits: ImageLimits & { maxBytes: number }): Parsed<{ image: CameraImage; stamp: number }> {
  if (type === MESSAGE_TYPES.image) {
    const p = parseImage(msg, limits.maxBytes);
    if (!p.ok) return p;
    const d = decodeRawImage(p.value, limits);
    return d.ok ? { ok: true, value: { image: d.value, stamp: p.value.stamp } } : d;
  }
  const p = parseCompressedImage(msg, limits.maxBytes);
  if (!p.ok) return p;
  const d = decodeCompressedImage(p.value, limits);
  return d.ok ? { ok: true, value: { image: d.value, stamp: p.value.stamp } } : d;
}
