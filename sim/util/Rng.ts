/**
 * A small seeded pseudo-random generator (mulberry32) for everything the simulator samples: scenes, commands,
 * episodes. Integer arithmetic only (Math.imul, shifts), so a seed gives the same numbers on every platform and
 * Node version; `normal` adds Math.log/sqrt/cos, which V8 computes with the same fdlibm port everywhere.
 *
 * Not cryptographic. Period 2^32 per stream; `fork` derives independent-looking child streams.
 */

/** 32-bit FNV-1a of a string, then a murmur3 finaliser so similar strings give unrelated seeds. */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Seeds: any integer in [0, 2^32) is used as is; other numbers and strings are hashed. */
export type Seed = number | string;

export function seedToUint32(seed: Seed): number {
  if (typeof seed === 'number') {
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be finite, got ${seed}`);
    if (Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff) return seed;
    return hashSeed(`n:${seed}`);
  }
  return hashSeed(`s:${seed}`);
}

export class Rng {
  private state: number;
  /** The seed the generator was built from (after conversion to 32 bits). */
  readonly seed: number;

  constructor(seed: Seed) {
    this.seed = seedToUint32(seed);
    this.state = this.seed;
  }

  /** The next raw 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  float(lo: number, hi: number): number {
    if (!(hi >= lo)) throw new Error(`Rng.float: need lo <= hi, got ${lo}, ${hi}`);
    return lo + (hi - lo) * this.nextFloat();
  }

  /** Uniform integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) {
      throw new Error(`Rng.int: need integers lo <= hi, got ${lo}, ${hi}`);
    }
    const span = hi - lo + 1;
    if (span > 4294967296) throw new Error(`Rng.int: range too large (${span})`);
    // Rejection sampling keeps the distribution exactly uniform.
    const limit = 4294967296 - (4294967296 % span);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return lo + (x % span);
  }

  /** True with probability p. */
  bool(p = 0.5): boolean {
    return this.nextFloat() < p;
  }

  /** One element, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick: empty array');
    return items[this.int(0, items.length - 1)] as T;
  }

  /** A shuffled copy (Fisher-Yates); the input is left alone. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  /** Gaussian sample (Box-Muller). */
  normal(mean = 0, std = 1): number {
    const u = 1 - this.nextFloat(); // (0, 1]
    const v = this.nextFloat();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A child generator whose stream depends on this one's next output and the label; advances this one once. */
  fork(label = ''): Rng {
    return new Rng(hashSeed(`${this.nextUint32()}:${label}`));
  }

  /** The internal state, to save and restore a position in the stream. */
  getState(): number {
    return this.state >>> 0;
  }

  setState(state: number): void {
    this.state = state | 0;
  }
}
