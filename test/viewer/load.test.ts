/**
 * Load: 20 viewers watch for 30 s while the scripted expert runs episodes back to back in real time, with the
 * policy's attention maps in every frame. No errors, every viewer keeps receiving, and the server's heap (after
 * a forced GC) does not grow. The same run prints figures with `vla bench viewer`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VlaPolicy } from '../../src/policy/index.js';
import { formatViewerLoad, runViewerLoad, type ViewerServer } from '../../src/viewer/index.js';
import { startServer, tinyPolicy } from './helpers.js';

let server: ViewerServer;
let policy: VlaPolicy;

beforeAll(async () => {
  policy = await tinyPolicy();
  server = await startServer({ policy, stepsPerSecond: 20 });
});
afterAll(async () => {
  await server?.close();
  policy?.dispose();
});

describe('viewer load', () => {
  it('20 viewers for 30 s: no errors, frames for all, no growing memory', async () => {
    const r = await runViewerLoad({ server, clients: 20, seconds: 30 });
    console.log(formatViewerLoad(r));
    expect(r.errors).toEqual([]);
    // An episode ended and the next started (on a loaded machine the server runs at a few steps/s, so few end in 30 s).
    expect(r.episodes).toBeGreaterThan(1);
    // Every viewer kept receiving. A viewer that keeps up misses no step; on a loaded machine (the test runner shares
    // the CPU with the server here) a slow viewer's frames are dropped by back-pressure, and those are counted, so
    // what every viewer received plus what was dropped must still account for most of the steps.
    expect(r.framesPerClient.min).toBeGreaterThan(0);
    expect(r.framesPerClient.min + r.framesDropped).toBeGreaterThan(0.8 * r.steps);
    expect(server.clientCount).toBe(0); // all 20 closed, none left behind
    if (r.gcForced) {
      // Live heap after GC: the end within 10 MB of the start, and no sample far above the start.
      expect(r.end.heapUsed - r.start.heapUsed).toBeLessThan(10 * 2 ** 20);
      expect(Math.max(...r.heapSamples) - r.start.heapUsed).toBeLessThan(20 * 2 ** 20);
    }
  }, 900_000);
});
