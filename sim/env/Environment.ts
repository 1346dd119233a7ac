/**
 * The simulation environment: reset({seed, scene?, command?}) -> observation; step(action) -> observation,
 * reward, done, info. Physics at PHYSICS_HZ, control at CONTROL_HZ, one camera frame per control step.
 *
 * Deterministic: the same seed, scene, command and actions give the same trajectory bit for bit (every random
 * choice comes from a seeded Rng; cannon-es and the renderer are deterministic).
 */
import type { Matrix4 } from 'three';
import { Matrix4 as M4 } from 'three';
import { SoftwareRenderer } from '../render/SoftwareRenderer.js';
import { CAMERA_PRESETS, makeCamera, type CameraName } from '../render/cameras.js';
import { MAX_SUPERSAMPLING, downsampleImage, isSupersampling } from '../render/downsample.js';
import { createCameraImage } from '../render/imageIO.js';
import { ArmModel } from '../robot/ArmModel.js';
import { JointController } from '../robot/JointController.js';
import {
  DIRECTION_VECTORS,
  getTask,
  parseCommand,
  resolveCommand,
  splitOf,
  type Split,
  type TaskName,
  type TaskTracker,
  type WorldSnapshot,
} from '../tasks/index.js';
import { randomScene, type ObjectRef } from '../scene/index.js';
import { Rng } from '../util/Rng.js';
import { PhysicsWorld } from '../world/PhysicsWorld.js';
import { SceneGraph } from '../world/SceneGraph.js';
import { armPrimitives } from './armPrimitives.js';
import {
  CONTROL_HZ,
  PHYSICS_HZ,
  type Action,
  type CameraImage,
  type EeAction,
  type Observation,
  type Scene,
  type StepResult,
} from '../types.js';

export interface CameraSpec {
  name: CameraName;
  width: number;
  height: number;
  depth?: boolean;
  segmentation?: boolean;
  /**
   * Supersampling anti-aliasing: render k times wider and higher and average each k x k block (downsample.ts), as a
   * real camera integrates light over each pixel. Default 1 (one sample at each pixel's centre).
   */
  supersampling?: number;
}

export interface EnvironmentOptions {
  /** Cameras rendered into every observation; default one 64x64 RGB scene camera. */
  cameras?: CameraSpec[];
  /** Control steps before an episode times out; default 200 (10 s). */
  maxSteps?: number;
  /** The arm; default the project's URDF arm. */
  arm?: ArmModel;
}

export interface ResetOptions {
  seed: number;
  /** A fixed scene; default a random one (seeded) containing what the command names. */
  scene?: Scene;
  /** What to do; default a command sampled from `task`. */
  command?: string;
  /** Task suite to sample from when no command is given; default 'pick'. */
  task?: TaskName;
  /** Which split to sample the command from (no command given); default 'seen'. */
  split?: Split;
}

/** Everything about the current episode that the policy must not see (the expert and evaluation may). */
export interface EpisodeInfo {
  task: TaskName;
  command: string;
  split: string;
  scene: Scene;
  /** Index into scene.objects of the object the command names. */
  target: number;
  /** For place: index of the receptacle; else -1. */
  destination: number;
  /** For push: unit direction in the table plane. */
  direction: { x: number; y: number } | null;
}

const SUBSTEPS = PHYSICS_HZ / CONTROL_HZ;
const SETTLE_STEPS = Math.round(0.25 * PHYSICS_HZ);

export class Environment {
  readonly arm: ArmModel;
  readonly cameras: CameraSpec[];
  readonly maxSteps: number;
  private readonly renderer = new SoftwareRenderer();
  private physics: PhysicsWorld | null = null;
  private graph: SceneGraph | null = null;
  private controller: JointController | null = null;
  private tracker: TaskTracker | null = null;
  private linkPoses: Matrix4[] = [];
  private episode: EpisodeInfo | null = null;
  private stepCount = 0;
  private gripperClosed = false;
  private doneFlag = false;
  private lastInfo: StepResult['info'] = { success: false, reason: null, time: 0 };
  private readonly scratchTargets: number[];

  constructor(options: EnvironmentOptions = {}) {
    this.arm = options.arm ?? ArmModel.loadDefault();
    this.cameras = options.cameras ?? [{ name: 'scene', width: 64, height: 64 }];
    for (const c of this.cameras) checkCameraSize(c.name, c.width, c.height, c.supersampling ?? 1);
    this.maxSteps = options.maxSteps ?? 200;
    this.linkPoses = this.arm.linkNames.map(() => new M4());
    this.scratchTargets = new Array(this.arm.armJointNames.length).fill(0);
  }

