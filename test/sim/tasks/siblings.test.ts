/** Sibling commands: the same task on the same scene, naming another object (vla collect --siblings). */
import { describe, expect, it } from 'vitest';
import { isHeldOutCombo, pushPathClear, resolveCommand, siblingCommand, siblingTargets, splitOf } from '../../../sim/tasks/index.js';
import { SHAPES, type Scene } from '../../../sim/types.js';
import { Rng } from '../../../sim/util/Rng.js';
import { sampledSource as source } from './sampledSource.js';

describe('sibling commands', () => {
  it('name, on the same scene, every other movable object the split allows, each in turn', () => {
    let reordered = 0;
    for (const task of ['pick', 'place', 'push'] as const) {
      for (let seed = 0; seed < 15; seed++) {
        const s = source(task, seed);
        const candidates = siblingTargets(s);
        for (const i of candidates) {
          const o = s.scene.objects[i]!;
          expect(i).not.toBe(s.target);
          expect((SHAPES as readonly string[]).includes(o.kind)).toBe(true);
          expect(isHeldOutCombo(o)).toBe(false);
        }
        // Every movable, allowed object but the target is a candidate (push: with a free path), in scene order; with
        // confusableFirst those sharing the target's colour or shape first, each group in scene order.
        const all = s.scene.objects.flatMap((o, i) =>
          i !== s.target && (SHAPES as readonly string[]).includes(o.kind) && !isHeldOutCombo(o) &&
          (task !== 'push' || (['left', 'right', 'forward', 'backward'] as const).some((d) => pushPathClear(s.scene, o.id, d))) ? [i] : [],
        );
        expect(candidates, `${task} ${seed}`).toEqual(all);
        const t = s.scene.objects[s.target]!;
        const near = (i: number) => s.scene.objects[i]!.colour === t.colour || s.scene.objects[i]!.kind === t.kind;
        expect(siblingTargets(s, 'seen', true), `${task} ${seed}`).toEqual([...all.filter(near), ...all.filter((i) => !near(i))]);
        if (all.some(near) && !near(all[0]!)) reordered++;
        const named: string[] = [];
        for (let k = 1; k <= candidates.length; k++) {
          const command = siblingCommand(s, k, new Rng(100 + k))!;
          const goal = resolveCommand(command, s.scene);
          expect(goal.task).toBe(task);
          expect(splitOf(command)).toBe('seen');
          expect(goal.targetId).toBe(s.scene.objects[candidates[k - 1]!]!.id);
          if (task === 'place') expect(goal.destinationId).toBe(s.goal.destinationId);
          if (task === 'push') expect(pushPathClear(s.scene, goal.targetId, goal.direction!)).toBe(true);
          named.push(goal.targetId);
        }
        expect(new Set(named).size).toBe(candidates.length);
        // k past the candidates wraps around.
        if (candidates.length > 0) {
          expect(resolveCommand(siblingCommand(s, candidates.length + 1, new Rng(1))!, s.scene).targetId).toBe(named[0]);
        }
      }
    }
    expect(reordered, 'some scenes put a confusable object after another one').toBeGreaterThan(0);
  });

  it('are null when no other object can be named, reject k < 1, and repeat with the same random stream', () => {
    const s = source('pick', 3);
    const only: Scene = { ...s.scene, objects: s.scene.objects.filter((_, i) => i === s.target || !(SHAPES as readonly string[]).includes(s.scene.objects[i]!.kind)) };
    expect(siblingTargets({ ...s, scene: only, target: only.objects.findIndex((o) => o.id === s.goal.targetId) })).toEqual([]);
    expect(siblingCommand({ ...s, scene: only, target: only.objects.findIndex((o) => o.id === s.goal.targetId) }, 1, new Rng(1))).toBeNull();
    expect(() => siblingCommand(s, 0, new Rng(1))).toThrow(/k must be an integer >= 1/);
    expect(siblingCommand(s, 1, new Rng(7))).toBe(siblingCommand(s, 1, new Rng(7)));
  });
});
