/** `vla average`: one policy from the mean of several policies' weights (src/policy/averagePolicies.ts). */
import { Command, InvalidArgumentError } from 'commander';
import { selectBackend } from '../../tf/backend.js';
import { averagePolicies, formatAverage } from '../../policy/averagePolicies.js';
import { commaList, positiveDecimal } from '../options.js';
import { ensureWritableDir } from '../../io/files.js';

function numbers(value: string): number[] {
  return commaList(value).map((s) => {
    try {
      return positiveDecimal(s);
    } catch {
      throw new InvalidArgumentError(`expected positive numbers, comma-separated; "${s}" is not one`);
    }
  });
}

export function registerAverageCommand(program: Command): void {
  program
    .command('average')
    .description(
      'Average the weights of policies fine-tuned from one checkpoint (a "model soup", Wortsman et al. 2022) into a new policy folder; ' +
        'they must share config, tokenizer and normalisation',
    )
    .requiredOption('--policies <dirs>', 'two or more policy folders from vla train, comma-separated', commaList)
    .requiredOption('--out <dir>', 'the new policy folder (must not hold a policy yet)')
    .option('--weights <numbers>', 'one positive weight per policy, comma-separated (default: equal)', numbers)
    .option('--json', 'print the result as one JSON object on the last line', false)
    .action(async (opts, cmd: Command) => {
      ensureWritableDir(opts.out, '--out');
      await selectBackend({ flag: cmd.optsWithGlobals().backend });
      const r = averagePolicies(opts.policies, opts.out, opts.weights ? { coefficients: opts.weights } : {});
      console.log(formatAverage(r));
      if (opts.json) console.log(JSON.stringify(r));
    });
}
