/**
 * The environment as a whole: observation format, determinism bit for bit, physics sanity (objects rest on the
 * table, fall when dropped, get pushed by the arm), the grasp rule, clear errors, timeouts, and the scripted
 * expert solving a few seeds of every task.
 */
import { describe, expect, it } from 'vitest';
import { Environment } from '../../../sim/env/Environment.js';
import { evaluate, expertDriver, formatEvaluation, runEpisode, summariseApproach, weakestTargets } from '../../../sim/env/episodes.js';
import { loadScene } from '../../../sim/scene/index.js';
import { objectHeight } from '../../../sim/scene/geometry.js';
import type { EeAction, Observation } from '../../../sim/types.js';

const still: EeAction = { dx: 0, dy: 0, dz: 0, dyaw: 0, gripper: 0 };

function rollout(seed: number, actions: (i: number, obs: Observation) => EeAction, steps: number) {
  const env = new Environment({ cameras: [{ name: 'scene', width: 32, height: 32 }] });
  let obs = env.reset({ seed, task: 'pick' });
  const trace: number[] = [];
  for (let i = 0; i < steps; i++) {
    const r = env.step(actions(i, obs));
    obs = r.observation;
    for (const o of env.snapshot().objects) trace.push(o.position.x, o.position.y, o.position.z);
    trace.push(...obs.joints, obs.gripperOpening);
    if (r.done) break;
  }
  return { trace, rgb: Array.from(obs.images.scene!.rgb) };
}

