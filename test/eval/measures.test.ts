/** The language-sensitivity and attention-on-target measures. */
import { beforeAll, describe, expect, it } from 'vitest';
import { Environment } from '../../sim/env/Environment.js';
import { expertDriver, type Driver } from '../../sim/env/Driver.js';
import type { EpisodeInfo } from '../../sim/env/Environment.js';
import { selectBackend } from '../../src/tf/backend.js';
import { VlaPolicy } from '../../src/policy/index.js';
import { attentionOnTarget, coveredPatches, expectedPosition, formatLanguageSensitivity, languageSensitivity, maskCentroid, nearestObject } from '../../src/eval/index.js';
import { hashSeed } from '../../sim/util/Rng.js';
import type { EeAction, Observation } from '../../sim/types.js';

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
});

describe('coveredPatches', () => {
  it('marks the patches a mask id touches', () => {
    const mask = new Uint8Array(4 * 4);
    mask[0] = 3; // top-left pixel -> patch (0, 0) of a 2x2 grid
    mask[15] = 3; // bottom-right pixel -> patch (1, 1)
    mask[5] = 1; // another object
    expect(coveredPatches(mask, 4, 4, 3, 2, 2)).toEqual([true, false, false, true]);
  });
});

describe('languageSensitivity', () => {
  it('is 100% for the expert, which reads the command through privileged state', async () => {
    const r = await languageSensitivity({ makeDriver: expertDriver, env: new Environment({ cameras: [] }), scenes: 1, seed: 3 });
    expect(r.commands).toBeGreaterThanOrEqual(2);
    expect(r.rate).toBe(1);
    expect(r.task).toBe('pick');
  });

  it('place: every command names another movable object and the same destination; the expert places each', async () => {
    const seen: EpisodeInfo[] = [];
    const recording = (seed: number): Driver => {
      const expert = expertDriver(seed);
      return { reset: (env) => { seen.push(env.info); expert.reset(env); }, act: (obs, env) => expert.act(obs, env) };
    };
    const r = await languageSensitivity({ makeDriver: recording, env: new Environment({ cameras: [] }), scenes: 2, seed: 3, task: 'place' });
    expect(r.task).toBe('place');
    expect(r.commands).toBe(8); // four movable objects and one receptacle per scene
    expect(r.rate).toBe(1);
    for (const scene of [seen.slice(0, 4), seen.slice(4, 8)]) {
      expect(scene.every((x) => x.task === 'place')).toBe(true);
      expect(new Set(scene.map((x) => x.target)).size).toBe(4);
      expect(new Set(scene.map((x) => x.destination)).size).toBe(1);
      expect(scene[0]!.destination).toBeGreaterThanOrEqual(0);
    }
  });

  it('place: a driver that stands still succeeds on no command', async () => {
    const idle = (): Driver => ({ reset: () => {}, act: () => ({ dx: 0, dy: 0, dz: 0, dyaw: 0, gripper: 0 }) });
    const r = await languageSensitivity({ makeDriver: idle, env: new Environment({ cameras: [] }), scenes: 1, seed: 4, task: 'place' });
    expect(r.commands).toBe(4);
    expect(r.successes).toBe(0);
    expect(r.failedBy).toEqual({ byTarget: 0, byOther: 0, never: 4 });
    expect(r.confusions).toEqual({});
  });

  it('a driver that goes to the same object whatever is said: the failures came down by it, named as confusions', async () => {
    // Flies 10 cm above the scene's first object, then comes straight down; never closes the gripper.
    const firstObject = (): Driver => ({
      reset: () => {},
      act: (obs: Observation, env: Environment): EeAction => {
        const p = env.snapshot().objects[0]!.position;
        const dx = p.x - obs.eePose.x;
        const dy = p.y - obs.eePose.y;
        const far = Math.hypot(dx, dy);
        const k = Math.min(1, 0.01 / Math.max(far, 1e-9));
        if (far > 0.006) return { dx: dx * k, dy: dy * k, dz: Math.max(-0.01, Math.min(0.01, 0.1 - obs.eePose.z)), dyaw: 0, gripper: 0 };
        return { dx: 0, dy: 0, dz: -0.01, dyaw: 0, gripper: 0 };
      },
    });
    const env = new Environment({ cameras: [], maxSteps: 60 });
    const r = await languageSensitivity({ makeDriver: firstObject, env, scenes: 1, seed: 3 });
    const objects = env.info.scene.objects.filter((o) => o.kind !== 'bowl' && o.kind !== 'plate');
    const first = `${env.info.scene.objects[0]!.colour} ${env.info.scene.objects[0]!.kind}`;
    expect(['ball', 'cube', 'cylinder']).toContain(env.info.scene.objects[0]!.kind); // the premise: a movable first object
    expect(r.successes).toBe(0);
    // The command naming the first object came down by it; every other command came down by the first object.
    expect(r.failedBy).toEqual({ byTarget: 1, byOther: objects.length - 1, never: 0 });
    const expected = Object.fromEntries(objects.slice(1).map((o) => [`${o.colour} ${o.kind} -> ${first}`, 1]));
    expect(r.confusions).toEqual(expected);
    expect(Object.values(r.failures).reduce((a, b) => a + b, 0)).toBe(r.commands);
    const line = formatLanguageSensitivity(r);
    expect(line).toContain(`0.0% of ${r.commands} counterfactual commands on 1 scene picked the named object`);
    expect(line).toContain(`of the ${r.commands} failures, ${objects.length - 1} came down by another object (`);
    expect(line).toContain(`-> ${first} 1`);
    expect(line).toContain(', 1 by the named one, 0 never came down (');
  });

  it('prints no failure breakdown when every command succeeds, and at most four confusions', () => {
    const base = { task: 'pick' as const, scenes: 2, failures: {}, failedBy: { byTarget: 0, byOther: 0, never: 0 }, confusions: {} };
    expect(formatLanguageSensitivity({ ...base, commands: 8, successes: 8, rate: 1 })).toBe(
      'language sensitivity (pick): 100.0% of 8 counterfactual commands on 2 scenes picked the named object',
    );
    const confusions = { 'a -> b': 1, 'c -> d': 3, 'e -> f': 1, 'g -> h': 1, 'i -> j': 1 };
    const line = formatLanguageSensitivity({ ...base, commands: 8, successes: 1, rate: 1 / 8, failures: { 'wrong object': 7 }, failedBy: { byTarget: 0, byOther: 7, never: 0 }, confusions });
    expect(line).toContain('of the 7 failures, 7 came down by another object (c -> d 3, a -> b 1, e -> f 1, g -> h 1, and 1 more), 0 by the named one, 0 never came down (wrong object: 7)');
  });
});

