/**
 * `vla ros --mcap`: an Actor (src/ros's policy interface) that logs what it is given and what it answers into an
 * EpisodeRecorder, on the wall clock of the live session. Each time the controller asks for actions it logs the
 * observation (camera frame, joints, end-effector pose as a transform; a real robot reports no object poses), the
 * first action of the chunk the policy proposed (/action: before the executor's smoothing and the safety filter,
 * whose joint commands go out on the robot's own command topic), and the attention maps every `attentionEvery`
 * observations. An episode begins in the log at its first observation and ends with `endEpisode` (from the
 * controller's onEpisodeEnd).
 */
import type { EeAction, Observation } from '../../../sim/types.js';
import type { AttentionSource, EpisodeRecorder, EpisodeStart } from './EpisodeRecorder.js';

/** The part of src/ros's Actor this wrapper needs (structural, so interop does not depend on src/ros). */
export interface ActorLike {
  readonly label: string;
  readonly camera: string;
  readonly imageSize: number;
  readonly note: string | null;
  readonly readsKorean?: boolean;
  act(observation: Observation): EeAction[];
  reset(): void;
}

export interface RecordingActorOptions {
  jointNames: readonly string[];
  policy: AttentionSource | null;
  /** Wall clock in ns since the epoch; default Date.now(). */
  now?: () => bigint;
}

export interface RecordingActor<A extends ActorLike> extends ActorLike {
  readonly inner: A;
  /** Logs the end of the current episode (the controller's onEpisodeEnd). */
  endEpisode(end: { success: boolean; reason: string; steps: number }): void;
}

export function recordingActor<A extends ActorLike>(actor: A, recorder: EpisodeRecorder, o: RecordingActorOptions): RecordingActor<A> {
  const now = o.now ?? (() => BigInt(Date.now()) * 1_000_000n);
  let episode: EpisodeStart | null = null;
  let seq = 0;
  let calls = 0;
  return {
    inner: actor,
    label: actor.label,
    camera: actor.camera,
    imageSize: actor.imageSize,
    note: actor.note,
    ...(actor.readsKorean !== undefined ? { readsKorean: actor.readsKorean } : {}),
    reset: () => {
      episode = null;
      actor.reset();
    },
    act: (obs) => {
      const t = now();
      if (!episode || episode.command !== obs.command) {
        episode = { command: obs.command, seed: seq++, task: 'ros', driver: actor.label };
        recorder.beginEpisode(episode, t);
        calls = 0;
      }
      const chunk = actor.act(obs);
      recorder.recordStep({ observation: obs, jointNames: o.jointNames, objects: [] }, chunk[0] ?? null, t);
      if (o.policy && recorder.attentionDue(calls++)) recorder.recordAttention(o.policy, obs, t);
      return chunk;
    },
    endEpisode: (end) => {
      if (episode) recorder.endEpisode(episode, end, now());
      episode = null;
    },
  };
}
