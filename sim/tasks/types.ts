/** The shapes the task suites share: world snapshots, tracker status, goals, episodes and the Task interface. */
import type { Scene } from '../types.js';
import type { Rng } from '../util/Rng.js';
import type { TaskTracker } from './tracker.js';
import type { Direction, Split, TaskName } from './language.js';

/** One object's state as the simulator reports it. Positions are the object's centre, world frame, metres. */
export interface SnapshotObject {
  id: string;
  position: { x: number; y: number; z: number };
  /** True while the gripper's grasp holds this object. */
  held: boolean;
  /** For cylinders (and cubes): whether it still stands on its base. Informational. */
  upright?: boolean;
  /** Orientation (x, y, z, w), if the simulator reports it. Informational: the rules use positions only. */
  quaternion?: { x: number; y: number; z: number; w: number };
}

/** The world state a tracker sees once per control step (or as often as the caller likes). */
export interface WorldSnapshot {
  /** Simulated seconds since reset; never decreases. */
  time: number;
  objects: SnapshotObject[];
  /** Finger opening, 0 = closed, 1 = fully open. */
  gripperOpening: number;
}

/** Reasons a tracker reports. 'timeout' is the caller's: trackers never time out on their own. */
export const TASK_REASONS = ['success', 'wrong object', 'knocked off table', 'dropped', 'timeout'] as const;
export type TaskReason = (typeof TASK_REASONS)[number];

export interface TrackerStatus {
  success: boolean;
  failed: boolean;
  /** 'success', a failure reason, or null while the episode is still undecided. */
  reason: TaskReason | null;
  /** A sentence for logs, e.g. 'blue-cube was lifted 4.1 cm', or null. */
  detail: string | null;
}

/** What a tracker checks: the task, the object the command names and where it should go. */
export interface TaskGoal {
  task: TaskName;
  targetId: string;
  /** place: the receptacle's id. */
  destinationId?: string;
  /** push: the commanded direction. */
  direction?: Direction;
}

/** A sampled episode: a scene that contains what the command names, the command, and the goal in ids. */
export interface Episode extends TaskGoal {
  scene: Scene;
  command: string;
  split: Split;
  /** Id of the command's template (see language.ts). */
  template: string;
}

/** The thresholds of the success and failure rules (metres, seconds). */
export const TASK_THRESHOLDS = {
  /** pick: the target's bottom at least this high above the table (centre z >= this + half height). */
  pickClearance: 0.05,
  /** pick, place: how long the success condition must hold without a break. */
  holdSeconds: 0.5,
  /** push: displacement along the commanded direction. */
  pushDistance: 0.1,
  /** push: the target counts as on the table while its centre is at most this above its resting height. */
  pushOnTableTolerance: 0.02,
  /** place in a bowl: the target's centre within the bowl's radius minus this. */
  bowlMargin: 0.01,
  /** place: slack on the resting-height window (below and above). */
  placeHeightTolerance: 0.01,
  /** Any object whose centre falls below this z was knocked off the table. */
  offTableZ: -0.05,
  /** Another object counts as disturbed ("wrong object") when moved this far in xy... */
  wrongObjectDisplacement: 0.08,
  /** ...or lifted this far above its resting height, or held. */
  wrongObjectLift: 0.03,
  /** pick, place: losing the grasp after lifting the target this far counts as dropping it. */
  dropLift: 0.02,
  /** Slack on time comparisons (snapshot times are sums of float steps). */
  timeEpsilon: 1e-6,
} as const;

/** One task suite, looked up by name (see registry.ts). */
export interface Task {
  readonly name: TaskName;
  readonly description: string;
  /** A random episode of the split (default 'seen'), deterministic in the rng's state. */
  sampleEpisode(rng: Rng, split?: Split): Episode;
  /** A fresh tracker for one episode in `scene`. */
  createTracker(scene: Scene, goal: TaskGoal): TaskTracker;
}