describe('Environment', () => {
  it('gives observations in the documented format', () => {
    const env = new Environment({ cameras: [{ name: 'scene', width: 64, height: 48, depth: true, segmentation: true }] });
    const obs = env.reset({ seed: 3, command: 'pick up the red ball' });
    const img = obs.images.scene!;
    expect(img.width).toBe(64);
    expect(img.height).toBe(48);
    expect(img.rgb).toHaveLength(64 * 48 * 3);
    expect(img.depth).toHaveLength(64 * 48);
    expect(img.segmentation).toHaveLength(64 * 48);
    expect(obs.joints).toHaveLength(env.arm.armJointNames.length);
    expect(obs.command).toBe('pick up the red ball');
    expect(obs.holding).toBe(false);
    expect(obs.gripperOpening).toBeGreaterThan(0.9);
    // The named object is in the scene and visible in the segmentation.
    const target = env.info.target;
    expect(env.info.scene.objects[target]!.colour).toBe('red');
    expect(img.segmentation!.some((v) => v === target + 1)).toBe(true);
  });

  it('is deterministic: the same seed and actions give the same trajectory bit for bit', () => {
    const wiggle = (i: number): EeAction => ({ dx: 0.01 * Math.sin(i / 3), dy: 0.01 * Math.cos(i / 5), dz: -0.005, dyaw: 0.05, gripper: i > 20 ? 1 : 0 });
    const a = rollout(11, wiggle, 40);
    const b = rollout(11, wiggle, 40);
    expect(b.trace).toEqual(a.trace);
    expect(b.rgb).toEqual(a.rgb);
    const c = rollout(12, wiggle, 40);
    expect(c.trace).not.toEqual(a.trace);
  });

  it('objects rest on the table after reset', () => {
    const env = new Environment({ cameras: [] });
    env.reset({ seed: 1, scene: loadScene('default'), command: 'pick up the red ball' });
    for (let i = 0; i < 10; i++) env.step(still);
    const snap = env.snapshot();
    env.info.scene.objects.forEach((o, i) => {
      expect(Math.abs(snap.objects[i]!.position.z - objectHeight(o) / 2), o.id).toBeLessThan(0.003);
    });
  });

  it('holds an object only after closing on it, and drops it when the gripper opens', async () => {
    const env = new Environment({ cameras: [] });
    const driver = expertDriver(5);
    let obs = env.reset({ seed: 5, command: 'pick up the red ball' });
    driver.reset(env);
    let heldAt = -1;
    for (let i = 0; i < 120 && heldAt < 0; i++) {
      obs = env.step(driver.act(obs, env)).observation;
      if (obs.holding) heldAt = i;
    }
    expect(heldAt).toBeGreaterThan(0);
    // Lift a little, then open: the ball falls back to the table.
    for (let i = 0; i < 5; i++) obs = env.step({ ...still, dz: 0.02, gripper: 1 }).observation;
    const t = env.info.target;
    const lifted = env.snapshot().objects[t]!.position.z;
    expect(obs.holding).toBe(true);
    const r = env.step({ ...still, gripper: 0 });
    expect(r.observation.holding).toBe(false);
    expect(r.info.reason).toBe('dropped'); // the pick task fails when the lifted target is let go
    for (let i = 0; i < 120; i++) env.physicsWorld.step(); // half a second of physics: it falls
    const after = env.snapshot().objects[t]!.position.z;
    expect(after).toBeLessThan(lifted - 0.02);
    expect(after).toBeGreaterThan(0);
  });

  it('closing the gripper in the air holds nothing', () => {
    const env = new Environment({ cameras: [] });
    let obs = env.reset({ seed: 2, command: 'pick up the red ball' });
    for (let i = 0; i < 10; i++) obs = env.step({ ...still, gripper: 1 }).observation;
    expect(obs.holding).toBe(false);
    expect(obs.gripperOpening).toBeLessThan(0.05);
  });

  it('still grasps after the arm has stood still for seconds (the arm never falls asleep)', () => {
    // Under cannon-es sleeping, a paused arm fell asleep for good: it moved on, but passed through the objects
    // (asleep too) without a contact, and no later grasp could hold anything.
    const env = new Environment({ cameras: [] });
    let obs = env.reset({ seed: 21, task: 'pick' });
    const expert = expertDriver(21);
    expert.reset(env);
    let paused = false;
    let held = false;
    for (let i = 0; i < 200 && !held; i++) {
      let a = expert.act(obs, env);
      if (a.gripper >= 0.5 && !paused) {
        // At the grasp, wait 3 s with the gripper open before closing, as a hesitant policy might.
        for (let k = 0; k < 60; k++) obs = env.step(still).observation;
        paused = true;
        a = expert.act(obs, env);
      }
      const r = env.step(a);
      obs = r.observation;
      held = obs.holding;
      if (r.done) break;
    }
    expect(paused).toBe(true);
    expect(held).toBe(true);
  });

  it('times out with reason "timeout"', () => {
    const env = new Environment({ cameras: [], maxSteps: 5 });
    env.reset({ seed: 4, task: 'push' });
    let r = env.step(still);
    for (let i = 1; i < 5; i++) r = env.step(still);
    expect(r.done).toBe(true);
    expect(r.info).toMatchObject({ success: false, reason: 'timeout' });
    expect(() => env.step(still)).toThrow(/episode is over/);
  });

  it('refuses a command that names something absent, and bad actions', () => {
    const env = new Environment({ cameras: [] });
    expect(() => env.reset({ seed: 1, scene: loadScene('default'), command: 'pick up the purple ball' })).toThrow(
      'there is no purple ball on the table',
    );
    env.reset({ seed: 1, command: 'grab the blue block' });
    expect(() => env.step({ ...still, dx: Number.NaN })).toThrow(/action\.dx must be a finite number/);
  });
});

describe('scripted expert', () => {
  for (const task of ['pick', 'place', 'push'] as const) {
    it(`solves ${task} on a few seeds`, async () => {
      const env = new Environment({ cameras: [] });
      for (const seed of [21, 22, 23]) {
        const r = await runEpisode({ seed, task, env });
        expect(r.success, `${task} seed ${seed}: ${r.reason} (${r.command})`).toBe(true);
      }
    });
  }
});

