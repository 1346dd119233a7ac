/**
 * `vla attention translate`: trains the small English <-> Korean command translator (src/translate) in about a minute,
 * reports held-out exact match and the alignment of its cross-attention, and draws the attention; `--compare` trains
 * dot-product and additive scores with one and four heads on the same data and steps.
 */
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { Command, Option } from 'commander';
import { makeDir, writeAtomic } from '../../io/files.js';
import { selectBackend } from '../../tf/backend.js';
import { intInRange, positiveInt, seedOption } from '../options.js';
import { wilsonInterval } from '../../../sim/util/wilson.js';
import {
  COMPARED_VARIANTS,
  TRANSLATE_DEFAULTS,
  attentionOf,
  buildCorpus,
  comparisonFigure,
  comparisonSeeds,
  comparisonTable,
  evaluateTranslator,
  meanOverHeads,
  summarise,
  trainTranslator,
  translateAll,
  translationFigure,
  variantOptions,
  vocabularies,
  type Pair,
  type RunSummary,
  type TrainedTranslator,
  type TranslateOptions,
  type TranslateProgress,
  type TranslationDirection,
} from '../../translate/index.js';

interface TranslateFlags {
  kind: 'dot' | 'additive';
  heads: number;
  steps: number;
  seed: number;
  out: string;
  json: boolean;
  compare: boolean;
  reverse: boolean;
  sentence?: string;
}

/** Commands the figure shows: held-out ones, one per task where there is one. */
const FIGURE_COMMANDS: Record<TranslationDirection, readonly string[]> = {
  'en-ko': ['pick the red ball up', 'put the purple ball in the blue bowl', 'push the green cube to the left please'],
  'ko-en': ['보라색 공을 집어라', '파란 그릇에 빨간 큐브를 넣어라', '왼쪽으로 초록색 큐브를 밀어라'],
};

export function registerTranslateCommand(attention: Command): void {
  attention
    .command('translate')
    .description(
      'Train a small attention encoder-decoder to translate robot commands from English to Korean ("pick up the red ball" -> ' +
        '"빨간 공을 집어라"), with held-out templates and colour-shape combinations; print held-out exact match and how often ' +
        "each Korean word's strongest cross-attention falls on the English word it translates; draw the attention maps.",
    )
    .addOption(new Option('--kind <kind>', 'attention score: scaled dot-product or additive (Bahdanau)').choices(['dot', 'additive']).default('dot'))
    .option('--heads <n>', 'attention heads (must divide the width, 64)', intInRange(1, 64, 'a number of heads'), TRANSLATE_DEFAULTS.heads)
    .option('--steps <n>', 'training steps (batches of 64 sentence pairs)', positiveInt, TRANSLATE_DEFAULTS.steps)
    .option('--seed <n>', 'seed of the weights and of the order of the training pairs', seedOption, 0)
    .option('--out <dir>', 'folder for the PNGs (and the comparison table)', 'out/translate')
    .option('--reverse', 'Korean -> English instead', false)
    .option('--compare', 'train dot-product and additive scores with 1 and 4 heads, two seeds each, and compare them', false)
    .option('--sentence <text>', 'after training, translate this command and print its attention map')
    .option('--json', 'print the result as one JSON object on the last line', false)
    .action(async (flags: TranslateFlags, cmd: Command) => {
      if (flags.compare && flags.sentence !== undefined) throw new Error('--compare and --sentence do not go together: choose one');
      if (64 % flags.heads !== 0) throw new Error(`--heads ${flags.heads} must divide the model width 64 (1, 2, 4, 8, 16, 32 or 64)`);
      const options: TranslateOptions = {
        ...TRANSLATE_DEFAULTS,
        direction: flags.reverse ? 'ko-en' : 'en-ko',
        scoreKind: flags.kind,
        heads: flags.heads,
        steps: flags.steps,
        seed: flags.seed,
      };
      const sentence = flags.sentence === undefined ? null : sentenceWords(flags.sentence, options.direction);
      if (sentence) checkKnown(sentence, options.direction);
      await selectBackend({ flag: cmd.optsWithGlobals().backend });
      makeDir(flags.out);
      const result = flags.compare ? compare(options, flags.out) : single(options, flags.out, sentence);
      if (flags.json) console.log(JSON.stringify(result));
    });
}

