/**
 * Errors injected into an expert-driven collection so that the data shows the expert recovering from them (see
 * collect.ts): a DART drift on the executed moves (--noise) and a first grasp made to miss (--misses). The expert's
 * own action stays the recorded label; `execute` returns what is actually done instead. One per episode, seeded.
 */
import type { TaskName } from '../../sim/tasks/index.js';
import type { EeAction, Observation } from '../../sim/types.js';
import { Rng, hashSeed } from '../../sim/util/Rng.js';

/** An expert move below this (m per step on every axis) is standing still: no drift is added to it. */
const STILL = 0.001;
/** Steps an injected miss holds the arm beside the object, closing (the fingers take about 10 to close). */
const MISS_STEPS = 14;

export class ExpertPerturbation {
  private readonly drift: Rng;
  private readonly missRng: Rng;
  private noise = { x: 0, y: 0, z: 0 };
  private missPlanned: boolean;
  private miss: { x: number; y: number; z: number; steps: number } | null = null;
  private lastGripper = 0;
  private steps = 0;
  /** True once this episode's first grasp has been made to miss. */
  injectedMiss = false;

  /** `noise`: the drift's standard deviation (m per step); `misses`: the share of grasping episodes to miss. */
  constructor(
    seed: number,
    task: TaskName,
    private readonly o: { noise?: number | undefined; misses?: number | undefined },
  ) {
    this.drift = new Rng(hashSeed(`noise:${seed}`));
    this.missRng = new Rng(hashSeed(`miss:${seed}`));
    this.missPlanned = Boolean(o.misses) && task !== 'push' && this.missRng.nextFloat() < o.misses!;
  }

  /** The action to execute this step, given the expert's action `a` (the label) for observation `obs`. */
  execute(a: EeAction, obs: Observation): EeAction {
    this.steps++;
    const ee = obs.eePose;
    if (this.missPlanned && a.gripper >= 0.5 && this.lastGripper < 0.5 && !obs.holding) {
      // The expert starts to close: hold the arm beside the object instead, across the fingers' closing line.
      const d = (this.missRng.nextFloat() < 0.5 ? -1 : 1) * this.missRng.float(0.04, 0.05);
      this.miss = { x: ee.x + d * Math.cos(ee.yaw), y: ee.y + d * Math.sin(ee.yaw), z: ee.z, steps: 0 };
      this.missPlanned = false;
      this.injectedMiss = true;
    }
    this.lastGripper = a.gripper;
    if (this.miss) {
      const m = this.miss;
      if (++m.steps >= MISS_STEPS) this.miss = null;
      return { dx: m.x - ee.x, dy: m.y - ee.y, dz: m.z - ee.z, dyaw: 0, gripper: 1 };
    }
    const sigma = this.o.noise;
    if (!sigma) return a;
    if (this.steps === 1 || this.drift.nextFloat() < 0.1) {
      // Half the stretches have no drift, so that the expert can settle within its 4 mm waypoint tolerance.
      const on = this.drift.nextFloat() < 0.5 ? sigma : 0;
      this.noise = { x: this.drift.normal(0, on), y: this.drift.normal(0, on), z: this.drift.normal(0, on) };
    }
    const moving = Math.max(Math.abs(a.dx), Math.abs(a.dy), Math.abs(a.dz)) > STILL;
    const n = this.noise;
    return moving ? { ...a, dx: a.dx + n.x, dy: a.dy + n.y, dz: a.dz + n.z } : a;
  }
}
