/** The seeded generator: reproducible streams, ranges, and no mutation in shuffle. */
import { describe, expect, it } from 'vitest';
import { Rng, hashSeed, seedToUint32 } from '../../../sim/util/Rng.js';

const take = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.nextUint32());

describe('Rng', () => {
  it('gives the same stream for the same seed and different streams for different seeds', () => {
    expect(take(new Rng(42), 20)).toEqual(take(new Rng(42), 20));
    expect(take(new Rng('episode-7'), 20)).toEqual(take(new Rng('episode-7'), 20));
    expect(take(new Rng(42), 20)).not.toEqual(take(new Rng(43), 20));
    expect(take(new Rng('a'), 5)).not.toEqual(take(new Rng('b'), 5));
  });

  it('is pinned to mulberry32 (same numbers on every platform)', () => {
    // The first outputs of the widely published mulberry32 (bryc/code, PRNGs.md) seeded with 1.
    expect(take(new Rng(1), 3)).toEqual([2693262067, 11749833, 2265367787]);
  });

  it('keeps floats, ints and picks in range', () => {
    const rng = new Rng(9);
    for (let i = 0; i < 2000; i++) {
      const f = rng.nextFloat();
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
      const n = rng.int(-3, 4);
      expect(Number.isInteger(n) && n >= -3 && n <= 4).toBe(true);
      const g = rng.float(0.2, 0.5);
      expect(g >= 0.2 && g < 0.5).toBe(true);
    }
    const seen = new Set(Array.from({ length: 500 }, () => rng.int(0, 5)));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(['a', 'b', 'c']).toContain(rng.pick(['a', 'b', 'c']));
    expect(() => rng.pick([])).toThrow(/empty/);
    expect(() => rng.int(3, 2)).toThrow(/lo <= hi/);
  });

  it('shuffles a copy and keeps every element', () => {
    const items = Object.freeze([1, 2, 3, 4, 5, 6, 7, 8]);
    const out = new Rng(3).shuffle(items);
    expect([...out].sort()).toEqual([...items]);
    expect(items).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('draws normals with about the right mean and spread', () => {
    const rng = new Rng(11);
    const xs = Array.from({ length: 20000 }, () => rng.normal(1, 2));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    expect(mean).toBeCloseTo(1, 1);
    expect(sd).toBeCloseTo(2, 1);
  });

  it('saves and restores state, and forks reproducibly', () => {
    const rng = new Rng(5);
    rng.nextUint32();
    const state = rng.getState();
    const a = take(rng, 5);
    rng.setState(state);
    expect(take(rng, 5)).toEqual(a);
    expect(take(new Rng(5).fork('x'), 5)).toEqual(take(new Rng(5).fork('x'), 5));
    expect(take(new Rng(5).fork('x'), 5)).not.toEqual(take(new Rng(5).fork('y'), 5));
  });

  it('converts seeds: uint32 as is, others hashed', () => {
    expect(seedToUint32(123)).toBe(123);
    expect(seedToUint32(-1)).not.toBe(-1);
    expect(seedToUint32(0.5)).toBe(seedToUint32(0.5));
    expect(hashSeed('abc')).toBe(hashSeed('abc'));
    expect(() => new Rng(Number.NaN)).toThrow(/finite/);
  });
});
