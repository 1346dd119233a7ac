/** `vla sim`, `vla eval`, `vla bench sim`: the simulator from the command line. */
import { freeFormRephrase } from '../../language/phrasings.js';
import { readsKorean } from '../../language/koreanPolicy.js';
import { LANGUAGES, type Language } from '../../language/types.js';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { benchSim, formatSimBench } from '../../../sim/env/benchSim.js';
import { SPLITS, TASK_NAMES, type Split, type TaskName } from '../../../sim/tasks/index.js';
import { loadScene, resolveScenePath } from '../../../sim/scene/index.js';
import { checkSeedRange, imageSide, nonNegativeInt, positiveInt, seedOption, supersamplingFactor, taskList, execution } from '../options.js';
import { ensureWritableDir, writeAtomic } from '../../io/files.js';
import { DEFAULT_EXECUTION } from '../../policy/ChunkExecutor.js';
import { attentionOnTarget, evaluate, formatAttentionOnTarget, formatEvaluation, formatLanguageSensitivity, languageSensitivity, LANGUAGE_TASKS, resolveDriver, runEpisode, type LanguageTask } from '../../eval/index.js';
import { Environment } from '../../../sim/env/Environment.js';
import { selectBackend } from '../../tf/backend.js';
import { parseShardFlag, resolveShard } from '../../interop/shard/shard.js';
import { evalHooks, printMergedEvaluation } from './evalExtras.js';
import { evalWithRecipe } from './evalRecipe.js';

export function registerSimCommands(program: Command, bench: Command): void {
  registerSim(program);
  registerEval(program);
  registerBenchSim(bench);
}

/** `vla sim`: one episode with the scripted expert, as a GIF and a PNG. */
function registerSim(program: Command): void {
  program
    .command('sim')
    .description(
      'Run one simulated episode with the scripted expert and write an animated GIF of it from the scene camera ' +
        'plus a PNG of the first frame. Give a command ("pick up the red ball") or a task suite to sample one from.',
    )
    .argument('[command]', 'what to do, e.g. "pick up the red ball"; default: a command sampled from --task')
    .addOption(new Option('--task <name>', 'task suite to sample a command from').choices([...TASK_NAMES]).default('pick'))
    .option('--seed <n>', 'seed of the scene and the expert (0 to 2147483647)', seedOption, 0)
    .option('--scene <file>', 'scene file or name in scenes/ (default: a random tabletop with what the command names)')
    .option('--out <dir>', 'output folder', 'out/sim')
    .option('--size <px>', 'GIF frame size in pixels (16 to 1024)', imageSide, 256)
    .option('--supersampling <k>', 'render each GIF pixel as the mean of k x k samples (anti-aliasing; e.g. --size 64 --supersampling 4 shows what a policy trained with supersampling 4 sees)', supersamplingFactor, 1)
    .option('--json', 'print the outcome as one JSON object on the last line', false)
    .action(async (command: string | undefined, opts) => {
      ensureWritableDir(opts.out, '--out');
      const scene = opts.scene ? loadScene(resolveScenePath(opts.scene)) : undefined;
      const r = await runEpisode({
        seed: opts.seed,
        task: opts.task,
        command,
        scene,
        record: { size: opts.size, supersampling: opts.supersampling },
      });
      const gif = join(opts.out, 'episode.gif');
      const png = join(opts.out, 'first-frame.png');
      writeAtomic(gif, r.gif!);
      writeAtomic(png, r.firstFramePng!);
      console.log(`command: "${r.command}" (task ${r.task}, split ${r.split}, seed ${opts.seed})`);
      console.log(`${r.success ? 'success' : `failure: ${r.reason}`} after ${r.steps} steps (${r.time.toFixed(2)} s simulated)`);
      console.log(`wrote ${gif} and ${png}`);
      if (opts.json) console.log(JSON.stringify({ success: r.success, reason: r.reason, steps: r.steps, command: r.command, gif, png }));
      if (!r.success) process.exitCode = 2;
    });
}

