/**
 * Two measures of whether a policy reads the words and looks at the right thing (reported by vla eval):
 *
 * - Language sensitivity: on the same scene, commands naming each different movable object ("pick up the blue
 *   cube", then "pick up the red ball", ...); the share of these counterfactual commands that end with the named
 *   object picked. A policy that ignores words picks the same object whatever is said and scores about 1/n. For
 *   place, scenes with one receptacle, and commands that name each movable object and that same destination ("put
 *   the blue cube in the green bowl", then "put the red ball in the green bowl", ...): the named one must end there.
 *   The failed commands are counted by reason and by where they came down (by the named object, by another, never),
 *   and each that came down by another is named as a confusion ("orange ball -> orange cylinder").
 * - Attention on target: at the first frame, the share of the target words' cross-attention mass (colour and shape
 *   words, last fusion layer, heads averaged) that falls on the patches the target object covers (from the
 *   segmentation mask), against the share a uniform map would give (covered patches / all patches). With it, how
 *   far (in pixels) the map's expected position (its spatial soft-argmax) is from the target's pixel centroid:
 *   whether the words know where, not only which. And which object each target word's map is centred nearest (the destination left out; each word's first
 *   use, the target's phrase), and when it is not the target, whether that object has the target's colour (another
 *   shape), its shape (another colour) or neither: which confusions the grounding makes.
 */
import { median } from '../../sim/util/median.js';
import { Environment } from '../../sim/env/Environment.js';
import { countFailureSite, countsMostFirst, readingAs, runEpisode, type Driver, type FailureSites, type Rephrased } from '../../sim/env/episodes.js';
import { randomScene } from '../../sim/scene/index.js';
import { hashSeed, Rng } from '../../sim/util/Rng.js';
import { COLOURS, RECEPTACLES, SHAPES, type Observation, type Scene, type Shape } from '../../sim/types.js';
import { allPhrasings, getTemplate, type TargetRef } from '../../sim/tasks/index.js';
import { averageHeads, type VlaPolicy } from '../policy/index.js';

/** The tasks language sensitivity is measured on (push would also need a direction per command). */
export const LANGUAGE_TASKS = ['pick', 'place'] as const;
export type LanguageTask = (typeof LANGUAGE_TASKS)[number];

export interface LanguageSensitivity {
  task: LanguageTask;
  scenes: number;
  commands: number;
  successes: number;
  /** successes / commands */
  rate: number;
  /** The failed commands by reason ("wrong object", "timeout", ...). */
  failures: Record<string, number>;
  /**
   * Where the failed commands first came down (EpisodeResult.cameDownBy): by the named object (the words were read;
   * the grasp or the placing failed), by another object (the words were misread or the object mistaken), never.
   */
  failedBy: FailureSites;
  /** The failures that came down by another object, as "named -> taken" ("purple ball -> purple cylinder"): count. */
  confusions: Record<string, number>;
}

export async function languageSensitivity(o: {
  makeDriver: (seed: number) => Driver;
  env: Environment;
  scenes: number;
  seed: number;
  /** Default 'pick'. */
  task?: LanguageTask;
  /** Say each command in other words first, as evaluate's `rephrase` (e.g. free-form Korean); null command: not understood. */
  rephrase?: { say: (command: string, scene: Scene, seed: number) => Rephrased };
}): Promise<LanguageSensitivity> {
  const task = o.task ?? 'pick';
  let commands = 0;
  let successes = 0;
  const failures: Record<string, number> = {};
  const failedBy: FailureSites = { byTarget: 0, byOther: 0, never: 0 };
  const confusions: Record<string, number> = {};
  for (let i = 0; i < o.scenes; i++) {
    const { seed, scene, phrase } = task === 'pick' ? pickScene(o.seed, i) : placeScene(o.seed, i);
    for (const obj of scene.objects) {
      if (!(SHAPES as readonly string[]).includes(obj.kind)) continue; // receptacles cannot be picked
      const said = o.rephrase?.say(phrase({ kind: obj.kind as Shape, colour: obj.colour }), scene, hashSeed(`${seed}:${obj.id}`));
      const command = said ? said.command : phrase({ kind: obj.kind as Shape, colour: obj.colour });
      commands++;
      if (command === null) {
        failures['not understood'] = (failures['not understood'] ?? 0) + 1;
        continue;
      }
      const driver = said?.reads !== undefined ? readingAs(o.makeDriver(seed), said.reads) : o.makeDriver(seed);
      const r = await runEpisode({ seed, scene, command, env: o.env, driver });
      if (r.success) {
        successes++;
        continue;
      }
      failures[r.reason] = (failures[r.reason] ?? 0) + 1;
      countFailureSite(failedBy, r);
      if (r.cameDownBy && !r.cameDownBy.isTarget) {
        const key = `${r.target} -> ${r.cameDownBy.name}`;
        confusions[key] = (confusions[key] ?? 0) + 1;
      }
    }
  }
  return { task, scenes: o.scenes, commands, successes, rate: commands ? successes / commands : 0, failures, failedBy, confusions };
}

