/** Resuming a training run (issue 33): a damaged state file or an unfinished checkpoint is named, with how to recover. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { VlaPolicy, savePolicy } from '../../src/policy/index.js';
import { selectBackend } from '../../src/tf/backend.js';
import { checkResumeCheckpoint, checkResumeMatches, loadResumeCheckpoint, readTrainState } from '../../src/train/trainState.js';
import { TRAIN_DEFAULTS } from '../../src/train/train.js';
import { readTrainConfigFile } from '../../src/train/trainConfigFile.js';
import { TINY } from '../policy/helpers.js';

let dir = '';
beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
  dir = mkdtempSync(join(tmpdir(), 'vla-train-state-'));
  const p = new VlaPolicy(TINY);
  savePolicy(p, dir);
  p.dispose();
});

describe('checkResumeMatches', () => {
  const started = { ...TRAIN_DEFAULTS, learningRate: 0.003, steps: 9000, seed: 3, workers: 2 };
  const state = { step: 250, emaUpdates: null, options: started, rngState: null, adam: null };

  it('refuses options that change the run, naming each with both values', () => {
    expect(() => checkResumeMatches('out', state, { ...TRAIN_DEFAULTS })).toThrow(
      /^out\/train-state\.json: this run was started with learningRate 0\.003 \(now 0\.001\), seed 3 \(now 0\); resume it with the same options/,
    );
  });

  it('lets steps grow and the bookkeeping options differ (workers, how often it logs, validates and saves), and older states without options', () => {
    expect(() => checkResumeMatches('out', state, { ...started, steps: 12000, workers: 1, logEvery: 5, evalEvery: 10, checkpointEvery: 50 })).not.toThrow();
    expect(() => checkResumeMatches('out', { ...state, options: null }, { ...TRAIN_DEFAULTS })).not.toThrow();
  });
});

describe('readTrainState', () => {
  it('reads the step and the moving-average count', () => {
    writeFileSync(join(dir, 'train-state.json'), JSON.stringify({ step: 40, options: {}, emaUpdates: 12 }));
    expect(readTrainState(dir)).toEqual({ step: 40, emaUpdates: 12, options: {}, rngState: null, adam: null });
  });

  it('names the file of a state cut short, and says how to go on from the complete checkpoint', () => {
    writeFileSync(join(dir, 'train-state.json'), '{"step": 20, "options": {"st');
    expect(() => readTrainState(dir)).toThrow(
      new RegExp(`^${dir}/train-state\\.json: damaged, not valid JSON \\(.*\\); it was cut short or edited; the run cannot resume: to go on, fine-tune from its last checkpoint into a new folder \\(vla train --init ${dir} --out NEW`),
    );
    writeFileSync(join(dir, 'train-state.json'), JSON.stringify({ step: -3 }));
    expect(() => readTrainState(dir)).toThrow(/train-state\.json: step: .*the run cannot resume/);
  });
});

describe('the checkpoint a run resumes from', () => {
  it('loads when complete; without format.json says the save did not finish and how to recover', () => {
    loadResumeCheckpoint(dir).dispose();
    rmSync(join(dir, 'format.json'));
    expect(() => checkResumeCheckpoint(dir)).toThrow(/format\.json is missing: the last checkpoint of this run is incomplete .* start again with another --out/);
    expect(() => loadResumeCheckpoint(dir)).toThrow(/cannot resume/);
  });
});

describe('readTrainConfigFile', () => {
  it('names an unknown key and the allowed ones (was "train.: Unrecognized key")', () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ train: { stepz: 10, steps: 5 } }));
    expect(() => readTrainConfigFile(file)).toThrow(new RegExp(`^${file}: train\\.stepz: unknown field \\(allowed: steps, batchSize, `));
    writeFileSync(file, JSON.stringify({ train: { steps: 5 }, polciy: {} }));
    expect(() => readTrainConfigFile(file)).toThrow(/config\.json: polciy: unknown field \(allowed: policy, train\)/);
    writeFileSync(file, JSON.stringify({ train: { steps: 5 } }));
    expect(readTrainConfigFile(file).train).toEqual({ steps: 5 });
  });
});
