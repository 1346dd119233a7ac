/** `vla train`: behaviour cloning on a dataset from `vla collect` (src/train/train.ts). */
import cliProgress from 'cli-progress';
import { Command } from 'commander';
import { selectBackend } from '../../tf/backend.js';
import { readTrainConfig, train } from '../../train/train.js';
import { commaList, positiveInt } from '../options.js';

export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description(
      'Train the VLA policy by behaviour cloning on a dataset from vla collect. The output folder is a loadable ' +
        'policy at every checkpoint, with metrics.jsonl and loss.png beside it; run the same command again to resume.',
    )
    .requiredOption('--data <dirs>', 'dataset folder (vla collect --out); several, comma-separated, are trained on together', commaList)
    .requiredOption('--out <dir>', 'where the policy goes, e.g. models/mine')
    .option('--config <file>', 'JSON: {"policy": {PolicyConfig fields}, "train": {steps, batchSize, learningRate, ...}}')
    .option('--init <policy>', 'fine-tune: start from this trained policy (its config, weights and normalisation); the schedule starts over')
    .option('--steps <n>', 'training steps (overrides the config file)', positiveInt)
    .option('--batch-size <n>', 'samples per step (overrides the config file)', positiveInt)
    .action(async (opts, cmd: Command) => {
      await selectBackend({ flag: cmd.optsWithGlobals().backend });
      const file = opts.config ? readTrainConfig(opts.config) : { policy: {}, train: {} };
      const trainOptions = { ...file.train, ...(opts.steps ? { steps: opts.steps } : {}), ...(opts.batchSize ? { batchSize: opts.batchSize } : {}) };
      const tty = process.stderr.isTTY;
      const bar = tty
        ? new cliProgress.SingleBar({ format: 'train [{bar}] {value}/{total} steps | loss {loss} | val {val} | {sps} samples/s | ETA {eta_formatted}' }, cliProgress.Presets.shades_classic)
        : null;
      let started = false;
      const r = await train({
        data: opts.data,
        init: opts.init,
        out: opts.out,
        policy: file.policy,
        train: trainOptions,
        log: (line) => process.stderr.write(`[train] ${line}\n`),
        onProgress: (p) => {
          if (bar) {
            if (!started) {
              bar.start(p.steps, p.step - 1, { loss: '-', val: '-', sps: '-' });
              started = true;
            }
            bar.update(p.step, { loss: p.loss.toFixed(4), val: p.valLoss?.toFixed(4) ?? '-', sps: p.samplesPerSec.toFixed(0) });
          } else if (p.step % 100 === 0 || p.step === p.steps) {
            process.stderr.write(
              `[train] step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)} val ${p.valLoss?.toFixed(4) ?? '-'} ${p.samplesPerSec.toFixed(0)} samples/s ETA ${Math.round(p.etaSec)} s\n`,
            );
          }
        },
      });
      bar?.stop();
      console.log(
        `${opts.out}: ${r.steps} steps in ${(r.seconds / 60).toFixed(1)} min (${r.samplesPerSec.toFixed(0)} samples/s), ` +
          `loss ${r.finalLoss.toFixed(4)}, validation ${r.finalValLoss?.toFixed(4) ?? '-'}; ${r.parameters} parameters, ${r.episodes} episodes`,
      );
    });
}