describe('attentionOnTarget', () => {
  it('reports shares in [0, 1] and a ratio near 1 for an untrained policy (near-uniform maps)', () => {
    const policy = new VlaPolicy({ width: 16, heads: 2, visionLayers: 1, stemChannels: 4, chunk: 4 });
    const r = attentionOnTarget(policy, { episodes: 3, seed: 1, tasks: ['pick'] });
    policy.dispose();
    expect(r.uniformShare).toBeGreaterThan(0);
    expect(r.uniformShare).toBeLessThan(1);
    expect(r.targetShare).toBeGreaterThanOrEqual(0);
    expect(r.ratio).toBeGreaterThan(0.5);
    expect(r.ratio).toBeLessThan(2);
    // Near-uniform maps are centred near the image centre, some pixels from a target.
    expect(r.keypointErrorPx).toBeGreaterThan(1);
    expect(r.keypointErrorPx).toBeLessThan(64);
  });

  it('measures where a map is centred: a one-hot map at its cell centre, a uniform one at the image centre', () => {
    const oneHot = new Float32Array(16);
    oneHot[1 * 4 + 2] = 1; // row 1, column 2 of a 4x4 grid over 64x64 pixels
    expect(expectedPosition(oneHot, 4, 4, 64, 64)).toEqual([40, 24]);
    const [x, y] = expectedPosition(new Float32Array(16).fill(1 / 16), 4, 4, 64, 64);
    expect(x).toBeCloseTo(32, 5);
    expect(y).toBeCloseTo(32, 5);
  });

  it('finds a segmentation id\'s pixel centroid and count; an absent id has none', () => {
    const mask = new Uint8Array(4 * 4);
    mask[1 * 4 + 1] = 3; // pixels (1, 1) and (2, 1) of a 4x4 mask
    mask[1 * 4 + 2] = 3;
    expect(maskCentroid(mask, 4, 3)).toEqual({ x: 2, y: 1.5, count: 2 });
    expect(maskCentroid(mask, 4, 5).count).toBe(0);
  });

  it('nearestObject: the visible object whose centroid is nearest, the excluded one and hidden ones left out', () => {
    const c = [{ x: 10, y: 10, count: 4 }, { x: 12, y: 10, count: 0 }, { x: 30, y: 30, count: 2 }, { x: 11, y: 11, count: 3 }];
    expect(nearestObject(9, 9, c)).toBe(0);
    expect(nearestObject(12, 12, c)).toBe(3);
    expect(nearestObject(12, 10, c)).toBe(3); // object 1 sits there but has no pixels
    expect(nearestObject(12, 12, c, 3)).toBe(0);
    expect(nearestObject(0, 0, [{ x: NaN, y: NaN, count: 0 }])).toBe(-1);
  });

  it('says which object the words point at: a stand-in policy that looks at the first object of every scene', () => {
    const G = 8;
    // Every word's map (2 heads) is one-hot on the patch holding the centroid of segmentation id 1 (scene object 0).
    const lookAtFirst = {
      config: { imageSize: 64, cameras: ['scene'] },
      attentionMaps(obs: Observation) {
        const img = obs.images.scene!;
        const c = maskCentroid(img.segmentation!, img.width, 1);
        const map = new Float32Array(G * G);
        map[Math.floor((c.y * G) / img.height) * G + Math.floor((c.x * G) / img.width)] = 1;
        const words = obs.command.split(' ');
        return { words, unknown: [], dropped: [], cameras: ['scene'], grid: [G, G], layers: [[0, 1].map(() => words.map(() => map))] };
      },
    } as unknown as VlaPolicy;
    const episodes = 12;
    const r = attentionOnTarget(lookAtFirst, { episodes, seed: 4, tasks: ['pick', 'push'] });
    // The same first frames, classified here from the scenes: object 0 against the target.
    const env = new Environment({ cameras: [{ name: 'scene', width: 64, height: 64, segmentation: true }] });
    const want = { words: 0, atTarget: 0, sameColour: 0, sameShape: 0, other: 0 };
    for (let i = 0; i < episodes; i++) {
      env.reset({ seed: hashSeed(`attention:4:${i}`), task: (['pick', 'push'] as const)[i % 2] });
      const { scene, target, command } = env.info;
      const t = scene.objects[target]!;
      const words = new Set(command.split(' ').filter((w) => w === t.colour || ['ball', 'sphere', 'cube', 'block', 'cylinder', 'can'].includes(w)));
      const o = scene.objects[0]!;
      for (const _ of words) {
        want.words++;
        if (target === 0) want.atTarget++;
        else if (o.colour === t.colour) want.sameColour++;
        else if (o.kind === t.kind) want.sameShape++;
        else want.other++;
      }
    }
    expect(r.pointing).toEqual(want);
    expect(want.words).toBeGreaterThan(episodes);
    expect(want.atTarget).toBeGreaterThan(0);
    expect(want.atTarget).toBeLessThan(want.words);
  });
});