describe('scripted expert, blended (ExpertOptions.blend)', () => {
  it('still solves every task, and lowers onto the destination from up to 3 cm off rather than from the exact point', async () => {
    const env = new Environment({ cameras: [] });
    for (const task of ['pick', 'place', 'push'] as const) {
      for (const seed of [21, 22, 23]) {
        const r = await runEpisode({ seed, task, env, driver: expertDriver(seed, { blend: 0.012 }) });
        expect(r.success, `${task} seed ${seed}: ${r.reason}`).toBe(true);
      }
    }
    // Place: the horizontal distance to the destination when the carry turns down (the first step down while
    // holding, above 10 cm). Blended it is up to CARRY_BLEND; unblended within the 4 mm of a reached waypoint.
    const turnDown = async (blend: number, seed: number) => {
      const expert = expertDriver(seed, { blend });
      let at: number | null = null;
      await runEpisode({
        seed, task: 'place', env,
        driver: {
          reset: expert.reset,
          act: (obs, e) => {
            const a = expert.act(obs, e);
            if (at === null && obs.holding && obs.eePose.z > 0.1 && a.dz < -0.005 && Math.hypot(a.dx, a.dy) < 0.03) {
              const d = e.snapshot().objects[e.info.destination!]!.position;
              at = Math.hypot(obs.eePose.x - d.x, obs.eePose.y - d.y);
            }
            return a;
          },
        },
      });
      return at;
    };
    const plain: number[] = [];
    const blended: number[] = [];
    for (const seed of [21, 22, 23, 24]) {
      plain.push((await turnDown(0, seed))!);
      blended.push((await turnDown(0.012, seed))!);
    }
    expect(Math.max(...plain)).toBeLessThan(0.006);
    expect(Math.max(...blended)).toBeGreaterThan(0.01);
    expect(Math.max(...blended)).toBeLessThan(0.031);
    expect(() => expertDriver(1, { blend: 0.02 })).toThrow(/blend must be between 0 and 0\.014 m/);
  });
});

describe('episode results', () => {
  const still: EeAction = { dx: 0, dy: 0, dz: 0, dyaw: 0, gripper: 0 };
  it('say whether a failed episode ended with the arm parked, and evaluate counts those per task', async () => {
    const env = new Environment({ cameras: [], maxSteps: 80 });
    // Stands still: a timeout, parked.
    const idle = await runEpisode({ seed: 3, task: 'pick', env, driver: { reset: () => {}, act: () => still } });
    expect(idle).toMatchObject({ success: false, reason: 'timeout', parked: true });
    // Keeps moving (1 cm up and down, alternating): a timeout, not parked, though it ends where it started.
    let t = 0;
    const shake = await runEpisode({ seed: 3, task: 'pick', env, driver: { reset: () => (t = 0), act: () => ({ ...still, dz: t++ % 2 ? -0.01 : 0.01 }) } });
    expect(shake).toMatchObject({ success: false, reason: 'timeout', parked: false });
    const e = await evaluate({ tasks: ['pick'], episodes: 2, seed: 3, cameras: [], maxSteps: 80, driverFactory: () => ({ reset: () => {}, act: () => still }) });
    expect(e.perTask.pick).toMatchObject({ successes: 0, parked: 2, failures: { timeout: 2 } });
    expect(formatEvaluation(e)).toMatch(/failures: timeout: 2 \(2 of them parked at the end\)/);
  });
});

