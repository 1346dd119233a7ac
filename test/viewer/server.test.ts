/** The viewer's server at the websocket and HTTP level, without a browser. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tokenizer, VlaPolicy } from '../../src/policy/index.js';
import { VOCABULARY } from '../../sim/tasks/language.js';
import WebSocket from 'ws';
import { MAX_CLIENT_MESSAGE_BYTES, sameOrigin, type ViewerServer } from '../../src/viewer/index.js';
import { TestViewer, startServer, tinyPolicy } from './helpers.js';

let server: ViewerServer;
let policy: VlaPolicy;

beforeAll(async () => {
  await tinyPolicy(); // selects the backend
  // A tokenizer without "red": the page must mark it as unknown to the policy.
  policy = new VlaPolicy({ width: 16, heads: 2, visionLayers: 1, stemChannels: 4, chunk: 4 }, { tokenizer: new Tokenizer(VOCABULARY.filter((w) => w !== 'red')) });
  server = await startServer({ policy });
});
afterAll(async () => {
  await server?.close();
  policy?.dispose();
});

const get = (path: string, method = 'GET') => fetch(new URL(path, server.url), { method });

describe('vla serve: HTTP', () => {
  it('serves the page, its scripts and three.js from node_modules', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('"three": "/vendor/three/three.module.js"');
    for (const p of ['/viewer.js', '/SceneView.js', '/scenePoses.js', '/AttentionPanel.js', '/style.css', '/vendor/three/three.module.js', '/vendor/three/addons/controls/OrbitControls.js']) {
      const r = await get(p);
      expect(r.status, p).toBe(200);
    }
    // three.module.js imports its core by a relative path, which must resolve too.
    const mod = await (await get('/vendor/three/three.module.js')).text();
    for (const m of mod.matchAll(/from '\.\/([\w.]+\.js)'/g)) expect((await get(`/vendor/three/${m[1]}`)).status).toBe(200);
  });

  it('serves nothing outside its folders, and only GET/HEAD', async () => {
    for (const p of ['/../package.json', '/%2e%2e/package.json', '/vendor/three/%2e%2e/package.json', '/vendor/three/addons/%2e%2e/%2e%2e/package.json', '/nope.js', '/%E0%A4%A']) {
      expect((await get(p)).status, p).toBe(404);
    }
    expect((await get('/', 'POST')).status).toBe(405);
  });
});

describe('vla serve: websocket', () => {
  it('greets a viewer with the policy, the scenes, the current scene and a frame', async () => {
    const v = await TestViewer.connect(server);
    const hello = await v.next('hello', () => true, 0);
    expect(hello.policy).toMatchObject({ label: 'tiny', cameras: ['scene'], grid: [8, 8], layers: 1, heads: 2, imageSize: 64 });
    expect(hello.scenes).toContain('default');
    expect(hello.drivers).toEqual(['policy', 'expert']);
    const scene = await v.next('scene', () => true, 0);
    expect(scene.objectNames.length).toBeGreaterThan(0);
    expect(scene.linkNames.length).toBeGreaterThan(0);
    await v.next('frame', (f) => f.episode === scene.episode, 0);
    v.close();
  });

  it('answers malformed JSON, wrong types, unknown ops and binary data with an error, and keeps serving', async () => {
    const v = await TestViewer.connect(server);
    const errorAfter = async (payload: unknown) => {
      const from = v.messages.length;
      v.send(payload);
      return (await v.next('error', () => true, from)).message;
    };
    expect(await errorAfter('{"op": "run", "command": ')).toBe('malformed message: not JSON');
    expect(await errorAfter('"just a string"')).toMatch(/expected a JSON object/);
    expect(await errorAfter({ op: 'fly' })).toMatch(/^unknown op "fly"/);
    expect(await errorAfter({ op: 'run', command: 7, driver: 'expert', seed: 0 })).toMatch(/^bad "run" message: command: /);
    expect(await errorAfter({ op: 'run', command: 'pick up the red ball', driver: 'expert', seed: 'one' })).toMatch(/seed: /);
    expect(await errorAfter({ op: 'run', command: 'pick up the red ball', driver: 'expert', seed: 1, scene: 'no-such-scene' })).toMatch(/^unknown scene "no-such-scene"/);
    expect(await errorAfter({ op: 'run', command: 'make me a sandwich', driver: 'expert', seed: 1 })).toMatch(/"make me a sandwich": .*which object\? name it/);
    const from = v.messages.length;
    v.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await v.next('error', () => true, from)).message).toMatch(/binary/);

    // Still serving: the scripted expert picks up the red ball and the viewer is told so.
    const start = v.messages.length;
    v.send({ op: 'run', command: 'pick up the red ball', driver: 'expert', seed: 4 });
    const scene = await v.next('scene', (s) => s.command === 'pick up the red ball', start);
    expect(scene.status).toMatchObject({ state: 'running', driver: 'expert' });
    const end = await v.next('frame', (f) => f.episode === scene.episode && f.status.state !== 'running', start);
    expect(end.status).toMatchObject({ state: 'success', reason: 'success' });
    expect(end.status.step).toBeGreaterThan(10);
    expect(v.closed).toBe(false);
    v.close();
  });

  it('closes a connection that sends an oversized message, and keeps serving the others', async () => {
    const big = await TestViewer.connect(server);
    const closed = new Promise<number>((r) => big.ws.on('close', (code) => r(code)));
    big.send({ op: 'run', command: 'x'.repeat(MAX_CLIENT_MESSAGE_BYTES), driver: 'expert', seed: 0 });
    expect(await closed).toBe(1009); // "message too big"
    const other = await TestViewer.connect(server);
    const from = other.messages.length;
    other.send({ op: 'stats' });
    expect((await other.next('stats', () => true, from)).clients).toBeGreaterThanOrEqual(1);
    other.close();
  });

  it('refuses a websocket from another web page (Origin), accepts its own page and non-browser clients', async () => {
    const wsUrl = server.url.replace(/^http/, 'ws') + 'ws';
    const handshake = (origin?: string) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(wsUrl, origin ? { origin } : {});
        ws.on('open', () => {
          ws.close();
          resolve('open');
        });
        ws.on('unexpected-response', (_req, res) => resolve(`refused ${res.statusCode}`));
        ws.on('error', () => {});
      });
    expect(await handshake('http://evil.example')).toBe('refused 401');
    expect(await handshake(`http://127.0.0.1:${server.port + 1}`)).toBe('refused 401');
    expect(await handshake(server.url.slice(0, -1))).toBe('open');
    expect(await handshake()).toBe('open');
    expect(sameOrigin('not a url', '127.0.0.1:8080')).toBe(false);
  });

  it('reports an object the command names that is not on the table, and changes nothing', async () => {
    const v = await TestViewer.connect(server);
    await v.next('scene', () => true, 0);
    const from = v.messages.length;
    v.send({ op: 'run', command: 'pick up the purple ball', driver: 'expert', seed: 0, scene: 'default' });
    const e = await v.next('error', () => true, from);
    expect(e).toEqual({ type: 'error', message: 'there is no purple ball on the table', op: 'run' });
    v.send({ op: 'stats' });
    await v.next('stats', () => true, from);
    expect(v.messages.slice(from).some((m) => m.type === 'scene')).toBe(false);
    v.close();
  });

  it('reads a Korean or free-form command, runs it in the templates\' words, and sends the reading; asks which one when ambiguous', async () => {
    const v = await TestViewer.connect(server);
    const from = v.messages.length;
    v.send({ op: 'reset', seed: 0, command: '빨간 공을 노란 그릇에 넣어 주세요', scene: 'default' });
    const scene = await v.next('scene', (s) => s.command === 'put the red ball in the yellow bowl', from);
    expect(scene.reading).toEqual({
      text: '빨간 공을 노란 그릇에 넣어 주세요',
      summary: 'read as "put the red ball in the yellow bowl" · ignored: 주세요',
      // The page shows the user's words, each over the map of the policy token that fills its part of the command.
      panels: [
        { label: '빨간', tokens: [2] },
        { label: '공을', tokens: [3] },
        { label: '노란', tokens: [6] },
        { label: '그릇에', tokens: [7] },
        { label: '넣어', tokens: [0] },
        { label: '주세요', tokens: [] },
      ],
    });
    expect(scene.attention!.words).toEqual(['put', 'the', 'red', 'ball', 'in', 'the', 'yellow', 'bowl']);
    v.send({ op: 'reset', seed: 0, command: 'could you put the ball in the bowl', scene: 'default' });
    const sure = await v.next('scene', (s) => s.command === 'put the red ball in the yellow bowl' && s.reading?.text === 'could you put the ball in the bowl', from);
    expect(sure.reading!.summary).toMatch(/ignored: could, you, the, the/);
    v.send({ op: 'reset', seed: 0, command: 'pick up the one', scene: 'default' });
    const e = await v.next('error', () => true, from);
    expect(e.message).toMatch(/which object\? there are 3 on the table \(the red ball, the blue cube, the green cylinder\)/);
    v.close();
  });

  it('sends the words with unknown ones marked, and per-step attention maps of the right size', async () => {
    const v = await TestViewer.connect(server);
    const from = v.messages.length;
    v.send({ op: 'reset', seed: 2, command: 'pick up the red cube', scene: null });
    const scene = await v.next('scene', (s) => s.command === 'pick up the red cube', from);
    expect(scene.status.state).toBe('ready');
    expect(scene.attention).toEqual({ words: ['pick', 'up', 'the', 'red', 'cube'], unknown: ['red'], dropped: [] });
    const frame = await v.next('frame', (f) => f.episode === scene.episode, from);
    const a = frame.attention!;
    expect([a.width, a.height]).toEqual([64, 64]);
    expect(Buffer.from(a.images[0]!, 'base64').length).toBe(64 * 64 * 3);
    const maps = new Float32Array(new Uint8Array(Buffer.from(a.maps, 'base64')).buffer);
    expect(maps.length).toBe(1 * 2 * 5 * 64); // layers x heads x words x patches
    for (let k = 0; k < 10; k++) {
      const sum = maps.subarray(k * 64, (k + 1) * 64).reduce((s, x) => s + x, 0);
      expect(sum).toBeCloseTo(1, 4); // each map is a distribution over the patches
    }
    expect(frame.objects.length).toBe(7 * scene.objectNames.length);
    expect(frame.links.length).toBe(16 * scene.linkNames.length);
    v.close();
  });

  it('a reset without a command samples one; stop halts a running episode', async () => {
    const v = await TestViewer.connect(server);
    let from = v.messages.length;
    v.send({ op: 'reset', seed: 11 });
    const scene = await v.next('scene', () => true, from);
    expect(scene.command.length).toBeGreaterThan(0);
    from = v.messages.length;
    v.send({ op: 'run', command: scene.command, driver: 'policy', seed: 11 });
    const run = await v.next('scene', (s) => s.status.state === 'running', from);
    expect(run.status.driver).toBe('policy');
    await v.next('frame', (f) => f.episode === run.episode && f.status.step >= 2, from);
    v.send({ op: 'stop' });
    const stopped = await v.next('frame', (f) => f.episode === run.episode && f.status.state === 'stopped', from);
    expect(stopped.status.reason).toBe('stopped');
    v.close();
  });

  it('a viewer that stops reading or vanishes never stalls the episode for the others', async () => {
    const slow = await TestViewer.connect(server);
    slow.ws.pause(); // reads nothing from now on
    const gone = await TestViewer.connect(server);
    const watcher = await TestViewer.connect(server);
    const before = server.stats().steps;
    const from = watcher.messages.length;
    watcher.send({ op: 'run', command: 'pick up the red ball', driver: 'expert', seed: 21 });
    const scene = await watcher.next('scene', (s) => s.status.state === 'running', from);
    await watcher.next('frame', (f) => f.episode === scene.episode && f.status.step >= 5, from);
    gone.ws.terminate(); // vanishes mid-episode without a close handshake
    const end = await watcher.next('frame', (f) => f.episode === scene.episode && f.status.state !== 'running', from);
    expect(end.status.state).toBe('success');
    expect(server.stats().steps - before).toBe(end.status.step);
    // Keep episodes coming until the unread socket's buffer is full and its frames are being coalesced.
    const dropped0 = server.stats().framesDropped;
    let episodes = 1;
    while (server.stats().framesDropped === dropped0 && episodes < 12) {
      const f = watcher.messages.length;
      watcher.send({ op: 'run', command: 'pick up the red ball', driver: 'expert', seed: 21 + episodes++ });
      const s = await watcher.next('scene', (m) => m.status.state === 'running', f);
      await watcher.next('frame', (m) => m.episode === s.episode && m.status.state !== 'running', f);
    }
    expect(server.stats().framesDropped).toBeGreaterThan(dropped0);
    expect(server.clientCount).toBe(2); // the slow one is still connected; the vanished one is gone
    slow.ws.terminate();
    watcher.close();
  });
});

describe('vla serve without a policy', () => {
  it('offers only the expert, says why, and refuses the policy driver with that reason', async () => {
    const bare = await startServer({ policy: null });
    try {
      const v = await TestViewer.connect(bare);
      const hello = await v.next('hello', () => true, 0);
      expect(hello.policy).toBeNull();
      expect(hello.drivers).toEqual(['expert']);
      expect(hello.note).toMatch(/no policy/);
      const frame = await v.next('frame', () => true, 0);
      expect(frame.attention).toBeNull();
      const from = v.messages.length;
      v.send({ op: 'run', command: 'pick up the red ball', driver: 'policy', seed: 0 });
      expect((await v.next('error', () => true, from)).message).toMatch(/no policy/);
      v.close();
    } finally {
      await bare.close();
    }
  });
});
