/** Test helper: a task's own sampled episode at a seed, as a SiblingSource (scene, target and destination indices). */
import { getTask, type TaskName } from '../../../sim/tasks/index.js';
import { Rng } from '../../../sim/util/Rng.js';

export function sampledSource(task: TaskName, seed: number) {
  const e = getTask(task).sampleEpisode(new Rng(seed));
  const index = (id: string | undefined) => e.scene.objects.findIndex((o) => o.id === id);
  return { task, scene: e.scene, target: index(e.targetId), destination: e.destinationId ? index(e.destinationId) : -1, goal: e };
}
