/** Scene files: errors name the file, the field and what was expected; shipped scenes load; lookup by name. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  SceneError,
  checkSceneLayout,
  listScenes,
  loadScene,
  parseScene,
  resolveScenePath,
  OVERLAP_MARGIN,
  footprintRadius,
  objectHeight,
  restingCentreZ,
} from '../../../sim/scene/index.js';

const valid = () => ({
  name: 'test',
  objects: [
    { id: 'red-ball', kind: 'ball', colour: 'red', position: { x: 0.0, y: 0.1 }, yaw: 0, size: 0.045 },
    { id: 'blue-cube', kind: 'cube', colour: 'blue', position: { x: 0.1, y: -0.1 }, yaw: 0.3, size: 0.04 },
    { id: 'green-cylinder', kind: 'cylinder', colour: 'green', position: { x: -0.1, y: -0.1 }, yaw: 0, size: 0.04 },
    { id: 'yellow-bowl', kind: 'bowl', colour: 'yellow', position: { x: 0.15, y: 0.12 }, yaw: 0, size: 0.12 },
  ],
});

type Json = ReturnType<typeof valid>;

/** The SceneError parseScene throws for `mutate(valid())`, as its message. */
function errorOf(mutate: (s: Json) => unknown, source = 'scenes/x.json'): string {
  const s = valid();
  const input = mutate(s) ?? s;
  try {
    parseScene(input, source);
  } catch (e) {
    expect(e).toBeInstanceOf(SceneError);
    return (e as Error).message;
  }
  throw new Error('expected parseScene to throw');
}

