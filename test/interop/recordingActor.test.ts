/**
 * `vla ros --mcap`'s recorder: an actor wrapped by recordingActor logs each observation it is asked about, the
 * chunk's first action, attention maps and the episode's start and end, on the clock it is given.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Environment } from '../../sim/env/Environment.js';
import type { EeAction, Observation } from '../../sim/types.js';
import { VlaPolicy } from '../../src/policy/index.js';
import { selectBackend } from '../../src/tf/backend.js';
import { EpisodeRecorder } from '../../src/interop/mcap/EpisodeRecorder.js';
import { recordingActor } from '../../src/interop/mcap/recordingActor.js';
import { TINY } from '../policy/helpers.js';
import { readMcap } from './readMcap.js';

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
});

describe('recordingActor', () => {
  it('says whether the actor it wraps reads Korean, so that the controller gives it the Korean words', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'vla-mcap-ros-')), 'ros.mcap');
    const recorder = await EpisodeRecorder.create(path);
    const base = { label: 'fake', camera: 'scene', imageSize: 16, note: null, act: () => [], reset: () => {} };
    expect(recordingActor({ ...base, readsKorean: true }, recorder, { jointNames: [], policy: null }).readsKorean).toBe(true);
    expect(recordingActor({ ...base, readsKorean: false }, recorder, { jointNames: [], policy: null }).readsKorean).toBe(false);
    expect(recordingActor(base, recorder, { jointNames: [], policy: null }).readsKorean).toBeUndefined();
    await recorder.close();
  });

  it('logs observations, proposed actions, attention and outcomes of a live session on its clock', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'vla-mcap-ros-')), 'ros.mcap');
    const env = new Environment({ cameras: [{ name: 'scene', width: 16, height: 16 }] });
    const first = env.reset({ seed: 2, command: 'pick up the green cube' });
    const policy = new VlaPolicy({ ...TINY, seed: 2 });
    let resets = 0;
    const action: EeAction = { dx: 0.01, dy: -0.01, dz: 0, dyaw: 0.1, gripper: 0 };
    const inner = { label: 'fake', camera: 'scene', imageSize: 16, note: null, act: () => [action, action], reset: () => void resets++ };
    const recorder = await EpisodeRecorder.create(path, { attentionEvery: 2 });
    let clock = 5_000_000_000n;
    const actor = recordingActor(inner, recorder, { jointNames: env.arm.armJointNames, policy, now: () => (clock += 100_000_000n) });
    actor.reset();
    expect(resets).toBe(1);
    const obs = (step: number): Observation => ({ ...first, step });
    for (let k = 0; k < 3; k++) expect(actor.act(obs(k))).toEqual([action, action]);
    actor.endEpisode({ success: false, reason: 'timeout', steps: 3 });
    await recorder.close();

    const { byTopic } = await readMcap(path);
    const camera = byTopic.get('/camera/scene')!;
    expect(camera.times).toEqual([5_100_000_000n, 5_200_000_000n, 5_300_000_000n]);
    expect(byTopic.get('/action')!.messages[0]).toMatchObject({ dx: 0.01, dy: -0.01, dyaw: 0.1, gripper: 0 });
    expect(byTopic.get('/tf')!.messages[0].transforms.map((t: { child_frame_id: string }) => t.child_frame_id)).toEqual(['ee']);
    // Attention at the first and third observation (every 2): one topic per word.
    expect(byTopic.get('/attention/3_green')!.times).toEqual([5_100_000_000n, 5_300_000_000n]);
    const ep = byTopic.get('/episode')!.messages;
    expect(ep.map((m) => [m.phase, m.command, m.success])).toEqual([
      ['start', 'pick up the green cube', null],
      ['end', 'pick up the green cube', false],
    ]);
    expect(byTopic.get('/log')!.messages[1]).toMatchObject({ level: 3, message: '"pick up the green cube": failure (timeout) after 3 steps' });
  });
});
