/** `vla probe`: what a trained policy's patch tokens tell about each patch, by a linear probe (src/train/probe.ts). */
import cliProgress from 'cli-progress';
import { Command } from 'commander';
import { selectBackend } from '../../tf/backend.js';
import { formatProbe, probePatchTokens } from '../../train/probe.js';
import { commaList, positiveInt } from '../options.js';

export function registerProbeCommand(program: Command): void {
  program
    .command('probe')
    .description(
      'Train a linear probe on a frozen policy\'s patch tokens to say the kind and colour of the object in each patch, ' +
        'and report what it gets right on held-out episodes of the data: how well the tokens the words attend to carry shape and colour',
    )
    .requiredOption('--policy <dir>', 'a policy folder from vla train')
    .requiredOption('--data <dirs>', 'dataset folder(s) from vla collect, comma-separated (with segmentation: format v2 or later)', commaList)
    .option('--steps <n>', 'probe training steps', positiveInt, 600)
    .option('--frames <n>', 'held-out frames asked', positiveInt, 2000)
    .option('--frame-stride <n>', 'keep one frame in every n steps of each episode', positiveInt, 4)
    .option('--json', 'print the result as one JSON object on the last line', false)
    .action(async (opts, cmd: Command) => {
      await selectBackend({ flag: cmd.optsWithGlobals().backend });
      const bar = process.stderr.isTTY ? new cliProgress.SingleBar({ format: 'probe [{bar}] {value}/{total} steps | loss {loss}' }, cliProgress.Presets.shades_classic) : null;
      bar?.start(opts.steps, 0, { loss: '-' });
      const r = probePatchTokens(opts.policy, opts.data, {
        steps: opts.steps,
        frames: opts.frames,
        frameStride: opts.frameStride,
        onProgress: (step, steps, loss) => {
          if (bar) bar.update(step, { loss: loss.toFixed(3) });
          else if (step % 100 === 0 || step === steps) process.stderr.write(`[probe] step ${step}/${steps} loss ${loss.toFixed(3)}\n`);
        },
      });
      bar?.stop();
      console.log(formatProbe(r));
      if (opts.json) console.log(JSON.stringify(r));
    });
}
