/** The task suites by name, LeRobot-style: getTask('pick').sampleEpisode(rng, 'seen'). */
import { TASK_NAMES, type TaskName } from './language.js';
import { pickTask } from './pick.js';
import { placeTask } from './place.js';
import { pushTask } from './push.js';
import type { TaskTracker } from './tracker.js';
import type { Episode, Task } from './types.js';

export const TASKS: Readonly<Record<TaskName, Task>> = { pick: pickTask, place: placeTask, push: pushTask };

export function isTaskName(name: string): name is TaskName {
  return (TASK_NAMES as readonly string[]).includes(name);
}

/** The task called `name`; throws naming the known ones otherwise. */
export function getTask(name: string): Task {
  if (!isTaskName(name)) throw new Error(`unknown task ${JSON.stringify(name)}; known: ${TASK_NAMES.join(', ')}`);
  return TASKS[name];
}

/** A fresh tracker for a sampled episode. */
export function trackerFor(episode: Episode): TaskTracker {
  return getTask(episode.task).createTracker(episode.scene, episode);
}
