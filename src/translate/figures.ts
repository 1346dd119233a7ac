/**
 * Pictures of a trained translator's attention: for a few commands, the cross-attention (rows: the words written,
 * columns: the words read) averaged over heads and per head, and the decoder's causal self-attention with its mask
 * drawn; and, for a comparison, the averaged cross-attention of several variants side by side on one command.
 */
import { renderHeatmapGrid, type HeatmapInput } from '../viz/heatmap.js';
import type { Pair } from './corpus.js';
import { attentionOf, meanOverHeads, type TrainedTranslator } from './train.js';

const flat = (m: number[][]) => m.flat();

function crossPanel(m: number[][], p: Pair, title: string): HeatmapInput {
  return { values: flat(m), rows: p.target.length, cols: p.source.length, rowLabels: p.target, colLabels: p.source, title, max: 1, cell: 40 };
}

/** The decoder's self-attention over its inputs (the start mark, then the target words), the masked future grey. */
function selfPanel(m: number[][], p: Pair, title: string): HeatmapInput {
  const words = ['<s>', ...p.target];
  const T = words.length;
  const masked = Array.from({ length: T * T }, (_, k) => k % T > Math.floor(k / T));
  return { values: flat(m), rows: T, cols: T, rowLabels: words, colLabels: words, title, max: 1, cell: 40, masked };
}

/** One row of panels per pair: mean cross-attention, each head's, and the causal self-attention (mean over heads). */
export function translationFigure(t: TrainedTranslator, pairs: readonly Pair[]): Buffer {
  const maps = attentionOf(t, pairs);
  const rows = pairs.map((p, i) => {
    const a = maps[i]!;
    return [
      crossPanel(meanOverHeads(a.cross), p, 'cross-attention, mean of heads'),
      ...a.cross.map((h, k) => crossPanel(h, p, `head ${k + 1}`)),
      selfPanel(meanOverHeads(a.decoderSelf), p, 'decoder self-attention (causal)'),
    ];
  });
  const o = t.options;
  return renderHeatmapGrid(rows, `${o.direction}, ${o.scoreKind === 'dot' ? 'scaled dot-product' : 'additive'}, ${o.heads} head${o.heads > 1 ? 's' : ''}: rows the words written, columns the words read`);
}

/** The mean cross-attention of each variant on the same pair, side by side. */
export function comparisonFigure(variants: ReadonlyArray<{ name: string; trained: TrainedTranslator }>, pair: Pair): Buffer {
  const panels = variants.map((v) => crossPanel(meanOverHeads(attentionOf(v.trained, [pair])[0]!.cross), pair, v.name));
  return renderHeatmapGrid([panels], `"${pair.source.join(' ')}" -> "${pair.target.join(' ')}": cross-attention, mean of heads`);
}
