/**
 * Bad inputs through the CLI, as a new user types them (issue 33): each must end with a non-zero exit, a short
 * message that says what is wrong (no stack trace) and within a bound that only a hang would pass (generous: the
 * machine running the tests may be busy with other work; this is not a speed test).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { VlaPolicy, savePolicy } from '../../src/policy/index.js';
import { selectBackend } from '../../src/tf/backend.js';
import { TINY } from '../policy/helpers.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Only a hang (or a machine far busier than a loaded 2-core one) takes this long. */
const BOUND_MS = 120_000;
/** A clear error is a few lines; a flood (a stack trace, every problem of a file) is far longer. */
const MAX_STDERR_CHARS = 1500;

interface Outcome {
  code: number | null;
  stderr: string;
  ms: number;
}

function vla(args: string[]): Promise<Outcome> {
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(root, 'bin/vla.js'), ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, VLA_BACKEND: '', VLA_DEBUG: '' } });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 1_000_000) stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), BOUND_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, stderr, ms: Date.now() - started });
    });
  });
}

let dir = '';
const at = (...p: string[]) => join(dir, ...p);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vla-bad-inputs-'));
  // A scene of 500 objects on one spot: 124,750 overlap problems.
  const ball = { kind: 'ball', colour: 'red', position: { x: 0, y: 0.1 }, yaw: 0, size: 0.045 };
  writeFileSync(at('crowd.json'), JSON.stringify({ name: 'crowd', objects: Array.from({ length: 500 }, (_, i) => ({ ...ball, id: `b${i}` })) }));
  writeFileSync(at('config.json'), JSON.stringify({ train: { stepz: 10 } }));
  writeFileSync(at('policy-config.json'), JSON.stringify({ policy: { imageSize: 'big' } }));
  // Training runs cut short: a damaged train-state.json; a checkpoint without format.json.
  await selectBackend({ flag: 'wasm', log: null });
  const policy = new VlaPolicy(TINY);
  for (const run of ['damaged', 'unfinished', 'nan']) savePolicy(policy, at(run));
  policy.dispose();
  writeFileSync(at('damaged', 'train-state.json'), '{"step": 20, "options": {"st');
  writeFileSync(at('unfinished', 'train-state.json'), JSON.stringify({ step: 20 }));
  writeFileSync(at('unfinished', 'format.json'), '');
  mkdirSync(at('unfinished-2'));
  writeFileSync(at('unfinished-2', 'train-state.json'), JSON.stringify({ step: 20 }));
  writeFileSync(at('unfinished-2', 'config.json'), readFileSync(at('unfinished', 'config.json')));
  writeFileSync(at('nan', 'weights.bin'), Buffer.alloc(readFileSync(at('nan', 'weights.bin')).length, 0xff));
});

