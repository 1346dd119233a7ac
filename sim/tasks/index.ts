/** Tasks: command language and splits, resolving commands against scenes, the task suites and their trackers. */
export {
  ARTICLES,
  CommandError,
  DIRECTIONS,
  DIRECTION_PHRASES,
  DIRECTION_VECTORS,
  HELDOUT_COMBOS,
  PREPOSITIONS,
  RECEPTACLE_NOUNS,
  SHAPE_NOUNS,
  SPLITS,
  TASK_NAMES,
  TEMPLATES,
  VOCABULARY,
  allPhrasings,
  getTemplate,
  isHeldOutCombo,
  makeCommand,
  normaliseCommand,
  parseCommand,
  splitOf,
  targetsFor,
  templatesFor,
  type CommandExtra,
  type CommandTemplate,
  type DestinationRef,
  type Direction,
  type ParsedCommand,
  type Split,
  type TargetRef,
  type TaskName,
} from './language.js';
export {
  TASK_REASONS,
  TASK_THRESHOLDS,
  type Episode,
  type SnapshotObject,
  type Task,
  type TaskGoal,
  type TaskReason,
  type TrackerStatus,
  type WorldSnapshot,
} from './types.js';
export { CONFUSER_SHAPES, confusable, confuserPairs, confuserScene, type ConfuserShapes } from './confusers.js';
export { PICK_PHRASES, PUSH_PHRASES, PUT_PHRASES, allParaphrases, drawParaphrase, isHeldOutPhrasing } from './paraphrase.js';
export { HoldTimer, TaskTracker, checkGoal, type Vec3, type Verdict } from './tracker.js';
export { PickTracker, pickTask } from './pick.js';
export { PlaceTracker, insideFootprint, placeTask } from './place.js';
export { PUSH_CLEARANCE, PushTracker, pushDisplacement, pushPathClear, pushTask } from './push.js';
export { TASKS, getTask, isTaskName, trackerFor } from './registry.js';
export { ResolveError, resolveCommand, type ResolvedCommand } from './resolve.js';
export { idOf, sampleScene, sampleTarget } from './sampling.js';
export { siblingCommand, siblingTargets, type SiblingSource } from './siblings.js';