/** The episode options of vla eval: --merge uses none of them, --recipe sets them from the recipe. */
const EPISODE_OPTIONS = ['task', 'episodes', 'seed', 'split', 'execution', 'videos', 'out', 'language', 'languageTask', 'attention', 'shard', 'report', 'phrasing', 'mcap'] as const;

/** Refuses options the chosen mode would silently ignore, naming them (commander's names, as the user typed them). */
function refuseUnusedEvalOptions(opts: { merge?: unknown; recipe?: unknown; language: number }, cmd: Command): void {
  const given = (k: string) => cmd.getOptionValueSource(k) === 'cli';
  const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const mode = opts.merge ? '--merge' : opts.recipe ? '--recipe' : null;
  const unused: string[] = mode ? EPISODE_OPTIONS.filter(given) : [];
  if (opts.merge && given('recipe')) unused.push('recipe');
  if (opts.merge && given('policy')) unused.push('policy');
  if (unused.length) {
    const what = mode === '--merge' ? 'adds up shard reports and runs no episodes' : "runs the recipe's evaluation protocol (its tasks, splits, episodes and seeds)";
    throw new Error(`${mode} ${what}; leave out ${unused.map(flag).join(', ')}`);
  }
  if (given('languageTask') && opts.language === 0) throw new Error('--language-task goes with --language SCENES (how many scenes to measure)');
}

