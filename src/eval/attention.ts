/**
 * Attention on target (reported by vla eval --attention): at the first frame, the share of the target words'
 * cross-attention mass (colour and shape words, last fusion layer, heads averaged) that falls on the patches the
 * target object covers (from the segmentation mask), against the share a uniform map would give (covered patches /
 * all patches). With it, how far (in pixels) the map's expected position (its spatial soft-argmax) is from the
 * target's pixel centroid: whether the words know where, not only which. And which object each target word's map is
 * centred nearest (the destination left out; each word's first use, the target's phrase), and when it is not the
 * target, whether that object has the target's colour (another shape), its shape (another colour) or neither: which
 * confusions the grounding makes.
 */
import { median } from '../../sim/util/median.js';
import { Environment } from '../../sim/env/Environment.js';
import { hashSeed } from '../../sim/util/Rng.js';
import type { Observation } from '../../sim/types.js';
import { averageHeads, type VlaPolicy } from '../policy/index.js';

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
