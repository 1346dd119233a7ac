/** The part of gifenc 1.0.3 (https://github.com/mattdesl/gifenc, no bundled types) that sim/render uses. */
declare module 'gifenc' {
  /** RGB (or RGBA) colours, bytes. */
  export type Palette = number[][];
  export type PixelFormat = 'rgb565' | 'rgb444' | 'rgba4444';
  export interface GifFrameOptions {
    palette?: Palette;
    /** Frame delay, milliseconds. */
    delay?: number;
    /** 0 = loop forever, -1 = play once, n = n repetitions. */
    repeat?: number;
    transparent?: boolean;
    transparentIndex?: number;
    dispose?: number;
    first?: boolean;
  }
  export interface GifEncoderStream {
    writeFrame(index: Uint8Array, width: number, height: number, options?: GifFrameOptions): void;
    finish(): void;
    /** A copy of the bytes written. */
    bytes(): Uint8Array;
    bytesView(): Uint8Array;
    reset(): void;
  }
  export function GIFEncoder(options?: { auto?: boolean; initialCapacity?: number }): GifEncoderStream;
  /** Quantises RGBA pixels (4 bytes each) to at most maxColors colours (pairwise nearest neighbour clustering). */
  export function quantize(
    rgba: Uint8Array | Uint8ClampedArray,
    maxColors: number,
    options?: { format?: PixelFormat; oneBitAlpha?: boolean | number; clearAlpha?: boolean },
  ): Palette;
  /** Index of the nearest palette colour for every RGBA pixel. */
  export function applyPalette(rgba: Uint8Array | Uint8ClampedArray, palette: Palette, format?: PixelFormat): Uint8Array;
}
