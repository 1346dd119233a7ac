/**
 * A small chart as a PNG: several series of (x, y) points, each drawn as a line or as labelled points, with axes,
 * ticks and a legend. Used for the experiments' learning curves (log y) and success against training time.
 */
import { createCanvas } from '@napi-rs/canvas';

export interface ChartSeries {
  label: string;
  colour: string;
  points: ReadonlyArray<readonly [number, number]>;
  /** 'line' (default) or 'points' (markers, each with the series label beside it). */
  kind?: 'line' | 'points';
  dashed?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Logarithmic y axis (every y must be > 0; others are left out). */
  logY?: boolean;
  /** Fixed y range [low, high]; default the data's. */
  yRange?: readonly [number, number];
  width?: number;
  height?: number;
}

const FONT = '"DejaVu Sans", sans-serif';

/** About five round tick values between lo and hi. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/**
 * Ticks of a log axis between 10^lo and 10^hi: 1, 2, 5 of each decade (every digit when that gives fewer than 3, and
 * round linear steps when even that gives fewer than 2, as for a loss between 1.17 and 1.6).
 */
export function logTicks(lo: number, hi: number): number[] {
  const pick = (ks: number[]) => {
    const out: number[] = [];
    for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) for (const k of ks) out.push(Number((k * 10 ** e).toPrecision(6)));
    return out.filter((v) => Math.log10(v) >= lo - 1e-9 && Math.log10(v) <= hi + 1e-9);
  };
  const coarse = pick([1, 2, 5]);
  if (coarse.length >= 3) return coarse;
  const digits = pick([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  return digits.length >= 2 ? digits : niceTicks(10 ** lo, 10 ** hi).filter((v) => v > 0);
}

export function renderLineChartPng(series: readonly ChartSeries[], o: ChartOptions): Buffer {
  const W = o.width ?? 720;
  const H = o.height ?? 440;
  const m = { l: 72, r: 180, t: 36, b: 48 };
  const canvas = createCanvas(W, H);
  const g = canvas.getContext('2d');
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, W, H);
  g.fillStyle = '#000000';
  g.font = `14px ${FONT}`;
  g.fillText(o.title, m.l, 22);
  const ok = (p: readonly [number, number]) => Number.isFinite(p[0]) && Number.isFinite(p[1]) && (!o.logY || p[1] > 0);
  const all = series.flatMap((s) => s.points.filter(ok));
  if (all.length === 0) {
    g.fillText('no data', W / 2 - 30, H / 2);
    return canvas.toBuffer('image/png');
  }
  const fy = (y: number) => (o.logY ? Math.log10(y) : y);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => fy(p[1]));
  const x0 = Math.min(0, ...xs);
  const x1 = (Math.max(...xs) || 1) * (series.some((s) => s.kind === 'points') ? 1.08 : 1); // room for the last marker
  let [y0, y1] = o.yRange ? [fy(o.yRange[0]), fy(o.yRange[1])] : [Math.min(...ys), Math.max(...ys)];
  if (y1 - y0 < 1e-9) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const X = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const Y = (y: number) => H - m.b - ((fy(y) - y0) / (y1 - y0)) * (H - m.t - m.b);
  g.strokeStyle = '#999999';
  g.lineWidth = 1;
  g.strokeRect(m.l, m.t, W - m.l - m.r, H - m.t - m.b);
  g.font = `11px ${FONT}`;
  g.fillStyle = '#333333';
  for (const t of niceTicks(x0, x1)) g.fillText(String(t), X(t) - 8, H - m.b + 14);
  const yTicks = o.logY ? logTicks(y0, y1) : niceTicks(y0, y1);
  g.textAlign = 'right';
  for (const t of yTicks) g.fillText(String(t), m.l - 6, Y(t) + 4);
  g.textAlign = 'left';
  g.fillText(o.xLabel, (W - m.r) / 2, H - 12);
  g.save();
  g.translate(14, (H + m.t) / 2 + 30);
  g.rotate(-Math.PI / 2);
  g.fillText(o.yLabel, 0, 0);
  g.restore();
  series.forEach((s, i) => {
    const pts = s.points.filter(ok);
    g.strokeStyle = s.colour;
    g.fillStyle = s.colour;
    g.lineWidth = 2;
    g.setLineDash(s.dashed ? [6, 4] : []);
    if ((s.kind ?? 'line') === 'line') {
      g.beginPath();
      pts.forEach((p, k) => (k ? g.lineTo(X(p[0]), Y(p[1])) : g.moveTo(X(p[0]), Y(p[1]))));
      g.stroke();
    } else {
      for (const p of pts) {
        g.beginPath();
        g.arc(X(p[0]), Y(p[1]), 4, 0, 2 * Math.PI);
        g.fill();
      }
    }
    g.setLineDash(s.dashed ? [6, 4] : []);
    g.beginPath();
    if (s.kind === 'points') {
      g.arc(W - m.r + 22, m.t + 10 + 16 * i, 4, 0, 2 * Math.PI);
      g.fill();
    } else {
      g.moveTo(W - m.r + 10, m.t + 10 + 16 * i);
      g.lineTo(W - m.r + 34, m.t + 10 + 16 * i);
      g.stroke();
    }
    g.setLineDash([]);
    g.fillStyle = '#000000';
    g.fillText(s.label, W - m.r + 40, m.t + 14 + 16 * i);
  });
  return canvas.toBuffer('image/png');
}
