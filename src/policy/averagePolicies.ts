/**
 * `vla average`: a policy whose every weight is the (weighted) mean of the same weight in several trained policies.
 *
 * Averaging the weights of models fine-tuned from one starting point ("model soups", Wortsman et al. 2022,
 * arXiv:2203.05482; stochastic weight averaging, Izmailov et al. 2018) often generalises better than any one of
 * them: runs that start alike end in one basin of the loss, and its middle is flatter than the places single runs
 * stop. Policies trained from different starting weights do not share a basin, and their mean is a broken model.
 * So the policies must agree on everything but the weights: the config (architecture and seed), the tokenizer's
 * vocabulary and the normalisation statistics (otherwise the same weight means different things in each).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeAtomic } from '../io/files.js';
import { loadPolicy, savePolicy } from './checkpoint.js';
import type { VlaPolicy } from './VlaPolicy.js';

export interface AverageOptions {
  /** One positive coefficient per policy (normalised to sum to 1); default: all equal. */
  coefficients?: readonly number[];
}

export interface AverageResult {
  out: string;
  policies: string[];
  /** The coefficients used, summing to 1. */
  coefficients: number[];
  parameters: number;
  /** Each policy's distance from the average, as ||w_i - w_avg|| / ||w_avg|| over all weights. */
  relativeDistances: number[];
}

/** The file in the output folder that says what was averaged. */
export const AVERAGE_RECORD = 'average.json';

/** The top-level fields in which two JSON values differ (both objects), or ['(whole value)']. */
function differingFields(a: unknown, b: unknown): string[] {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return JSON.stringify(a) === JSON.stringify(b) ? [] : ['(whole value)'];
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(ao), ...Object.keys(bo)])];
  return keys.filter((k) => JSON.stringify(ao[k]) !== JSON.stringify(bo[k]));
}

/** Checks that `other` can be averaged with `base`; throws an Error naming both folders and what differs. */
function checkCompatible(baseDir: string, base: VlaPolicy, dir: string, other: VlaPolicy): void {
  const pair = `${dir} and ${baseDir}`;
  const config = differingFields(base.config, other.config);
  if (config.length > 0) {
    const show = (k: string) =>
      `${k} (${JSON.stringify((other.config as unknown as Record<string, unknown>)[k])} vs ${JSON.stringify((base.config as unknown as Record<string, unknown>)[k])})`;
    const why = config.includes('seed') ? '; policies from different starting weights do not average into a working one' : '';
    throw new Error(`average: ${pair} differ in config.json: ${config.map(show).join(', ')}; only policies of one architecture and seed can be averaged${why}`);
  }
  if (JSON.stringify(base.tokenizer.toJSON()) !== JSON.stringify(other.tokenizer.toJSON())) {
    throw new Error(`average: ${pair} differ in tokenizer.json (their vocabularies number the words differently)`);
  }
  const stats = differingFields(base.stats, other.stats);
  if (stats.length > 0) {
    throw new Error(
      `average: ${pair} differ in normalization.json (${stats.join(', ')}): they were trained with different statistics, ` +
        'so their weights do not mean the same; average policies fine-tuned from one checkpoint (vla train --init)',
    );
  }
}

/**
 * Averages the policies in `dirs` into a new policy folder `out` (which must not already hold a policy). Each input
 * is checked to match the first (config, tokenizer, normalisation); the output is a normal checkpoint plus
 * average.json naming its sources and coefficients.
 */
export function averagePolicies(dirs: readonly string[], out: string, options: AverageOptions = {}): AverageResult {
  if (dirs.length < 2) throw new Error(`average: needs at least two policy folders, got ${dirs.length}`);
  const seen = new Set<string>();
  for (const d of dirs) {
    if (seen.has(resolve(d))) throw new Error(`average: ${d} is named twice (to weight one policy more, give --weights)`);
    seen.add(resolve(d));
  }
  if (seen.has(resolve(out))) throw new Error(`average: the output folder ${out} is one of the policies averaged; choose a new folder`);
  if (existsSync(join(out, 'format.json'))) throw new Error(`average: ${out} already holds a policy; choose a new folder`);
  const given = options.coefficients ?? dirs.map(() => 1);
  if (given.length !== dirs.length) throw new Error(`average: ${given.length} weights for ${dirs.length} policies; give one per policy`);
  const bad = given.findIndex((w) => !Number.isFinite(w) || w <= 0);
  if (bad >= 0) throw new Error(`average: weight ${bad + 1} (${given[bad]}) must be a positive number`);
  const total = given.reduce((a, b) => a + b, 0);
  const coefficients = given.map((w) => w / total);

  const policies: VlaPolicy[] = [];
  try {
    for (const d of dirs) {
      const p = loadPolicy(d); // a CheckpointError names the folder and file
      policies.push(p);
      if (policies.length > 1) checkCompatible(dirs[0]!, policies[0]!, d, p);
    }
    const each = policies.map((p) => p.getWeights());
    const base = each[0]!;
    const mean = new Map<string, { shape: number[]; data: Float32Array }>();
    let normSq = 0;
    for (const [name, w] of base) {
      const acc = new Float64Array(w.data.length);
      each.forEach((m, i) => {
        const d = m.get(name)!.data;
        const c = coefficients[i]!;
        for (let k = 0; k < acc.length; k++) acc[k] = acc[k]! + c * d[k]!;
      });
      const data = Float32Array.from(acc);
      for (let k = 0; k < data.length; k++) normSq += data[k]! * data[k]!;
      mean.set(name, { shape: w.shape, data });
    }
    const relativeDistances = each.map((m) => {
      let s = 0;
      for (const [name, w] of mean) {
        const d = m.get(name)!.data;
        for (let k = 0; k < d.length; k++) s += (d[k]! - w.data[k]!) ** 2;
      }
      return Math.sqrt(s / Math.max(normSq, 1e-30));
    });
    const target = policies[0]!;
    target.setWeights(mean);
    savePolicy(target, out);
    const result: AverageResult = { out, policies: [...dirs], coefficients, parameters: target.parameterCount, relativeDistances };
    writeAtomic(join(out, AVERAGE_RECORD), `${JSON.stringify({ policies: result.policies, coefficients, created: new Date().toISOString() }, null, 2)}\n`);
    return result;
  } finally {
    for (const p of policies) p.dispose();
  }
}

/** The lines `vla average` prints. */
export function formatAverage(r: AverageResult): string {
  const lines = [`averaged ${r.policies.length} policies (${r.parameters.toLocaleString('en-US')} parameters each) into ${r.out}`];
  r.policies.forEach((p, i) => {
    lines.push(`  ${p}: weight ${r.coefficients[i]!.toFixed(3)}, ${(100 * r.relativeDistances[i]!).toFixed(2)}% of the average's norm away from it`);
  });
  return lines.join('\n');
}
