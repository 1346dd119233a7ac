/**
 * The scripted expert: solves pick, place and push from privileged state (object poses) and emits the same
 * end-effector delta actions the policy will emit. It is a small state machine over waypoints; its own seeded
 * randomness (hover heights, speeds, small offsets, pauses) makes demonstrations vary.
 */
import {
  MAX_EE_STEP,
  MAX_YAW_STEP,
  type EeAction,
  type EePose,
  type Observation,
} from '../types.js';
import type { WorldSnapshot } from '../tasks/index.js';
import { objectHeight } from '../scene/geometry.js';
import type { EpisodeInfo } from '../env/Environment.js';
import { Rng } from '../util/Rng.js';
import { ARM_WORKSPACE } from '../robot/armTypes.js';

type Phase =
  | 'approach'
  | 'descend'
  | 'close'
  | 'lift'
  | 'carry'
  | 'lower'
  | 'release'
  | 'retreat'
  | 'push'
  | 'done';

interface Waypoint {
  x: number;
  y: number;
  z: number;
  yaw: number;
}

/** How close (m, rad) the gripper must be to a waypoint before the next phase. */
const POS_TOL = 0.004;
const YAW_TOL = 0.04;
const HOLD_HEIGHT = 0.15;
/**
 * Placing, the carry starts once the gripper is this high (m) on the way up to HOLD_HEIGHT, and rises the rest of
 * the way while it moves. Were it to start only at HOLD_HEIGHT, the moment place turns from "up" to "across" would
 * be a standstill at the very height where every pick demonstration stands still to end; a cloned policy then stood
 * there too. Starting while still rising, place leaves the lift
 * at full speed and a standstill only ever means "picked".
 */
const CARRY_FROM = 0.1;
/** Horizontal distance (m) from the descent's line past which the expert goes back up and approaches again. */
const OFF_COURSE = 0.015;

/** Angle wrapped into (-pi, pi]. */
const wrap = (a: number) => Math.atan2(Math.sin(a), Math.cos(a));
/** Yaw difference for a parallel gripper, which is the same at yaw and yaw + pi: wrapped into (-pi/2, pi/2]. */
const yawDiff = (a: number, b: number) => wrap(2 * (a - b)) / 2;

/** Options; without any, the expert stops on each waypoint (within POS_TOL and YAW_TOL) before the next phase. */
export interface ExpertOptions {
  /**
   * Blended phase changes (m; 0 or absent: off). The expert goes down once the gripper is within this horizontal
   * distance of the point above the object (approach -> descend; push: above its start point), starts the push
   * within it of the push's start, and lowers once it is within CARRY_BLEND (3 cm) of the point above the
   * destination (carry -> lower; a bowl or plate is 10-16 cm across), instead of first stopping on that point
   * (4 mm); the next phase keeps steering x, y on its way. Why: a cloned policy knows where things are to a cm or
   * two, not 4 mm, so it hovered 1-6 cm beside the destination and never lowered; a
   * demonstration that turns wherever within `blend` shows that "near enough" means "go". At most MAX_BLEND, below
   * OFF_COURSE (1.5 cm), where a descent is given up.
   */
  blend?: number;
  /**
   * Placing, a release band (m; 0 or absent: off): the expert opens the gripper as soon as, lowering over the
   * destination (within CARRY_BLEND of its centre), the gripper is no higher than this above the release height,
   * instead of first stopping on that height (4 mm). Why: a cloned policy that came down a few mm off that height, or
   * below it, stood there holding the object with its chunks saying "open in a few steps" at every step (the first
   * actions closed, the last open; executed as a mean, the arm never moved); a
   * demonstration that opens anywhere in the band shows that "low enough over the destination" means "let go".
   * At most MAX_RELEASE_BAND.
   */
  releaseBand?: number;
}

/** With ExpertOptions.blend on: how near (m, horizontally) the point above the destination the carry turns down. */
export const CARRY_BLEND = 0.03;

/** Largest ExpertOptions.releaseBand (m): the object falls at most this much further than the 2 cm it always falls. */
export const MAX_RELEASE_BAND = 0.03;

/** Largest ExpertOptions.blend (m): below OFF_COURSE (1.5 cm), so a blended descent is not at once given up. */
export const MAX_BLEND = 0.014;

export class ScriptedExpert {
  private phase: Phase = 'approach';
  private info: EpisodeInfo | null = null;
  private rng: Rng;
  private waitSteps = 0;
  private retries = 0;
  // Per-episode variations.
  private speed = 1;
  private hover = 0.1;
  private offset = { x: 0, y: 0 };
  private graspYaw = 0;
  private pushStart: Waypoint | null = null;
  private pushEnd: Waypoint | null = null;

  private readonly blend: number;
  private readonly releaseBand: number;

