/** Random scenes: deterministic, valid (no overlaps, in region, sizes in range), unambiguous, include what is asked. */
import { describe, expect, it } from 'vitest';
import { MAX_OBJECTS, MIN_OBJECTS, checkSceneLayout, parseScene, randomScene } from '../../../sim/scene/index.js';
import { RECEPTACLES } from '../../../sim/types.js';

const isReceptacle = (k: string) => (RECEPTACLES as readonly string[]).includes(k);

describe('randomScene', () => {
  it('is deterministic: same seed, same scene bit for bit', () => {
    for (const seed of [0, 1, 7, 123456789, 'abc']) {
      const a = randomScene({ seed });
      const b = randomScene({ seed });
      expect(a).toEqual(b);
      expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    }
    const opts = { seed: 5, count: 5, include: [{ kind: 'cube', colour: 'blue' }, { kind: 'plate', colour: 'red' }] } as const;
    expect(JSON.stringify(randomScene(opts))).toBe(JSON.stringify(randomScene(opts)));
  });

  it('differs between seeds', () => {
    const scenes = new Set(Array.from({ length: 50 }, (_, seed) => JSON.stringify(randomScene({ seed }).objects)));
    expect(scenes.size).toBe(50);
  });

  it('pins one scene so platform or refactor drift shows up', () => {
    const s = randomScene({ seed: 1 });
    expect(s.name).toBe('random-1');
    expect(s.objects[0]).toEqual({ id: 'yellow-cylinder', kind: 'cylinder', colour: 'yellow', position: { x: -0.073, y: 0.11 }, yaw: -0.288, size: 0.04 });
  });

  it('over 500 seeds: no overlaps, all in region, valid sizes, distinct pairs, 3..6 objects, <= 2 receptacles', () => {
    const counts = new Set<number>();
    let withReceptacle = 0;
    for (let seed = 0; seed < 500; seed++) {
      const s = randomScene({ seed });
      expect(checkSceneLayout(s)).toEqual([]);
      expect(() => parseScene(s, `seed ${seed}`)).not.toThrow();
      const pairs = s.objects.map((o) => `${o.colour} ${o.kind}`);
      expect(new Set(pairs).size).toBe(pairs.length);
      expect(s.objects.length).toBeGreaterThanOrEqual(MIN_OBJECTS);
      expect(s.objects.length).toBeLessThanOrEqual(MAX_OBJECTS);
      const rec = s.objects.filter((o) => isReceptacle(o.kind)).length;
      expect(rec).toBeLessThanOrEqual(2);
      if (rec > 0) withReceptacle++;
      counts.add(s.objects.length);
      for (const o of s.objects) expect(o.id).toBe(`${o.colour}-${o.kind}`);
    }
    expect([...counts].sort()).toEqual([3, 4, 5, 6]);
    expect(withReceptacle).toBeGreaterThan(50);
  });

  it('includes the requested objects, with count and two receptacles, over many seeds', () => {
    const include = [
      { kind: 'ball', colour: 'purple' },
      { kind: 'bowl', colour: 'green' },
      { kind: 'plate', colour: 'green' },
    ] as const;
    for (let seed = 0; seed < 200; seed++) {
      const s = randomScene({ seed, count: 6, include });
      expect(s.objects).toHaveLength(6);
      expect(checkSceneLayout(s)).toEqual([]);
      for (const r of include) expect(s.objects.filter((o) => o.kind === r.kind && o.colour === r.colour)).toHaveLength(1);
      expect(s.objects.filter((o) => isReceptacle(o.kind))).toHaveLength(2);
    }
  });

  it('honours count and names', () => {
    expect(randomScene({ seed: 3, count: 3 }).objects).toHaveLength(3);
    expect(randomScene({ seed: 3, name: 'mine' }).name).toBe('mine');
    expect(randomScene({ seed: 3, maxReceptacles: 0, receptacleChance: 1 }).objects.every((o) => !isReceptacle(o.kind))).toBe(true);
  });

  it('does not mutate the include list', () => {
    const include = Object.freeze([Object.freeze({ kind: 'cube', colour: 'red' } as const)]);
    randomScene({ seed: 1, include });
    expect(include).toEqual([{ kind: 'cube', colour: 'red' }]);
  });

  it('rejects impossible options with clear errors', () => {
    expect(() => randomScene({ seed: 1, count: 2 })).toThrow(/count must be an integer in 3\.\.6, got 2/);
    expect(() => randomScene({ seed: 1, count: 7 })).toThrow(/count must be an integer in 3\.\.6, got 7/);
    const dup = [{ kind: 'cube', colour: 'red' }, { kind: 'cube', colour: 'red' }] as const;
    expect(() => randomScene({ seed: 1, include: dup })).toThrow(/names red cube twice/);
    const three = [
      { kind: 'bowl', colour: 'red' },
      { kind: 'bowl', colour: 'blue' },
      { kind: 'plate', colour: 'red' },
    ] as const;
    expect(() => randomScene({ seed: 1, include: three })).toThrow(/3 receptacles, at most 2/);
    const many = [
      { kind: 'cube', colour: 'red' },
      { kind: 'cube', colour: 'blue' },
      { kind: 'cube', colour: 'green' },
      { kind: 'cube', colour: 'yellow' },
    ] as const;
    expect(() => randomScene({ seed: 1, count: 3, include: many })).toThrow(/count 3 is smaller than the 4 included/);
    expect(() => randomScene({ seed: 1, include: [{ kind: 'pyramid', colour: 'red' } as never] })).toThrow(/unknown kind "pyramid"/);
    expect(() => randomScene({ seed: 1, include: [{ kind: 'cube', colour: 'pink' } as never] })).toThrow(/unknown colour "pink"/);
  });
});
