/**
 * push: "push the red cube to the left" (left/right/forward/backward = +y/-y/+x/-x). Success: the target has
 * moved at least TASK_THRESHOLDS.pushDistance (10 cm) along the commanded direction from where it started, no more
 * than that sideways, is not held, and is on the table (centre at most pushOnTableTolerance above resting).
 *
 * sampleEpisode only commands directions with room: the path from a gripper approach point behind the target to
 * PUSH_CLEARANCE.travel beyond it is free of other objects, and the end stays on the table inside
 * PUSH_CLEARANCE.endRegion.
 */
import type { Scene, SceneObject } from '../types.js';
import type { Rng } from '../util/Rng.js';
import { footprintRadius, restingCentreZ } from '../scene/geometry.js';
import { DIRECTIONS, DIRECTION_VECTORS, makeCommand, type Direction, type Split } from './language.js';
import { idOf, sampleScene, sampleTarget, templateOf } from './sampling.js';
import { TaskTracker, checkGoal, formatCm, type Verdict } from './tracker.js';
import { TASK_THRESHOLDS, type Episode, type SnapshotObject, type Task, type TaskGoal, type WorldSnapshot } from './types.js';

export const PUSH_CLEARANCE = {
  /** How far past the target the path must be free (metres): the 10 cm goal plus slack. */
  travel: 0.15,
  /** Room behind the target for the gripper to start the push. */
  approach: 0.06,
  /** Extra free space on each side of the swept path. */
  margin: 0.005,
  /** The pushed target's centre must end inside this rectangle. */
  endRegion: { xMin: -0.25, xMax: 0.35, yMin: -0.35, yMax: 0.35 },
} as const;

/** Distance from point p to the segment a-b (xy). */
function pointSegmentDistance(p: { x: number; y: number }, a: { x: number; y: number }, b: { x: number; y: number }): number {
  const abx = b.x - a.x;
  const aby = b.y - a.y;
  const len2 = abx * abx + aby * aby;
  const u = len2 === 0 ? 0 : Math.min(1, Math.max(0, ((p.x - a.x) * abx + (p.y - a.y) * aby) / len2));
  return Math.hypot(p.x - (a.x + u * abx), p.y - (a.y + u * aby));
}

/** Whether pushing `targetId` in `direction` has room (see PUSH_CLEARANCE). */
export function pushPathClear(scene: Scene, targetId: string, direction: Direction): boolean {
  const C = PUSH_CLEARANCE;
  const target = scene.objects.find((o) => o.id === targetId);
  if (!target) throw new Error(`pushPathClear: no object ${JSON.stringify(targetId)} in scene "${scene.name}"`);
  const v = DIRECTION_VECTORS[direction];
  const p = target.position;
  const start = { x: p.x - v.x * C.approach, y: p.y - v.y * C.approach };
  const end = { x: p.x + v.x * C.travel, y: p.y + v.y * C.travel };
  const r = C.endRegion;
  if (end.x < r.xMin || end.x > r.xMax || end.y < r.yMin || end.y > r.yMax) return false;
  const rt = footprintRadius(target);
  return scene.objects.every(
    (o: SceneObject) => o.id === targetId || pointSegmentDistance(o.position, start, end) >= rt + footprintRadius(o) + C.margin,
  );
}

/** Displacement of `now` from `start` split into along `direction` and sideways (absolute), metres. */
export function pushDisplacement(start: { x: number; y: number }, now: { x: number; y: number }, direction: Direction): { along: number; sideways: number } {
  const v = DIRECTION_VECTORS[direction];
  const dx = now.x - start.x;
  const dy = now.y - start.y;
  return { along: dx * v.x + dy * v.y, sideways: Math.abs(dx * v.y - dy * v.x) };
}

export class PushTracker extends TaskTracker {
  readonly direction: Direction;

  constructor(scene: Scene, goal: TaskGoal) {
    super(scene, goal);
    if (goal.direction === undefined) throw new Error('PushTracker: the goal has no direction');
    this.direction = goal.direction;
  }

  protected override evaluate(_s: WorldSnapshot, target: SnapshotObject): Verdict {
    const T = TASK_THRESHOLDS;
    const { along, sideways } = pushDisplacement(this.startOf(target.id), target.position, this.direction);
    const onTable = target.position.z <= restingCentreZ(this.target) + T.pushOnTableTolerance;
    if (!target.held && onTable && along >= T.pushDistance && sideways <= along) {
      return { reason: 'success', detail: `${target.id} moved ${formatCm(along)} ${this.direction} (${formatCm(sideways)} sideways)` };
    }
    return null;
  }
}

export const pushTask: Task = {
  name: 'push',
  description: 'push the named object at least 10 cm left, right, forward or backward without lifting it',
  sampleEpisode(rng: Rng, split: Split = 'seen'): Episode {
    for (let attempt = 0; attempt < 100; attempt++) {
      const target = sampleTarget(rng, split);
      const scene = sampleScene(rng, 'push', [target]);
      const targetId = idOf(scene, target);
      const open = DIRECTIONS.filter((d) => pushPathClear(scene, targetId, d));
      if (open.length === 0) continue;
      const direction = rng.pick(open);
      const command = makeCommand('push', target, { direction }, rng, split);
      return { task: 'push', scene, command, split, template: templateOf(command), targetId, direction };
    }
    throw new Error('pushTask.sampleEpisode: no scene with a free push path in 100 attempts');
  },
  createTracker(scene: Scene, goal: TaskGoal): PushTracker {
    return new PushTracker(scene, checkGoal(goal, 'push'));
  },
};