  /** The physics of the current episode (for benchmarks and tests). */
  get physicsWorld(): PhysicsWorld {
    if (!this.physics) throw new Error('Environment: call reset() first');
    return this.physics;
  }

  get info(): EpisodeInfo {
    if (!this.episode) throw new Error('Environment: call reset() first');
    return this.episode;
  }

  reset(options: ResetOptions): Observation {
    const rng = new Rng(options.seed);
    let scene: Scene;
    let command: string;
    let task: TaskName;
    if (options.command !== undefined) {
      const parsed = parseCommand(options.command);
      task = parsed.task;
      command = options.command;
      scene = options.scene ?? randomScene({ seed: rng.int(0, 2 ** 31), include: mentioned(parsed) });
    } else if (options.scene) {
      throw new Error('Environment.reset: a scene needs a command (which object, what to do)');
    } else {
      task = options.task ?? 'pick';
      const ep = getTask(task).sampleEpisode(rng, options.split ?? 'seen');
      scene = ep.scene;
      command = ep.command;
    }
    const ref = resolveCommand(command, scene); // throws "there is no purple ball on the table"
    const target = scene.objects.findIndex((o) => o.id === ref.targetId);
    const destination = ref.destinationId ? scene.objects.findIndex((o) => o.id === ref.destinationId) : -1;
    this.episode = {
      task,
      command,
      split: splitOf(command, scene.objects[target]!),
      scene,
      target,
      destination,
      direction: ref.direction ? { x: DIRECTION_VECTORS[ref.direction].x, y: DIRECTION_VECTORS[ref.direction].y } : null,
    };

    const prims = armPrimitives(this.arm);
    this.physics = new PhysicsWorld(scene, prims.colliders);
    this.graph = new SceneGraph(scene, this.arm.linkNames.length, prims.primitives);
    this.controller = new JointController(this.arm, this.arm.homeConfiguration());
    this.gripperClosed = false;
    this.stepCount = 0;
    this.doneFlag = false;
    this.arm.linkTransforms(this.controller.positions, this.controller.fingerOpening, this.linkPoses);
    this.physics.moveArm(this.linkPoses, true);
    for (let i = 0; i < SETTLE_STEPS; i++) this.physics.step();
    this.tracker = getTask(task).createTracker(scene, ref);
    this.lastInfo = { success: false, reason: null, time: 0 };
    return this.observe();
  }

  step(action: Action | EeAction): StepResult {
    const physics = this.physics;
    const controller = this.controller;
    if (!physics || !controller || !this.tracker) throw new Error('Environment.step: call reset() first');
    if (this.doneFlag) throw new Error('Environment.step: the episode is over; call reset()');
    const a = action as Action;
    if ('kind' in a && a.kind === 'joint') {
      controller.setTargets(a.targets);
    } else {
      const e = action as EeAction;
      for (const k of ['dx', 'dy', 'dz', 'dyaw', 'gripper'] as const) {
        if (!Number.isFinite(e[k])) throw new Error(`Environment.step: action.${k} must be a finite number, got ${e[k]}`);
      }
      controller.setTargets(controller.eeActionToTargets(e, this.scratchTargets));
    }
    const close = (a.gripper ?? 0) >= 0.5;
    if (close !== this.gripperClosed) {
      this.gripperClosed = close;
      if (!close) physics.release();
      controller.setGripper(close ? 'close' : 'open');
    }

    for (let s = 0; s < SUBSTEPS; s++) {
      controller.update(physics.dt);
      this.arm.linkTransforms(controller.positions, controller.fingerOpening, this.linkPoses);
      physics.moveArm(this.linkPoses);
      physics.step();
      if (this.gripperClosed && physics.heldObject < 0) {
        const between = physics.objectBetweenFingers();
        if (between >= 0) {
          physics.attach(between);
          controller.holdFingers(); // the fingers stall on the object, as a force-limited gripper does
        }
      }
    }
    this.stepCount++;
    const time = this.stepCount / CONTROL_HZ;
    const verdict = this.tracker.update(this.snapshot(time));
    let reason = verdict.reason;
    let done = verdict.success || verdict.failed;
    if (!done && this.stepCount >= this.maxSteps) {
      done = true;
      reason = 'timeout';
    }
    if (verdict.success) reason = 'success';
    this.doneFlag = done;
    this.lastInfo = { success: verdict.success, reason: done ? reason : null, time };
    return { observation: this.observe(), reward: verdict.success ? 1 : 0, done, info: this.lastInfo };
  }

