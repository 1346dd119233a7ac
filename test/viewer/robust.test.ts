/**
 * The viewer cannot be frozen or hijacked by one page (issue 33): a burst of run/reset messages on one connection
 * starts at most a couple of episodes (newest wins) and every viewer keeps being served; a request whose Host names
 * another site (DNS rebinding) is refused.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ViewerServer, ViewerSession, allowedHost } from '../../src/viewer/index.js';
import { TestViewer } from './helpers.js';

let server: ViewerServer;

beforeAll(async () => {
  // A long interval between acted-on requests, so that the whole burst arrives within one even on a loaded machine.
  const session = new ViewerSession({ policy: null, stepsPerSecond: 0 });
  server = new ViewerServer({ session, port: 0, controlIntervalMs: 8000 });
  await server.listen();
});
afterAll(async () => {
  await server?.close();
});

describe('a burst of run and reset messages', () => {
  it('is acted on a couple of times (the first, then the newest), not 1000, and the other viewers see the newest', async () => {
    const sender = await TestViewer.connect(server);
    const other = await TestViewer.connect(server);
    const from = other.messages.length;
    const episodesBefore = server.stats().episodes;
    const burst = 1000;
    for (let i = 0; i < burst; i++) {
      sender.send(i % 2 ? { op: 'reset', seed: i } : { op: 'run', command: 'pick up the red ball', driver: 'expert', seed: i });
    }
    sender.send({ op: 'run', command: 'pick up the red ball', driver: 'expert', seed: 4242 });
    const last = await other.next('scene', (s) => s.seed === 4242, from);
    expect(last.status.state).toBe('running');
    const scenes = other.messages.slice(from).filter((m) => m.type === 'scene');
    // The first at once, the newest after the interval (one more if the burst's delivery outlasted an interval).
    expect(scenes.length).toBeLessThanOrEqual(3);
    expect(server.stats().episodes - episodesBefore).toBeLessThanOrEqual(3);
    // Both viewers are still served: the episode runs to its end for each of them.
    const end = await other.next('frame', (f) => f.episode === last.episode && f.status.state !== 'running', from);
    expect(['success', 'failure']).toContain(end.status.state);
    await sender.next('frame', (f) => f.episode === last.episode && f.status.state !== 'running', 0);
    sender.close();
    other.close();
  });
});

describe('Host and Origin (DNS rebinding)', () => {
  const httpStatus = (host: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/', headers: { host } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
  const handshake = (host: string, origin: string) =>
    new Promise<string>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers: { host }, origin });
      ws.on('open', () => {
        ws.close();
        resolve('open');
      });
      ws.on('unexpected-response', (_req, res) => resolve(`refused ${res.statusCode}`));
      ws.on('error', () => {});
    });

  it('refuses a page and a websocket whose Host and Origin both name another site', async () => {
    const evil = `evil.example:${server.port}`;
    expect(await httpStatus(evil)).toBe(403);
    expect(await handshake(evil, `http://${evil}`)).toBe('refused 401');
    expect(await httpStatus(`127.0.0.1:${server.port}`)).toBe(200);
    expect(await httpStatus(`localhost:${server.port}`)).toBe(200);
    expect(await handshake(`localhost:${server.port}`, `http://localhost:${server.port}`)).toBe('open');
  });

  it('allowedHost: IP addresses, localhost and the names given', () => {
    expect(allowedHost('127.0.0.1:8080')).toBe(true);
    expect(allowedHost('[::1]:8080')).toBe(true);
    expect(allowedHost('192.168.1.20:8080')).toBe(true);
    expect(allowedHost('LOCALHOST:8080')).toBe(true);
    expect(allowedHost('attacker.example:8080')).toBe(false);
    expect(allowedHost('127.0.0.1.nip.io:8080')).toBe(false);
    expect(allowedHost('robot-lab:8080', new Set(['robot-lab']))).toBe(true);
    expect(allowedHost('bad host')).toBe(false);
  });
});
