/**
 * Errors injected into an expert-driven collection so that the data shows the expert recovering from them (see
 * collect.ts): a DART drift on the executed moves (--noise), a first grasp made to miss (--misses) and an arm
 * parked beside its way down (--stalls). The expert's
 * own action stays the recorded label; `execute` returns what is actually done instead. One per episode, seeded.
 */
import type { TaskName } from '../../sim/tasks/index.js';
import type { EeAction, Observation } from '../../sim/types.js';
import { Rng, hashSeed } from '../../sim/util/Rng.js';

/** An expert move below this (m per step on every axis) is standing still: no drift is added to it. */
const STILL = 0.001;
/** Steps an injected miss holds the arm beside the object, closing (the fingers take about 10 to close). */
const MISS_STEPS = 14;
/** A stall starts on the way down, once the gripper is this low (m)... */
const STALL_BELOW = 0.06;
/** ...moves the arm this far to one side (m) over STALL_MOVE steps, then holds it still for STALL_HOLD steps. */
const STALL_AWAY: readonly [number, number] = [0.03, 0.05];
const STALL_MOVE = 5;
const STALL_HOLD: readonly [number, number] = [15, 25];

export class ExpertPerturbation {
  private readonly drift: Rng;
  private readonly missRng: Rng;
  private readonly stallRng: Rng;
  private stallPlanned: boolean;
  private stall: { x: number; y: number; z: number; steps: number; hold: number } | null = null;
  /** True once this episode's arm has been parked beside its way down. */
  injectedStall = false;
  private noise = { x: 0, y: 0, z: 0 };
  private missPlanned: boolean;
  private miss: { x: number; y: number; z: number; steps: number } | null = null;
  private lastGripper = 0;
  private steps = 0;
  /** True once this episode's first grasp has been made to miss. */
  injectedMiss = false;

  /**
   * `noise`: the drift's standard deviation (m per step); `misses`: the share of grasping episodes to miss;
   * `stalls`: the share of episodes whose arm is parked beside its way down for a while.
   */
  constructor(
    seed: number,
    task: TaskName,
    private readonly o: { noise?: number | undefined; misses?: number | undefined; stalls?: number | undefined },
  ) {
    this.drift = new Rng(hashSeed(`noise:${seed}`));
    this.missRng = new Rng(hashSeed(`miss:${seed}`));
    this.missPlanned = Boolean(o.misses) && task !== 'push' && this.missRng.nextFloat() < o.misses!;
    this.stallRng = new Rng(hashSeed(`stall:${seed}`));
    this.stallPlanned = Boolean(o.stalls) && this.stallRng.nextFloat() < o.stalls!;
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
    const moving = Math.max(Math.abs(a.dx), Math.abs(a.dy), Math.abs(a.dz)) > STILL;
    if (this.stallPlanned && !this.miss && moving && ee.z < STALL_BELOW && !obs.holding) {
      // On the way down: park the arm a few cm to one side, at this height, with the gripper as the expert has it.
      const angle = this.stallRng.float(-Math.PI, Math.PI);
      const d = this.stallRng.float(STALL_AWAY[0], STALL_AWAY[1]);
      const hold = this.stallRng.int(STALL_HOLD[0], STALL_HOLD[1]);
      this.stall = { x: ee.x + d * Math.cos(angle), y: ee.y + d * Math.sin(angle), z: ee.z, steps: 0, hold };
      this.stallPlanned = false;
      this.injectedStall = true;
    }
    if (this.stall) {
      const s = this.stall;
      s.steps++;
      if (s.steps >= STALL_MOVE + s.hold) this.stall = null;
      const f = s.steps <= STALL_MOVE ? 1 / (STALL_MOVE - s.steps + 1) : 1; // the rest of the way in equal steps
      return { dx: (s.x - ee.x) * f, dy: (s.y - ee.y) * f, dz: (s.z - ee.z) * f, dyaw: 0, gripper: a.gripper };
    }
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
    const n = this.noise;
    return moving ? { ...a, dx: a.dx + n.x, dy: a.dy + n.y, dz: a.dz + n.z } : a;
  }
}