/**
 * The printed line: "language sensitivity (pick): 89.6% of 48 counterfactual commands on 15 scenes picked the named
 * object; of the 5 failures, 3 came down by another object (purple ball -> purple cylinder 2, ...), 2 by the named
 * one, 0 never came down (wrong object: 5)"; the confusions most frequent first, at most four.
 */
export function formatLanguageSensitivity(ls: LanguageSensitivity): string {
  const did = ls.task === 'pick' ? 'picked the named object' : 'put the named object in its destination';
  let line = `language sensitivity (${ls.task}): ${(100 * ls.rate).toFixed(1)}% of ${ls.commands} counterfactual commands on ${ls.scenes} scene${ls.scenes === 1 ? '' : 's'} ${did}`;
  const failed = ls.commands - ls.successes;
  if (failed === 0) return line;
  const f = ls.failedBy;
  const taken = countsMostFirst(ls.confusions);
  const shown = taken.length > 4 ? [...taken.slice(0, 4), `and ${taken.length - 4} more`] : taken;
  line += `; of the ${failed} failures, ${f.byOther} came down by another object${shown.length ? ` (${shown.join(', ')})` : ''}`;
  line += `, ${f.byTarget} by the named one, ${f.never} never came down`;
  const reasons = Object.entries(ls.failures).map(([k, n]) => `${k}: ${n}`).join(', ');
  return `${line} (${reasons})`;
}

interface CounterfactualScene {
  seed: number;
  scene: Scene;
  /** The command naming one movable object: the first phrasing of a seen template ("pick up the red ball"). */
  phrase: (target: TargetRef) => string;
}

function pickScene(firstSeed: number, i: number): CounterfactualScene {
  const seed = hashSeed(`language:${firstSeed}:${i}`);
  const template = getTemplate('pick.pick-up');
  return { seed, scene: randomScene({ seed, count: 4 }), phrase: (target) => allPhrasings(template, target)[0]! };
}

/** Four movable objects and one receptacle, the destination of every command on the scene. */
function placeScene(firstSeed: number, i: number): CounterfactualScene {
  const seed = hashSeed(`language-place:${firstSeed}:${i}`);
  const rng = new Rng(seed);
  const destination = { kind: rng.pick(RECEPTACLES), colour: rng.pick(COLOURS) };
  const scene = randomScene({ seed, count: 5, include: [destination], maxReceptacles: 1 });
  const template = getTemplate('place.put');
  return { seed, scene, phrase: (target) => allPhrasings(template, target, { destination })[0]! };
}

const SHAPE_WORDS: Readonly<Record<string, readonly string[]>> = {
  ball: ['ball', 'sphere'],
  cube: ['cube', 'block'],
  cylinder: ['cylinder', 'can'],
  bowl: ['bowl'],
  plate: ['plate'],
};

export interface AttentionOnTarget {
  episodes: number;
  /** Mean share of the target words' attention on the target's patches. */
  targetShare: number;
  /** Mean share a uniform map would put there. */
  uniformShare: number;
  /** targetShare / uniformShare */
  ratio: number;
  /** Median distance (pixels) from the patch maps' expected position to the target's pixel centroid. */
  keypointErrorPx: number;
  /** Which object the target words' maps are centred nearest (see the file comment). */
  pointing: Pointing;
}

/** Target words (first use of each) by the object their map is centred nearest. */
export interface Pointing {
  words: number;
  atTarget: number;
  /** Nearest another object of the target's colour and another shape. */
  sameColour: number;
  /** Nearest another object of the target's shape and another colour. */
  sameShape: number;
  /** Nearest an object sharing neither. */
  other: number;
}

/**
 * The index of the object whose pixel centroid is nearest (x, y), objects without pixels and `exclude` left out; -1
 * when none is visible.
 */
export function nearestObject(x: number, y: number, centroids: ReadonlyArray<{ x: number; y: number; count: number }>, exclude = -1): number {
  let best = -1;
  let bestD = Infinity;
  centroids.forEach((c, k) => {
    if (k === exclude || c.count === 0) return;
    const d = Math.hypot(c.x - x, c.y - y);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  });
  return best;
}

