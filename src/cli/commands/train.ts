/**
 * `vla train`: a model from a recipe (`--recipe`: collect, train every stage, evaluate; src/recipe/), or behaviour
 * cloning on datasets you collected (`--data`; src/train/train.ts).
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type cliProgress from 'cli-progress';
import { Command } from 'commander';
import { selectBackend } from '../../tf/backend.js';
import { train } from '../../train/train.js';
import { readMeta } from '../../train/dataset.js';
import { checkPolicySection, readTrainConfigFile } from '../../train/trainConfigFile.js';
import { checkResumeCheckpoint, readTrainState } from '../../train/trainState.js';
import { planRecipe, readRecipe, runRecipe } from '../../recipe/index.js';
import { formatModelEvaluation } from '../../eval/index.js';
import { commaList, positiveInt, workerCount } from '../options.js';
import { ensureWritableDir } from '../../io/files.js';
import { progressBar, trainReporter } from '../progress.js';

/**
 * A --data run may write into `out` only if it is new or empty, or (with --resume) holds a training run to continue.
 * Refuses, naming what is there, when it holds another model or a run that --resume was not asked to continue.
 */
export function checkTrainOut(out: string, resume: boolean): void {
  if (!existsSync(out)) {
    if (resume) throw new Error(`--resume: ${out} does not exist; there is no training run to continue`);
    return;
  }
  if (!statSync(out).isDirectory()) throw new Error(`--out: ${out} is a file, not a folder`);
  const entries = readdirSync(out);
  if (entries.length === 0) {
    if (resume) throw new Error(`--resume: ${out} is empty; there is no training run to continue`);
    return;
  }
  const state = join(out, 'train-state.json');
  if (existsSync(state)) {
    if (resume) {
      // Checked here, before any long work, with how to recover: a damaged state file or an unfinished checkpoint.
      readTrainState(out);
      checkResumeCheckpoint(out);
      return;
    }
    let step = '?';
    try {
      step = String((JSON.parse(readFileSync(state, 'utf8')) as { step: number }).step);
    } catch {
      /* the step is only for the message */
    }
    throw new Error(`${out} holds a training run (at step ${step}); add --resume to continue it, or choose another --out`);
  }
  if (entries.includes('provenance.json') || entries.includes('config.json') || entries.includes('weights.bin')) {
    throw new Error(`${out} holds another model${entries.includes('provenance.json') ? ' (made by a recipe)' : ''}; choose another --out (to fine-tune from it, use --init ${out})`);
  }
  throw new Error(`${out} is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', ...' : ''}); choose a new or empty folder for --out`);
}

async function recipeAction(opts: { recipe: string; out: string; dryRun: boolean; json: boolean; workers: number }): Promise<void> {
  if (opts.dryRun) {
    const steps = planRecipe(readRecipe(opts.recipe), opts.out, opts.workers);
    const total = steps.filter((s) => !s.done && s.kind !== 'evaluate').reduce((a, s) => a + s.estimatedMinutes, 0);
    if (opts.json) {
      console.log(JSON.stringify({ recipe: opts.recipe, out: opts.out, stages: steps, estimatedMinutes: { collectAndTrain: total, evaluate: steps.at(-1)!.estimatedMinutes } }));
      return;
    }
    for (const s of steps) console.log(`${s.done ? 'done ' : '     '}${s.kind.padEnd(8)} ${s.name.padEnd(12)} ~${s.estimatedMinutes.toFixed(1).padStart(5)} min  ${s.what}`);
    console.log(`about ${total.toFixed(0)} min of collection and training left, then the evaluation (estimates for a 2-core machine)`);
    return;
  }
  const log = (line: string) => process.stderr.write(`[recipe] ${line}\n`);
  let collectBar: cliProgress.SingleBar | null = null;
  let collecting = '';
  let trainer: ReturnType<typeof trainReporter> | null = null;
  let training = '';
  const prov = await runRecipe({
    recipePath: opts.recipe,
    out: opts.out,
    workers: opts.workers,
    log,
    onCollect: (name, p) => {
      if (name !== collecting) {
        collectBar?.stop();
        collecting = name;
        collectBar = progressBar(`collect ${name} [{bar}] {value}/{total} episodes | ETA {eta}s`);
        collectBar?.start(p.total, p.done);
      }
      collectBar?.update(p.done);
      if (!collectBar && (p.done % 200 === 0 || p.done === p.total)) log(`collect ${name}: ${p.done}/${p.total} episodes`);
    },
    onTrain: (stage, p) => {
      if (stage !== training) {
        collectBar?.stop();
        trainer?.stop();
        training = stage;
        trainer = trainReporter(`train ${stage}`);
      }
      trainer!.update(p);
    },
  });
  (collectBar as cliProgress.SingleBar | null)?.stop();
  (trainer as ReturnType<typeof trainReporter> | null)?.stop();
  const recipe = readRecipe(opts.recipe);
  console.log(`${opts.out}: trained from scratch by ${prov.recipe} in ${prov.wallMinutes.toFixed(1)} min of collection and training (${Object.entries(prov.minutes).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')})`);
  console.log(formatModelEvaluation(prov.evaluation, recipe.evaluation.splits));
  if (opts.json) console.log(JSON.stringify(prov));
}