describe('parseScene errors name file, field and expectation', () => {
  it('wrong colour', () => {
    const msg = errorOf((s) => {
      (s.objects[2] as { colour: string }).colour = 'pink';
    });
    expect(msg).toBe('scenes/x.json: objects[2].colour: expected one of red, green, blue, yellow, purple, orange, got "pink"');
  });

  it('wrong kind', () => {
    const msg = errorOf((s) => {
      (s.objects[0] as { kind: string }).kind = 'pyramid';
    });
    expect(msg).toBe('scenes/x.json: objects[0].kind: expected one of ball, cube, cylinder, bowl, plate, got "pyramid"');
  });

  it('missing field', () => {
    const msg = errorOf((s) => {
      delete (s.objects[1] as { yaw?: number }).yaw;
    });
    expect(msg).toBe('scenes/x.json: objects[1].yaw: missing required field (expected a number)');
  });

  it('wrong type', () => {
    const msg = errorOf((s) => {
      (s.objects[0]!.position as { x: unknown }).x = '0.1';
    });
    expect(msg).toBe('scenes/x.json: objects[0].position.x: expected a number, got a string ("0.1")');
    expect(errorOf(() => ({ name: 'n', objects: {} }))).toBe('scenes/x.json: objects: expected an array, got an object');
    expect(errorOf(() => [1, 2])).toBe('scenes/x.json: (top level): expected an object, got an array');
  });

  it('unknown fields, at every level', () => {
    expect(errorOf((s) => ({ ...s, gravity: 9.8 }))).toBe('scenes/x.json: gravity: unknown field (allowed: name, objects)');
    const msg = errorOf((s) => {
      (s.objects[3] as Record<string, unknown>).mass = 0.1;
      (s.objects[0]!.position as Record<string, unknown>).z = 0.1;
    });
    expect(msg).toContain('scenes/x.json: objects[3].mass: unknown field (allowed: id, kind, colour, position, yaw, size)');
    expect(msg).toContain('scenes/x.json: objects[0].position.z: unknown field (allowed: x, y)');
  });

  it('empty name, empty object list, bad id, non-positive size', () => {
    expect(errorOf((s) => ({ ...s, name: '' }))).toBe('scenes/x.json: name: must not be empty');
    expect(errorOf((s) => ({ ...s, objects: [] }))).toBe('scenes/x.json: objects: expected at least 1 entry, got none');
    expect(
      errorOf((s) => {
        s.objects[0]!.id = 'red ball!';
      }),
    ).toMatch(/^scenes\/x\.json: objects\[0\]\.id: expected an id of letters, digits.*got "red ball!"$/);
    expect(
      errorOf((s) => {
        s.objects[0]!.size = -1;
      }),
    ).toBe('scenes/x.json: objects[0].size: expected a number > 0, got -1');
  });

  it('reports every problem, one line each', () => {
    const msg = errorOf((s) => {
      (s.objects[0] as { colour: string }).colour = 'pink';
      (s.objects[1] as { kind: string }).kind = 'cone';
    });
    expect(msg.split('\n')).toHaveLength(2);
    expect((() => {
      try {
        parseScene({ name: 1, objects: [] }, 'src');
      } catch (e) {
        return (e as SceneError).issues;
      }
      return [];
    })()).toEqual(['name: expected a string, got a number (1)', 'objects: expected at least 1 entry, got none']);
  });

  it('overlapping footprints', () => {
    const msg = errorOf((s) => {
      s.objects[1]!.position = { x: 0.03, y: 0.11 };
    });
    expect(msg).toMatch(/^scenes\/x\.json: objects\[1\]: "blue-cube" overlaps objects\[0\] \("red-ball"\): centres 0\.032 m apart, need at least 0\.061 m/);
    // Exactly radii + margin apart is fine; 1 mm less is not.
    const need = footprintRadius({ kind: 'ball', size: 0.045 }) + footprintRadius({ kind: 'cube', size: 0.04 }) + OVERLAP_MARGIN;
    const at = (d: number) => {
      const s = valid();
      s.objects[1]!.position = { x: 0.0, y: 0.1 - d };
      return checkSceneLayout(asScene(s)).length;
    };
    expect(at(need + 1e-6)).toBe(0);
    expect(at(need - 0.001)).toBe(1);
  });

  it('outside the reachable region', () => {
    const msg = errorOf((s) => {
      s.objects[2]!.position = { x: 0.3, y: -0.1 };
    });
    expect(msg).toBe(
      'scenes/x.json: objects[2].position: (0.300, -0.100) is outside the reachable region x in [-0.15, 0.25], y in [-0.25, 0.25]',
    );
  });

  it('duplicate ids', () => {
    const msg = errorOf((s) => {
      s.objects[2]!.id = 'red-ball';
    });
    expect(msg).toBe('scenes/x.json: objects[2].id: duplicate id "red-ball" (also objects[0].id)');
  });

  it('size outside the kind range', () => {
    const msg = errorOf((s) => {
      s.objects[0]!.size = 0.08;
    });
    expect(msg).toContain('scenes/x.json: objects[0].size: expected 0.04 to 0.05 m for a ball, got 0.08');
  });
});

/** The test JSON as a Scene, to probe checkSceneLayout without parseScene throwing. */
function asScene(s: Json) {
  return s as unknown as Parameters<typeof checkSceneLayout>[0];
}

describe('parseScene results', () => {
  it('returns a fresh copy and never touches the input', () => {
    const input = valid();
    const frozen = JSON.parse(JSON.stringify(input)) as Json;
    deepFreeze(input);
    const scene = parseScene(input, 'mem');
    expect(scene).toEqual(frozen);
    expect(scene).not.toBe(input);
    expect(scene.objects[0]).not.toBe(input.objects[0]);
    expect(scene.objects[0]!.position).not.toBe(input.objects[0]!.position);
    scene.objects[0]!.position.x = 9;
    expect(input.objects[0]!.position.x).toBe(0);
  });

  it('defaults the source label to "scene"', () => {
    expect(() => parseScene({})).toThrow(/^scene: name: missing required field/);
  });
});

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

