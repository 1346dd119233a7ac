/**
 * place: "put the blue cube in the green bowl". Success: the target is not held and rests inside the
 * destination's footprint for holdSeconds (0.5 s) without a break:
 *   bowl   the target's centre within (bowl radius - TASK_THRESHOLDS.bowlMargin) of the bowl's centre (xy);
 *   plate  the target's centre over the plate's disc;
 *   both   centre z between the destination's bottom + the target's smallest half extent and the destination's
 *          top + the target's largest half extent (each with placeHeightTolerance of slack): resting in or on it,
 *          not hovering or falling from above.
 * Failure "dropped": the grasp is lost after lifting the target, while it is clearly not over the destination
 * (centre farther than destination radius + target footprint radius).
 */
import type { Scene, SceneObject } from '../types.js';
import type { Rng } from '../util/Rng.js';
import { distanceXY, footprintRadius, objectHeight, restingCentreZ } from '../scene/geometry.js';
import { RECEPTACLES, COLOURS } from '../types.js';
import { makeCommand, type DestinationRef, type Split } from './language.js';
import { idOf, sampleScene, sampleTarget, templateOf } from './sampling.js';
import { HoldTimer, TaskTracker, checkGoal, formatCm, type Vec3, type Verdict } from './tracker.js';
import { TASK_THRESHOLDS, type Episode, type SnapshotObject, type Task, type TaskGoal, type WorldSnapshot } from './types.js';

/** Whether a target centre at `p` is inside the destination's footprint (xy only). */
export function insideFootprint(destination: SceneObject, destinationCentre: { x: number; y: number }, p: { x: number; y: number }): boolean {
  const radius = destination.size / 2 - (destination.kind === 'bowl' ? TASK_THRESHOLDS.bowlMargin : 0);
  return distanceXY(destinationCentre, p) <= radius;
}

export class PlaceTracker extends TaskTracker {
  readonly destination: SceneObject;
  private readonly timer = new HoldTimer();
  private liftedWhileHeld = false;
  private wasHeld = false;

  constructor(scene: Scene, goal: TaskGoal) {
    super(scene, goal);
    this.destination = this.sceneObject(goal.destinationId ?? '', 'destination');
    if (this.destination.kind !== 'bowl' && this.destination.kind !== 'plate') {
      throw new Error(`PlaceTracker: the destination ${JSON.stringify(this.destination.id)} is a ${this.destination.kind}, not a bowl or plate`);
    }
  }

  /** The destination's centre now: from the snapshot if it has it, else from the start. */
  private destinationCentre(s: WorldSnapshot): Vec3 {
    const o = s.objects.find((x) => x.id === this.destination.id);
    return o ? o.position : this.startOf(this.destination.id);
  }

  /** Whether the target's height is consistent with resting in or on the destination. */
  restingHeight(targetZ: number, destinationZ: number): boolean {
    const T = TASK_THRESHOLDS;
    const dh = objectHeight(this.destination) / 2;
    const half = objectHeight(this.target) / 2;
    const radius = this.target.size / 2;
    const low = destinationZ - dh + Math.min(half, radius) - T.placeHeightTolerance;
    const high = destinationZ + dh + Math.max(half, radius) + T.placeHeightTolerance;
    return targetZ >= low && targetZ <= high;
  }

  protected override evaluate(s: WorldSnapshot, target: SnapshotObject): Verdict {
    const T = TASK_THRESHOLDS;
    const dest = this.destinationCentre(s);
    const lift = target.position.z - restingCentreZ(this.target);
    if (target.held && lift > T.dropLift) this.liftedWhileHeld = true;
    if (this.wasHeld && !target.held && this.liftedWhileHeld) {
      const away = distanceXY(dest, target.position);
      if (away > this.destination.size / 2 + footprintRadius(this.target)) {
        return { reason: 'dropped', detail: `${target.id} was let go ${formatCm(away)} from the centre of ${this.destination.id}` };
      }
    }
    this.wasHeld = target.held;
    if (!target.held) this.liftedWhileHeld = false;
    const placed = !target.held && insideFootprint(this.destination, dest, target.position) && this.restingHeight(target.position.z, dest.z);
    const restedFor = this.timer.update(placed, s.time);
    if (placed && restedFor >= T.holdSeconds - T.timeEpsilon) {
      return { reason: 'success', detail: `${target.id} rests in ${this.destination.id}` };
    }
    return null;
  }
}

export const placeTask: Task = {
  name: 'place',
  description: 'put the named object in the named bowl or on the named plate and let go',
  sampleEpisode(rng: Rng, split: Split = 'seen'): Episode {
    const target = sampleTarget(rng, split);
    const destination: DestinationRef = { kind: rng.pick(RECEPTACLES), colour: rng.pick(COLOURS) };
    const scene = sampleScene(rng, 'place', [target, destination]);
    const command = makeCommand('place', target, { destination }, rng, split);
    return {
      task: 'place',
      scene,
      command,
      split,
      template: templateOf(command),
      targetId: idOf(scene, target),
      destinationId: idOf(scene, destination),
    };
  },
  createTracker(scene: Scene, goal: TaskGoal): PlaceTracker {
    return new PlaceTracker(scene, checkGoal(goal, 'place'));
  },
};