/** `vla eval`: success per task and split over seeded episodes, language sensitivity, attention on target. */
function registerEval(program: Command): void {
  program
    .command('eval')
    .description(
      'Evaluate a driver over seeded episodes: success rate per task and per split (seen, held-out colour-shape ' +
        'combinations, held-out templates), mean steps and failure reasons',
    )
    .option('--policy <name>', 'who drives: "expert" (the scripted expert) or a policy folder from vla train (needed unless --merge)')
    .addOption(new Option('--task <list>', `task suites, comma-separated: ${TASK_NAMES.join(', ')}`).argParser(taskList).default(['pick'] as TaskName[], 'pick'))
    .option('--episodes <n>', 'episodes per task', positiveInt, 100)
    .option('--seed <n>', 'first seed; episode i uses seed + i (seeds go up to 2147483647)', seedOption, 0)
    .addOption(
      new Option('--split <split>', 'draw every command from one split (default: 3 seen : 1 held-out combination : 1 held-out template, in turn)').choices(SPLITS),
    )
    .addOption(
      new Option('--execution <mode>', 'how a policy\'s action chunks are executed: ensemble[:DECAY] (ACT temporal ensembling) or receding:N')
        .argParser(execution)
        .default(DEFAULT_EXECUTION, 'ensemble'),
    )
    .option('--json', 'print the result as one JSON object on the last line (field successRate in 0..1)', false)
    .option('--videos <k>', 'write GIFs of the first k episodes of each task', nonNegativeInt, 0)
    .option('--out <dir>', 'where --videos go', 'out/eval')
    .option('--language <scenes>', 'also measure language sensitivity on this many scenes (0 = skip)', nonNegativeInt, 0)
    .addOption(
      new Option('--language-task <task>', 'the counterfactual commands of --language: pick (name each object to pick) or place (each object, one destination)')
        .choices(LANGUAGE_TASKS)
        .default('pick'),
    )
    .option('--attention <episodes>', 'also measure attention on target over this many first frames (policies only; 0 = skip)', nonNegativeInt, 0)
    .option('--shard <i/N|N>', 'run only part i of N of the episodes (N alone: i from JOB_COMPLETION_INDEX; no flag: JOB_COMPLETION_INDEX and VLA_SHARD_COUNT if set)', parseShardFlag)
    .option('--report <file>', 'write this shard\'s result as a report for --merge')
    .option('--merge <files...>', 'add up shard reports (from --report) into one evaluation and print it; runs no episodes')
    .option('--recipe <file>', 'run a recipe\'s evaluation protocol on --policy (its tasks, splits, episodes, report seeds and language scenes; episode options are refused beside it)')
    .addOption(new Option('--phrasing <language>', 'say every command in free-form words first, held out from training (new politeness, synonyms, Korean endings; docs/commands.md), and carry out what is understood; reported as split free-en or free-ko').choices(LANGUAGES))
    .option('--mcap <file>', 'log every episode into one MCAP file for Foxglove (camera, attention, joints, poses, commands, outcomes)')
    .action(async (opts, cmd: Command) => {
      refuseUnusedEvalOptions(opts, cmd);
      if (opts.merge) return printMergedEvaluation(opts.merge, opts.json);
      if (!opts.policy) throw new Error('--policy is needed: "expert" or a policy folder from vla train (or --merge FILES to add up shard reports)');
      if (opts.recipe) return evalWithRecipe(opts.policy, opts.recipe, opts.json);
      if (opts.policy === 'expert' && opts.attention > 0) throw new Error('--attention needs a policy folder: the scripted expert has no attention maps');
      const shard = resolveShard(opts.shard);
      checkSeedRange(opts.seed, Math.max(opts.episodes, opts.language, opts.attention));
      if (opts.videos > 0) ensureWritableDir(opts.out, '--out');
      if (opts.policy !== 'expert') await selectBackend({ flag: cmd.optsWithGlobals().backend });
      const driver = resolveDriver(opts.policy, opts.execution);
      const plan = { policy: opts.policy, tasks: opts.task, episodes: opts.episodes, seed: opts.seed, split: opts.split ?? null, phrasing: opts.phrasing ?? null, execution: JSON.stringify(opts.execution), shard };
      const readsKo = driver.policy ? readsKorean(driver.policy.tokenizer) : false;
      const hooks = await evalHooks({ mcap: opts.mcap, report: opts.report, plan, label: driver.label, policy: driver.policy }, driver.make);
      const result = await evaluate({
        driverFactory: hooks.driverFactory,
        onEpisode: hooks.onEpisode,
        ...(shard.count > 1 ? { shard } : {}),
        cameras: driver.cameras,
        ...(opts.videos > 0 ? { videos: { count: opts.videos, dir: opts.out } } : {}),
        tasks: opts.task,
        episodes: opts.episodes,
        seed: opts.seed,
        ...(opts.split ? { split: opts.split as Split } : {}),
        ...(opts.phrasing ? { rephrase: freeFormRephrase(opts.phrasing as Language, 'heldout', readsKo) } : {}),
        progress: process.stderr.isTTY ? 'bar' : 'lines',
      });
      await hooks.finish(result);
      if (shard.count > 1) console.log(`shard ${shard.index}/${shard.count}${opts.report ? `: report in ${opts.report} (add the shards up with vla eval --merge)` : ''}`);
      console.log(formatEvaluation(result));
      const extra: Record<string, unknown> = {};
      if (opts.language > 0) {
        const env = new Environment({ cameras: driver.cameras });
        const ls = await languageSensitivity({ makeDriver: driver.make, env, scenes: opts.language, seed: opts.seed, task: opts.languageTask as LanguageTask, ...(opts.phrasing ? { rephrase: freeFormRephrase(opts.phrasing as Language, 'heldout', readsKo) } : {}) });
        console.log(formatLanguageSensitivity(ls));
        extra.languageSensitivity = ls;
      }
      if (opts.attention > 0 && driver.policy) {
        const at = attentionOnTarget(driver.policy, { episodes: opts.attention, seed: opts.seed, tasks: opts.task });
        console.log(formatAttentionOnTarget(at));
        extra.attentionOnTarget = at;
      }
      if (opts.json) console.log(JSON.stringify({ ...result, ...extra }));
    });
}

/** `vla bench sim`: physics steps/s, camera frames/s and the real-time factor of episode steps. */
function registerBenchSim(bench: Command): void {
  bench
    .command('sim')
    .description(
      'Physics steps/s, camera frames/s at 64x64 and 128x128, and the real-time factor of whole episode steps ' +
        '(physics + control + one camera frame per control step) on the default scene',
    )
    .option('--json', 'print the result as one JSON object on the last line', false)
    .option('--runs <n>', 'repetitions (medians are reported)', positiveInt, 5)
    .action(async (opts) => {
      const r = await benchSim({ runs: opts.runs });
      console.log(formatSimBench(r));
      if (opts.json) console.log(JSON.stringify(r));
    });
}
