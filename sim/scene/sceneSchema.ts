/**
 * Scene files: the zod schema, parsing with errors that name the file, the field and what was expected, the
 * layout checks (unique ids, sizes per kind, reachable region, no overlapping footprints) and lookup by name.
 *
 *   loadScene('default')              -> scenes/default.json
 *   loadScene('path/to/my-scene.json')
 *   parseScene(json, 'my-source')     -> Scene, or throws SceneError:
 *     scenes/x.json: objects[2].colour: expected one of red, green, blue, yellow, purple, orange, got "pink"
 *
 * A scene file is `{ "name": string, "objects": SceneObject[] }` (see sim/types.ts); every field is required and
 * unknown fields are rejected. The caller's object is never modified: the result is a fresh copy.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { COLOURS, RECEPTACLES, SHAPES, type Scene, type SceneObject } from '../types.js';
import {
  GEOMETRY_EPS,
  KIND_SPECS,
  OVERLAP_MARGIN,
  REACHABLE_REGION,
  distanceXY,
  footprintRadius,
  isInReachableRegion,
  minCentreDistance,
} from './geometry.js';

export const OBJECT_KINDS = [...SHAPES, ...RECEPTACLES] as const;

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const ID_EXPECTATION = 'an id of letters, digits, "-", "_" or "." (starting with a letter or digit)';

export const positionSchema = z.strictObject({ x: z.number(), y: z.number() });

export const sceneObjectSchema = z.strictObject({
  id: z.string().regex(ID_PATTERN),
  kind: z.enum(OBJECT_KINDS),
  colour: z.enum(COLOURS),
  position: positionSchema,
  yaw: z.number(),
  size: z.number().positive(),
});

export const sceneSchema = z.strictObject({
  name: z.string().min(1),
  objects: z.array(sceneObjectSchema).min(1),
});

const SCENE_KEYS = Object.keys(sceneSchema.shape);
const OBJECT_KEYS = Object.keys(sceneObjectSchema.shape);
const POSITION_KEYS = Object.keys(positionSchema.shape);

/** How many problems a SceneError's message lists before "... and N more problems" (`issues` keeps them all). */
export const MAX_LISTED_SCENE_ISSUES = 5;

/**
 * A scene that failed to load: `issues` holds one line per problem, `message` the first MAX_LISTED_SCENE_ISSUES
 * prefixed by source and a count of the rest (a scene of 500 overlapping objects has 100,000 problems).
 */
export class SceneError extends Error {
  readonly source: string;
  readonly issues: readonly string[];

  constructor(source: string, issues: readonly string[]) {
    const shown = issues.slice(0, MAX_LISTED_SCENE_ISSUES).map((i) => `${source}: ${i}`);
    const rest = issues.length - shown.length;
    super([...shown, ...(rest > 0 ? [`${source}: ... and ${rest} more problem${rest > 1 ? 's' : ''}`] : [])].join('\n'));
    this.name = 'SceneError';
    this.source = source;
    this.issues = issues;
  }
}

type PathKey = PropertyKey;

/** ['objects', 2, 'colour'] -> "objects[2].colour" */
export function formatPath(p: readonly PathKey[]): string {
  let out = '';
  for (const k of p) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out === '' ? String(k) : `.${String(k)}`;
  }
  return out === '' ? '(top level)' : out;
}

function valueAt(data: unknown, p: readonly PathKey[]): unknown {
  let cur: unknown = data;
  for (const k of p) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return `a string (${JSON.stringify(v)})`;
  if (typeof v === 'number') return `a number (${v})`;
  if (typeof v === 'boolean') return `a boolean (${v})`;
  return typeof v;
}

