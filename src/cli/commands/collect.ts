/**
 * `vla collect`: demonstrations from the scripted expert, written as a dataset (src/train/dataset.ts). Plain
 * demonstrations from the command line, rendered as the default policy reads them; the perturbed kinds (drift,
 * missed grasps, siblings, confusers, ...) are named datasets of a recipe (`--recipe FILE --dataset NAME`).
 */
import cliProgress from 'cli-progress';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { CONFUSER_SHAPES, TASK_NAMES, type TaskName } from '../../../sim/tasks/index.js';
import { MAX_DATASET_IMAGE_SIZE } from '../../train/dataset.js';
import { parseShardFlag, resolveShard } from '../../interop/shard/shard.js';
import { collect, collectInProcess, type CollectOptions, type CollectProgress } from '../../train/collect.js';
import { DEFAULT_POLICY_CONFIG } from '../../policy/config.js';
import { ensureDataset, normaliseSpec, readRecipe, renderingOf } from '../../recipe/index.js';
import { MAX_SEED, positiveInt, seedOption, taskList, workerCount } from '../options.js';
import { ensureWritableDir } from '../../io/files.js';

/** The plan a coordinating `vla collect` hands each worker process (--plan, hidden): CollectOptions as JSON. */
const PlanSchema = z
  .object({
    out: z.string(),
    tasks: z.array(z.enum(TASK_NAMES)),
    episodes: z.number().int().positive(),
    seed: z.number().int().nonnegative().max(MAX_SEED),
    imageSize: z.number().int().positive().max(MAX_DATASET_IMAGE_SIZE),
    shard: z.object({ index: z.number().int().nonnegative(), count: z.number().int().positive() }),
    workers: z.literal(1),
    noise: z.number().optional(),
    misses: z.number().optional(),
    stalls: z.number().optional(),
    blend: z.number().optional(),
    releaseBand: z.number().optional(),
    siblings: z.number().int().optional(),
    confusers: z.number().optional(),
    confuserShapes: z.enum(CONFUSER_SHAPES).optional(),
    supersampling: z.number().int().optional(),
  })
  .strict();