/** [what, args, what stderr must say]. Args are functions: the fixtures' folder is known only after beforeAll. */
const CASES: Array<[string, () => string[], RegExp]> = [
  ['run --out in /proc (recursive mkdir spun for ever)', () => ['run', 'pick up the red ball', '--policy', 'expert', '--out', '/proc/x'], /--out: \/proc\/x: cannot create this folder/],
  ['sim --out in /proc', () => ['sim', '--out', '/proc/x'], /--out: \/proc\/x: cannot create this folder/],
  ['collect --out in /proc', () => ['collect', '--out', '/proc/x', '--episodes', '1'], /--out: \/proc\/x: cannot create this folder/],
  ['train --out in /proc', () => ['train', '--data', at('none'), '--out', '/proc/x'], /--out: \/proc\/x: cannot create this folder/],
  ['attention demo --out in /proc', () => ['attention', 'demo', '--out', '/proc/x/a.png'], /--out: \/proc\/x: cannot create this folder/],
  ['average --out in /proc', () => ['average', '--policies', 'models/default,models/default', '--out', '/proc/x'], /--out: \/proc\/x: cannot create this folder/],
  ['eval --videos --out in /proc', () => ['eval', '--policy', 'expert', '--episodes', '1', '--videos', '1', '--out', '/proc/x'], /--out: \/proc\/x: cannot create/],
  ['--seed 1e99 (every episode the same scene)', () => ['eval', '--policy', 'expert', '--seed', '1e99'], /--seed.*expected a seed, an integer from 0 to 2147483647, got "1e99"/],
  ['--seed "" (became 0)', () => ['sim', '--seed', ''], /--seed.*got ""/],
  ['--seed -1', () => ['collect', '--out', at('c'), '--seed', '-1'], /--seed.*got "-1"/],
  ['--seed 0x10', () => ['run', 'pick up the red ball', '--seed', '0x10'], /--seed.*got "0x10"/],
  ['eval seeds past the range', () => ['eval', '--policy', 'expert', '--seed', '2147483600', '--episodes', '100'], /last seed would be 2147483699, past the largest seed 2147483647/],
  ['eval --task "," (ran nothing, exit 0)', () => ['eval', '--policy', 'expert', '--task', ','], /--task.*expected one or more of pick, place, push/],
  ['--episodes 1e99', () => ['eval', '--policy', 'expert', '--episodes', '1e99'], /--episodes.*expected an integer from 1 to 10000000/],
  ['--episodes 0', () => ['collect', '--out', at('c'), '--episodes', '0'], /--episodes.*got "0"/],
  ['--workers 1000', () => ['collect', '--out', at('c'), '--workers', '1000'], /--workers.*from 1 to 64/],
  ['sim --size 100000 (typed-array error)', () => ['sim', '--size', '100000'], /--size.*from 16 to 1024, got "100000"/],
  ['run --size 100000', () => ['run', 'pick up the red ball', '--policy', 'expert', '--size', '100000'], /--size.*from 16 to 1024/],
  ['serve --port abc', () => ['serve', '--port', 'abc'], /expected a port number 0\.\.65535/],
  ['config with an unknown key (said "train.: Unrecognized key")', () => ['train', '--data', at('none'), '--out', at('t1'), '--config', at('config.json')], /config\.json: train\.stepz: unknown field \(allowed: steps, batchSize/],
  ['train --config with a bad policy field (named neither the file nor the section)', () => ['train', '--data', at('none'), '--out', at('t2'), '--config', at('policy-config.json')], /policy-config\.json: policy: invalid policy config .*imageSize/s],
  ['a file as --policy (said "format.json is missing")', () => ['run', 'pick up the red ball', '--policy', at('config.json'), '--out', at('o2')], /config\.json: is a file; expected a policy folder/],
  ['an empty command (said "which object?" first)', () => ['run', '  ', '--policy', 'expert', '--out', at('o3')], /"  ": empty command: say what to do/],
  ['a subcommand left out (usage, exit 0)', () => ['export'], /Usage: vla export/],
  ['ros-sim --image-size 10000000', () => ['ros-sim', '--image-size', '10000000'], /--image-size.*from 16 to 1024/],
  ['eval --shard 0/99999999999999999999', () => ['eval', '--policy', 'expert', '--shard', '0/99999999999999999999'], /--shard: expected i\/N with 0 <= i < N <= 10000000/],
  ['collect --shard 0/99999999999999999999', () => ['collect', '--out', at('c'), '--shard', '0/99999999999999999999'], /--shard: expected i\/N with 0 <= i < N <= 10000000/],
  ['eval --recipe with episode options (silently ignored)', () => ['eval', '--policy', 'expert', '--recipe', 'recipes/smoke.json', '--episodes', '5', '--task', 'push'], /--recipe runs the recipe's evaluation protocol .*; leave out --task, --episodes/],
  ['eval --merge with episode options (silently ignored)', () => ['eval', '--merge', at('none.json'), '--seed', '3', '--language-task', 'place'], /--merge adds up shard reports and runs no episodes; leave out --seed, --language-task/],
  ['eval --language-task without --language (silently ignored)', () => ['eval', '--policy', 'expert', '--language-task', 'place'], /--language-task goes with --language SCENES/],
  ['ros-sim --duration 0x10 (read as 16)', () => ['ros-sim', '--duration', '0x10'], /--duration.*expected a positive number, got "0x10"/],
  ['average --weights 1,0x2 (read as 2)', () => ['average', '--policies', 'models/default,models/default', '--weights', '1,0x2', '--out', at('avg')], /--weights.*"0x2" is not one/],
  ['a command in another language (said "empty command")', () => ['sim', '빨간 공을 집어'], /words not understood: "빨간", "공을", "집어"/],
  ['a scene with 500 objects (21 MB of stderr)', () => ['sim', 'pick up the red ball', '--scene', at('crowd.json')], /crowd\.json: \.\.\. and 124745 more problems/],
  ['resume from a damaged train-state.json', () => ['train', '--data', at('none'), '--out', at('damaged'), '--resume'], /damaged\/train-state\.json: damaged, not valid JSON .*cannot resume: to go on, fine-tune from its last checkpoint into a new folder \(vla train --init /],
  ['resume from a checkpoint without format.json', () => ['train', '--data', at('none'), '--out', at('unfinished-2'), '--resume'], /unfinished-2\/format\.json is missing: the last checkpoint of this run is incomplete.*start again with another --out/],
  ['a policy whose weights are all NaN', () => ['run', 'pick up the red ball', '--policy', at('nan'), '--out', at('o')], /weights\.bin holds \d+ weights that are not finite numbers/],
];

describe.concurrent('bad inputs: a non-zero exit, a short clear message, no hang', () => {
  it.each(CASES)('%s', async (_what, args, says) => {
    const r = await vla(args());
    expect(r.ms).toBeLessThan(BOUND_MS); // killed at the bound: a hang
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr).toMatch(says);
    expect(r.stderr.length).toBeLessThan(MAX_STDERR_CHARS);
    expect(r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m); // no stack trace
  }, BOUND_MS + 60_000);

  it('a refused train or run leaves no empty --out folder behind', async () => {
    for (const args of [['train', '--data', at('none'), '--out', at('fresh-out-2')], ['run', 'fly to the moon', '--policy', 'expert', '--out', at('fresh-run-2')]]) {
      const r = await vla(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/meta\.json: not found|which object/);
      expect(existsSync(args.at(-1)!)).toBe(false);
    }
  }, 2 * BOUND_MS);
});
