/**
 * The viewer in a real browser: Debian's chromium (installed by .ci/run) driven by playwright-core. Loads the
 * page, runs a command with the scripted expert, waits for the end, checks that success is shown and that the
 * attention panel is drawn, that the page's arm meshes stand where the simulator's links are (the episode replayed
 * here), and keeps a screenshot in test-artifacts/viewer.png. Skipped when /usr/bin/chromium
 * is absent.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page, type WebSocket } from 'playwright-core';
import { Matrix4, Vector3 } from 'three';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Environment } from '../../sim/env/Environment.js';
import { armPrimitives } from '../../sim/env/armPrimitives.js';
import { expertDriver } from '../../sim/env/Driver.js';
import { Tokenizer, VlaPolicy } from '../../src/policy/index.js';
import { VOCABULARY } from '../../sim/tasks/language.js';
import type { ViewerServer } from '../../src/viewer/index.js';
import { startServer, tinyPolicy } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = join(root, 'test-artifacts');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`test/viewer/browser.test.ts: skipped, ${CHROMIUM} is absent (apt-get install chromium; .ci/run does)`);

let server: ViewerServer;
let policy: VlaPolicy;
let context: BrowserContext;
let page: Page;
let socket: WebSocket | null = null;
let profile = '';
const pageErrors: string[] = [];
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/** Distinct colours and luminance spread of the attention canvas. */
const panelPixels = (p: Page) =>
  p.evaluate<{ colours: number; std: number }>(`(() => {
      const canvas = document.querySelector('#attention');
      const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      const colours = new Set();
      let sum = 0;
      let sq = 0;
      for (let i = 0; i < d.length; i += 4) {
        const lum = 0.3 * d[i] + 0.59 * d[i + 1] + 0.11 * d[i + 2];
        sum += lum;
        sq += lum * lum;
        colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      }
      const n = d.length / 4;
      return { colours: colours.size, std: Math.sqrt(sq / n - (sum / n) ** 2) };
    })()`);

