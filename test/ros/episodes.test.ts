/**
 * The task through ROS, end to end: `vla ros-sim` runs `vla eval`'s pick, place and push episodes and `vla ros`
 * drives it with the shipped policy (models/default) through the rosbridge-protocol broker, in lockstep (simulated
 * time: the outcome does not depend on how busy the machine is). It must succeed about as often as the same policy
 * on the same episodes in simulation (`vla eval`'s code path).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluate, resolveDriver } from '../../src/eval/index.js';
import { ARM_BASE } from '../../sim/types.js';
import { selectBackend } from '../../src/tf/backend.js';
import { policyActor, runRosEpisodes } from '../../src/ros/index.js';

const TASKS = ['pick', 'place', 'push'] as const;
const PER_TASK = 2;

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
});

describe('vla ros driving vla ros-sim with the shipped policy (lockstep, broker)', () => {
  it(`succeeds on ${TASKS.length * PER_TASK} of vla eval's episodes about as often as in simulation`, async () => {
    const driver = resolveDriver('models/default');
    const policy = driver.policy!;
    const ros = await runRosEpisodes({
      makeActor: (arm) => policyActor(policy, arm, { ...ARM_BASE, yaw: 0 }, 'models/default'),
      tasks: [...TASKS],
      episodes: TASKS.length * PER_TASK,
      seed: 0,
      imageSize: policy.config.imageSize,
      supersampling: policy.config.supersampling,
    });
    const sim = await evaluate({ driverFactory: driver.make, cameras: driver.cameras, tasks: [...TASKS], episodes: PER_TASK, seed: 0, progress: 'none' });
    const simSuccesses = Math.round(sim.successRate * sim.episodes);
    // The same episodes (tasks in turn, vla eval's seeds and commands) on both sides.
    expect(ros.results.map((r) => r.task)).toEqual(['pick', 'place', 'push', 'pick', 'place', 'push']);
    expect(ros.episodes).toBe(sim.episodes);
    expect(ros.successes, JSON.stringify(ros.results)).toBeGreaterThanOrEqual(4);
    expect(ros.successes).toBeGreaterThanOrEqual(simSuccesses - 1);
    // No episode was ended by the controller or lost on the way: each one ran in the simulator to its verdict.
    for (const r of ros.results) expect(r.reason).not.toMatch(/controller/);
  }, 300_000);
});
