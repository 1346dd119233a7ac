/** `vla collect`: demonstrations from the scripted expert, written as a dataset (src/train/dataset.ts). */
import cliProgress from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { CONFUSER_SHAPES, TASK_NAMES, type ConfuserShapes, type TaskName } from '../../../sim/tasks/index.js';
import { collect, parseShard } from '../../train/collect.js';
import { nonNegativeInt, positiveInt, supersamplingFactor, taskList } from '../options.js';
import { MAX_SUPERSAMPLING } from '../../../sim/render/downsample.js';
import { selectBackend } from '../../tf/backend.js';
import { MAX_EE_STEP } from '../../../sim/types.js';
import { MAX_BLEND, MAX_RELEASE_BAND } from '../../../sim/expert/ScriptedExpert.js';

function confuserShapes(value: string): ConfuserShapes {
  if (!(CONFUSER_SHAPES as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected ${CONFUSER_SHAPES.join(' or ')}, got "${value}"`);
  return value as ConfuserShapes;
}

function unitInterval(value: string): number {
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || x < 0 || x > 1) throw new InvalidArgumentError(`expected a number from 0 to 1, got "${value}"`);
  return x;
}

function metres(value: string): number {
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || x < 0 || x > MAX_EE_STEP) {
    throw new InvalidArgumentError(`expected a distance in metres from 0 to ${MAX_EE_STEP} (the largest move per step), got "${value}"`);
  }
  return x;
}

function blendMetres(value: string): number {
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || x < 0 || x > MAX_BLEND) {
    throw new InvalidArgumentError(`expected a distance in metres from 0 to ${MAX_BLEND} (below 1.5 cm, where the expert gives a descent up), got "${value}"`);
  }
  return x;
}

function releaseBandMetres(value: string): number {
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || x < 0 || x > MAX_RELEASE_BAND) {
    throw new InvalidArgumentError(`expected a height in metres from 0 to ${MAX_RELEASE_BAND}, got "${value}"`);
  }
  return x;
}

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
    .option('--dagger <policy>', 'DAgger: this trained policy drives and the expert labels every step (see src/train/collect.ts)')
    .option('--beta <share>', 'with --dagger: the share of steps the expert drives instead of the policy', unitInterval, 0.3)
    .option('--noise <m>', 'DART: standard deviation (m per step) of a drift added to the expert\'s executed moves; the expert\'s clean actions are recorded (see src/train/collect.ts)', metres, 0)
    .option('--misses <share>', 'the share of pick and place episodes whose first grasp is made to miss, so the data shows the expert recovering (see src/train/collect.ts)', unitInterval, 0)
    .option('--stalls <share>', 'the share of episodes whose arm is parked 3-5 cm beside its way down for 15-25 steps, so the data shows the expert recovering (see src/train/collect.ts)', unitInterval, 0)
    .option('--blend <m>', `the expert turns down (and lowers onto the destination) once within this horizontal distance of the point above, instead of stopping on it; at most ${MAX_BLEND} (see ScriptedExpert's blend)`, blendMetres, 0)
    .option('--release-band <m>', `placing, the expert lets go once lowered to within this height above its release point over the destination, instead of stopping on that point; at most ${MAX_RELEASE_BAND} (see ScriptedExpert's releaseBand)`, releaseBandMetres, 0)
    .option('--siblings <k>', 'episodes per scene: each group of K shares one scene and names a different object in each (see src/train/collect.ts)', positiveInt, 1)
    .option('--confusers <share>', 'the share of scenes drawn again with an object of the target\'s colour and another shape and one of its shape and another colour; with --siblings those are named first (see src/train/collect.ts)', unitInterval, 0)
    .option('--confuser-shapes <one|all>', 'with --confusers: add one other shape of the target\'s colour, or all of them (held-out combinations too, never named; see sim/tasks/confusers.ts)', confuserShapes, 'one')
    .option('--supersampling <k>', `render every frame at k times the size and average each k x k block (anti-aliasing, as a real camera; 1 to ${MAX_SUPERSAMPLING}); a policy trained on it sets config.supersampling to k (see src/train/collect.ts)`, supersamplingFactor, 1)
    .option('--progress-json', 'print progress as JSON lines (used between processes)', false)
    .action(async (opts, cmd: Command) => {
      const started = performance.now();
      if (opts.confuserShapes === 'all' && !opts.confusers) throw new Error('--confuser-shapes all needs --confusers P (a share of scenes above 0) to act on');
      if (opts.dagger) await selectBackend({ flag: cmd.optsWithGlobals().backend, ...(opts.progressJson ? { log: null } : {}) });
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
        dagger: opts.dagger ? { policy: opts.dagger, beta: opts.beta } : undefined,
        noise: opts.noise,
        misses: opts.misses,
        stalls: opts.stalls,
        blend: opts.blend,
        releaseBand: opts.releaseBand,
        siblings: opts.siblings,
        confusers: opts.confusers,
        confuserShapes: opts.confuserShapes,
        supersampling: opts.supersampling,
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
        const who = opts.dagger ? 'success' : 'expert success';
        console.log(
          p.written === 0
            ? `${opts.out}: nothing to collect, all ${p.skipped} episodes of the plan already there`
            : `${opts.out}: ${p.written} episodes written, ${p.skipped} already there, ${who} ${((100 * p.successes) / p.written).toFixed(1)}% (${s.toFixed(1)} s, ${(p.written / s).toFixed(1)} episodes/s)`,
        );
      }
    });
}