describe.skipIf(!haveChromium)('the viewer in chromium', () => {
  beforeAll(async () => {
    await tinyPolicy();
    // "yellow" unknown to the policy's tokenizer, so the page has a word to mark.
    policy = new VlaPolicy({ width: 16, heads: 2, visionLayers: 1, stemChannels: 4, chunk: 4 }, { tokenizer: new Tokenizer(VOCABULARY.filter((w) => w !== 'yellow')) });
    server = await startServer({ policy, stepsPerSecond: 20 }); // real time, as a user sees it
    profile = mkdtempSync(join(tmpdir(), 'vla-viewer-chromium-')); // a fresh profile every run
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 760 },
      args: ARGS,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('websocket', (ws) => (socket = ws));
    await page.goto(server.url);
    await page.waitForSelector('#driver option[value="expert"]', { state: 'attached' });
  }, 900_000);

  afterAll(async () => {
    await context?.close();
    await server?.close();
    policy?.dispose();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('runs a typed command with the scripted expert, shows success, and draws the attention panel', async () => {
    await page.fill('#command', 'pick up the yellow cube');
    await page.selectOption('#driver', 'expert');
    await page.fill('#seed', '3');
    await page.click('#run');
    // (Browser-side code is given as strings: this project's TypeScript has no DOM types.)
    await page.waitForFunction(`document.querySelector('#status').dataset.state === 'running'`, null, { timeout: 120_000 });
    await page.waitForFunction(`['success', 'failure', 'stopped'].includes(document.querySelector('#status').dataset.state)`, null, { timeout: 400_000 });
    expect(await page.getAttribute('#status', 'data-state')).toBe('success');
    expect(await page.textContent('#status')).toMatch(/^success \(scripted expert\) · step \d+/);
    expect(await page.isHidden('#error')).toBe(true);

    // The words, with the one the policy does not know marked.
    const words = await page.$$eval('#words .word', (els) => els.map((e) => ({ text: e.textContent, unknown: e.classList.contains('unknown') })));
    expect(words.map((w) => w.text)).toEqual(['pick', 'up', 'the', 'yellow', 'cube']);
    expect(words.filter((w) => w.unknown).map((w) => w.text)).toEqual(['yellow']);

    // Hover a word: the panel shows its map over the camera image; the pixels vary across the image.
    await page.hover('#words .word[data-index="4"]');
    await page.selectOption('#head', '1');
    await page.hover('#words .word[data-index="4"]');
    expect(await page.textContent('#attention-note')).toMatch(/^"cube", layer 0, head 1: /);
    const pixels = await panelPixels(page);
    expect(pixels.colours).toBeGreaterThan(50);
    expect(pixels.std).toBeGreaterThan(5);
    const draws = await page.evaluate<number>('window.viewer.panel.draws');
    expect(draws).toBeGreaterThan(10); // redrawn every control step

    const webgl = await page.getAttribute('body', 'data-webgl');
    if (webgl === 'yes') {
      expect(await page.isHidden('#webgl-message')).toBe(true);
      // The arm the page draws is where the simulator's arm is: every link primitive's world position in the
      // page's three.js scene against the same episode replayed here (same seed, same expert, same step).
      const drawn = await page.evaluate<{ step: number; links: number[][][]; objects: number[][] }>(`(() => {
        const v = window.viewer.view;
        v.scene.updateMatrixWorld(true);
        const at = (o) => Array.from(o.matrixWorld.elements.slice(12, 15));
        return { step: window.viewer.state.status.step, links: v.links.map((g) => g.children.map(at)), objects: v.objects.map(at) };
      })()`);
      const env = new Environment({ cameras: [] });
      let obs = env.reset({ seed: 3, command: 'pick up the yellow cube' });
      const expert = expertDriver(3);
      expert.reset(env);
      while (obs.step < drawn.step) obs = env.step(expert.act(obs, env)).observation;
      const poses = env.arm.linkNames.map(() => new Matrix4());
      env.arm.linkTransforms(obs.joints, obs.gripperOpening * env.arm.maxFingerOpening, poses);
      const seen = drawn.links.map(() => 0);
      for (const p of armPrimitives(env.arm).primitives) {
        const expected = new Vector3(...p.position).applyMatrix4(poses[p.link]!);
        const got = new Vector3(...drawn.links[p.link]![seen[p.link]!++]!);
        expect(got.distanceTo(expected), `link ${env.arm.linkNames[p.link]} primitive at step ${drawn.step}`).toBeLessThan(1e-4);
      }
      env.snapshot().objects.forEach((o, i) => {
        expect(new Vector3(...drawn.objects[i]!).distanceTo(new Vector3(o.position.x, o.position.y, o.position.z)), o.id).toBeLessThan(1e-4);
      });
    } else expect(await page.textContent('#webgl-message')).toMatch(/needs WebGL/);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'viewer.png') });
    expect(existsSync(join(ARTIFACTS, 'viewer.png'))).toBe(true);
    expect(pageErrors).toEqual([]);
  }, 900_000);

  it('reports on the page an object the command names that is not on the table', async () => {
    // Choosing a scene file shows it with a command of its own.
    await page.fill('#command', 'pick up the yellow cube');
    await page.selectOption('#scene-file', 'default');
    await page.waitForFunction(`document.querySelector('#command').value !== 'pick up the yellow cube'`, null, { timeout: 120_000 });
    expect(await page.inputValue('#command')).toMatch(/^pick up the \w+ \w+$/);
    expect(await page.getAttribute('#status', 'data-state')).toBe('ready');
    await page.fill('#command', 'pick up the purple ball');
    await page.click('#run');
    await page.waitForSelector('#error:not([hidden])', { timeout: 120_000 });
    expect(await page.textContent('#error')).toBe('there is no purple ball on the table');
    expect(pageErrors).toEqual([]);
  }, 900_000);

  it('reads a Korean command: shows the reading, and the user\'s words over the policy\'s maps, ignored ones marked', async () => {
    // Choosing the scene file resets to its own command: let that scene arrive before typing, or it would replace
    // the typed command in the box.
    const sceneShown = socket!.waitForEvent('framereceived', { predicate: (f) => String(f.payload).startsWith('{"type":"scene"'), timeout: 120_000 });
    await page.selectOption('#scene-file', 'default');
    await sceneShown;
    await page.fill('#command', '빨간 공을 노란 그릇에 넣어 주세요');
    await page.click('#reset');
    // The reading of an earlier command stays on the page until this one's scene arrives: wait for the new one.
    await page.waitForFunction(`document.querySelector('#reading').textContent.startsWith('read as "put')`, null, { timeout: 120_000 });
    expect(await page.textContent('#reading')).toBe('read as "put the red ball in the yellow bowl" · ignored: 주세요');
    expect(await page.inputValue('#command')).toBe('빨간 공을 노란 그릇에 넣어 주세요');
    expect(await page.$$eval('#words .word', (els) => els.map((e) => e.textContent))).toEqual(['빨간', '공을', '노란', '그릇에', '넣어', '주세요']);
    expect(await page.$$eval('#words .word.ignored', (els) => els.map((e) => e.textContent))).toEqual(['주세요']);
    await page.hover('#words .word >> nth=1');
    await page.waitForFunction(`document.querySelector('#attention-note').textContent.startsWith('"공을" (as "ball"')`, null, { timeout: 120_000 });
    expect(pageErrors).toEqual([]);
  }, 900_000);

  it('without WebGL the 3-D area says so, and the status and the attention panel still work', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vla-viewer-chromium-'));
    const ctx = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, headless: true, args: [...ARGS, '--disable-webgl', '--disable-3d-apis'] });
    try {
      const p = ctx.pages()[0] ?? (await ctx.newPage());
      const errors: string[] = [];
      p.on('pageerror', (e) => errors.push(e.message));
      await p.goto(server.url);
      await p.waitForSelector('#words .word', { state: 'attached' });
      expect(await p.getAttribute('body', 'data-webgl')).toBe('no');
      expect(await p.textContent('#webgl-message')).toMatch(/needs WebGL/);
      await p.fill('#command', 'pick up the yellow cube');
      await p.selectOption('#driver', 'expert');
      await p.selectOption('#scene-file', '');
      await p.fill('#seed', '3');
      await p.click('#run');
      await p.waitForFunction(`document.querySelector('#status').dataset.state === 'success'`, null, { timeout: 400_000 });
      const pixels = await panelPixels(p);
      expect(pixels.colours).toBeGreaterThan(50);
      expect(errors).toEqual([]);
    } finally {
      await ctx.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 900_000);
});