describe('approach error', () => {
  const still: EeAction = { dx: 0, dy: 0, dz: 0, dyaw: 0, gripper: 0 };
  /** Flies (at most 1 cm a step) to within 6 mm of `offset` beside the target at 10 cm high, then straight down. */
  const beside = (offset: { x: number; y: number }) => ({
    reset: () => {},
    act: (obs: Observation, env: Environment): EeAction => {
      const p = env.snapshot().objects[env.info.target]!.position;
      const goal = { x: p.x + offset.x, y: p.y + offset.y };
      const dx = goal.x - obs.eePose.x;
      const dy = goal.y - obs.eePose.y;
      const far = Math.hypot(dx, dy);
      if (far > 0.006) {
        const k = Math.min(1, 0.01 / far);
        return { ...still, dx: dx * k, dy: dy * k, dz: Math.max(-0.01, Math.min(0.01, 0.1 - obs.eePose.z)) };
      }
      return { ...still, dz: -0.01 };
    },
  });

  it('is where the gripper first came down: a few mm for the expert, the offset for a driver that comes down beside', async () => {
    const env = new Environment({ cameras: [] });
    for (const task of ['pick', 'push'] as const) {
      const r = await runEpisode({ seed: 21, task, env });
      expect(r.success).toBe(true);
      expect(r.approachError, task).not.toBeNull();
      expect(r.approachError!, task).toBeLessThan(0.01);
    }
    const off = await runEpisode({ seed: 21, task: 'pick', env, driver: beside({ x: 0.05, y: 0 }) });
    expect(off.approachError!).toBeGreaterThan(0.045);
    expect(off.approachError!).toBeLessThan(0.056);
    // Push measures across the line of the push: along it (behind the target, where a push starts) is no error.
    const push = await runEpisode({ seed: 21, task: 'push', env });
    const d = env.info.direction!;
    const along = await runEpisode({ seed: 21, task: 'push', env, driver: beside({ x: -0.04 * d.x, y: -0.04 * d.y }) });
    const across = await runEpisode({ seed: 21, task: 'push', env, driver: beside({ x: -0.04 * d.y, y: 0.04 * d.x }) });
    expect(push.command).toBe(along.command);
    expect(along.approachError!).toBeLessThan(0.007);
    expect(across.approachError!).toBeGreaterThan(0.035);
    // Never coming down: null.
    const idle = await runEpisode({ seed: 21, task: 'pick', env: new Environment({ cameras: [], maxSteps: 30 }), driver: { reset: () => {}, act: () => still } });
    expect(idle.approachError).toBeNull();
    expect(idle.cameDownBy).toBeNull();
  });

  /** Flies to 10 cm above another movable object of the scene (the first that is neither target nor destination), then straight down. */
  const byOther = {
    reset: () => {},
    act: (obs: Observation, env: Environment): EeAction => {
      const k = env.info.scene.objects.findIndex((o, i) => i !== env.info.target && i !== env.info.destination && o.kind !== 'bowl' && o.kind !== 'plate');
      const t = env.snapshot().objects[env.info.target]!.position;
      const p = env.snapshot().objects[k]!.position;
      return beside({ x: p.x - t.x, y: p.y - t.y }).act(obs, env);
    },
  };

  it('names the object the gripper came down by (pick and place), and evaluate counts where failures came down', async () => {
    const env = new Environment({ cameras: [] });
    for (const task of ['pick', 'place'] as const) {
      const r = await runEpisode({ seed: 21, task, env });
      const t = env.info.scene.objects[env.info.target]!;
      expect(r.target, task).toBe(`${t.colour} ${t.kind}`);
      expect(r.cameDownBy, task).toEqual({ id: t.id, name: r.target, isTarget: true });
      const wrong = await runEpisode({ seed: 21, task, env: new Environment({ cameras: [], maxSteps: 60 }), driver: byOther });
      expect(wrong.success, task).toBe(false);
      expect(wrong.cameDownBy?.isTarget, task).toBe(false);
      expect(wrong.cameDownBy?.id, task).not.toBe(env.info.scene.objects[env.info.target]!.id);
      expect(wrong.cameDownBy?.name, task).not.toBe(wrong.target);
    }
    // Push comes down behind the object: not measured.
    expect((await runEpisode({ seed: 21, task: 'push', env })).cameDownBy).toBeNull();
    const wrong = await evaluate({ tasks: ['pick', 'push'], episodes: 2, seed: 21, cameras: [], maxSteps: 60, driverFactory: () => byOther });
    expect(wrong.perTask.pick!.failedBy).toEqual({ byTarget: 0, byOther: 2, never: 0 });
    expect(wrong.perTask.push!.failedBy).toBeNull();
    const near = await evaluate({ tasks: ['pick'], episodes: 2, seed: 21, cameras: [], maxSteps: 60, driverFactory: () => beside({ x: 0, y: 0.01 }) });
    expect(near.perTask.pick!.failedBy).toEqual({ byTarget: 2, byOther: 0, never: 0 });
    const idle = await evaluate({ tasks: ['pick'], episodes: 1, seed: 21, cameras: [], maxSteps: 20, driverFactory: () => ({ reset: () => {}, act: () => still }) });
    expect(idle.perTask.pick!.failedBy).toEqual({ byTarget: 0, byOther: 0, never: 1 });
    expect(formatEvaluation(wrong)).toMatch(/pick failures: 0 came down by the target, 2 by another object, 0 never came down/);
    expect(formatEvaluation(wrong)).not.toMatch(/push failures/);
    // Per target: every episode counted under its target, the wrong object named by what it is.
    const perTarget = wrong.perTask.pick!.perTarget;
    expect(Object.values(perTarget).reduce((n, t) => n + t.episodes, 0)).toBe(2);
    for (const [name, t] of Object.entries(perTarget)) {
      expect(t.successes, name).toBe(0);
      expect(Object.values(t.cameDownBy).reduce((n, k) => n + k, 0), name).toBe(t.episodes);
      expect(Object.keys(t.cameDownBy), name).not.toContain(name);
    }
    const [first, t0] = Object.entries(perTarget)[0]!;
    const [taken] = Object.keys(t0.cameDownBy);
    expect(formatEvaluation(wrong)).toContain(`pick: the targets that failed most: ${first} 0/${t0.episodes} (came down by ${taken} `);
    expect(Object.values(near.perTask.pick!.perTarget).every((t) => Object.keys(t.cameDownBy).length === 0)).toBe(true);
  });

  it('weakestTargets lists the targets with failures, lowest success rate first, and what they were taken for', () => {
    const t = (episodes: number, successes: number, cameDownBy: Record<string, number> = {}) => ({ episodes, successes, successRate: successes / episodes, ci95: [0, 1] as [number, number], cameDownBy });
    const perTarget = {
      'blue cube': t(10, 10),
      'orange cube': t(10, 6, { 'orange ball': 1, 'red cube': 3 }),
      'purple ball': t(5, 4),
      'yellow cylinder': t(8, 4, { 'yellow ball': 2 }),
    };
    expect(weakestTargets(perTarget)).toBe(
      'the targets that failed most: yellow cylinder 4/8 (came down by yellow ball 2), orange cube 6/10 (came down by red cube 3, orange ball 1), purple ball 4/5',
    );
    expect(weakestTargets(perTarget, 1)).toBe('the targets that failed most: yellow cylinder 4/8 (came down by yellow ball 2), and 2 more');
    expect(weakestTargets({ 'blue cube': t(3, 3) })).toBe('');
  });

  it('is summarised per task by evaluate and printed', async () => {
    expect(summariseApproach([0.05, 0.01, 0.03])).toEqual({ measured: 3, median: 0.03, close: 1 });
    expect(summariseApproach([0.01, 0.03])).toMatchObject({ median: 0.02, close: 1 });
    expect(summariseApproach([])).toEqual({ measured: 0, median: null, close: 0 });
    const e = await evaluate({ tasks: ['pick'], episodes: 2, seed: 21, cameras: [], maxSteps: 60, driverFactory: () => beside({ x: 0, y: 0.04 }) });
    expect(e.perTask.pick!.approach.measured).toBe(2);
    expect(e.perTask.pick!.approach.median!).toBeCloseTo(0.04, 2);
    expect(formatEvaluation(e)).toMatch(/pick: the gripper came down a median 4\.\d cm from the target, 0 of 2 within 2 cm/);
  });
});