function progressReporter(json: boolean): { onProgress: (p: CollectProgress) => void; stop: () => void } {
  if (json) return { onProgress: (p) => process.stdout.write(`${JSON.stringify(p)}\n`), stop: () => {} };
  if (!process.stderr.isTTY) {
    // A log file: a line at every tenth of the plan instead of a bar.
    let shown = -1;
    return {
      onProgress: (q) => {
        const tenth = Math.floor((10 * q.done) / Math.max(1, q.total));
        if (tenth === shown) return;
        shown = tenth;
        process.stderr.write(`[collect] ${q.done}/${q.total} episodes, written ${q.written}, expert success ${q.written ? `${((100 * q.successes) / q.written).toFixed(1)}%` : '-'}\n`);
      },
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    { format: 'collect [{bar}] {value}/{total} episodes | written {written} | expert success {rate} | ETA {eta}s' },
    cliProgress.Presets.shades_classic,
  );
  let began = false;
  return {
    onProgress: (q) => {
      if (!began) bar.start(q.total, 0, { written: 0, rate: '-' });
      began = true;
      bar.update(q.done, { written: q.written, rate: q.written ? `${((100 * q.successes) / q.written).toFixed(1)}%` : '-' });
    },
    stop: () => bar.stop(),
  };
}

function summary(out: string, p: CollectProgress, seconds: number): string {
  const repaired = p.repaired ? ` (${p.repaired} of them collected again: their files were damaged)` : '';
  return p.written === 0
    ? `${out}: nothing to collect, all ${p.skipped} episodes of the plan already there and whole`
    : `${out}: ${p.written} episodes written${repaired}, ${p.skipped} already there, expert success ${((100 * p.successes) / p.written).toFixed(1)}% (${seconds.toFixed(1)} s, ${(p.written / seconds).toFixed(1)} episodes/s)`;
}

/** Whether process `pid` still runs (a worker asks this of its coordinator). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A worker (--plan) collects while its coordinator runs: if the coordinator is killed alone, the worker stops after
 * the episode it is writing (each is written whole or not at all) instead of running on, reparented, until an EPIPE.
 */
function runWorker(planJson: string, progressJson: boolean): void {
  let json: unknown;
  try {
    json = JSON.parse(planJson);
  } catch {
    throw new Error('--plan: not valid JSON');
  }
  const plan = PlanSchema.safeParse(json);
  if (!plan.success) throw new Error(`--plan: ${plan.error.issues[0]!.path.join('.')}: ${plan.error.issues[0]!.message}`);
  const coordinator = process.ppid;
  process.stdout.on('error', () => process.exit(1)); // the coordinator's end of the pipe has closed
  const reporter = progressReporter(progressJson);
  let orphaned = false;
  collectInProcess({
    ...(plan.data as Omit<CollectOptions, 'workers'>),
    onProgress: reporter.onProgress,
    // Reparenting shows at once; kill(pid, 0) alone still finds a killed coordinator until its own parent reaps it.
    stopIf: () => (orphaned ||= process.ppid !== coordinator || !alive(coordinator)),
  });
  reporter.stop();
  if (orphaned) process.exit(1);
}

/** --recipe FILE [--dataset NAME]: the recipe's datasets (or the one named) into the cache, or into --out. */
async function collectFromRecipe(opts: { recipe: string; dataset?: string; out?: string; workers: number }): Promise<void> {
  const recipe = readRecipe(opts.recipe);
  const names = opts.dataset ? [opts.dataset] : Object.keys(recipe.datasets);
  for (const n of names) if (!recipe.datasets[n]) throw new Error(`--dataset ${n}: ${opts.recipe} has no dataset of that name (it has ${Object.keys(recipe.datasets).join(', ')})`);
  if (opts.out && names.length !== 1) throw new Error('--out with --recipe needs --dataset NAME (one dataset into one folder)');
  const render = renderingOf(recipe);
  for (const n of names) {
    const spec = recipe.datasets[n]!;
    const started = performance.now();
    const reporter = progressReporter(false);
    if (opts.out) {
      ensureWritableDir(opts.out, '--out');
      const s = normaliseSpec(spec);
      const p = await collect({ ...s, out: opts.out, shard: { index: 0, count: 1 }, workers: opts.workers, ...render, onProgress: reporter.onProgress });
      reporter.stop();
      console.log(summary(opts.out, p, (performance.now() - started) / 1000));
      continue;
    }
    const r = await ensureDataset(spec, render, { workers: opts.workers, onProgress: reporter.onProgress });
    reporter.stop();
    const rate = `expert success ${((100 * r.record.successes) / r.record.episodes).toFixed(1)}%`;
    console.log(`${n}: ${r.record.episodes} episodes ${r.collected ? `collected (${((performance.now() - started) / 1000).toFixed(1)} s)` : 'already in the cache'}, ${rate}: ${r.dir}`);
  }
}

export function registerCollectCommand(program: Command): void {
  program
    .command('collect')
    .description(
      'Run the scripted expert over seeded episodes and write a dataset (frames, proprioception, actions, command, ' +
        'task and split per episode), rendered as the default policy reads them. With --recipe: the recipe\'s named ' +
        'datasets (drift, missed grasps, siblings, confusers, ...) into the dataset cache. Resumable: run the same command again.',
    )
    .option('--out <dir>', 'dataset folder, e.g. data/demo (with --recipe: default the cache)')
    .addOption(new Option('--task <list>', `task suites, comma-separated: ${TASK_NAMES.join(', ')}`).argParser(taskList).default(['pick'] as TaskName[], 'pick'))
    .option('--episodes <n>', 'episodes per task (the whole plan, across shards)', positiveInt, 100)
    .option('--seed <n>', 'base seed of the plan (0 to 2147483647)', seedOption, 0)
    .option('--workers <n>', 'processes to use (one per core, up to 64)', workerCount, 2)
    .option('--shard <i/N|N>', 'collect only part i of N of the plan, for many machines (N alone: i from JOB_COMPLETION_INDEX; no flag: JOB_COMPLETION_INDEX and VLA_SHARD_COUNT if set)', parseShardFlag)
    .option('--recipe <file>', 'collect the datasets a recipe names (e.g. recipes/default.json), rendered as its policy reads them')
    .option('--dataset <name>', 'with --recipe: only this dataset')
    .addOption(new Option('--plan <json>', 'the whole plan as JSON (between a coordinating process and its workers)').hideHelp())
    .option('--progress-json', 'print progress as JSON lines (used between processes)', false)
    .action(async (opts, cmd: Command) => {
      const started = performance.now();
      if (opts.plan) return runWorker(opts.plan, opts.progressJson);
      const given = (k: string) => cmd.getOptionValueSource(k) === 'cli';
      if (opts.recipe) {
        const plain = ['task', 'episodes', 'seed', 'shard'].filter(given);
        if (plain.length) throw new Error(`--recipe: ${plain.map((k) => `--${k}`).join(', ')} come from the recipe's dataset, not the command line`);
        await collectFromRecipe(opts);
        return;
      }
      if (opts.dataset) throw new Error('--dataset names a dataset of a recipe: give --recipe FILE too');
      if (!opts.out) throw new Error('--out DIR is needed (or --recipe FILE, which collects into the cache)');
      ensureWritableDir(opts.out, '--out');
      const reporter = progressReporter(opts.progressJson);
      const p = await collect({
        out: opts.out,
        tasks: opts.task,
        episodes: opts.episodes,
        seed: opts.seed,
        imageSize: DEFAULT_POLICY_CONFIG.imageSize,
        supersampling: DEFAULT_POLICY_CONFIG.supersampling,
        shard: resolveShard(opts.shard),
        workers: opts.workers,
        onProgress: reporter.onProgress,
      });
      reporter.stop();
      if (!opts.progressJson) console.log(summary(opts.out, p, (performance.now() - started) / 1000));
    });
}