/** The words of a command given on the command line: lower case without punctuation (English) or split at spaces. */
function sentenceWords(text: string, direction: TranslationDirection): string[] {
  const words = (direction === 'en-ko' ? text.toLowerCase().replace(/[^\p{L}\p{N}\s]/gu, ' ') : text.replace(/[.!?,]/g, ' ')).split(/\s+/).filter(Boolean);
  if (words.length === 0) throw new Error('--sentence: the command has no words');
  return words;
}

/** Refuses, before any training, a sentence with words the translator cannot know (it reads the templates' words). */
function checkKnown(words: readonly string[], direction: TranslationDirection): void {
  const { source } = vocabularies(buildCorpus(direction));
  const unknown = words.filter((w) => !source.has(w));
  if (unknown.length === 0) return;
  const known = source.words.slice(3).join(' ');
  throw new Error(`--sentence: the translator does not know ${unknown.map((w) => `"${w}"`).join(', ')}; it reads the templates' words: ${known}`);
}

function progress(label: string, quiet: boolean): { update: (p: TranslateProgress) => void; stop: () => void } {
  const bar = process.stderr.isTTY && !quiet ? new cliProgress.SingleBar({ format: `${label} [{bar}] {value}/{total} steps | loss {loss} | ETA {eta}s` }, cliProgress.Presets.shades_classic) : null;
  let started = false;
  return {
    update: (p) => {
      if (bar) {
        if (!started) bar.start(p.steps, 0, { loss: '-' });
        started = true;
        bar.update(p.step, { loss: p.loss.toFixed(4) });
      } else if (p.step % 200 === 0 || p.step === p.steps) {
        process.stderr.write(`[${label}] step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)}\n`);
      }
    },
    stop: () => bar?.stop(),
  };
}

function train(options: TranslateOptions, label: string): TrainedTranslator {
  const bar = progress(label, false);
  try {
    return trainTranslator(options, bar.update);
  } finally {
    bar.stop();
  }
}

const pct = (k: number, n: number) => {
  const { low, high } = wilsonInterval(k, n);
  return `${((100 * k) / n).toFixed(1)}% (${k}/${n}, 95% CI ${(100 * low).toFixed(1)}-${(100 * high).toFixed(1)})`;
};

function figurePairs(direction: TranslationDirection): Pair[] {
  const corpus = buildCorpus(direction);
  return FIGURE_COMMANDS[direction].map((s) => corpus.find((p) => p.source.join(' ') === s)!);
}

/** One training: evaluation, the figure, and optionally one sentence translated with its map. */
function single(options: TranslateOptions, out: string, sentence: string[] | null): Record<string, unknown> {
  const t = train(options, `translate ${options.direction}`);
  const e = evaluateTranslator(t);
  const heatmap = join(out, `translate-${options.direction}-${options.scoreKind}-${options.heads}h.png`);
  writeAtomic(heatmap, translationFigure(t, figurePairs(options.direction)));
  const combo = e.heldout['heldout-combo'];
  const tpl = e.heldout['heldout-template'];
  console.log(`${options.direction}, ${options.scoreKind}, ${options.heads} head(s), ${options.steps} steps, seed ${options.seed}: ` +
    `${t.model.parameterCount} parameters, ${t.trainPairs} training pairs, ${t.trainSeconds.toFixed(0)} s`);
  console.log(`held-out exact match: ${pct(combo.correct + tpl.correct, combo.total + tpl.total)}`);
  console.log(`  held-out combinations: ${pct(combo.correct, combo.total)}; held-out word orders: ${pct(tpl.correct, tpl.total)}`);
  console.log(`alignment accuracy: ${(100 * e.alignmentAccuracy).toFixed(1)}% of ${e.alignmentWords} words (strongest cross-attention, mean of heads, on the source word)`);
  const parts = Object.entries(e.alignmentByPart).map(([k, r]) => `${k} ${((100 * r.correct) / r.total).toFixed(1)}%`);
  console.log(`  by part: ${parts.join(', ')}`);
  console.log(`cross-attention entropy: ${e.attentionEntropy.toFixed(2)} nats (uniform: ${e.uniformEntropy.toFixed(2)}); 95% training accuracy at step ${t.stepsTo95 ?? 'never'}`);
  for (const x of e.examples) console.log(`  [${x.split}] ${x.source} -> ${x.output}${x.output === x.reference ? '' : `   (reference: ${x.reference})`}`);
  console.log(`heatmaps: ${heatmap}`);
  const result: Record<string, unknown> = {
    direction: options.direction,
    scoreKind: options.scoreKind,
    heads: options.heads,
    steps: options.steps,
    seed: options.seed,
    parameters: t.model.parameterCount,
    trainPairs: t.trainPairs,
    trainSeconds: t.trainSeconds,
    stepsTo95: t.stepsTo95,
    heldoutExactMatch: e.heldoutExactMatch,
    heldout: e.heldout,
    alignmentAccuracy: e.alignmentAccuracy,
    alignmentWords: e.alignmentWords,
    alignmentByPart: e.alignmentByPart,
    attentionEntropy: e.attentionEntropy,
    uniformEntropy: e.uniformEntropy,
    examples: e.examples,
    heatmap,
  };
  if (sentence) result.sentence = translateSentence(t, sentence, out);
  t.model.dispose();
  return result;
}

