/**
 * The viewer's load test: N websocket viewers watch a server for S seconds while episodes of the scripted expert
 * run back to back (one viewer starts the next when one ends). Counts messages and errors, and the server's memory
 * (after a garbage collection, when one can be forced) at the start and the end. `vla bench viewer` prints it;
 * test/viewer/load.test.ts checks it.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import WebSocket from 'ws';
import type { ServerMessage } from './protocol.js';
import type { ViewerServer } from './ViewerServer.js';

export interface ViewerLoadOptions {
  server: ViewerServer;
  clients: number;
  seconds: number;
  /** Seconds of running before the start figures are taken (JIT, first episode); default 3. */
  warmup?: number;
  /** Called every few seconds with a progress line. */
  onProgress?: (line: string) => void;
}

export interface MemoryFigures {
  rss: number;
  heapUsed: number;
}

export interface ViewerLoadResult {
  clients: number;
  seconds: number;
  messages: number;
  messagesPerSecond: number;
  frames: number;
  /** Per viewer: the fewest and most frames received. */
  framesPerClient: { min: number; max: number };
  episodes: number;
  steps: number;
  stepsPerSecond: number;
  framesDropped: number;
  /** Error messages from the server, socket errors and unexpected closes. */
  errors: string[];
  start: MemoryFigures;
  end: MemoryFigures;
  /** Heap samples (after GC when possible), one every ~2 s. */
  heapSamples: number[];
  gcForced: boolean;
}

/** A function that runs a full garbage collection, if the runtime lets us have one. */
function findGc(): (() => void) | null {
  const g = (globalThis as { gc?: () => void }).gc;
  if (typeof g === 'function') return g;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the load run counts per viewer, and how viewer 0 keeps episodes coming. */
interface ViewerTally {
  errors: string[];
  counts: number[];
  frames: number[];
  stopping: () => boolean;
  startEpisode: (ws: WebSocket) => void;
}

/** Opens one socket per viewer (as many as t.counts), counting their messages and frames into t. */
function openViewers(url: string, t: ViewerTally): Promise<WebSocket[]> {
  return Promise.all(
    t.counts.map(
      (_, i) =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(url);
          ws.on('open', () => resolve(ws));
          ws.on('error', (e) => {
            t.errors.push(`viewer ${i}: ${e.message}`);
            reject(e);
          });
          ws.on('close', () => {
            if (!t.stopping()) t.errors.push(`viewer ${i}: the server closed the connection`);
          });
          ws.on('message', (data) => {
            t.counts[i]!++;
            const m = JSON.parse(String(data)) as ServerMessage;
            if (m.type === 'error') t.errors.push(`viewer ${i}: ${m.message}`);
            if (m.type === 'frame') {
              t.frames[i]!++;
              // Viewer 0 keeps episodes coming: the next starts as soon as one ends.
              if (i === 0 && m.status.state !== 'running' && m.status.state !== 'ready' && !t.stopping()) t.startEpisode(ws);
            }
          });
        }),
    ),
  );
}

export async function runViewerLoad(o: ViewerLoadOptions): Promise<ViewerLoadResult> {
  const gc = findGc();
  const memory = (): MemoryFigures => {
    gc?.();
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed };
  };
  const url = o.server.url.replace(/^http/, 'ws') + 'ws';
  const errors: string[] = [];
  const counts = new Array<number>(o.clients).fill(0);
  const frames = new Array<number>(o.clients).fill(0);
  let seed = 1000;
  let stopping = false;

  const startEpisode = (ws: WebSocket) => ws.send(JSON.stringify({ op: 'run', command: 'pick up the red ball', driver: 'expert', seed: seed++ }));

  const sockets = await openViewers(url, { errors, counts, frames, stopping: () => stopping, startEpisode });
  startEpisode(sockets[0]!);
  await sleep((o.warmup ?? 3) * 1000);

  const sum = (a: number[]) => a.reduce((s, x) => s + x, 0);
  const start = memory();
  const m0 = sum(counts);
  const f0 = [...frames];
  const s0 = o.server.stats();
  const t0 = performance.now();
  const heapSamples: number[] = [start.heapUsed];
  const end = t0 + o.seconds * 1000;
  let nextReport = t0 + 5000;
  while (performance.now() < end) {
    await sleep(Math.min(2000, end - performance.now()));
    heapSamples.push(memory().heapUsed);
    if (performance.now() >= nextReport) {
      nextReport += 5000;
      const el = (performance.now() - t0) / 1000;
      o.onProgress?.(`${el.toFixed(0)} s: ${((sum(counts) - m0) / el).toFixed(0)} messages/s, heap ${mb(heapSamples.at(-1)!)}`);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  const s1 = o.server.stats();
  const endMem = memory();
  stopping = true;
  for (const ws of sockets) ws.close();
  await sleep(200);
  const perClient = frames.map((f, i) => f - f0[i]!);
  const messages = sum(counts) - m0;
  return {
    clients: o.clients,
    seconds,
    messages,
    messagesPerSecond: messages / seconds,
    frames: sum(perClient),
    framesPerClient: { min: Math.min(...perClient), max: Math.max(...perClient) },
    episodes: s1.episodes - s0.episodes,
    steps: s1.steps - s0.steps,
    stepsPerSecond: (s1.steps - s0.steps) / seconds,
    framesDropped: s1.framesDropped - s0.framesDropped,
    errors,
    start,
    end: endMem,
    heapSamples,
    gcForced: gc !== null,
  };
}

const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

export function formatViewerLoad(r: ViewerLoadResult): string {
  return [
    `viewers           ${r.clients} for ${r.seconds.toFixed(1)} s`,
    `messages          ${r.messages} received, ${r.messagesPerSecond.toFixed(0)} messages/s (all viewers)`,
    `frames            ${r.frames} received; per viewer ${r.framesPerClient.min}..${r.framesPerClient.max}; ${r.framesDropped} dropped by back-pressure`,
    `simulation        ${r.steps} control steps (${r.stepsPerSecond.toFixed(1)} steps/s), ${r.episodes} episodes started`,
    `server RSS        ${mb(r.start.rss)} at start, ${mb(r.end.rss)} at end`,
    `server heap used  ${mb(r.start.heapUsed)} at start, ${mb(r.end.heapUsed)} at end${r.gcForced ? ' (after a forced GC)' : ' (no forced GC available)'}`,
    `errors            ${r.errors.length === 0 ? 'none' : `${r.errors.length}: ${r.errors.slice(0, 3).join('; ')}`}`,
  ].join('\n');
}