describe('evaluate refuses seeds that would repeat and plans that run nothing (issue 33)', () => {
  it('a seed past 2^53 (1e99 + i === 1e99: every episode the same scene), a negative seed, no task', async () => {
    await expect(evaluate({ tasks: ['pick'], episodes: 10, seed: 1e99, cameras: [] })).rejects.toThrow(/seed must be a non-negative integer with seed \+ episodes below 2\^53, got 1e\+99/);
    await expect(evaluate({ tasks: ['pick'], episodes: 1, seed: -1, cameras: [] })).rejects.toThrow(/got -1/);
    await expect(evaluate({ tasks: [], episodes: 1, seed: 0, cameras: [] })).rejects.toThrow(/at least one task and one episode, got 0 tasks/);
  });
});

describe('camera sizes (issue 33: --size/--image-size 100000 gave typed-array errors)', () => {
  it('are refused by camera, field and bound, at construction and at render', () => {
    expect(() => new Environment({ cameras: [{ name: 'scene', width: 100000, height: 100000 }] })).toThrow(
      'camera "scene": width must be a whole number of pixels from 1 to 4096, got 100000',
    );
    expect(() => new Environment({ cameras: [{ name: 'scene', width: 64, height: 2000, supersampling: 4 }] })).toThrow(
      'camera "scene": height must be a whole number of pixels from 1 to 1024 (with supersampling 4), got 2000',
    );
    const env = new Environment({ cameras: [] });
    env.reset({ seed: 1 });
    expect(() => env.render('scene', 100000, 100000)).toThrow(/width must be a whole number of pixels from 1 to 4096, got 100000/);
    expect(env.render('scene', 8, 8).rgb.length).toBe(8 * 8 * 3);
  });
});