  constructor(seed: number, options: ExpertOptions = {}) {
    this.rng = new Rng(seed);
    this.blend = options.blend ?? 0;
    if (!(this.blend >= 0 && this.blend <= MAX_BLEND)) {
      throw new Error(`ScriptedExpert: blend must be between 0 and ${MAX_BLEND} m (below OFF_COURSE, where a descent is given up), got ${options.blend}`);
    }
    this.releaseBand = options.releaseBand ?? 0;
    if (!(this.releaseBand >= 0 && this.releaseBand <= MAX_RELEASE_BAND)) {
      throw new Error(`ScriptedExpert: releaseBand must be between 0 and ${MAX_RELEASE_BAND} m, got ${options.releaseBand}`);
    }
  }

  reset(info: EpisodeInfo, snapshot: WorldSnapshot): void {
    this.info = info;
    this.phase = 'approach';
    this.waitSteps = 0;
    this.retries = 0;
    this.speed = this.rng.float(0.7, 1.0);
    this.hover = this.rng.float(0.07, 0.11);
    this.offset = { x: this.rng.float(-0.003, 0.003), y: this.rng.float(-0.003, 0.003) };
    const target = info.scene.objects[info.target]!;
    const obj = snapshot.objects[info.target]!;
    const objYaw = obj.quaternion ? yawOf(obj.quaternion) : target.yaw;
    // Square-ish things are gripped across two faces: any multiple of 90 degrees from the object's yaw.
    const base = target.kind === 'cube' ? wrap(objYaw) : this.rng.float(-0.3, 0.3);
    const quarter = Math.PI / 2;
    this.graspYaw = target.kind === 'cube' ? wrap(base - quarter * Math.round(base / quarter)) : base;
    if (info.task === 'push' && info.direction) {
      const d = info.direction;
      const r = target.size / 2;
      const back = r + this.rng.float(0.03, 0.04);
      const travel = this.rng.float(0.14, 0.16);
      const z = Math.min(objectHeight(target) / 2, 0.02) + 0.004;
      // The fingers' closed pair forms a paddle across the push direction: hand y axis perpendicular to it.
      const yaw = wrap(Math.atan2(d.y, d.x));
      this.pushStart = { x: obj.position.x - d.x * back, y: obj.position.y - d.y * back, z, yaw };
      this.pushEnd = { x: obj.position.x + d.x * (travel - back + r), y: obj.position.y + d.y * (travel - back + r), z, yaw };
    }
  }

  /** The next action for the current observation and world state. */
  act(obs: Observation, snap: WorldSnapshot): EeAction {
    const info = this.info;
    if (!info) throw new Error('ScriptedExpert: call reset() first');
    const target = info.scene.objects[info.target]!;
    const obj = snap.objects[info.target]!;
    const ee = obs.eePose;
    const h = objectHeight(target);
    const graspZ = Math.max(obj.position.z, 0.018);
    const above = (z: number): Waypoint => ({ x: obj.position.x + this.offset.x, y: obj.position.y + this.offset.y, z, yaw: this.graspYaw });

    // Knocked off course on the way down (a perturbed collection's stalls and missed grasps hold the arm 3 to 5 cm
    // aside, a drift can push it), start over from above rather than cut diagonally through the objects. The expert's
    // own descents stay within a few mm, so only a move the expert did not choose gets here.
    if (this.phase === 'descend' || (this.phase === 'close' && !obs.holding)) {
      const goal = info.task === 'push' ? this.pushStart! : above(0);
      if (Math.hypot(ee.x - goal.x, ee.y - goal.y) > OFF_COURSE) this.phase = 'approach';
    }

    switch (this.phase) {
      case 'approach': {
        if (info.task === 'push') {
          const wp = { ...this.pushStart!, z: this.pushStart!.z + this.hover };
          if (this.reached(ee, wp) || this.near(ee, wp)) this.phase = 'descend';
          return this.toward(ee, wp, 1);
        }
        const wp = above(obj.position.z + h / 2 + this.hover);
        if (this.reached(ee, wp) || this.near(ee, wp)) this.phase = 'descend';
        return this.toward(ee, wp, 0);
      }
      case 'descend': {
        if (info.task === 'push') {
          if (this.reached(ee, this.pushStart!) || (this.near(ee, this.pushStart!) && Math.abs(ee.z - this.pushStart!.z) < this.blend)) this.phase = 'push';
          return this.toward(ee, this.pushStart!, 1, 0.6);
        }
        const wp = above(graspZ);
        if (this.reached(ee, wp)) {
          this.phase = 'close';
          this.waitSteps = 0;
        }
        return this.toward(ee, wp, 0, 0.6);
      }
      case 'close': {
        this.waitSteps++;
        if (obs.holding) {
          this.phase = 'lift';
          return this.toward(ee, above(graspZ), 1);
        }
        if (this.waitSteps > 12) {
          // Missed: open, go back up and try again.
          this.retries++;
          this.phase = 'approach';
          return this.toward(ee, above(graspZ + 0.05), 0);
        }
        return this.toward(ee, above(graspZ), 1);
      }
      case 'lift': {
        const wp = { x: ee.x, y: ee.y, z: HOLD_HEIGHT, yaw: ee.yaw };
        if (!obs.holding) {
          this.phase = 'approach';
          return this.toward(ee, wp, 0);
        }
        const carryNow = info.task === 'place' && ee.z >= CARRY_FROM;
        if (carryNow || this.reached(ee, wp)) this.phase = info.task === 'place' ? 'carry' : 'done';
        return this.toward(ee, wp, 1);
      }
      case 'carry':
      case 'lower':
        return this.carryOrLower(obs, snap, h);
      case 'release': {
        this.waitSteps++;
        if (this.waitSteps > 4) this.phase = 'retreat';
        return this.toward(ee, { ...ee }, 0);
      }
      case 'retreat':
        return this.toward(ee, { x: ee.x, y: ee.y, z: HOLD_HEIGHT, yaw: ee.yaw }, 0);
      case 'push': {
        if (this.reached(ee, this.pushEnd!)) this.phase = 'retreat';
        return this.toward(ee, this.pushEnd!, 1, 0.5);
      }
      case 'done':
        return this.toward(ee, { x: ee.x, y: ee.y, z: HOLD_HEIGHT, yaw: ee.yaw }, obs.holding ? 1 : 0);
    }
  }

