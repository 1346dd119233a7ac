/** The task registry, episode sampling and resolving commands against scenes. */
import { describe, expect, it } from 'vitest';
import { checkSceneLayout, loadScene } from '../../../sim/scene/index.js';
import {
  CommandError,
  ResolveError,
  SPLITS,
  TASKS,
  TASK_NAMES,
  getTask,
  isTaskName,
  parseCommand,
  pushPathClear,
  resolveCommand,
  trackerFor,
  type Episode,
} from '../../../sim/tasks/index.js';
import type { Scene } from '../../../sim/types.js';
import { Rng } from '../../../sim/util/Rng.js';

describe('registry', () => {
  it('looks tasks up by name', () => {
    expect(Object.keys(TASKS).sort()).toEqual([...TASK_NAMES].sort());
    for (const name of TASK_NAMES) {
      expect(getTask(name).name).toBe(name);
      expect(getTask(name).description.length).toBeGreaterThan(10);
    }
    expect(() => getTask('stack')).toThrow('unknown task "stack"; known: pick, place, push');
    expect(isTaskName('push')).toBe(true);
    expect(isTaskName('jump')).toBe(false);
  });
});

describe('sampleEpisode', () => {
  const check = (ep: Episode) => {
    expect(checkSceneLayout(ep.scene)).toEqual([]);
    const resolved = resolveCommand(ep.command, ep.scene);
    expect(resolved.task).toBe(ep.task);
    expect(resolved.targetId).toBe(ep.targetId);
    expect(resolved.destinationId).toBe(ep.destinationId);
    expect(resolved.direction).toBe(ep.direction);
    expect(parseCommand(ep.command).template).toBe(ep.template);
    const tracker = trackerFor(ep);
    expect(tracker.goal.targetId).toBe(ep.targetId);
  };

  it('contains what the command names, for every task and split', () => {
    for (const task of TASK_NAMES) {
      for (const split of SPLITS) {
        const rng = new Rng(`${task}/${split}`);
        for (let i = 0; i < 100; i++) {
          const ep = getTask(task).sampleEpisode(rng, split);
          expect(ep.task).toBe(task);
          expect(ep.split).toBe(split);
          check(ep);
          if (task === 'place') expect(['bowl', 'plate']).toContain(ep.scene.objects.find((o) => o.id === ep.destinationId)!.kind);
          if (task === 'push') expect(pushPathClear(ep.scene, ep.targetId, ep.direction!)).toBe(true);
        }
      }
    }
  });

  it('is deterministic in the rng; defaults to the seen split', () => {
    for (const task of TASK_NAMES) {
      const a = getTask(task).sampleEpisode(new Rng(99));
      const b = getTask(task).sampleEpisode(new Rng(99));
      expect(JSON.stringify(a)).toBe(JSON.stringify(b));
      expect(a.split).toBe('seen');
      expect(JSON.stringify(getTask(task).sampleEpisode(new Rng(100)))).not.toBe(JSON.stringify(a));
    }
  });

  it('uses every direction, both receptacle kinds and many templates', () => {
    const rng = new Rng(1);
    const dirs = new Set<string>();
    const recs = new Set<string>();
    const templates = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const push = getTask('push').sampleEpisode(rng);
      dirs.add(push.direction!);
      templates.add(push.template);
      const place = getTask('place').sampleEpisode(rng);
      recs.add(place.scene.objects.find((o) => o.id === place.destinationId)!.kind);
      templates.add(place.template);
    }
    expect([...dirs].sort()).toEqual(['backward', 'forward', 'left', 'right']);
    expect([...recs].sort()).toEqual(['bowl', 'plate']);
    expect(templates.size).toBe(10);
  });
});

describe('resolveCommand', () => {
  const scene = loadScene('default'); // red ball, blue cube, green cylinder, yellow bowl

  it('finds target and destination ids', () => {
    expect(resolveCommand('pick up the red sphere', scene)).toMatchObject({ task: 'pick', targetId: 'red-ball' });
    expect(resolveCommand('put the blue block in the yellow bowl', scene)).toMatchObject({
      task: 'place',
      targetId: 'blue-cube',
      destinationId: 'yellow-bowl',
    });
    expect(resolveCommand('push the green can to the right', scene)).toMatchObject({ targetId: 'green-cylinder', direction: 'right' });
    expect(resolveCommand(parseCommand('grab the red ball'), scene).targetId).toBe('red-ball');
  });

  it('says what is missing', () => {
    expect(() => resolveCommand('pick up the purple ball', scene)).toThrow(new ResolveError('there is no purple ball on the table'));
    expect(() => resolveCommand('put the red ball in the green bowl', scene)).toThrow('there is no green bowl on the table');
    expect(() => resolveCommand('put the red ball on the yellow plate', scene)).toThrow('there is no yellow plate on the table');
    expect(() => resolveCommand('put the purple cube on the blue plate', scene)).toThrow('there is no purple cube and no blue plate on the table');
    expect(() => resolveCommand('pick up the shiny ball', scene)).toThrow(CommandError);
  });

  it('reports ambiguous references', () => {
    const twice: Scene = {
      name: 'twice',
      objects: [...scene.objects, { id: 'red-ball-2', kind: 'ball', colour: 'red', position: { x: -0.1, y: 0.2 }, yaw: 0, size: 0.04 }],
    };
    expect(() => resolveCommand('pick up the red ball', twice)).toThrow('there are 2 red balls on the table ("red-ball", "red-ball-2"): the command is ambiguous');
  });
});