describe('shipped scenes', () => {
  it('includes default and the variants, and all load', () => {
    const names = listScenes();
    expect(names).toEqual(expect.arrayContaining(['default', 'crowded', 'place', 'push']));
    for (const n of names) expect(loadScene(n).name).toBe(n);
  });

  it('default is a red ball, a blue cube, a green cylinder and a yellow bowl', () => {
    const s = loadScene('default');
    expect(s.objects.map((o) => `${o.colour} ${o.kind}`).sort()).toEqual(['blue cube', 'green cylinder', 'red ball', 'yellow bowl']);
  });

  it('crowded has 6 objects; place has a bowl and a plate', () => {
    expect(loadScene('crowded').objects).toHaveLength(6);
    const kinds = loadScene('place').objects.map((o) => o.kind);
    expect(kinds).toContain('bowl');
    expect(kinds).toContain('plate');
  });

  it('resolves names to scenes/<name>.json and passes paths through', () => {
    expect(resolveScenePath('default')).toBe(path.resolve('scenes/default.json'));
    expect(resolveScenePath('scenes/push.json')).toBe(path.resolve('scenes/push.json'));
    expect(() => resolveScenePath('nope')).toThrow(/unknown scene "nope": there is no scenes\/nope\.json; available: .*default/);
    expect(() => resolveScenePath('a b')).toThrow(/invalid scene name/);
  });

  it('loads files by path with errors that start with the path', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'scene-'));
    const good = path.join(dir, 'good.json');
    writeFileSync(good, JSON.stringify(valid()));
    expect(loadScene(good).objects).toHaveLength(4);
    const bad = path.join(dir, 'bad.json');
    const s = valid();
    (s.objects[2] as { colour: string }).colour = 'pink';
    writeFileSync(bad, JSON.stringify(s));
    expect(() => loadScene(bad)).toThrow(`${bad}: objects[2].colour: expected one of red, green, blue, yellow, purple, orange, got "pink"`);
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{ "name": ');
    expect(() => loadScene(broken)).toThrow(new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: invalid JSON`));
    expect(() => loadScene(path.join(dir, 'missing.json'))).toThrow(/missing\.json: cannot read file/);
  });
});

describe('geometry', () => {
  it('documents heights: ball = cube = size, cylinder 6 cm, bowl 4 cm, plate 1 cm', () => {
    expect(objectHeight({ kind: 'ball', size: 0.045 })).toBe(0.045);
    expect(objectHeight({ kind: 'cube', size: 0.04 })).toBe(0.04);
    expect(objectHeight({ kind: 'cylinder', size: 0.04 })).toBe(0.06);
    expect(objectHeight({ kind: 'bowl', size: 0.12 })).toBe(0.04);
    expect(objectHeight({ kind: 'plate', size: 0.14 })).toBe(0.01);
    expect(restingCentreZ({ kind: 'cylinder', size: 0.04 })).toBe(0.03);
    expect(footprintRadius({ kind: 'cube', size: 0.04 })).toBeCloseTo(0.02 * Math.SQRT2, 12);
  });
});

describe('a scene with very many problems (issue 33: 500 objects wrote 21 MB to stderr)', () => {
  it('lists the first few problems and counts the rest; `issues` keeps them all', () => {
    const s = valid();
    const objects = Array.from({ length: 500 }, (_, i) => ({ ...s.objects[0]!, id: `ball-${i}`, position: { x: 0, y: 0.1 } }));
    let err: SceneError | null = null;
    try {
      parseScene({ name: 'crowd', objects }, 'scenes/crowd.json');
    } catch (e) {
      err = e as SceneError;
    }
    expect(err).toBeInstanceOf(SceneError);
    const lines = err!.message.split('\n');
    expect(lines.length).toBeLessThanOrEqual(6);
    expect(lines[0]).toMatch(/^scenes\/crowd\.json: objects\[1\]: "ball-1" overlaps objects\[0\]/);
    const total = err!.issues.length;
    expect(total).toBe((500 * 499) / 2);
    expect(lines.at(-1)).toBe(`scenes/crowd.json: ... and ${total - 5} more problems`);
    expect(err!.message.length).toBeLessThan(2000);
  });
});
