/**
 * `vla ros --mcap FILE`: the policy's actor wrapped so the live session is logged as MCAP for Foxglove
 * (src/interop/mcap/recordingActor.ts). Without --mcap the actor is used as it is and nothing is recorded.
 */
import { EpisodeRecorder, type AttentionSource } from '../../interop/mcap/EpisodeRecorder.js';
import { recordingActor, type ActorLike } from '../../interop/mcap/recordingActor.js';
import { ensureWritableFileDir } from '../../io/files.js';

export interface RosRecording<A extends ActorLike> {
  actor: A | (ActorLike & { inner: A });
  episodeEnded(r: { outcome: { success: boolean; reason: string }; steps: number }): void;
  close(): Promise<void>;
}

export async function openRosRecording<A extends ActorLike>(mcap: string | undefined, actor: A, jointNames: readonly string[], policy: AttentionSource): Promise<RosRecording<A>> {
  if (!mcap) return { actor, episodeEnded: () => undefined, close: async () => undefined };
  ensureWritableFileDir(mcap, '--mcap');
  const recorder = await EpisodeRecorder.create(mcap);
  const logged = recordingActor(actor, recorder, { jointNames, policy });
  return {
    actor: logged,
    episodeEnded: (r) => logged.endEpisode({ success: r.outcome.success, reason: r.outcome.reason, steps: r.steps }),
    close: () => recorder.close(),
  };
}