function article(t: string): string {
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

function allowedKeysAt(p: readonly PathKey[]): readonly string[] {
  if (p.length === 0) return SCENE_KEYS;
  if (p.length === 2 && p[0] === 'objects') return OBJECT_KEYS;
  if (p.length === 3 && p[2] === 'position') return POSITION_KEYS;
  return [];
}

/** One zod issue as "path: what was expected, what was found" lines (unknown keys give one line each). */
function describeIssue(issue: z.core.$ZodIssue, data: unknown): string[] {
  const p = issue.path;
  const where = formatPath(p);
  const got = valueAt(data, p);
  switch (issue.code) {
    case 'invalid_type': {
      const expected = article(String(issue.expected));
      if (got === undefined) return [`${where}: missing required field (expected ${expected})`];
      return [`${where}: expected ${expected}, got ${typeName(got)}`];
    }
    case 'invalid_value': {
      const values = issue.values.map(String).join(', ');
      return [`${where}: expected one of ${values}, got ${JSON.stringify(got) ?? String(got)}`];
    }
    case 'unrecognized_keys': {
      const allowed = allowedKeysAt(p);
      const hint = allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : '';
      return issue.keys.map((k) => `${formatPath([...p, k])}: unknown field${hint}`);
    }
    case 'too_small': {
      if (issue.origin === 'array') return [`${where}: expected at least ${String(issue.minimum)} entry, got none`];
      if (issue.origin === 'string') return [`${where}: must not be empty`];
      const op = issue.inclusive ? '>=' : '>';
      return [`${where}: expected a number ${op} ${String(issue.minimum)}, got ${String(got)}`];
    }
    case 'invalid_format':
      return [`${where}: expected ${ID_EXPECTATION}, got ${JSON.stringify(got)}`];
    default:
      return [`${where}: ${issue.message}`];
  }
}

const fmt = (v: number) => v.toFixed(3);

/**
 * Layout problems of a structurally valid scene, one line each: duplicate ids, sizes outside the kind's range,
 * centres outside REACHABLE_REGION, footprints closer than their radii plus OVERLAP_MARGIN.
 */
export function checkSceneLayout(scene: Scene): string[] {
  const issues: string[] = [];
  const firstIndex = new Map<string, number>();
  scene.objects.forEach((o, i) => {
    const prev = firstIndex.get(o.id);
    if (prev !== undefined) issues.push(`objects[${i}].id: duplicate id ${JSON.stringify(o.id)} (also objects[${prev}].id)`);
    else firstIndex.set(o.id, i);

    const spec = KIND_SPECS[o.kind];
    if (o.size < spec.minSize - GEOMETRY_EPS || o.size > spec.maxSize + GEOMETRY_EPS) {
      issues.push(`objects[${i}].size: expected ${spec.minSize} to ${spec.maxSize} m for a ${o.kind}, got ${o.size}`);
    }
    if (!isInReachableRegion(o.position)) {
      const r = REACHABLE_REGION;
      issues.push(
        `objects[${i}].position: (${fmt(o.position.x)}, ${fmt(o.position.y)}) is outside the reachable region ` +
          `x in [${r.xMin}, ${r.xMax}], y in [${r.yMin}, ${r.yMax}]`,
      );
    }
  });
  for (let i = 0; i < scene.objects.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = scene.objects[i] as SceneObject;
      const b = scene.objects[j] as SceneObject;
      const d = distanceXY(a.position, b.position);
      const need = minCentreDistance(a, b);
      if (d < need - GEOMETRY_EPS) {
        issues.push(
          `objects[${i}]: ${JSON.stringify(a.id)} overlaps objects[${j}] (${JSON.stringify(b.id)}): centres ` +
            `${fmt(d)} m apart, need at least ${fmt(need)} m (footprint radii ${fmt(footprintRadius(a))} + ` +
            `${fmt(footprintRadius(b))} + ${OVERLAP_MARGIN} margin)`,
        );
      }
    }
  }
  return issues;
}

/**
 * Validates `json` (already parsed from JSON) as a scene. `sourceName` prefixes every error line (a file path, or
 * any label). Returns a fresh Scene; throws SceneError listing every problem found.
 */
export function parseScene(json: unknown, sourceName = 'scene'): Scene {
  const result = sceneSchema.safeParse(json);
  if (!result.success) {
    throw new SceneError(sourceName, result.error.issues.flatMap((i) => describeIssue(i, json)));
  }
  const scene: Scene = {
    name: result.data.name,
    objects: result.data.objects.map((o) => ({
      id: o.id,
      kind: o.kind,
      colour: o.colour,
      position: { x: o.position.x, y: o.position.y },
      yaw: o.yaw,
      size: o.size,
    })),
  };
  const layout = checkSceneLayout(scene);
  if (layout.length > 0) throw new SceneError(sourceName, layout);
  return scene;
}

/** The folder with the shipped scene files (scenes/ at the project root). */
export const SCENES_DIR = fileURLToPath(new URL('../../scenes/', import.meta.url));

const SCENE_NAME = /^[A-Za-z0-9_-]+$/;

/** Names of the shipped scenes, sorted (file names in SCENES_DIR without ".json"). */
export function listScenes(): string[] {
  if (!existsSync(SCENES_DIR)) return [];
  return readdirSync(SCENES_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/**
 * A scene name ("default") -> the absolute path of scenes/default.json; anything with a "/" or ending in
 * ".json" is taken as a path (relative to the working directory) and returned absolute, unchecked.
 * Throws for a name that no shipped scene has, listing those there are.
 */
export function resolveScenePath(nameOrPath: string): string {
  if (nameOrPath.endsWith('.json') || nameOrPath.includes('/') || nameOrPath.includes(path.sep)) {
    return path.resolve(nameOrPath);
  }
  if (!SCENE_NAME.test(nameOrPath)) {
    throw new Error(`invalid scene name ${JSON.stringify(nameOrPath)}: use letters, digits, "-" and "_", or a path to a .json file`);
  }
  const file = path.join(SCENES_DIR, `${nameOrPath}.json`);
  if (!existsSync(file)) {
    throw new Error(`unknown scene ${JSON.stringify(nameOrPath)}: there is no ${displayPath(file)}; available: ${listScenes().join(', ')}`);
  }
  return file;
}

/** A path as errors show it: relative to the working directory when inside it. */
function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

/** Reads and validates a scene by name or path; errors start with the file's path. */
export function loadScene(nameOrPath: string): Scene {
  const file = resolveScenePath(nameOrPath);
  const source = displayPath(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SceneError(source, [`cannot read file: ${(e as Error).message}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SceneError(source, [`invalid JSON: ${(e as Error).message}`]);
  }
  return parseScene(json, source);
}
