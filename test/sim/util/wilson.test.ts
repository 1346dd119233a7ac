import { describe, expect, it } from 'vitest';
import { formatRate, wilsonInterval } from '../../../sim/util/wilson.js';

describe('wilsonInterval', () => {
  it('matches textbook values (Brown, Cai & DasGupta 2001; Newcombe 1998)', () => {
    // 0 of 10: [0, 0.2775]; 5 of 10: [0.2366, 0.7634]; 81 of 263 (Newcombe's example): [0.2553, 0.3662].
    const a = wilsonInterval(0, 10);
    expect(a.low).toBe(0);
    expect(a.high).toBeCloseTo(0.2775, 4);
    const b = wilsonInterval(5, 10);
    expect(b.low).toBeCloseTo(0.2366, 4);
    expect(b.high).toBeCloseTo(0.7634, 4);
    const c = wilsonInterval(81, 263);
    expect(c.low).toBeCloseTo(0.2553, 4);
    expect(c.high).toBeCloseTo(0.3662, 4);
  });

  it('narrows with more episodes and always holds the observed rate', () => {
    const few = wilsonInterval(19, 20);
    const many = wilsonInterval(190, 200);
    expect(many.high - many.low).toBeLessThan(few.high - few.low);
    for (const [k, n] of [[0, 5], [5, 5], [3, 7], [186, 200]] as const) {
      const i = wilsonInterval(k, n);
      expect(i.low).toBeLessThanOrEqual(k / n);
      expect(i.high).toBeGreaterThanOrEqual(k / n);
    }
  });

  it('refuses impossible counts and formats a rate with its count', () => {
    expect(() => wilsonInterval(3, 2)).toThrow(/0 <= successes <= n/);
    expect(() => wilsonInterval(1.5, 4)).toThrow(/whole numbers/);
    expect(formatRate(186, 200)).toBe('93.0% (186/200, 95% CI 88.6-95.8%)');
  });
});
