/**
 * The per-episode success/failure check. A TaskTracker is fed world snapshots in time order; it latches the
 * first decision (success or a failure) and keeps returning it. Checks shared by every task, in order:
 *
 *   knocked off table  any scene object's centre below TASK_THRESHOLDS.offTableZ
 *   wrong object       an object other than the target held, lifted > wrongObjectLift above its resting height,
 *                      or (except the destination) moved > wrongObjectDisplacement in xy from where it started
 *
 * then the task's own rule (PickTracker, PlaceTracker, PushTracker). Start positions are those of the first
 * snapshot (the scene's positions for objects it lacks). Timeouts are the caller's business.
 */
import type { Scene, SceneObject } from '../types.js';
import { distanceXY, restingCentreZ } from '../scene/geometry.js';
import { TASK_THRESHOLDS, type SnapshotObject, type TaskGoal, type TaskReason, type TrackerStatus, type WorldSnapshot } from './types.js';

export type Vec3 = { x: number; y: number; z: number };

/** How long a condition has held without a break. */
export class HoldTimer {
  private since: number | null = null;

  /** Feeds the condition at `time`; returns the seconds it has held continuously (0 when false). */
  update(condition: boolean, time: number): number {
    if (!condition) {
      this.since = null;
      return 0;
    }
    if (this.since === null) this.since = time;
    return time - this.since;
  }

  reset(): void {
    this.since = null;
  }
}

/** What a task's rule says about one snapshot: keep going, success, or a failure with a reason. */
export type Verdict = null | { reason: TaskReason; detail: string };

const cm = (m: number) => `${(m * 100).toFixed(1)} cm`;
const RUNNING: TrackerStatus = { success: false, failed: false, reason: null, detail: null };

export abstract class TaskTracker {
  readonly scene: Scene;
  readonly goal: TaskGoal;
  readonly target: SceneObject;
  protected start: Map<string, Vec3> | null = null;
  private current: TrackerStatus = RUNNING;
  private lastTime = -Infinity;

  constructor(scene: Scene, goal: TaskGoal) {
    this.scene = scene;
    this.goal = { ...goal };
    this.target = this.sceneObject(goal.targetId, 'target');
  }

  /** The latest status (running until the first decision). */
  get status(): TrackerStatus {
    return { ...this.current };
  }

  protected sceneObject(id: string, role: string): SceneObject {
    const o = this.scene.objects.find((x) => x.id === id);
    if (!o) throw new Error(`${this.constructor.name}: the ${role} ${JSON.stringify(id)} is not in scene "${this.scene.name}"`);
    return o;
  }

  protected find(s: WorldSnapshot, id: string): SnapshotObject {
    const o = s.objects.find((x) => x.id === id);
    if (!o) throw new Error(`${this.constructor.name}: snapshot at t=${s.time} has no object ${JSON.stringify(id)}`);
    return o;
  }

  /** Where an object was at the first snapshot. */
  protected startOf(id: string): Vec3 {
    const p = this.start?.get(id);
    if (p) return p;
    const o = this.sceneObject(id, 'object');
    return { x: o.position.x, y: o.position.y, z: restingCentreZ(o) };
  }

  update(snapshot: WorldSnapshot): TrackerStatus {
    if (this.current.success || this.current.failed) return this.status;
    if (!Number.isFinite(snapshot.time) || snapshot.time < this.lastTime) {
      throw new Error(`${this.constructor.name}: snapshot times must not decrease (${this.lastTime} then ${snapshot.time})`);
    }
    this.lastTime = snapshot.time;
    const target = this.find(snapshot, this.goal.targetId);
    if (this.start === null) {
      this.start = new Map();
      for (const o of snapshot.objects) this.start.set(o.id, { ...o.position });
    }
    const verdict = this.commonChecks(snapshot) ?? this.evaluate(snapshot, target);
    if (verdict === null) return this.status;
    this.current =
      verdict.reason === 'success'
        ? { success: true, failed: false, reason: 'success', detail: verdict.detail }
        : { success: false, failed: true, reason: verdict.reason, detail: verdict.detail };
    return this.status;
  }

  private commonChecks(s: WorldSnapshot): Verdict {
    const T = TASK_THRESHOLDS;
    for (const o of s.objects) {
      if (o.position.z < T.offTableZ) return { reason: 'knocked off table', detail: `${o.id} fell off the table` };
    }
    for (const sceneObj of this.scene.objects) {
      if (sceneObj.id === this.goal.targetId) continue;
      const o = s.objects.find((x) => x.id === sceneObj.id);
      if (!o) continue;
      if (o.held) return { reason: 'wrong object', detail: `${o.id} was grasped instead of ${this.goal.targetId}` };
      const lift = o.position.z - restingCentreZ(sceneObj);
      if (lift > T.wrongObjectLift) return { reason: 'wrong object', detail: `${o.id} was lifted ${cm(lift)}` };
      if (sceneObj.id !== this.goal.destinationId) {
        const moved = distanceXY(o.position, this.startOf(o.id));
        if (moved > T.wrongObjectDisplacement) return { reason: 'wrong object', detail: `${o.id} was moved ${cm(moved)}` };
      }
    }
    return null;
  }

  /** The task's rule for this snapshot (failures it alone knows of, or success); null to keep going. */
  protected abstract evaluate(snapshot: WorldSnapshot, target: SnapshotObject): Verdict;
}

export { cm as formatCm };

/** Throws unless `goal` is for `task` and has what that task needs (destination for place, direction for push). */
export function checkGoal(goal: TaskGoal, task: TaskGoal['task']): TaskGoal {
  if (goal.task !== task) throw new Error(`a ${task} tracker cannot check a ${goal.task} goal`);
  if (task === 'place' && goal.destinationId === undefined) throw new Error('a place goal needs a destinationId');
  if (task === 'push' && goal.direction === undefined) throw new Error('a push goal needs a direction');
  return goal;
}
