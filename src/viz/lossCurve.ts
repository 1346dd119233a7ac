/** The training loss curve as a PNG: training loss (smoothed) and validation loss against steps, log scale. */
import { createCanvas } from '@napi-rs/canvas';

export interface LossPoint {
  step: number;
  loss: number;
  valLoss: number | null;
}

export function renderLossCurvePng(points: readonly LossPoint[], o: { title?: string; width?: number; height?: number } = {}): Buffer {
  const W = o.width ?? 640;
  const H = o.height ?? 400;
  const m = { l: 64, r: 16, t: 32, b: 40 };
  const canvas = createCanvas(W, H);
  const g = canvas.getContext('2d');
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, W, H);
  g.fillStyle = '#000000';
  g.font = '14px "DejaVu Sans", sans-serif';
  g.fillText(o.title ?? 'loss', m.l, 20);
  const values = points.flatMap((p) => [p.loss, p.valLoss ?? Number.NaN]).filter((v) => Number.isFinite(v) && v > 0);
  if (points.length === 0 || values.length === 0) {
    g.fillText('no data yet', W / 2 - 40, H / 2);
    return canvas.toBuffer('image/png');
  }
  const lo = Math.log10(Math.min(...values));
  const hi = Math.log10(Math.max(...values));
  const span = Math.max(hi - lo, 1e-3);
  const maxStep = Math.max(...points.map((p) => p.step), 1);
  const X = (s: number) => m.l + (s / maxStep) * (W - m.l - m.r);
  const Y = (v: number) => H - m.b - ((Math.log10(v) - lo) / span) * (H - m.t - m.b);
  g.strokeStyle = '#999999';
  g.strokeRect(m.l, m.t, W - m.l - m.r, H - m.t - m.b);
  g.font = '11px "DejaVu Sans", sans-serif';
  for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) {
    const v = 10 ** e;
    if (Math.log10(v) < lo - 1e-9 || Math.log10(v) > hi + 1e-9) continue;
    g.fillText(v.toExponential(0), 8, Y(v) + 4);
  }
  g.fillText('0', m.l - 4, H - m.b + 14);
  g.fillText(`${maxStep} steps`, W - m.r - 60, H - m.b + 14);
  const line = (key: 'loss' | 'valLoss', colour: string) => {
    g.strokeStyle = colour;
    g.lineWidth = 2;
    g.beginPath();
    let started = false;
    for (const p of points) {
      const v = p[key];
      if (v === null || !Number.isFinite(v) || v <= 0) continue;
      if (!started) g.moveTo(X(p.step), Y(v));
      else g.lineTo(X(p.step), Y(v));
      started = true;
    }
    g.stroke();
  };
  line('loss', '#1f77b4');
  line('valLoss', '#d62728');
  g.fillStyle = '#1f77b4';
  g.fillText('training (smoothed)', W - 200, m.t + 16);
  g.fillStyle = '#d62728';
  g.fillText('validation', W - 200, m.t + 32);
  return canvas.toBuffer('image/png');
}
