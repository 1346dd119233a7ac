/**
 * The experiment's pictures: learning curves (validation loss of every run against steps), success against training
 * minutes (one point per run), and every variant's words on the same scene (one row of per-word maps per variant,
 * training seed 0), so the heads and score kinds can be compared by eye.
 */
import { readJsonLines } from '../io/files.js';
import { join } from 'node:path';
import { Environment } from '../../sim/env/Environment.js';
import { readCheckpointConfig } from '../policy/checkpoint.js';
import type { CameraName } from '../../sim/render/cameras.js';
import { renderAttentionOverlayPng } from '../viz/attentionOverlay.js';
import { renderLineChartPng, type ChartSeries } from '../viz/lineChart.js';
import { stackPngs } from '../viz/stackPngs.js';
import type { RunResult } from './AttentionExperiment.js';
import { figureScene } from './runMeasures.js';

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2'];

function colourOf(variants: readonly string[], name: string): string {
  return COLOURS[variants.indexOf(name) % COLOURS.length]!;
}

/** Validation loss against step of each run, from its metrics.jsonl (rows without a validation loss left out). */
export function learningCurvesPng(runsDir: string, results: readonly RunResult[]): Buffer {
  const variants = [...new Set(results.map((r) => r.variant))];
  const series: ChartSeries[] = results.map((r) => {
    const rows = readJsonLines(join(runsDir, r.id, 'metrics.jsonl'), 'remove the line and run again') as { step: number; valLoss: number | null }[];
    return {
      label: r.id,
      colour: colourOf(variants, r.variant),
      dashed: r.seed > 0,
      points: rows.filter((x) => x.valLoss !== null).map((x) => [x.step, x.valLoss!] as const),
    };
  });
  return renderLineChartPng(series, { title: 'Validation loss of every run', xLabel: 'step', yLabel: 'validation loss', logY: true });
}

/** Overall success of each run against its training minutes. */
export function successVsTimePng(results: readonly RunResult[]): Buffer {
  const variants = [...new Set(results.map((r) => r.variant))];
  const series: ChartSeries[] = variants.map((v) => ({
    label: v,
    colour: colourOf(variants, v),
    kind: 'points',
    points: results
      .filter((r) => r.variant === v)
      .map((r) => {
        const train = Object.entries(r.provenance.minutes).filter(([k]) => k.startsWith('train:')).reduce((a, [, m]) => a + m, 0);
        return [train, 100 * r.provenance.evaluation.overall.rate] as const;
      }),
  }));
  return renderLineChartPng(series, { title: 'Success against training time (one point per run)', xLabel: 'training minutes', yLabel: 'success %', yRange: [0, 100] });
}

/** One row per variant (its first run): the figure scene's camera image with each word's map. */
export function variantMapsPng(runsDir: string, results: readonly RunResult[], seed: number): Buffer {
  const firsts = results.filter((r, i) => results.findIndex((x) => x.variant === r.variant) === i);
  const rows = firsts.map((r) => {
    const c = readCheckpointConfig(join(runsDir, r.id));
    const camera = c.cameras[0]! as CameraName;
    const env = new Environment({ cameras: [{ name: camera, width: c.imageSize, height: c.imageSize, supersampling: c.supersampling }] });
    const obs = env.reset(figureScene(seed)); // the scene measureRun drew the maps on
    const m = r.measures.maps;
    const panels = m.words.map((w, i) => ({ label: w, map: Float32Array.from(m.perWord[i]!) }));
    const title = `${r.variant} (${r.id}): "${obs.command}", last fusion layer, heads averaged`;
    return renderAttentionOverlayPng(obs.images[camera]!, panels, { grid: m.grid, title, panelSize: 128 });
  });
  return stackPngs(rows);
}
