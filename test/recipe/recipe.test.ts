/** Recipes: the file format's validator, the dataset cache's keys, and `vla train --recipe` end to end. */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { contentHash, datasetKey, ensureDataset, parseRecipe, readRecipe, recipeHash, type Recipe } from '../../src/recipe/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const smokePath = join(root, 'recipes/smoke.json');
const vla = (args: string[], env: Record<string, string> = {}) => {
  const r = spawnSync(process.execPath, [join(root, 'bin/vla.js'), ...args], { cwd: root, encoding: 'utf8', timeout: 600_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!);
const smoke = () => JSON.parse(readFileSync(smokePath, 'utf8')) as Recipe;

describe('recipe files', () => {
  it('the shipped recipes are valid, and the hash ignores key order and whitespace', () => {
    for (const f of ['default.json', 'smoke.json']) readRecipe(join(root, 'recipes', f));
    const r = smoke();
    const reordered = JSON.parse(JSON.stringify({ evaluation: r.evaluation, stages: r.stages, policy: r.policy, datasets: r.datasets, version: r.version, format: r.format, description: r.description }));
    expect(recipeHash(parseRecipe(reordered, 'x'))).toBe(recipeHash(parseRecipe(r, 'y')));
    expect(recipeHash(parseRecipe({ ...r, stages: [{ ...r.stages[0]!, train: { ...r.stages[0]!.train, steps: 9 } }] }, 'z'))).not.toBe(recipeHash(r));
  });

  it('refuses bad recipes with the file, the field and what was expected', () => {
    const r = smoke();
    expect(() => parseRecipe({ ...r, version: 2 }, 'a.json')).toThrow('a.json: version: this vla reads recipe version 1, the file says 2');
    expect(() => parseRecipe({ ...r, format: 'x' }, 'a.json')).toThrow('a.json: format: expected "vla-recipe", got "x"');
    expect(() => parseRecipe([], 'a.json')).toThrow(/a.json: expected a JSON object/);
    expect(() => parseRecipe({ ...r, datasets: { few: { ...r.datasets.few, misses: 2 } } }, 'a.json')).toThrow(/a.json: datasets.few.misses: .*1/);
    expect(() => parseRecipe({ ...r, datasets: { few: { ...r.datasets.few, wobble: 1 } } }, 'a.json')).toThrow(/a.json: datasets.few: .*wobble/);
    expect(() => parseRecipe({ ...r, stages: [{ ...r.stages[0]!, data: ['nope'] }] }, 'a.json')).toThrow('a.json: stages.0.data.0: no dataset named "nope" (datasets: few)');
    expect(() => parseRecipe({ ...r, stages: [r.stages[0]!, r.stages[0]!] }, 'a.json')).toThrow(/stages.1.name: "first" is used by an earlier stage/);
    expect(() => parseRecipe({ ...r, stages: [{ ...r.stages[0]!, train: { ...r.stages[0]!.train, learningRate: -1 } }] }, 'a.json')).toThrow(/stages.0.train.learningRate/);
    expect(() => parseRecipe({ ...r, policy: { ...r.policy, widht: 32 } }, 'a.json')).toThrow(/^a.json: policy: invalid policy config .*unknown field "widht"/s);
    expect(() => parseRecipe({ ...r, evaluation: { ...r.evaluation, splits: ['seen', 'seen'] } }, 'a.json')).toThrow('a.json: evaluation.splits: seen named more than once');
    expect(() => parseRecipe({ ...r, evaluation: { ...r.evaluation, tasks: ['pick', 'push', 'pick'] } }, 'a.json')).toThrow('a.json: evaluation.tasks: pick named more than once');
    expect(() => parseRecipe({ ...r, datasets: { few: { ...r.datasets.few, tasks: ['pick', 'pick'] } } }, 'a.json')).toThrow('a.json: datasets.few.tasks: pick named more than once');
    expect(() => parseRecipe({ ...r, evaluation: { ...r.evaluation, seed: 2 ** 31 - 2 } }, 'a.json')).toThrow(/a.json: evaluation.seed: the report seeds run to \d+, past the largest seed 2147483647/);
    const overlap = { ...r, evaluation: { ...r.evaluation, usedForChoosing: [[900001, 900001]] } };
    expect(() => parseRecipe(overlap, 'a.json')).toThrow('a.json: evaluation.seed: the report seeds 900000-900003 overlap seeds 900001-900001, which were used for choosing');
    const dir = mkdtempSync(join(tmpdir(), 'vla-recipe-'));
    expect(() => readRecipe(join(dir, 'none.json'))).toThrow(`${join(dir, 'none.json')}: no such recipe file`);
    writeFileSync(join(dir, 'bad.json'), '{"format": ');
    expect(() => readRecipe(join(dir, 'bad.json'))).toThrow(/bad.json: not valid JSON/);
  });

  it('dataset keys: perturbations that are off name the same data, anything that changes the data changes the key', () => {
    const spec = { tasks: ['pick' as const], episodes: 3, seed: 7 };
    const render = { imageSize: 32, supersampling: 1 };
    const k = datasetKey(spec, render);
    expect(datasetKey({ ...spec, noise: 0, siblings: 1, confuserShapes: 'all' }, render)).toBe(k);
    expect(datasetKey({ ...spec, noise: 0.005 }, render)).not.toBe(k);
    expect(datasetKey({ ...spec, seed: 8 }, render)).not.toBe(k);
    expect(datasetKey(spec, { ...render, supersampling: 4 })).not.toBe(k);
  });

  it('the same dataset spec collects to byte-identical data (equal content hashes) in two caches', async () => {
    const spec = { tasks: ['pick' as const], episodes: 2, seed: 21, siblings: 2, noise: 0.005 };
    const render = { imageSize: 32, supersampling: 1 };
    const a = await ensureDataset(spec, render, { workers: 1, root: mkdtempSync(join(tmpdir(), 'vla-cache-a-')) });
    const b = await ensureDataset(spec, render, { workers: 1, root: mkdtempSync(join(tmpdir(), 'vla-cache-b-')) });
    expect(a.collected && b.collected).toBe(true);
    expect(a.record.contentHash).toBe(b.record.contentHash);
    expect(contentHash(a.dir)).toBe(a.record.contentHash);
    const again = await ensureDataset(spec, render, { workers: 1, root: dirname(dirname(a.dir)) });
    expect(again.collected).toBe(false);
  }, 900_000);
});

describe('vla train --recipe', () => {
  it('dry run: the parts with estimated minutes, as JSON, changing nothing', () => {
    const cache = mkdtempSync(join(tmpdir(), 'vla-cache-'));
    const out = join(mkdtempSync(join(tmpdir(), 'vla-recipe-out-')), 'm');
    const r = vla(['train', '--recipe', smokePath, '--out', out, '--dry-run', '--json'], { VLA_CACHE: cache });
    expect(r.code, r.stderr).toBe(0);
    const j = lastJson(r.stdout);
    expect(j.stages.map((s: { kind: string; name: string }) => `${s.kind}:${s.name}`)).toEqual(['collect:few', 'train:first', 'train:second', 'evaluate:report']);
    for (const s of j.stages) {
      expect(s.estimatedMinutes).toBeGreaterThan(0);
      expect(s.done).toBe(false);
    }
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(cache, 'datasets'))).toBe(false);
  });

  it('trains from nothing, writes provenance; killed, the same command continues; finished, it does nothing', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'vla-cache-'));
    const out = join(mkdtempSync(join(tmpdir(), 'vla-recipe-out-')), 'm');
    const args = [join(root, 'bin/vla.js'), 'train', '--recipe', smokePath, '--out', out, '--workers', '1'];
    // First run: killed once the first stage is done (state.json says so).
    const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, VLA_CACHE: cache }, stdio: 'ignore' });
    const state = join(out, 'run', 'state.json');
    const exited = new Promise<void>((ok) => child.on('exit', () => ok()));
    await new Promise<void>((ok, fail) => {
      const t0 = Date.now();
      const poll = setInterval(() => {
        const done = existsSync(state) && (JSON.parse(readFileSync(state, 'utf8')) as { done: string[] }).done.includes('train:first');
        if (done || child.exitCode !== null) {
          clearInterval(poll);
          child.kill('SIGKILL');
          return done ? ok() : fail(new Error('the run ended before its first stage was recorded'));
        }
        if (Date.now() - t0 > 600_000) {
          clearInterval(poll);
          child.kill('SIGKILL');
          fail(new Error('no first stage within 600 s'));
        }
      }, 100);
    });
    await exited;
    expect(existsSync(join(out, 'provenance.json'))).toBe(false);
    const killed = (JSON.parse(readFileSync(state, 'utf8')) as { minutes: Record<string, number> }).minutes;
    expect(killed['train:first']).toBeGreaterThan(0);

    const dry = vla(['train', '--recipe', smokePath, '--out', out, '--dry-run', '--json'], { VLA_CACHE: cache });
    const parts = lastJson(dry.stdout).stages as Array<{ name: string; done: boolean }>;
    expect(parts.map((s) => s.done)).toEqual([true, true, expect.any(Boolean), false]);

    const r = vla(['train', '--recipe', smokePath, '--out', out, '--workers', '1', '--json'], { VLA_CACHE: cache });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('continuing the run');
    expect(r.stderr).not.toContain('collecting');
    expect(r.stderr).not.toContain('stage 1/2');
    const prov = JSON.parse(readFileSync(join(out, 'provenance.json'), 'utf8'));
    expect(prov).toMatchObject({ recipeHash: recipeHash(smoke()), startedFrom: 'scratch' });
    expect(prov.recipe).toMatch(/recipes\/smoke.json$/);
    expect(prov.wallMinutes).toBeGreaterThan(0);
    expect(prov.processes).toHaveLength(2); // the killed process and the one that finished
    expect(prov.commit).toBe(prov.processes[0].commit);
    expect(Object.keys(prov.minutes).sort()).toEqual(['collect:few', 'evaluate', 'train:first', 'train:second']);
    // The killed process's minutes are kept, not measured again or lost.
    expect(prov.minutes['train:first']).toBe(killed['train:first']);
    expect(prov.minutes['collect:few']).toBe(killed['collect:few']);
    expect(prov.datasets.few.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(prov.evaluation.perTask.pick.seen.episodes).toBe(2);
    expect(prov.evaluation.perTask.pick.overall.episodes).toBe(4);
    expect(prov.evaluation.seeds).toEqual([900000, 900003]);
    expect(prov.evaluation.languageSensitivity.scenes).toBe(1);
    expect(lastJson(r.stdout).recipeHash).toBe(prov.recipeHash);
    for (const f of ['config.json', 'weights.bin', 'metrics.jsonl', 'loss.png', 'recipe.json', 'evaluation.md']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(existsSync(join(out, 'run'))).toBe(false);
    expect(existsSync(join(out, 'train-state.json'))).toBe(false);
    const stages = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { stage: string; totalStep: number });
    expect(stages.at(0)!.stage).toBe('first');
    expect(stages.at(-1)).toMatchObject({ stage: 'second', totalStep: 12 });

    const again = vla(['train', '--recipe', smokePath, '--out', out], { VLA_CACHE: cache });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('already holds this recipe\'s model; nothing to do');
  }, 900_000);

  it('never writes over another model or another recipe\'s run, and says what is there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vla-recipe-guard-'));
    const model = join(dir, 'model');
    cpSync(join(root, 'models/default'), model, { recursive: true });
    rmSync(join(model, 'train-state.json'), { force: true }); // a model, not a training run in progress
    const shippedHash = (JSON.parse(readFileSync(join(model, 'provenance.json'), 'utf8')) as { recipeHash: string }).recipeHash;
    const byRecipe = vla(['train', '--recipe', smokePath, '--out', model], { VLA_CACHE: dir });
    expect(byRecipe.code).toBe(1);
    expect(byRecipe.stderr).toContain(`${model} holds a model trained by another recipe or another version of it (recipes/default.json, hash ${shippedHash.slice(0, 12)}); use another --out`);
    rmSync(join(model, 'provenance.json')); // a model from vla train --data: no provenance
    const r = vla(['train', '--recipe', smokePath, '--out', model], { VLA_CACHE: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${model} holds another model (it has config.json); use another --out`);
    const d = vla(['train', '--data', dir, '--out', model]);
    expect(d.stderr).toContain(`${model} holds another model; choose another --out (to fine-tune from it, use --init ${model})`);
    const other = join(dir, 'other');
    mkdirSync(join(other, 'run'), { recursive: true });
    writeFileSync(join(other, 'run', 'state.json'), JSON.stringify({ recipeHash: 'f'.repeat(64), recipe: 'recipes/x.json', done: [] }));
    const o = vla(['train', '--recipe', smokePath, '--out', other], { VLA_CACHE: dir });
    expect(o.stderr).toContain(`${other} holds an unfinished run of another recipe (recipes/x.json, hash ffffffffffff); use another --out`);
    const both = vla(['train', '--recipe', smokePath, '--data', dir, '--out', join(dir, 'n')]);
    expect(both.stderr).toContain('--recipe and --data: give one');
    const flags = vla(['train', '--recipe', smokePath, '--steps', '5', '--out', join(dir, 'n')]);
    expect(flags.stderr).toContain('--recipe: --steps belong in the recipe file');
    const run = join(dir, 'run-20');
    mkdirSync(run);
    writeFileSync(join(run, 'train-state.json'), JSON.stringify({ step: 20 }));
    const noResume = vla(['train', '--data', dir, '--out', run]);
    expect(noResume.stderr).toContain(`${run} holds a training run (at step 20); add --resume to continue it, or choose another --out`);
    const nothing = vla(['train', '--data', dir, '--out', join(dir, 'absent'), '--resume']);
    expect(nothing.stderr).toContain(`--resume: ${join(dir, 'absent')} does not exist; there is no training run to continue`);
    for (const x of [r, d, o, both, flags, noResume, nothing]) {
      expect(x.code).toBe(1);
      expect(x.stderr).not.toMatch(/\n\s+at /);
    }
  }, 900_000);
});
