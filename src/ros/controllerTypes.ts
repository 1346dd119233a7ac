/** What `vla ros`'s controller reports: its states, status messages, episodes and published commands. */
import type { Intervention, SafeJointCommand } from './SafetyFilter.js';

export const CONTROLLER_STATES = ['waiting', 'idle', 'running', 'holding', 'estop', 'done'] as const;
export type ControllerState = (typeof CONTROLLER_STATES)[number];

export interface EpisodeOutcome {
  success: boolean;
  reason: string;
}

/** One ended episode: its number, command, outcome and control steps. */
export interface EpisodeRecord {
  episode: number;
  command: string;
  outcome: EpisodeOutcome;
  steps: number;
}

export interface ControllerStatus {
  state: ControllerState;
  episode: number;
  command: string | null;
  step: number;
  outcome: EpisodeOutcome | null;
  interventions: Intervention[];
}

/** One published joint command, for benchmarks: which camera frame it used and when things happened (ms). */
export interface CommandEvent {
  imageStamp: number;
  imageArrivedAt: number;
  tickAt: number;
  publishedAt: number;
  command: SafeJointCommand;
}
