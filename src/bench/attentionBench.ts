/**
 * `vla bench attention`: forward and forward+backward time of one multi-head attention layer (default B=32,
 * T=80, E=128, 4 heads, self-attention) on the active backend and on the cpu backend, medians over several runs;
 * plus the memory-lean chunked attention against the plain one on a long sequence (peak tensor bytes from
 * tf.profile, and time).
 */
import { median } from '../../sim/util/median.js';
import * as tf from '../tf/tf.js';
import { MultiHeadAttention, chunkedAttention, scaledDotProductAttention, type ScoreKind } from '../attention/index.js';
import { withBackend, type BackendName } from '../tf/backend.js';

export interface AttentionBenchOptions {
  batch: number;
  seqLen: number;
  embedDim: number;
  numHeads: number;
  scoreKind: ScoreKind;
  runs: number;
  warmup: number;
  /** Also measure on the cpu backend (when the active one is not cpu). */
  compareCpu: boolean;
  /** Runs on the cpu backend (it is slow); default min(runs, 5). */
  cpuRuns?: number;
  /** Sequence lengths for the chunked-vs-plain comparison; empty to skip. */
  longSeqLens: number[];
  chunkSize: number;
  /** Called with a line of progress. */
  progress?: (line: string) => void;
}

export const ATTENTION_BENCH_DEFAULTS: AttentionBenchOptions = {
  batch: 32,
  seqLen: 80,
  embedDim: 128,
  numHeads: 4,
  scoreKind: 'dot',
  runs: 20,
  warmup: 3,
  compareCpu: true,
  longSeqLens: [1024, 4096],
  chunkSize: 256,
};

export interface LayerTiming {
  backend: string;
  runs: number;
  forwardMs: number;
  forwardBackwardMs: number;
}

export interface ChunkedComparison {
  seqLen: number;
  heads: number;
  headDim: number;
  chunkSize: number;
  plainMs: number;
  chunkedMs: number;
  plainPeakMB: number;
  chunkedPeakMB: number;
  maxAbsDiff: number;
}

export interface AttentionBenchResult {
  config: { batch: number; seqLen: number; embedDim: number; numHeads: number; scoreKind: ScoreKind; parameters: number };
  active: LayerTiming;
  cpu: LayerTiming | null;
  /** cpu time / active time for forward+backward. */
  speedupVsCpu: number | null;
  chunked: ChunkedComparison[];
}

async function timeIt(fn: () => Promise<void>, runs: number, warmup: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return median(times);
}

async function timeLayer(o: AttentionBenchOptions, runs: number, warmup: number): Promise<LayerTiming> {
  const layer = new MultiHeadAttention({ embedDim: o.embedDim, numHeads: o.numHeads, scoreKind: o.scoreKind, seed: 1 });
  const x = tf.randomNormal([o.batch, o.seqLen, o.embedDim], 0, 1, 'float32', 2); // [B, T, E]
  try {
    const forwardMs = await timeIt(
      async () => {
        const y = tf.tidy(() => layer.apply(x, x, x).output); // [B, T, E]
        await y.data();
        y.dispose();
      },
      runs,
      warmup,
    );
    const forwardBackwardMs = await timeIt(
      async () => {
        const { value, grads } = tf.variableGrads(() => tf.sum(layer.apply(x, x, x).output) as tf.Scalar);
        await Promise.all(Object.values(grads).map((g) => g.data()));
        value.dispose();
        tf.dispose(grads);
      },
      runs,
      warmup,
    );
    return { backend: tf.getBackend(), runs, forwardMs, forwardBackwardMs };
  } finally {
    x.dispose();
    layer.dispose();
  }
}

