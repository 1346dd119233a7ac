/**
 * Random tabletop scenes: seeded, deterministic (the same options give the same scene, bit for bit, on every
 * platform), no overlapping footprints, every centre in the reachable region, and every (kind, colour) pair at
 * most once so that "the red ball" always names exactly one object. Ids are "<colour>-<kind>".
 *
 *   randomScene({ seed: 7 })                                                   // 3 to 6 objects
 *   randomScene({ seed: 7, count: 5, include: [{ kind: 'cube', colour: 'blue' }, { kind: 'bowl', colour: 'green' }] })
 */
import { COLOURS, RECEPTACLES, SHAPES, type Colour, type ObjectKind, type Scene, type SceneObject } from '../types.js';
import { Rng, type Seed } from '../util/Rng.js';
import { KIND_SPECS, REACHABLE_REGION, distanceXY, minCentreDistance } from './geometry.js';

export interface ObjectRef {
  kind: ObjectKind;
  colour: Colour;
}

export interface RandomSceneOptions {
  seed: Seed;
  /** Total number of objects, 3..6 (default: drawn from 3..6). Must be >= include.length. */
  count?: number;
  /** Objects that must be in the scene (distinct pairs; at most MAX_RECEPTACLES receptacles). */
  include?: readonly ObjectRef[];
  /** Scene name (default "random-<seed>"). */
  name?: string;
  /** Most receptacles in the scene (default and upper limit MAX_RECEPTACLES). */
  maxReceptacles?: number;
  /** Chance that a randomly added object is a receptacle while the limit allows (default 0.2). */
  receptacleChance?: number;
}

export const MIN_OBJECTS = 3;
export const MAX_OBJECTS = 6;
export const MAX_RECEPTACLES = 2;

/** Positions are rounded to this (metres) and yaws to YAW_QUANTUM (radians) so scenes print and diff cleanly. */
export const POSITION_QUANTUM = 0.001;
export const YAW_QUANTUM = 0.001;

const ATTEMPTS_PER_OBJECT = 200;
const LAYOUT_RESTARTS = 50;

const isReceptacle = (k: ObjectKind): boolean => (RECEPTACLES as readonly string[]).includes(k);
const pairKey = (r: ObjectRef): string => `${r.colour}-${r.kind}`;
const quantise = (v: number, q: number): number => Math.round(v / q) * q;
/** Rounding that prints cleanly: 0.123 rather than 0.12300000000000001. */
const roundTo = (v: number, q: number): number => Number(quantise(v, q).toFixed(6)) + 0;

function checkOptions(opts: RandomSceneOptions): { include: ObjectRef[]; maxReceptacles: number } {
  const include = (opts.include ?? []).map((r) => ({ kind: r.kind, colour: r.colour }));
  const kinds: readonly string[] = [...SHAPES, ...RECEPTACLES];
  for (const r of include) {
    if (!kinds.includes(r.kind)) throw new Error(`randomScene: unknown kind ${JSON.stringify(r.kind)}; known: ${kinds.join(', ')}`);
    if (!(COLOURS as readonly string[]).includes(r.colour)) {
      throw new Error(`randomScene: unknown colour ${JSON.stringify(r.colour)}; known: ${COLOURS.join(', ')}`);
    }
  }
  const seen = new Set<string>();
  for (const r of include) {
    const k = pairKey(r);
    if (seen.has(k)) throw new Error(`randomScene: include names ${r.colour} ${r.kind} twice; pairs must be distinct`);
    seen.add(k);
  }
  const maxReceptacles = opts.maxReceptacles ?? MAX_RECEPTACLES;
  if (!Number.isInteger(maxReceptacles) || maxReceptacles < 0 || maxReceptacles > MAX_RECEPTACLES) {
    throw new Error(`randomScene: maxReceptacles must be an integer in 0..${MAX_RECEPTACLES}, got ${maxReceptacles}`);
  }
  const nRec = include.filter((r) => isReceptacle(r.kind)).length;
  if (nRec > maxReceptacles) {
    throw new Error(`randomScene: include has ${nRec} receptacles, at most ${maxReceptacles} allowed`);
  }
  if (opts.count !== undefined) {
    if (!Number.isInteger(opts.count) || opts.count < MIN_OBJECTS || opts.count > MAX_OBJECTS) {
      throw new Error(`randomScene: count must be an integer in ${MIN_OBJECTS}..${MAX_OBJECTS}, got ${opts.count}`);
    }
    if (opts.count < include.length) {
      throw new Error(`randomScene: count ${opts.count} is smaller than the ${include.length} included objects`);
    }
  } else if (include.length > MAX_OBJECTS) {
    throw new Error(`randomScene: include has ${include.length} objects, at most ${MAX_OBJECTS} allowed`);
  }
  return { include, maxReceptacles };
}