export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description(
      'Train a policy. With --recipe: everything from nothing (collect the recipe\'s datasets into the cache, train ' +
        'its stages, evaluate on its report seeds, write provenance.json); run the same command again to continue. ' +
        'With --data: behaviour cloning on datasets from vla collect (--resume continues a run cut short).',
    )
    .option('--recipe <file>', 'a recipe file, e.g. recipes/default.json (see docs/recipes.md)')
    .option('--data <dirs>', 'dataset folders (vla collect --out), comma-separated, trained on together', commaList)
    .requiredOption('--out <dir>', 'where the policy goes, e.g. models/mine (a new or empty folder, or this run\'s own)')
    .option('--dry-run', 'with --recipe: print the parts of the run and their estimated minutes, change nothing', false)
    .option('--json', 'print the result (with --dry-run: the plan) as one JSON object on the last line', false)
    .option('--workers <n>', 'with --recipe: processes for collection and evaluation (up to 64)', workerCount, 2)
    .option('--config <file>', 'with --data: JSON {"policy": {PolicyConfig fields}, "train": {steps, batchSize, learningRate, ...}}')
    .option('--init <policy>', 'with --data: fine-tune from this trained policy (its config, weights and normalisation); the schedule starts over')
    .option('--resume', 'with --data: continue the training run in --out from its last checkpoint', false)
    .option('--steps <n>', 'with --data: training steps (overrides the config file)', positiveInt)
    .option('--batch-size <n>', 'with --data: samples per step (overrides the config file)', positiveInt)
    .action(async (opts, cmd: Command) => {
      const dataOnly = ['config', 'init', 'steps', 'batchSize'].filter((k) => opts[k] !== undefined).concat(opts.resume ? ['resume'] : []);
      if (opts.recipe) {
        if (opts.data) throw new Error('--recipe and --data: give one (the recipe names its own datasets)');
        if (dataOnly.length) throw new Error(`--recipe: ${dataOnly.map((k) => `--${k.replace(/[A-Z]/g, (c: string) => `-${c.toLowerCase()}`)}`).join(', ')} belong in the recipe file, not on the command line`);
        if (!opts.dryRun) {
          ensureWritableDir(opts.out, '--out');
          await selectBackend({ flag: cmd.optsWithGlobals().backend });
        }
        await recipeAction(opts);
        return;
      }
      if (!opts.data) throw new Error('give --recipe FILE (a model from nothing) or --data DIRS (train on datasets you collected)');
      if (opts.dryRun) throw new Error('--dry-run goes with --recipe');
      checkTrainOut(opts.out, opts.resume);
      const file = opts.config ? readTrainConfigFile(opts.config) : { policy: {}, train: {} };
      if (opts.config && !opts.init) checkPolicySection(opts.config, file.policy);
      const outExisted = existsSync(opts.out);
      ensureWritableDir(opts.out, '--out');
      try {
        for (const d of opts.data as string[]) readMeta(d);
      } catch (e) {
        if (!outExisted) rmdirSync(opts.out); // refused before any work: leave no empty --out behind
        throw e;
      }
      await selectBackend({ flag: cmd.optsWithGlobals().backend });
      const trainOptions = { ...file.train, ...(opts.steps ? { steps: opts.steps } : {}), ...(opts.batchSize ? { batchSize: opts.batchSize } : {}) };
      const reporter = trainReporter('train');
      const r = await train({
        data: opts.data,
        init: opts.init,
        out: opts.out,
        policy: file.policy,
        train: trainOptions,
        log: (line) => process.stderr.write(`[train] ${line}\n`),
        onProgress: reporter.update,
      });
      reporter.stop();
      console.log(
        `${opts.out}: ${r.steps} steps in ${(r.seconds / 60).toFixed(1)} min (${r.samplesPerSec.toFixed(0)} samples/s), ` +
          `loss ${r.finalLoss.toFixed(4)}, validation ${r.finalValLoss?.toFixed(4) ?? '-'}; ${r.parameters} parameters, ${r.episodes} episodes`,
      );
      if (opts.json) console.log(JSON.stringify(r));
    });
}