  /** Carry the held object over the destination at the hold height, lower it, and let go over it. */
  private carryOrLower(obs: Observation, snap: WorldSnapshot, h: number): EeAction {
    const info = this.info!;
    const ee = obs.eePose;
    const dest = snap.objects[info.destination]!;
    const destSpec = info.scene.objects[info.destination]!;
    const releaseZ = objectHeight(destSpec) + h / 2 + 0.02;
    const z = this.phase === 'carry' ? HOLD_HEIGHT : releaseZ;
    const wp = { x: dest.position.x, y: dest.position.y, z, yaw: ee.yaw };
    if (!obs.holding) {
      this.phase = 'approach';
      return this.toward(ee, wp, 0);
    }
    const inBand =
      this.phase === 'lower' && this.releaseBand > 0 && ee.z <= releaseZ + this.releaseBand && Math.hypot(ee.x - wp.x, ee.y - wp.y) < CARRY_BLEND;
    if (this.reached(ee, wp) || inBand || (this.phase === 'carry' && this.near(ee, wp, CARRY_BLEND))) {
      if (this.phase === 'carry') this.phase = 'lower';
      else {
        this.phase = 'release';
        this.waitSteps = 0;
      }
    }
    return this.toward(ee, wp, 1, this.phase === 'lower' ? 0.7 : 1);
  }

  get currentPhase(): Phase {
    return this.phase;
  }

  get retryCount(): number {
    return this.retries;
  }

  /** The waypoint moved inside the box the controller keeps the gripper in, so that it can be reached. */
  private clamp(wp: Waypoint): Waypoint {
    const W = ARM_WORKSPACE;
    const c = (v: number, [lo, hi]: readonly [number, number]) => Math.min(hi - 1e-4, Math.max(lo + 1e-4, v));
    return { x: c(wp.x, W.x), y: c(wp.y, W.y), z: c(wp.z, W.z), yaw: wp.yaw };
  }

  private reached(ee: EePose, waypoint: Waypoint): boolean {
    const wp = this.clamp(waypoint);
    const d = Math.hypot(ee.x - wp.x, ee.y - wp.y, ee.z - wp.z);
    return d < POS_TOL && Math.abs(yawDiff(wp.yaw, ee.yaw)) < YAW_TOL;
  }

  /** With blend on: within `within` (default blend) of the waypoint horizontally (any height: the next phase goes down). */
  private near(ee: EePose, waypoint: Waypoint, within = this.blend): boolean {
    if (this.blend <= 0) return false;
    const wp = this.clamp(waypoint);
    return Math.hypot(ee.x - wp.x, ee.y - wp.y) < within;
  }

  /** A step toward the waypoint, at most the action limits times this episode's speed. */
  private toward(ee: EePose, waypoint: Waypoint, gripper: number, slow = 1): EeAction {
    const wp = this.clamp(waypoint);
    const max = MAX_EE_STEP * this.speed * slow;
    let dx = wp.x - ee.x;
    let dy = wp.y - ee.y;
    let dz = wp.z - ee.z;
    const n = Math.hypot(dx, dy, dz);
    if (n > max) {
      dx *= max / n;
      dy *= max / n;
      dz *= max / n;
    }
    const dyaw = Math.max(-MAX_YAW_STEP, Math.min(MAX_YAW_STEP, yawDiff(wp.yaw, ee.yaw)));
    return { dx, dy, dz, dyaw, gripper };
  }
}

/** Rotation about z of a quaternion (x, y, z, w). */
export function yawOf(q: { x: number; y: number; z: number; w: number }): number {
  return Math.atan2(2 * (q.w * q.z + q.x * q.y), 1 - 2 * (q.y * q.y + q.z * q.z));
}