/** Chooses the (kind, colour) pairs: the included ones, then random distinct ones up to `count`. */
function choosePairs(rng: Rng, include: ObjectRef[], count: number, maxReceptacles: number, chance: number): ObjectRef[] {
  const pairs = include.slice();
  const used = new Set(pairs.map(pairKey));
  let receptacles = pairs.filter((r) => isReceptacle(r.kind)).length;
  while (pairs.length < count) {
    const wantReceptacle = receptacles < maxReceptacles && rng.bool(chance);
    const kinds: readonly ObjectKind[] = wantReceptacle ? RECEPTACLES : SHAPES;
    const options: ObjectRef[] = [];
    for (const kind of kinds) for (const colour of COLOURS) if (!used.has(pairKey({ kind, colour }))) options.push({ kind, colour });
    const choice = rng.pick(options);
    pairs.push(choice);
    used.add(pairKey(choice));
    if (isReceptacle(choice.kind)) receptacles++;
  }
  return pairs;
}

function sampleSize(rng: Rng, kind: ObjectKind): number {
  const spec = KIND_SPECS[kind];
  if (kind === 'ball') return roundTo(rng.float(spec.minSize, spec.maxSize), POSITION_QUANTUM);
  return spec.nominalSize;
}

/** Rejection-samples positions, biggest footprints first; null when this attempt boxed itself in. */
function layout(rng: Rng, pairs: ObjectRef[]): SceneObject[] | null {
  const sized = pairs.map((p) => ({ ...p, size: sampleSize(rng, p.kind) }));
  const order = sized.map((_, i) => i).sort((a, b) => (sized[b] as SceneObject).size - (sized[a] as SceneObject).size || a - b);
  const placed: SceneObject[] = [];
  const r = REACHABLE_REGION;
  for (const i of order) {
    const p = sized[i] as ObjectRef & { size: number };
    let ok = false;
    for (let attempt = 0; attempt < ATTEMPTS_PER_OBJECT && !ok; attempt++) {
      const position = {
        x: roundTo(rng.float(r.xMin, r.xMax), POSITION_QUANTUM),
        y: roundTo(rng.float(r.yMin, r.yMax), POSITION_QUANTUM),
      };
      const candidate = { kind: p.kind, size: p.size };
      if (position.x < r.xMin || position.x > r.xMax || position.y < r.yMin || position.y > r.yMax) continue;
      if (placed.every((q) => distanceXY(q.position, position) >= minCentreDistance(q, candidate))) {
        const yaw = roundTo(rng.float(-Math.PI, Math.PI), YAW_QUANTUM);
        placed.push({ id: pairKey(p), kind: p.kind, colour: p.colour, position, yaw, size: p.size });
        ok = true;
      }
    }
    if (!ok) return null;
  }
  // Back to the order of `pairs`, independent of the placement order.
  return pairs.map((p) => placed.find((o) => o.id === pairKey(p)) as SceneObject);
}

/** A random scene; see the module comment. Throws for impossible options. */
export function randomScene(opts: RandomSceneOptions): Scene {
  const { include, maxReceptacles } = checkOptions(opts);
  const rng = new Rng(opts.seed);
  const count = opts.count ?? Math.max(include.length, rng.int(MIN_OBJECTS, MAX_OBJECTS));
  const chance = opts.receptacleChance ?? 0.2;
  const pairs = choosePairs(rng, include, count, maxReceptacles, chance);
  // Shuffle so that the included objects are not always first in the object list (the index is visible to
  // anything that reads segmentation masks).
  const ordered = rng.shuffle(pairs);
  for (let restart = 0; restart < LAYOUT_RESTARTS; restart++) {
    const objects = layout(rng, ordered);
    if (objects) return { name: opts.name ?? `random-${String(opts.seed)}`, objects };
  }
  throw new Error(`randomScene: could not lay out ${count} objects without overlap (seed ${String(opts.seed)})`);
}