/** Translates one command and prints its cross-attention (mean of heads) as a table; writes its map. */
function translateSentence(t: TrainedTranslator, words: string[], out: string): { source: string; output: string; heatmap: string } {
  const output = translateAll(t, [words])[0]!;
  const pair: Pair = { source: words, target: output, targetSources: output.map(() => []), targetParts: output.map(() => ''), split: 'train', task: 'pick' };
  const cross = output.length > 0 ? meanOverHeads(attentionOf(t, [pair])[0]!.cross) : [];
  console.log(`\n${words.join(' ')} -> ${output.join(' ')}`);
  const w = Math.max(8, ...words.map((x) => x.length));
  console.log(`${''.padEnd(10)}${words.map((x) => x.padStart(w)).join(' ')}`);
  cross.forEach((row, i) => console.log(`${output[i]!.padEnd(10)}${row.map((v) => v.toFixed(2).padStart(w)).join(' ')}`));
  const heatmap = join(out, 'sentence.png');
  writeAtomic(heatmap, translationFigure(t, [pair]));
  console.log(`map: ${heatmap}`);
  return { source: words.join(' '), output: output.join(' '), heatmap };
}

/** Every variant at two seeds: the table (markdown), the runs (JSON) and the side-by-side picture. */
function compare(base: TranslateOptions, out: string): Record<string, unknown> {
  const runs: RunSummary[] = [];
  const firstSeed: Array<{ name: string; trained: TrainedTranslator }> = [];
  for (const v of COMPARED_VARIANTS) {
    for (const seed of comparisonSeeds(base.seed, 2)) {
      const t = train(variantOptions(base, v, seed), `${v.name}, seed ${seed}`);
      const summary = summarise(v, t, evaluateTranslator(t, 0));
      runs.push(summary);
      console.log(`${v.name}, seed ${seed}: held-out ${(100 * summary.heldoutExactMatch).toFixed(1)}%, alignment ${(100 * summary.alignmentAccuracy).toFixed(1)}%`);
      if (seed === base.seed) firstSeed.push({ name: v.name, trained: t });
      else t.model.dispose();
    }
  }
  const pair = figurePairs(base.direction)[1]!;
  const picture = join(out, `compare-${base.direction}.png`);
  writeAtomic(picture, comparisonFigure(firstSeed, pair));
  for (const f of firstSeed) f.trained.model.dispose();
  const table = comparisonTable(runs);
  const tablePath = join(out, `compare-${base.direction}.md`);
  writeAtomic(tablePath, `${table}\n`);
  const result = { direction: base.direction, steps: base.steps, seeds: comparisonSeeds(base.seed, 2), runs, table: tablePath, picture };
  writeAtomic(join(out, `compare-${base.direction}.json`), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\n${table}\n\ntable: ${tablePath}\npicture: ${picture}`);
  return result;
}