/** A map's expected position over a gh x gw grid laid over a W x H image, in pixels (x right, y down). */
export function expectedPosition(map: ArrayLike<number>, gh: number, gw: number, W: number, H: number): [number, number] {
  let x = 0;
  let y = 0;
  for (let p = 0; p < gh * gw; p++) {
    x += map[p]! * (((p % gw) + 0.5) * W) / gw;
    y += map[p]! * ((Math.floor(p / gw) + 0.5) * H) / gh;
  }
  return [x, y];
}


/** The pixel centroid (x right, y down, pixel centres at +0.5) of segmentation id `id` in a mask `width` wide, and its pixel count. */
export function maskCentroid(mask: Uint8Array, width: number, id: number): { x: number; y: number; count: number } {
  let x = 0;
  let y = 0;
  let count = 0;
  for (let p = 0; p < mask.length; p++) {
    if (mask[p] !== id) continue;
    x += (p % width) + 0.5;
    y += Math.floor(p / width) + 0.5;
    count++;
  }
  return count ? { x: x / count, y: y / count, count } : { x: NaN, y: NaN, count: 0 };
}

/** Which patches (of a gh x gw grid) the segmentation id covers in a W x H mask. */
export function coveredPatches(mask: Uint8Array, W: number, H: number, id: number, gh: number, gw: number): boolean[] {
  const covered = new Array<boolean>(gh * gw).fill(false);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (mask[y * W + x] === id) covered[Math.floor((y * gh) / H) * gw + Math.floor((x * gw) / W)] = true;
    }
  }
  return covered;
}

export function attentionOnTarget(policy: VlaPolicy, o: { episodes: number; seed: number; tasks: ReadonlyArray<'pick' | 'place' | 'push'> }): AttentionOnTarget {
  const S = policy.config.imageSize;
  const camera = policy.config.cameras[0]!;
  const env = new Environment({ cameras: [{ name: camera as 'scene', width: S, height: S, segmentation: true, supersampling: policy.config.supersampling }] });
  let target = 0;
  let uniform = 0;
  let n = 0;
  const errors: number[] = [];
  const pointing: Pointing = { words: 0, atTarget: 0, sameColour: 0, sameShape: 0, other: 0 };
  for (let i = 0; i < o.episodes; i++) {
    const task = o.tasks[i % o.tasks.length]!;
    const obs: Observation = env.reset({ seed: hashSeed(`attention:${o.seed}:${i}`), task });
    const info = env.info;
    const t = info.scene.objects[info.target]!;
    const maps = policy.attentionMaps(obs);
    const last = averageHeads(maps.layers).at(-1)!;
    const words = new Set([t.colour, ...(SHAPE_WORDS[t.kind] ?? [])]);
    const img = obs.images[camera]!;
    const [gh, gw] = maps.grid;
    const covered = coveredPatches(img.segmentation!, img.width, img.height, info.target + 1, gh, gw);
    const k = covered.filter(Boolean).length;
    if (k === 0) continue; // the target is hidden at the first frame
    const centroids = info.scene.objects.map((_, k) => maskCentroid(img.segmentation!, img.width, k + 1));
    const { x: cx, y: cy } = centroids[info.target]!;
    const counted = new Set<string>();
    maps.words.forEach((w, wi) => {
      if (!words.has(w)) return;
      const m = last[wi]!; // over C * gh * gw patches; the first camera comes first
      let share = 0;
      covered.forEach((c, p) => (share += c ? m[p]! : 0));
      target += share;
      uniform += k / (gh * gw);
      n++;
      const [x, y] = expectedPosition(m, gh, gw, img.width, img.height);
      errors.push(Math.hypot(x - cx, y - cy));
      if (!counted.has(w)) {
        counted.add(w);
        pointing.words++;
        const k = nearestObject(x, y, centroids, info.destination);
        const o = info.scene.objects[k];
        if (k === info.target) pointing.atTarget++;
        else if (o && o.colour === t.colour) pointing.sameColour++;
        else if (o && o.kind === t.kind) pointing.sameShape++;
        else pointing.other++;
      }
    });
  }
  return {
    episodes: o.episodes,
    targetShare: n ? target / n : 0,
    uniformShare: n ? uniform / n : 0,
    ratio: uniform > 0 ? target / uniform : 0,
    keypointErrorPx: errors.length ? median(errors) : 0,
    pointing,
  };
}
