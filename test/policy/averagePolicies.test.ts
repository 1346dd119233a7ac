/**
 * averagePolicies (`vla average`): the output's weights are the coefficient-weighted means of the inputs', it loads
 * and acts, averaging a policy with itself changes nothing, and policies that cannot be averaged (another config or
 * seed, other normalisation statistics, one folder, the output among the inputs) are refused by name.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/tf/backend.js';
import { AVERAGE_RECORD, VlaPolicy, averagePolicies, computeStats, loadPolicy, savePolicy, type NormalizationStats } from '../../src/policy/index.js';
import { TINY, observation, prng } from './helpers.js';

let root: string;
let stats: NormalizationStats;
const dirs: Record<'a' | 'b' | 'otherStats' | 'otherSeed' | 'otherWidth', string> = { a: '', b: '', otherStats: '', otherSeed: '', otherWidth: '' };

/** `policy` with every weight moved by uniform noise in [-0.05, 0.05): a stand-in for a second fine-tuning run. */
function perturbed(policy: VlaPolicy, seed: number): Map<string, { shape: number[]; data: Float32Array }> {
  const rand = prng(seed);
  const w = policy.getWeights();
  for (const v of w.values()) for (let k = 0; k < v.data.length; k++) v.data[k] = v.data[k]! + (rand() - 0.5) * 0.1;
  return w;
}

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
  root = mkdtempSync(join(tmpdir(), 'vla-average-'));
  stats = computeStats(
    [[0.01, -0.02, 0.005, 0.1, 1], [-0.01, 0.02, 0, -0.1, 0]],
    [[0, 0.1, 0.2, 0.3, 0.4, 1, 0, 0.1, 0, 0.2, 0], [0.1, 0.2, 0.3, 0.4, 0.5, 0.5, 1, 0.2, 0.1, 0.1, 0.3]],
  );
  const save = (name: keyof typeof dirs, p: VlaPolicy) => {
    dirs[name] = join(root, name);
    savePolicy(p, dirs[name]);
    p.dispose();
  };
  const a = new VlaPolicy({ ...TINY, seed: 11 }, { stats });
  const b = new VlaPolicy({ ...TINY, seed: 11 }, { stats });
  b.setWeights(perturbed(a, 5));
  save('a', a);
  save('b', b);
  const shifted = structuredClone(stats);
  shifted.action.mean[0] = shifted.action.mean[0]! + 0.01;
  save('otherStats', new VlaPolicy({ ...TINY, seed: 11 }, { stats: shifted }));
  save('otherSeed', new VlaPolicy({ ...TINY, seed: 12 }, { stats }));
  save('otherWidth', new VlaPolicy({ ...TINY, width: 16, seed: 11 }, { stats }));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

function weightsOf(dir: string): Map<string, { shape: number[]; data: Float32Array }> {
  const p = loadPolicy(dir);
  try {
    return p.getWeights();
  } finally {
    p.dispose();
  }
}

describe('averagePolicies', () => {
  it('writes a loadable policy whose weights are the weighted means, and says what it averaged', () => {
    const out = join(root, 'soup-3-1');
    const r = averagePolicies([dirs.a, dirs.b], out, { coefficients: [3, 1] });
    expect(r.coefficients).toEqual([0.75, 0.25]);
    const [wa, wb, wm] = [weightsOf(dirs.a), weightsOf(dirs.b), weightsOf(out)];
    expect([...wm.keys()]).toEqual([...wa.keys()]);
    let changed = 0;
    for (const [name, m] of wm) {
      const x = wa.get(name)!.data;
      const y = wb.get(name)!.data;
      for (let k = 0; k < m.data.length; k++) {
        expect(m.data[k]).toBeCloseTo(0.75 * x[k]! + 0.25 * y[k]!, 6);
        if (m.data[k] !== x[k]) changed++;
      }
    }
    expect(changed).toBeGreaterThan(r.parameters / 2);
    // ||a - avg|| = 0.25 ||a - b|| and ||b - avg|| = 0.75 ||a - b||: b is three times as far.
    expect(r.relativeDistances[1]! / r.relativeDistances[0]!).toBeCloseTo(3, 4);
    expect(JSON.parse(readFileSync(join(out, AVERAGE_RECORD), 'utf8'))).toMatchObject({ policies: [dirs.a, dirs.b], coefficients: [0.75, 0.25] });
    const p = loadPolicy(out);
    try {
      const chunk = p.act(observation(16, 'pick up the red ball', 3));
      expect(chunk).toHaveLength(TINY.chunk!);
      for (const a of chunk) for (const v of [a.dx, a.dy, a.dz, a.dyaw, a.gripper]) expect(Number.isFinite(v)).toBe(true);
      expect(p.stats).toEqual(stats);
    } finally {
      p.dispose();
    }
  });

  it('averaging a policy with a copy of itself gives back the same weights', () => {
    const copy = join(root, 'a-copy');
    const p = loadPolicy(dirs.a);
    savePolicy(p, copy);
    p.dispose();
    const out = join(root, 'soup-self');
    const r = averagePolicies([dirs.a, copy], out);
    expect(r.relativeDistances).toEqual([0, 0]);
    expect(readFileSync(join(out, 'weights.bin')).equals(readFileSync(join(dirs.a, 'weights.bin')))).toBe(true);
  });

  it('refuses policies that do not share architecture, seed and normalisation, naming what differs', () => {
    expect(() => averagePolicies([dirs.a, dirs.otherWidth], join(root, 'x1'))).toThrow(/differ in config\.json: width \(16 vs 32\)/);
    expect(() => averagePolicies([dirs.a, dirs.otherSeed], join(root, 'x2'))).toThrow(/seed \(12 vs 11\).*different starting weights/);
    expect(() => averagePolicies([dirs.a, dirs.otherStats], join(root, 'x3'))).toThrow(/differ in normalization\.json \(action\)/);
    for (const x of ['x1', 'x2', 'x3']) expect(existsSync(join(root, x, 'format.json'))).toBe(false);
  });

  it('refuses one folder, a folder twice, wrong weights, and an output that holds a policy', () => {
    expect(() => averagePolicies([dirs.a], join(root, 'y'))).toThrow(/at least two policy folders, got 1/);
    expect(() => averagePolicies([dirs.a, dirs.a], join(root, 'y'))).toThrow(/named twice/);
    expect(() => averagePolicies([dirs.a, dirs.b], join(root, 'y'), { coefficients: [1] })).toThrow(/1 weights for 2 policies/);
    expect(() => averagePolicies([dirs.a, dirs.b], join(root, 'y'), { coefficients: [1, -1] })).toThrow(/weight 2 \(-1\) must be a positive number/);
    expect(() => averagePolicies([dirs.a, dirs.b], dirs.b)).toThrow(/is one of the policies averaged/);
    expect(() => averagePolicies([dirs.a, dirs.b], dirs.otherSeed)).toThrow(/already holds a policy/);
    expect(() => averagePolicies([dirs.a, join(root, 'missing')], join(root, 'y'))).toThrow(/missing.*format\.json is missing/);
  });
});
