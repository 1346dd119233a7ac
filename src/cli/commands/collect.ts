/** `vla collect`: demonstrations from the scripted expert, written as a dataset (src/train/dataset.ts). */
import cliProgress from 'cli-progress';
import { Command } from 'commander';
import { TASK_NAMES, type TaskName } from '../../../sim/tasks/index.js';
import { collect, parseShard } from '../../train/collect.js';
import { nonNegativeInt, positiveInt, taskList } from '../options.js';

export function registerCollectCommand(program: Command): void {
  program
    .command('collect')
    .description(
      'Run the scripted expert over seeded episodes and write a dataset (frames, proprioception, actions, command, ' +
        'task and split per episode). Resumable: run the same command again after a crash. Data sets are not committed.',
    )
    .requiredOption('--out <dir>', 'dataset folder, e.g. data/demo')
    .option('--task <list>', `task suites, comma-separated: ${TASK_NAMES.join(', ')}`, taskList, ['pick'] as TaskName[])
    .option('--episodes <n>', 'episodes per task (the whole plan, across shards)', positiveInt, 100)
    .option('--seed <n>', 'base seed of the plan', nonNegativeInt, 0)
    .option('--image-size <px>', 'camera frame size', positiveInt, 64)
    .option('--workers <n>', 'processes to use (one per core)', positiveInt, 2)
    .option('--shard <i/N>', 'collect only part i of N of the plan (for many machines)', parseShard, { index: 0, count: 1 })
    .option('--progress-json', 'print progress as JSON lines (used between processes)', false)
    .action(async (opts) => {
      const started = performance.now();
      const bar = opts.progressJson
        ? null
        : new cliProgress.SingleBar(
            { format: 'collect [{bar}] {value}/{total} episodes | written {written} | expert success {rate} | ETA {eta}s' },
            cliProgress.Presets.shades_classic,
          );
      let began = false;
      const p = await collect({
        out: opts.out,
        tasks: opts.task,
        episodes: opts.episodes,
        seed: opts.seed,
        imageSize: opts.imageSize,
        shard: opts.shard,
        workers: opts.workers,
        onProgress: (q) => {
          if (opts.progressJson) {
            process.stdout.write(`${JSON.stringify(q)}\n`);
            return;
          }
          if (!began) {
            bar!.start(q.total, 0, { written: 0, rate: '-' });
            began = true;
          }
          bar!.update(q.done, { written: q.written, rate: q.written ? `${((100 * q.successes) / q.written).toFixed(1)}%` : '-' });
        },
      });
      bar?.stop();
      if (!opts.progressJson) {
        const s = (performance.now() - started) / 1000;
        console.log(
          `${opts.out}: ${p.written} episodes written, ${p.skipped} already there, expert success ${p.written ? ((100 * p.successes) / p.written).toFixed(1) : '-'}% (${s.toFixed(1)} s, ${(p.written / s).toFixed(1)} episodes/s)`,
        );
      }
    });
}
