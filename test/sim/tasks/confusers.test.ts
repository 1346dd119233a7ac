/** Confuser scenes: the same command on a scene that also holds objects of the target's colour or shape (vla collect --confusers). */
import { describe, expect, it } from 'vitest';
import { confusable, confuserPairs, confuserScene, isHeldOutCombo, pushPathClear, resolveCommand } from '../../../sim/tasks/index.js';
import { Rng } from '../../../sim/util/Rng.js';
import { sampledSource as source } from './sampledSource.js';

describe('confuser scenes', () => {
  it('pair the target with an allowed object of its colour and another shape, and one of its shape and another colour', () => {
    for (let seed = 0; seed < 20; seed++) {
      const s = source('pick', seed);
      const t = s.scene.objects[s.target]!;
      const pairs = confuserPairs(t, new Rng(seed));
      expect(pairs).toHaveLength(2);
      const [colour, shape] = pairs as [typeof pairs[0], typeof pairs[0]];
      expect(colour.colour).toBe(t.colour);
      expect(colour.kind).not.toBe(t.kind);
      expect(shape.kind).toBe(t.kind);
      expect(shape.colour).not.toBe(t.colour);
      for (const p of pairs) expect(isHeldOutCombo(p), JSON.stringify(p)).toBe(false);
      expect(confuserPairs(t, new Rng(seed))).toEqual(pairs);
    }
  });

  it("with shapes 'all', every other shape of the target's colour (held-out combinations too) and one of its shape", () => {
    const purpleCylinder = { kind: 'cylinder', colour: 'purple' } as const;
    for (let seed = 0; seed < 10; seed++) {
      const pairs = confuserPairs(purpleCylinder, new Rng(seed), 'seen', 'all');
      expect(pairs.slice(0, 2)).toEqual([{ kind: 'ball', colour: 'purple' }, { kind: 'cube', colour: 'purple' }]);
      expect(isHeldOutCombo(pairs[0]!)).toBe(true); // a purple ball: present, never named
      expect(pairs).toHaveLength(3);
      expect(pairs[2]!.kind).toBe('cylinder');
      expect(pairs[2]!.colour).not.toBe('purple');
      expect(isHeldOutCombo(pairs[2]!)).toBe(false);
    }
    // 'one' is unchanged by the option: the same draws as before it existed.
    expect(confuserPairs(purpleCylinder, new Rng(4), 'seen', 'one')).toEqual(confuserPairs(purpleCylinder, new Rng(4)));
    for (let seed = 0; seed < 8; seed++) {
      const s = source('pick', seed);
      const t = s.scene.objects[s.target]!;
      const scene = confuserScene(s, s.goal.command, new Rng(2000 + seed), 'seen', 'all')!;
      const kinds = new Set(scene.objects.filter((o) => o.colour === t.colour).map((o) => o.kind));
      for (const k of ['ball', 'cube', 'cylinder']) expect(kinds.has(k as 'ball'), `${seed}: ${t.colour} ${k}`).toBe(true);
    }
  });

  it('hold the command\'s target (and destination), the confusers, and for push keep the commanded direction free', () => {
    for (const task of ['pick', 'place', 'push'] as const) {
      for (let seed = 0; seed < 12; seed++) {
        const s = source(task, seed);
        const scene = confuserScene(s, s.goal.command, new Rng(1000 + seed));
        if (!scene) {
          expect(task, 'only push may find no scene with its direction free').toBe('push');
          continue;
        }
        const t = s.scene.objects[s.target]!;
        // The command resolves on the new scene to an object of the same colour and kind (and the same destination).
        const goal = resolveCommand(s.goal.command, scene);
        const target = scene.objects.find((o) => o.id === goal.targetId)!;
        expect([target.kind, target.colour]).toEqual([t.kind, t.colour]);
        if (task === 'place') {
          const d = s.scene.objects[s.destination]!;
          const nd = scene.objects.find((o) => o.id === goal.destinationId)!;
          expect([nd.kind, nd.colour]).toEqual([d.kind, d.colour]);
        }
        if (task === 'push') expect(pushPathClear(scene, goal.targetId, goal.direction!)).toBe(true);
        const others = scene.objects.filter((o) => o.id !== target.id);
        expect(others.some((o) => o.colour === t.colour && o.kind !== t.kind && o.kind !== 'bowl' && o.kind !== 'plate'), `${task} ${seed}`).toBe(true);
        expect(others.some((o) => o.kind === t.kind && o.colour !== t.colour), `${task} ${seed}`).toBe(true);
        // Positions are drawn anew.
        expect(scene.objects.map((o) => o.position)).not.toEqual(s.scene.objects.map((o) => o.position));
        expect(confuserScene(s, s.goal.command, new Rng(1000 + seed))).toEqual(scene);
      }
    }
  });

  it('confusable: the same colour or the same shape', () => {
    expect(confusable({ kind: 'ball', colour: 'red' }, { kind: 'cube', colour: 'red' })).toBe(true);
    expect(confusable({ kind: 'cube', colour: 'blue' }, { kind: 'cube', colour: 'red' })).toBe(true);
    expect(confusable({ kind: 'cylinder', colour: 'blue' }, { kind: 'cube', colour: 'red' })).toBe(false);
  });
});
