/** `vla experiment attention`: which attention works better, and why (src/experiment/). */
import { Command, Option } from 'commander';
import { selectBackend } from '../../tf/backend.js';
import { readRecipe } from '../../recipe/index.js';
import { ensureWritableDir } from '../../io/files.js';
import { planExperiment, runExperiment, VARIANT_NAMES, variantsByName, writeExperimentResults, type ExperimentPlan } from '../../experiment/index.js';
import { commaList, intInRange, positiveInt, workerCount } from '../options.js';
import { progressBar, trainReporter } from '../progress.js';

const budgetMinutes = intInRange(1, 100_000, 'a number of minutes');
const seedCount = intInRange(1, 10, 'a number of training seeds');

function printPlan(plan: ExperimentPlan, json: boolean): void {
  if (json) {
    console.log(JSON.stringify({ steps: plan.steps, batchSize: plan.batchSize, evaluation: plan.evaluation, estimatedMinutes: plan.estimatedMinutes, runs: plan.runs.map((r) => ({ id: r.id, variant: r.variant.name, seed: r.seed, estimatedMinutes: r.estimatedMinutes })) }));
    return;
  }
  for (const r of plan.runs) console.log(`${r.id.padEnd(16)} ~${r.estimatedMinutes.train.toFixed(1).padStart(5)} min training, ~${r.estimatedMinutes.evaluate.toFixed(1)} min evaluation  ${r.variant.what}`);
  const e = plan.estimatedMinutes;
  console.log(`${plan.runs.length} runs of ${plan.steps} steps of ${plan.batchSize}; about ${e.total.toFixed(0)} min (collection ${e.collect.toFixed(0)}${plan.cachedDatasets ? `, ${plan.cachedDatasets} of its datasets already cached` : ''}, training ${e.train.toFixed(0)}, evaluation ${e.evaluate.toFixed(0)}; estimates for a 2-core machine)`);
}

export function registerExperimentCommands(program: Command): void {
  const experiment = program.command('experiment').description('Sim experiments that train and compare policy variants');
  experiment
    .command('attention')
    .description(
      'Train the attention variants (dot-product and additive scores, 4 heads and 1, and a baseline without ' +
        'vision-language cross-attention) on the same data and steps, each with several training seeds, evaluate ' +
        'each on the same seeds, and write DIR/attention.json, DIR/report.md and pictures. Run the same command ' +
        'again to continue a stopped experiment.',
    )
    .option('--recipe <file>', 'the recipe whose data, first training stage and policy the variants share', 'recipes/default.json')
    .option('--budget <minutes>', 'minutes for the whole experiment on a 2-core machine (collection, training, evaluation); sets the steps (140 keeps a margin under 150 minutes for estimates that run short)', budgetMinutes, 140)
    .option('--seeds <n>', 'training seeds per variant (0 .. n-1)', seedCount, 2)
    .addOption(new Option('--variants <list>', `variants, comma-separated: ${VARIANT_NAMES.join(', ')}`).argParser(commaList).default([...VARIANT_NAMES], 'all'))
    .option('--episodes <n>', 'evaluation episodes per task and split, per run', positiveInt, 30)
    .option('--out <dir>', 'the experiment folder', 'out/experiment-attention')
    .option('--workers <n>', 'processes for collection and evaluation (up to 64)', workerCount, 2)
    .option('--dry-run', 'print the plan (runs, steps, estimated minutes) and change nothing', false)
    .option('--json', 'print the result (or with --dry-run the plan) as one JSON object on the last line', false)
    .action(async (opts, cmd: Command) => {
      const base = readRecipe(opts.recipe);
      const plan = planExperiment(base, opts.recipe, {
        variants: variantsByName(opts.variants),
        seeds: opts.seeds,
        budgetMinutes: opts.budget,
        episodes: opts.episodes,
        languageScenes: Math.ceil((opts.episodes * 2) / 3),
        workers: opts.workers,
      });
      if (opts.dryRun) return printPlan(plan, opts.json);
      ensureWritableDir(opts.out, '--out');
      await selectBackend({ flag: cmd.optsWithGlobals().backend });
      const log = (line: string) => process.stderr.write(`[experiment] ${line}\n`);
      let trainer: ReturnType<typeof trainReporter> | null = null;
      let training = '';
      const collectBar = progressBar('collect [{bar}] {value}/{total} episodes | ETA {eta}s');
      const results = await runExperiment(plan, {
        out: opts.out,
        workers: opts.workers,
        attentionEpisodes: 3 * opts.episodes,
        log,
        onCollect: (name, p) => {
          if (!collectBar && (p.done % 200 === 0 || p.done === p.total)) log(`collect ${name}: ${p.done}/${p.total} episodes`);
        },
        onTrain: (run, p) => {
          if (run !== training) {
            trainer?.stop();
            training = run;
            trainer = trainReporter(`train ${run}`);
          }
          trainer!.update(p);
        },
      });
      (trainer as ReturnType<typeof trainReporter> | null)?.stop();
      const report = writeExperimentResults(plan, results, opts.out);
      for (const v of report.variants) {
        console.log(`${v.name.padEnd(11)} success ${(100 * v.successRate).toFixed(1)}% (${v.success.successes}/${v.success.episodes}), language ${v.languageSensitivity === null ? '-' : `${(100 * v.languageSensitivity).toFixed(1)}%`}, attention on target ${v.attentionOnTarget.ratio.toFixed(2)}x uniform, ${v.trainMinutes.toFixed(1)} min training`);
      }
      console.log(`wrote ${opts.out}/attention.json, report.md, learning-curves.png, success-vs-time.png, maps.png (${report.minutes.total.toFixed(0)} min)`);
      if (opts.json) console.log(JSON.stringify(report));
    });
}
