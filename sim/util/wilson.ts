/**
 * The Wilson score interval of a success rate (Wilson 1927; Brown, Cai & DasGupta 2001 recommend it over the
 * normal approximation for small counts and rates near 0 or 1): the rates p for which k successes in n trials are
 * within z standard errors. z = 1.96 gives the 95% interval.
 */
export interface RateInterval {
  low: number;
  high: number;
}

export const Z95 = 1.959963984540054;

export function wilsonInterval(successes: number, n: number, z = Z95): RateInterval {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(successes) || successes < 0 || successes > n) {
    throw new Error(`wilsonInterval: expected whole numbers 0 <= successes <= n, got ${successes} of ${n}`);
  }
  if (n === 0) return { low: 0, high: 1 };
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  // Clamped: at k = 0 or k = n the bound equals 0 or 1 up to rounding.
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** "93.0% (186/200, 95% CI 88.6-95.8%)". */
export function formatRate(successes: number, n: number): string {
  if (n === 0) return 'no episodes';
  const { low, high } = wilsonInterval(successes, n);
  const pct = (x: number) => (100 * x).toFixed(1);
  return `${pct(successes / n)}% (${successes}/${n}, 95% CI ${pct(low)}-${pct(high)}%)`;
}
