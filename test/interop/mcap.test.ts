/**
 * MCAP episode logs: an episode driven by a (tiny, untrained) policy is recorded, then read back with the MCAP
 * library's indexed reader: the Foxglove schemas and channels are there, one camera frame, joint state and
 * transform set per step, one attention image per command word every `attentionEvery` steps, and the outcome.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { Environment } from '../../sim/env/Environment.js';
import { expertDriver } from '../../sim/env/Driver.js';
import { policyDriver, runEpisode } from '../../src/eval/index.js';
import { selectBackend } from '../../src/tf/backend.js';
import { VlaPolicy } from '../../src/policy/index.js';
import { EpisodeRecorder } from '../../src/interop/mcap/EpisodeRecorder.js';
import { TINY } from '../policy/helpers.js';
import { readMcap } from './readMcap.js';

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
});

describe('MCAP episode log', () => {
  it('holds camera, attention, joint, pose, action and outcome channels that read back', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'vla-mcap-')), 'episode.mcap');
    const policy = new VlaPolicy({ ...TINY, seed: 4 });
    const env = new Environment({ cameras: [{ name: 'scene', width: 16, height: 16 }], maxSteps: 12 });
    const recorder = await EpisodeRecorder.create(path, { startNs: 1_000_000_000_000n, attentionEvery: 5 });
    const episode = { command: 'pick up the red ball', seed: 3, task: 'pick', driver: 'tiny policy' };
    recorder.beginEpisode(episode);
    const r = await runEpisode({ seed: 3, command: episode.command, env, driver: recorder.wrap(policyDriver(policy), policy) });
    recorder.endEpisode(episode, r);
    await recorder.close();

    const { reader, byTopic } = await readMcap(path);
    expect(reader.header.profile).toBe('vla');
    const steps = r.steps;
    const camera = byTopic.get('/camera/scene')!;
    expect(camera.schema).toMatchObject({ name: 'foxglove.RawImage', encoding: 'jsonschema' });
    expect(camera.messages).toHaveLength(steps);
    expect(camera.messages[0]).toMatchObject({ width: 16, height: 16, encoding: 'rgb8', step: 48, frame_id: 'camera/scene' });
    expect(Buffer.from(camera.messages[0].data, 'base64')).toHaveLength(16 * 16 * 3);
    // One step every 50 ms (20 Hz) from the start time.
    expect(camera.times[1]! - camera.times[0]!).toBe(50_000_000n);
    expect(camera.times[0]).toBe(1_000_000_000_000n);

    const joints = byTopic.get('/joint_states')!;
    expect(joints.schema.name).toBe('foxglove.JointStates');
    expect(joints.messages).toHaveLength(steps);
    expect(joints.messages[0].joints.map((j: { name: string }) => j.name)).toEqual([...env.arm.armJointNames, 'gripper']);

    const tf = byTopic.get('/tf')!;
    expect(tf.schema.name).toBe('foxglove.FrameTransforms');
    const children = tf.messages[0].transforms.map((t: { child_frame_id: string }) => t.child_frame_id);
    expect(children).toEqual(['ee', ...env.info.scene.objects.map((o) => `object/${o.id}`)]);
    // The objects' shapes, each locked to its frame.
    const scene = byTopic.get('/scene')!;
    expect(scene.schema.name).toBe('foxglove.SceneUpdate');
    expect(scene.messages[0].entities.map((e: { frame_id: string }) => e.frame_id)).toEqual(children.slice(1));
    const q = tf.messages[0].transforms[0].rotation;
    expect(Math.hypot(q.x, q.y, q.z, q.w)).toBeCloseTo(1, 9);

    // Attention at steps 0, 5, 10: one PNG per word of the command.
    const words = ['pick', 'up', 'the', 'red', 'ball'];
    for (const [i, w] of words.entries()) {
      const a = byTopic.get(`/attention/${i}_${w}`)!;
      expect(a.schema.name).toBe('foxglove.CompressedImage');
      expect(a.messages).toHaveLength(Math.ceil(steps / 5));
      expect(a.messages[0].format).toBe('png');
      expect(typeof a.messages[0].data).toBe('string');
      expect(Buffer.from(a.messages[0].data, 'base64').subarray(1, 4).toString()).toBe('PNG');
    }

    expect(byTopic.get('/action')!.messages).toHaveLength(steps);
    const ep = byTopic.get('/episode')!.messages;
    expect(ep.map((m) => m.phase)).toEqual(['start', 'end']);
    expect(ep[1]).toMatchObject({ command: episode.command, success: r.success, reason: r.reason, steps });
    expect(byTopic.get('/log')!.messages).toHaveLength(2);

    // Every message is valid against its channel's JSON Schema (Foxglove's, or this project's): what Foxglove needs.
    const ajv = new Ajv({ strict: false });
    for (const [topic, { schema, messages }] of byTopic) {
      const validate = ajv.compile(JSON.parse(new TextDecoder().decode(schema.data)));
      for (const m of messages.slice(0, 3)) expect(validate(m) ? null : `${topic}: ${ajv.errorsText(validate.errors)}`).toBeNull();
    }
  });

  it('puts episodes one after another on one clock', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'vla-mcap-')), 'two.mcap');
    const env = new Environment({ cameras: [{ name: 'scene', width: 16, height: 16 }], maxSteps: 6 });
    const recorder = await EpisodeRecorder.create(path, { startNs: 0n });
    const results = [];
    for (const seed of [1, 2]) {
      const e = { command: 'pick up the blue cube', seed, task: 'pick', driver: 'expert' };
      recorder.beginEpisode(e);
      const r = await runEpisode({ seed, command: e.command, env, driver: recorder.wrap(expertDriver(seed)) });
      recorder.endEpisode(e, r);
      results.push(r);
    }
    await recorder.close();
    const { byTopic } = await readMcap(path);
    const ep = byTopic.get('/episode')!;
    expect(ep.messages.map((m) => `${m.seed}:${m.phase}`)).toEqual(['1:start', '1:end', '2:start', '2:end']);
    // The second episode starts a second after the first one's end; no attention without a policy.
    expect(ep.times[2]! - ep.times[1]!).toBe(1_000_000_000n);
    expect(byTopic.get('/camera/scene')!.messages).toHaveLength(results[0]!.steps + results[1]!.steps);
    expect([...byTopic.keys()].some((t) => t.startsWith('/attention'))).toBe(false);
  });
});
