/** The training loss curve as a PNG: training loss (smoothed) and validation loss against steps, log scale. */
import { renderLineChartPng } from './lineChart.js';

export interface LossPoint {
  step: number;
  loss: number;
  valLoss: number | null;
}

export function renderLossCurvePng(points: readonly LossPoint[], o: { title?: string; width?: number; height?: number } = {}): Buffer {
  return renderLineChartPng(
    [
      { label: 'training (smoothed)', colour: '#1f77b4', points: points.map((p) => [p.step, p.loss] as const) },
      { label: 'validation', colour: '#d62728', points: points.filter((p) => p.valLoss !== null).map((p) => [p.step, p.valLoss!] as const) },
    ],
    { title: o.title ?? 'loss', xLabel: 'step', yLabel: 'loss', logY: true, ...(o.width ? { width: o.width } : {}), ...(o.height ? { height: o.height } : {}) },
  );
}