  /** Privileged world state (for the expert, the task predicates and evaluation). */
  snapshot(time = this.stepCount / CONTROL_HZ): WorldSnapshot {
    const physics = this.physics!;
    return {
      time,
      gripperOpening: this.controller!.fingerOpening / this.arm.maxFingerOpening,
      objects: physics.objects.map((o, i) => ({
        id: o.spec.id,
        position: { x: o.body.position.x, y: o.body.position.y, z: o.body.position.z },
        quaternion: { x: o.body.quaternion.x, y: o.body.quaternion.y, z: o.body.quaternion.z, w: o.body.quaternion.w },
        held: physics.heldObject === i,
      })),
    };
  }

  /**
   * Renders a named camera at any size (e.g. large frames for a GIF), from the current state; with
   * extra.supersampling k > 1, at k times the size and box-filtered down (CameraSpec.supersampling).
   */
  render(name: CameraName, width: number, height: number, extra: { depth?: boolean; segmentation?: boolean; supersampling?: number } = {}): CameraImage {
    this.graph!.sync(this.physics!, this.linkPoses);
    const k = extra.supersampling ?? 1;
    if (!isSupersampling(k)) {
      throw new Error(`camera "${name}": supersampling must be an integer from 1 to ${MAX_SUPERSAMPLING}, got ${k}`);
    }
    checkCameraSize(name, width, height, k);
    const image = createCameraImage(width, height, extra);
    if (k === 1) {
      this.renderer.render(this.graph!.scene, this.cameraFor(name, width, height), image, extra);
      return image;
    }
    const big = this.supersampled(width * k, height * k, extra);
    this.renderer.render(this.graph!.scene, this.cameraFor(name, width * k, height * k), big, extra);
    return downsampleImage(big, k, image);
  }

  /** The large image a supersampled frame is rendered into, reused while the size and planes asked for stay the same. */
  private supersampleScratch: CameraImage | null = null;
  private supersampled(width: number, height: number, extra: { depth?: boolean; segmentation?: boolean }): CameraImage {
    const s = this.supersampleScratch;
    if (s && s.width === width && s.height === height && !s.depth === !extra.depth && !s.segmentation === !extra.segmentation) return s;
    return (this.supersampleScratch = createCameraImage(width, height, extra));
  }

  private readonly cameraCache = new Map<string, ReturnType<typeof makeCamera>>();
  private cameraFor(name: CameraName, width: number, height: number) {
    const key = `${name}:${width}x${height}`;
    let cam = this.cameraCache.get(key);
    if (!cam) {
      cam = makeCamera(CAMERA_PRESETS[name], width / height);
      this.cameraCache.set(key, cam);
    }
    return cam;
  }

  private observe(): Observation {
    const controller = this.controller!;
    const images: Record<string, CameraImage> = {};
    for (const c of this.cameras) {
      images[c.name] = this.render(c.name, c.width, c.height, {
        depth: c.depth ?? false,
        segmentation: c.segmentation ?? false,
        supersampling: c.supersampling ?? 1,
      });
    }
    return {
      images,
      joints: Array.from(controller.positions),
      gripperOpening: controller.fingerOpening / this.arm.maxFingerOpening,
      holding: this.physics!.heldObject >= 0,
      eePose: this.arm.tcpPose(controller.positions),
      command: this.episode!.command,
      step: this.stepCount,
    };
  }
}

function mentioned(parsed: ReturnType<typeof parseCommand>): ObjectRef[] {
  const list: ObjectRef[] = [{ kind: parsed.target.kind, colour: parsed.target.colour }];
  if (parsed.destination) list.push({ kind: parsed.destination.kind, colour: parsed.destination.colour });
  return list;
}

/** The largest side, in pixels, of a rendered camera image (after supersampling: side x k). */
export const MAX_RENDER_SIDE = 4096;

/**
 * Camera sizes are whole pixels from 1 up to MAX_RENDER_SIDE rendered (a side of 100000 would ask for 30 GB and fail
 * as a typed-array error far from the option that asked for it).
 */
export function checkCameraSize(name: string, width: number, height: number, supersampling: number): void {
  for (const [what, v] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(v) || v < 1 || v * supersampling > MAX_RENDER_SIDE) {
      const most = Math.floor(MAX_RENDER_SIDE / Math.max(1, supersampling));
      throw new Error(`camera "${name}": ${what} must be a whole number of pixels from 1 to ${most}${supersampling > 1 ? ` (with supersampling ${supersampling})` : ''}, got ${v}`);
    }
  }
}
