/**
 * Draws a labelled matrix (attention weights: rows = queries, columns = keys) as a PNG, with @napi-rs/canvas
 * (a Skia canvas for Node, shipped as a prebuilt binary inside its npm package). Labels use the system's sans
 * font (DejaVu Sans on Debian: package fonts-dejavu-core), and NanumGothic for Korean words when installed
 * (package fonts-nanum). `renderHeatmapGrid` lays several matrices out in rows of panels, one PNG.
 */
import { createCanvas, type Canvas } from '@napi-rs/canvas';

const FONT = '13px "DejaVu Sans", "NanumGothic", sans-serif';
const BOLD_FONT = 'bold 14px "DejaVu Sans", "NanumGothic", sans-serif';

export interface HeatmapInput {
  /** rows x cols values, row-major. */
  values: ArrayLike<number>;
  rows: number;
  cols: number;
  rowLabels?: readonly string[];
  colLabels?: readonly string[];
  title?: string;
  /** Value mapped to the darkest colour; default the matrix maximum (or 1 if all are <= 0). */
  max?: number;
  /** Pixel size of one cell; default 48. */
  cell?: number;
  /** rows x cols, row-major: true where the cell is masked out (drawn grey with a cross instead of a value). */
  masked?: ArrayLike<boolean>;
}

/**
 * A perceptually ordered colour ramp (dark blue -> teal -> yellow, after viridis) for t in [0, 1].
 * Returns [r, g, b] in 0..255.
 */
export function rampColor(t: number): [number, number, number] {
  const stops: ReadonlyArray<readonly [number, number, number]> = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  return [0, 1, 2].map((c) => Math.round(a[c]! + (b[c]! - a[c]!) * f)) as [number, number, number];
}

/** Renders the matrix with its labels and values; returns PNG bytes. */
export function renderHeatmapPng(input: HeatmapInput): Buffer {
  return drawHeatmap(input).toBuffer('image/png');
}

/**
 * Renders panels in rows (each row left to right, rows top to bottom) under an optional title; returns PNG bytes.
 */
export function renderHeatmapGrid(panels: ReadonlyArray<ReadonlyArray<HeatmapInput>>, title?: string): Buffer {
  const drawn = panels.map((row) => row.map(drawHeatmap));
  const gap = 16;
  const titleHeight = title ? 30 : 0;
  const rowWidth = (row: Canvas[]) => row.reduce((w, c) => w + c.width + gap, gap);
  const rowHeight = (row: Canvas[]) => Math.max(0, ...row.map((c) => c.height)) + gap;
  const measure = createCanvas(1, 1).getContext('2d');
  measure.font = BOLD_FONT;
  const width = Math.max(...drawn.map(rowWidth), title ? Math.ceil(measure.measureText(title).width) + 2 * gap : 0);
  const height = drawn.reduce((h, row) => h + rowHeight(row), titleHeight + gap);
  const canvas = createCanvas(width, height);
  const g = canvas.getContext('2d');
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, width, height);
  if (title) {
    g.fillStyle = '#000000';
    g.font = BOLD_FONT;
    g.textBaseline = 'top';
    g.fillText(title, gap, 10);
  }
  let y = titleHeight + gap;
  for (const row of drawn) {
    let x = gap;
    for (const c of row) {
      g.drawImage(c, x, y);
      x += c.width + gap;
    }
    y += rowHeight(row);
  }
  return canvas.toBuffer('image/png');
}

/** Draws one labelled matrix onto a canvas of its own size. */
function drawHeatmap(input: HeatmapInput): Canvas {
  const { values, rows, cols } = input;
  if (values.length !== rows * cols) {
    throw new Error(`renderHeatmapPng: ${rows}x${cols} matrix needs ${rows * cols} values, got ${values.length}`);
  }
  if (input.masked && input.masked.length !== rows * cols) {
    throw new Error(`renderHeatmapPng: the mask of a ${rows}x${cols} matrix needs ${rows * cols} entries, got ${input.masked.length}`);
  }
  const cell = input.cell ?? 48;
  const font = FONT;
  const measure = createCanvas(1, 1).getContext('2d');
  measure.font = font;
  const widest = (labels: readonly string[] | undefined) =>
    Math.ceil(Math.max(0, ...(labels ?? []).map((l) => measure.measureText(l).width)));
  const left = widest(input.rowLabels) + 12;
  const top = widest(input.colLabels) + 12 + (input.title ? 24 : 0);
  measure.font = BOLD_FONT;
  const titleWidth = input.title ? Math.ceil(measure.measureText(input.title).width) + 16 : 0;
  const width = Math.max(left + cols * cell + 10, titleWidth);
  const height = top + rows * cell + 10;
  const canvas = createCanvas(width, height);
  const g = canvas.getContext('2d');
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, width, height);
  g.font = font;

  let max = input.max ?? 0;
  if (input.max === undefined) for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]!);
  if (!(max > 0)) max = 1;

  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = values[r * cols + c]!;
      const x = left + c * cell;
      const y = top + r * cell;
      if (input.masked?.[r * cols + c]) {
        drawMaskedCell(g, x, y, cell);
        continue;
      }
      const [R, G, B] = rampColor(v / max);
      g.fillStyle = `rgb(${R},${G},${B})`;
      g.fillRect(x, y, cell - 1, cell - 1);
      g.fillStyle = (R + G + B) / 3 > 140 ? '#000000' : '#ffffff';
      g.textAlign = 'center';
      g.textBaseline = 'middle';
      g.fillText(v.toFixed(2), x + cell / 2, y + cell / 2);
    }
  }
  g.fillStyle = '#000000';
  g.textAlign = 'right';
  g.textBaseline = 'middle';
  input.rowLabels?.forEach((label, r) => g.fillText(label, left - 6, top + r * cell + cell / 2));
  input.colLabels?.forEach((label, c) => {
    g.save();
    g.translate(left + c * cell + cell / 2, top - 6);
    g.rotate(-Math.PI / 2);
    g.textAlign = 'left';
    g.fillText(label, 0, 0);
    g.restore();
  });
  if (input.title) {
    g.textAlign = 'left';
    g.textBaseline = 'top';
    g.font = BOLD_FONT;
    g.fillText(input.title, 8, 6);
  }
  return canvas;
}

type Context = ReturnType<Canvas['getContext']>;

/** A masked cell: light grey with a thin cross, so that "not allowed" reads differently from "weight 0". */
function drawMaskedCell(g: Context, x: number, y: number, cell: number): void {
  g.fillStyle = '#d9d9d9';
  g.fillRect(x, y, cell - 1, cell - 1);
  g.strokeStyle = '#b0b0b0';
  g.lineWidth = 1;
  g.beginPath();
  g.moveTo(x + 4, y + 4);
  g.lineTo(x + cell - 5, y + cell - 5);
  g.moveTo(x + cell - 5, y + 4);
  g.lineTo(x + 4, y + cell - 5);
  g.stroke();
}