async function compareChunked(seqLen: number, o: AttentionBenchOptions): Promise<ChunkedComparison> {
  const heads = o.numHeads;
  const headDim = o.embedDim / o.numHeads;
  const shape = [1, heads, seqLen, headDim];
  const q = tf.randomNormal(shape, 0, 1, 'float32', 3); // [1, H, T, dh]
  const k = tf.randomNormal(shape, 0, 1, 'float32', 4);
  const v = tf.randomNormal(shape, 0, 1, 'float32', 5);
  const runs = Math.max(3, Math.min(o.runs, 5));
  try {
    const plain = () => tf.tidy(() => scaledDotProductAttention(q, k, v).output);
    const chunked = () => chunkedAttention(q, k, v, { chunkSize: o.chunkSize });
    const peak = async (fn: () => tf.Tensor) => {
      const info = await tf.profile(() => fn());
      tf.dispose(info.result as tf.Tensor);
      return info.peakBytes / 2 ** 20;
    };
    const plainPeakMB = await peak(plain);
    const chunkedPeakMB = await peak(chunked);
    const a = plain();
    const b = chunked();
    const maxAbsDiff = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
    tf.dispose([a, b]);
    const timed = (fn: () => tf.Tensor) => async () => {
      const y = fn();
      await y.data();
      y.dispose();
    };
    const plainMs = await timeIt(timed(plain), runs, 1);
    const chunkedMs = await timeIt(timed(chunked), runs, 1);
    return { seqLen, heads, headDim, chunkSize: o.chunkSize, plainMs, chunkedMs, plainPeakMB, chunkedPeakMB, maxAbsDiff };
  } finally {
    tf.dispose([q, k, v]);
  }
}

export async function benchAttention(options: Partial<AttentionBenchOptions> = {}): Promise<AttentionBenchResult> {
  const o: AttentionBenchOptions = { ...ATTENTION_BENCH_DEFAULTS, ...options };
  const say = o.progress ?? (() => {});
  const probe = new MultiHeadAttention({ embedDim: o.embedDim, numHeads: o.numHeads, scoreKind: o.scoreKind });
  const parameters = probe.parameterCount;
  probe.dispose();

  say(`multi-head layer on ${tf.getBackend()}: ${o.warmup} warm-up + ${o.runs} runs each of forward and forward+backward`);
  const active = await timeLayer(o, o.runs, o.warmup);
  let cpu: LayerTiming | null = null;
  if (o.compareCpu && active.backend !== 'cpu') {
    const cpuRuns = o.cpuRuns ?? Math.min(o.runs, 5);
    say(`multi-head layer on cpu: 1 warm-up + ${cpuRuns} runs each`);
    cpu = await withBackend('cpu' as BackendName, () => timeLayer(o, cpuRuns, 1));
  }
  const chunked: ChunkedComparison[] = [];
  for (const T of o.longSeqLens) {
    say(`chunked vs plain attention at T=${T}`);
    chunked.push(await compareChunked(T, o));
  }
  return {
    config: { batch: o.batch, seqLen: o.seqLen, embedDim: o.embedDim, numHeads: o.numHeads, scoreKind: o.scoreKind, parameters },
    active,
    cpu,
    speedupVsCpu: cpu ? cpu.forwardBackwardMs / active.forwardBackwardMs : null,
    chunked,
  };
}

export function formatAttentionBench(r: AttentionBenchResult): string {
  const c = r.config;
  const f = (x: number) => x.toFixed(2).padStart(9);
  const lines = [
    `one multi-head ${c.scoreKind} attention layer, self-attention, B=${c.batch} T=${c.seqLen} E=${c.embedDim} heads=${c.numHeads} (${c.parameters} parameters); median ms`,
    `  backend      runs   forward  fwd+bwd`,
    `  ${r.active.backend.padEnd(10)} ${String(r.active.runs).padStart(6)} ${f(r.active.forwardMs)} ${f(r.active.forwardBackwardMs)}`,
  ];
  if (r.cpu) {
    lines.push(`  ${r.cpu.backend.padEnd(10)} ${String(r.cpu.runs).padStart(6)} ${f(r.cpu.forwardMs)} ${f(r.cpu.forwardBackwardMs)}`);
    lines.push(
      `  ${r.active.backend} vs cpu: forward ${(r.cpu.forwardMs / r.active.forwardMs).toFixed(1)}x, fwd+bwd ${r.speedupVsCpu!.toFixed(1)}x faster`,
    );
  }
  if (r.chunked.length > 0) {
    lines.push(`chunked (online-softmax) vs plain scaled dot-product attention, forward, B=1, on ${r.active.backend}`);
    lines.push(`      T  heads  chunk  plain ms  chunked ms  plain peak MB  chunked peak MB  max |diff|`);
    for (const x of r.chunked) {
      lines.push(
        `  ${String(x.seqLen).padStart(5)}  ${String(x.heads).padStart(5)}  ${String(x.chunkSize).padStart(5)} ${f(x.plainMs)}   ${f(x.chunkedMs)}      ${f(x.plainPeakMB)}        ${f(x.chunkedPeakMB)}  ${x.maxAbsDiff.toExponential(1)}`,
      );
    }
  }
  return lines.join('\n');
}
