/**
 * pick: "pick up the red ball". Success: the target is held with its bottom at least
 * TASK_THRESHOLDS.pickClearance (5 cm) above the table (centre z >= 0.05 + half its height) for holdSeconds
 * (0.5 s) without a break. Failure "dropped": the grasp is lost after the target was lifted more than dropLift.
 */
import type { Scene } from '../types.js';
import type { Rng } from '../util/Rng.js';
import { objectHeight, restingCentreZ } from '../scene/geometry.js';
import { makeCommand, type Split } from './language.js';
import { idOf, sampleScene, sampleTarget, templateOf } from './sampling.js';
import { HoldTimer, TaskTracker, checkGoal, formatCm, type Verdict } from './tracker.js';
import { TASK_THRESHOLDS, type Episode, type SnapshotObject, type Task, type TaskGoal, type WorldSnapshot } from './types.js';

export class PickTracker extends TaskTracker {
  private readonly timer = new HoldTimer();
  private liftedWhileHeld = false;
  /** Centre height the target must reach. */
  readonly liftZ: number;

  constructor(scene: Scene, goal: TaskGoal) {
    super(scene, goal);
    this.liftZ = TASK_THRESHOLDS.pickClearance + objectHeight(this.target) / 2;
  }

  protected override evaluate(s: WorldSnapshot, target: SnapshotObject): Verdict {
    const T = TASK_THRESHOLDS;
    const lift = target.position.z - restingCentreZ(this.target);
    if (target.held && lift > T.dropLift) this.liftedWhileHeld = true;
    if (!target.held && this.liftedWhileHeld) {
      return { reason: 'dropped', detail: `${target.id} was let go at ${formatCm(target.position.z)} height` };
    }
    const high = target.held && target.position.z >= this.liftZ;
    const heldFor = this.timer.update(high, s.time);
    if (high && heldFor >= T.holdSeconds - T.timeEpsilon) {
      return { reason: 'success', detail: `${target.id} held at ${formatCm(target.position.z)} for ${heldFor.toFixed(2)} s` };
    }
    return null;
  }
}

export const pickTask: Task = {
  name: 'pick',
  description: 'pick up the named object and hold it at least 5 cm above the table for 0.5 s',
  sampleEpisode(rng: Rng, split: Split = 'seen'): Episode {
    const target = sampleTarget(rng, split);
    const scene = sampleScene(rng, 'pick', [target]);
    const command = makeCommand('pick', target, {}, rng, split);
    return { task: 'pick', scene, command, split, template: templateOf(command), targetId: idOf(scene, target) };
  },
  createTracker(scene: Scene, goal: TaskGoal): PickTracker {
    return new PickTracker(scene, checkGoal(goal, 'pick'));
  },
};
