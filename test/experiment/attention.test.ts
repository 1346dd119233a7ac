/**
 * `vla experiment attention`: the plan (same data and steps for every variant, steps from the budget whatever the
 * cache holds, clear refusals), the report's comparisons, and a whole small experiment through the CLI on the smoke
 * recipe: files, figures, a second run that continues instead of retraining, other options refused.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ATTENTION_VARIANTS, EXPERIMENT_SEED, experimentMinutes, intervalsOverlap, planExperiment, variantsByName, type RunResult } from '../../src/experiment/index.js';
import { readRecipe } from '../../src/recipe/index.js';
import { rateOf } from '../../src/eval/index.js';
import { logTicks, niceTicks } from '../../src/viz/lineChart.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const defaultRecipe = join(root, 'recipes/default.json');
const smoke = join(root, 'recipes/smoke.json');
const emptyCache = () => mkdtempSync(join(tmpdir(), 'vla-exp-cache-'));
const options = { variants: ATTENTION_VARIANTS, seeds: 2, budgetMinutes: 150, episodes: 30, languageScenes: 20, workers: 2 };

describe('planExperiment', () => {
  it('gives every run the same data, stage and steps; only the attention fields and the seed differ', () => {
    const base = readRecipe(defaultRecipe);
    const plan = planExperiment(base, defaultRecipe, { ...options, cache: emptyCache() });
    expect(plan.runs.map((r) => r.id)).toEqual(ATTENTION_VARIANTS.flatMap((v) => [`${v.name}-s0`, `${v.name}-s1`]));
    expect(plan.steps).toBeGreaterThan(0);
    expect(plan.steps % 50).toBe(0);
    expect(plan.estimatedMinutes.total).toBeLessThanOrEqual(150);
    const stage = base.stages[0]!;
    for (const r of plan.runs) {
      expect(r.recipe.stages).toHaveLength(1);
      expect(r.recipe.stages[0]!.data).toEqual(stage.data);
      expect(r.recipe.stages[0]!.train).toMatchObject({ steps: plan.steps, seed: r.seed, learningRate: stage.train.learningRate, batchSize: stage.train.batchSize });
      expect(r.recipe.policy).toEqual({ ...base.policy, scoreKind: r.variant.scoreKind, heads: r.variant.heads, fusion: r.variant.fusion, seed: r.seed });
      expect(r.recipe.evaluation).toMatchObject({ seed: EXPERIMENT_SEED, episodes: 30, languageScenes: 20 });
    }
    // Report seeds clear of every range the base recipe used for choosing.
    for (const [a, b] of base.evaluation.usedForChoosing) expect(EXPERIMENT_SEED > b || EXPERIMENT_SEED + 3 * 30 - 1 < a).toBe(true);
  });

  it('derives the steps from the budget alone (the cache does not change them), never past the base stage', () => {
    const base = readRecipe(defaultRecipe);
    const a = planExperiment(base, defaultRecipe, { ...options, cache: emptyCache() });
    const b = planExperiment(base, defaultRecipe, { ...options }); // this machine's cache, full or not
    expect(b.steps).toBe(a.steps);
    const more = planExperiment(base, defaultRecipe, { ...options, budgetMinutes: 300, cache: emptyCache() });
    expect(more.steps).toBeGreaterThan(a.steps);
    const huge = planExperiment(base, defaultRecipe, { ...options, budgetMinutes: 100_000, cache: emptyCache() });
    expect(huge.steps).toBe(base.stages[0]!.train.steps);
  });

  it('refuses a budget that leaves no time to train, saying how much is needed', () => {
    const base = readRecipe(defaultRecipe);
    expect(() => planExperiment(base, defaultRecipe, { ...options, budgetMinutes: 20 })).toThrow(/--budget 20: too small for 10 runs .* give at least \d+ minutes/);
    expect(() => variantsByName(['dot-4', 'dot-8'])).toThrow('no variant "dot-8"; the variants are dot-4, additive-4, dot-1, additive-1, concat-4');
  });
});

describe('report helpers', () => {
  it('intervals overlap for close rates and not for far ones; ticks are round', () => {
    expect(intervalsOverlap(rateOf(50, 100), rateOf(55, 100))).toBe(true);
    expect(intervalsOverlap(rateOf(20, 100), rateOf(80, 100))).toBe(false);
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 1700)).toEqual([0, 500, 1000, 1500]);
    expect(logTicks(Math.log10(0.15), Math.log10(2.3))).toEqual([0.2, 0.5, 1, 2]);
    expect(logTicks(Math.log10(0.6), Math.log10(0.9))).toEqual([0.6, 0.7, 0.8, 0.9]);
    expect(logTicks(Math.log10(1.17), Math.log10(1.6))).toEqual([1.2, 1.3, 1.4, 1.5, 1.6]);
  });
});

describe('experimentMinutes', () => {
  it('counts the shared datasets\' collection once and sums every run\'s training, evaluation and measures', () => {
    const run = (id: string, train: number): RunResult =>
      ({ id, provenance: { minutes: { 'collect:demos': 4, 'collect:shapes': 1.5, 'train:main': train, evaluate: 3 } }, measureMinutes: 0.5 }) as unknown as RunResult;
    const m = experimentMinutes([run('a', 10), run('b', 12), run('c', 11)]);
    expect(m.collect).toBe(5.5);
    expect(m.train).toBe(33);
    expect(m.evaluate).toBe(9);
    expect(m.measure).toBe(1.5);
    expect(m.total).toBe(49);
  });
});

describe('vla experiment attention (smoke recipe)', () => {
  const cache = emptyCache();
  const out = join(mkdtempSync(join(tmpdir(), 'vla-exp-')), 'exp');
  const vla = (args: string[]) => {
    const r = spawnSync(process.execPath, [join(root, 'bin/vla.js'), 'experiment', 'attention', '--recipe', smoke, ...args], {
      cwd: root,
      encoding: 'utf8',
      timeout: 900_000,
      env: { ...process.env, VLA_CACHE: cache },
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const args = ['--seeds', '1', '--variants', 'dot-4,concat-4', '--episodes', '1', '--budget', '30', '--out', out, '--json'];

  it('trains, evaluates and compares the variants, writes the JSON, the report and the pictures; run again, it continues', () => {
    const r = vla(args);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(report.format).toBe('vla-attention-experiment');
    expect(report.steps).toBe(8); // the smoke recipe's first stage: the budget would allow more
    expect(report.variants.map((v: { name: string }) => v.name)).toEqual(['dot-4', 'concat-4']);
    for (const v of report.variants) {
      expect(v.success.episodes).toBe(2); // 1 task x 2 splits x 1 episode x 1 seed
      expect(v.successRate).toBeGreaterThanOrEqual(0);
      expect(v.successRate).toBeLessThanOrEqual(1);
      expect(v.attentionOnTarget.uniformShare).toBeGreaterThan(0);
      expect(v.parameters).toBeGreaterThan(1000);
      expect(v.inferenceMs).toBeGreaterThan(0);
      expect(v.perSeed).toHaveLength(1);
    }
    expect(report.variants[0].parameters).toBe(report.variants[1].parameters); // concat reuses cross's weights
    const saved = JSON.parse(readFileSync(join(out, 'attention.json'), 'utf8'));
    expect(saved.variants).toEqual(report.variants);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('**Cross-attention or one joint stream?** dot-4');
    for (const png of ['learning-curves.png', 'success-vs-time.png', 'maps.png']) {
      expect(readFileSync(join(out, png)).subarray(1, 4).toString()).toBe('PNG');
    }
    expect(existsSync(join(out, 'runs', 'concat-4-s0', 'provenance.json'))).toBe(true);

    // The same command again: nothing retrained, the same figures.
    const again = vla(args);
    expect(again.code, again.stderr.slice(-2000)).toBe(0);
    expect(again.stderr).toContain("already holds this recipe's model");
    const second = JSON.parse(again.stdout.trim().split('\n').at(-1)!);
    expect(second.variants.map((v: { successRate: number }) => v.successRate)).toEqual(report.variants.map((v: { successRate: number }) => v.successRate));

    // Other options into the same folder are refused, naming what differs.
    const other = vla(['--seeds', '2', '--variants', 'dot-4,concat-4', '--episodes', '1', '--budget', '30', '--out', out]);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/holds an experiment planned otherwise \(seeds, runs differ\)/);
  }, 900_000);
});
