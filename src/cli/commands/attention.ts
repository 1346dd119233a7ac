/** `vla attention ...`: learning aids for the attention library. */
import { writeFileSync } from 'node:fs';
import { ensureWritableFileDir } from '../../io/files.js';
import { Command, Option } from 'commander';
import { formatWeightTable, wordAttention } from '../../demo/wordAttention.js';
import { selectBackend } from '../../tf/backend.js';
import { renderHeatmapPng } from '../../viz/heatmap.js';
import { registerTranslateCommand } from './translate.js';

export function registerAttentionCommands(program: Command): void {
  const attention = program.command('attention').description('Explore the attention library with worked examples');

  attention
    .command('demo')
    .description(
      'Self-attention over the words of a sentence with hand-set weights: prints the weight table and writes a heatmap PNG. ' +
        'Each word looks for a role: actions and colours look for the object, the object looks for its colour.',
    )
    .argument('[sentence]', 'the words to attend over', 'pick up the red ball')
    .addOption(new Option('--kind <kind>', 'score: scaled dot-product or additive (Bahdanau)').choices(['dot', 'additive']).default('dot'))
    .option('--causal', 'each word may only look at itself and earlier words', false)
    .option('--out <file>', 'where to write the heatmap PNG', 'out/attention-demo.png')
    .action(async (sentence: string, opts: { kind: 'dot' | 'additive'; causal: boolean; out: string }, cmd: Command) => {
      ensureWritableFileDir(opts.out, '--out');
      await selectBackend({ flag: cmd.optsWithGlobals().backend });
      const result = wordAttention(sentence, { kind: opts.kind, causal: opts.causal });
      const title = `${opts.kind === 'dot' ? 'scaled dot-product' : 'additive'}${opts.causal ? ', causal' : ''}: "${result.words.join(' ')}"`;
      console.log(title);
      console.log(`roles: ${result.words.map((w, i) => `${w}=${result.roles[i]}`).join(' ')}`);
      if (result.unknown.length > 0) console.log(`not in the example's lexicon (treated as 'other'): ${result.unknown.join(', ')}`);
      console.log(formatWeightTable(result));
      const T = result.words.length;
      const png = renderHeatmapPng({
        values: result.weights.flat(),
        rows: T,
        cols: T,
        rowLabels: result.words,
        colLabels: result.words,
        title,
        max: 1,
      });
      writeFileSync(opts.out, png);
      console.log(`heatmap (rows: query word, columns: key word): ${opts.out}`);
    });

  registerTranslateCommand(attention);
}
