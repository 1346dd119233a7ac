/**
 * The cannon-es world: a static table, dynamic objects, static receptacles, and the arm as kinematic bodies.
 *
 * Why kinematic links: cannon-es's HingeConstraint has only a velocity motor and no joint limits, and a chain of
 * hinged links drifts apart by centimetres at default solver settings. So our own joint controller decides where
 * every link is, and each physics step moves the link bodies there with the velocity that gets them there (so
 * contacts still push objects the way a moving arm would), then snaps them exactly (so nothing drifts).
 *
 * The grasp rule (as suction grippers in Ravens, Zeng et al. 2020, hold objects): cannon-es friction does not
 * grow with grip force, so squeezing cannot hold an object. Instead, when the gripper is closing and BOTH
 * fingers touch the same object, a LockConstraint fixes the object to the hand; it is removed when the gripper
 * opens. While held the object still collides with everything else, so it can be placed, stacked or knocked.
 */
import * as CANNON from 'cannon-es';
import type { Matrix4 } from 'three';
import type { Scene, SceneObject } from '../types.js';
import { BOWL_WALL, PLATE_THICKNESS, objectDims, type ObjectDims } from './objectGeometry.js';

/** One collision primitive of an arm link, in the link's frame. */
export interface ColliderSpec {
  /** Index into the link pose array given to moveArm. */
  link: number;
  shape: 'box' | 'cylinder' | 'sphere';
  /** box: full extents [x, y, z]; cylinder: [radius, length] along local z; sphere: [radius]. */
  dims: readonly number[];
  position: readonly [number, number, number];
  /** x, y, z, w */
  quaternion: readonly [number, number, number, number];
}

export interface ArmColliders {
  linkCount: number;
  colliders: readonly ColliderSpec[];
  /** Link indices of the two fingers and of the hand (the body a grasped object is locked to). */
  leftFinger: number;
  rightFinger: number;
  hand: number;
}

export interface PhysicsOptions {
  /** Fixed step, seconds; default 1/240. */
  dt?: number;
  /** Gauss-Seidel iterations; default 10. */
  solverIterations?: number;
}

export const TABLE = { halfX: 0.5, halfY: 0.5, thickness: 0.04 } as const;

/**
 * Collision groups. cannon-es's broadphase only skips pairs of two static bodies, so without filters every arm
 * link (kinematic) was tested against the table and against each other every step: a third of the step time.
 * Only movable objects collide with the arm; the table, floor and receptacles collide with movable objects.
 */
const GROUP = { fixed: 1, movable: 2, arm: 4 } as const;

export interface WorldObject {
  spec: SceneObject;
  dims: ObjectDims;
  body: CANNON.Body;
}

// Scratch objects for the per-step arm update (no allocation in the physics loop).
const sPos = new CANNON.Vec3();
const sQuat = new CANNON.Quaternion();
const sQuatInv = new CANNON.Quaternion();
const sDelta = new CANNON.Quaternion();
const sAxis = new CANNON.Vec3();

/** Cylinders in cannon-es are built along local y; this turns them to stand along z. */
const Y_TO_Z = new CANNON.Quaternion().setFromAxisAngle(new CANNON.Vec3(1, 0, 0), Math.PI / 2);

export class PhysicsWorld {
  readonly world: CANNON.World;
  readonly dt: number;
  readonly objects: WorldObject[] = [];
  readonly linkBodies: CANNON.Body[] = [];
  /** Exact commanded pose of each link for the end of the current step. */
  private readonly linkTargetPos: CANNON.Vec3[] = [];
  private readonly linkTargetQuat: CANNON.Quaternion[] = [];
  private readonly arm: ArmColliders;
  private grasp: { constraint: CANNON.LockConstraint; object: number } | null = null;
  private readonly touchLeft = new Set<number>();
  private readonly touchRight = new Set<number>();
  private readonly bodyToObject = new Map<number, number>();

  constructor(scene: Scene, arm: ArmColliders, options: PhysicsOptions = {}) {
    this.dt = options.dt ?? 1 / 240;
    this.arm = arm;
    // Sleeping: an object at rest stops being tested against the table until something touches it (most objects
    // rest most of the time). Deterministic like everything else in cannon-es.
    const world = new CANNON.World({ gravity: new CANNON.Vec3(0, 0, -9.81), allowSleep: true });
    const solver = new CANNON.GSSolver();
    solver.iterations = options.solverIterations ?? 10;
    solver.tolerance = 1e-7;
    world.solver = solver;
    world.defaultContactMaterial.friction = 0.5;
    world.defaultContactMaterial.restitution = 0.05;
    world.defaultContactMaterial.contactEquationStiffness = 1e7;
    world.defaultContactMaterial.contactEquationRelaxation = 3;
    this.world = world;

    // Table top: its upper face is the plane z = 0. A floor far below stops anything knocked off.
    const fixed = { collisionFilterGroup: GROUP.fixed, collisionFilterMask: GROUP.movable };
    const table = new CANNON.Body({ type: CANNON.Body.STATIC, ...fixed });
    table.addShape(new CANNON.Box(new CANNON.Vec3(TABLE.halfX, TABLE.halfY, TABLE.thickness / 2)));
    table.position.set(0, 0, -TABLE.thickness / 2);
    world.addBody(table);
    const floor = new CANNON.Body({ type: CANNON.Body.STATIC, shape: new CANNON.Plane(), ...fixed });
    floor.position.set(0, 0, -0.75);
    world.addBody(floor);

    scene.objects.forEach((spec, i) => this.addObject(spec, i));
    for (let l = 0; l < arm.linkCount; l++) {
      // The arm never sleeps: a sleeping body is woken only by a collision with an awake one, never by the velocity
      // moveArm sets, so an arm that had paused for a second went on moving asleep, passing through the (equally
      // asleep) objects without a contact, and no grasp could succeed for the rest of the episode.
      const body = new CANNON.Body({
        type: CANNON.Body.KINEMATIC,
        allowSleep: false,
        mass: 0,
        collisionFilterGroup: GROUP.arm,
        collisionFilterMask: GROUP.movable,
      });
      this.linkBodies.push(body);
      this.linkTargetPos.push(new CANNON.Vec3());
      this.linkTargetQuat.push(new CANNON.Quaternion());
    }
    for (const c of arm.colliders) {
      const body = this.linkBodies[c.link];
      if (!body) throw new Error(`arm collider refers to link ${c.link}, but the arm has ${arm.linkCount} links`);
      const offset = new CANNON.Vec3(...c.position);
      const orientation = new CANNON.Quaternion(...c.quaternion);
      if (c.shape === 'box') {
        body.addShape(new CANNON.Box(new CANNON.Vec3(c.dims[0]! / 2, c.dims[1]! / 2, c.dims[2]! / 2)), offset, orientation);
      } else if (c.shape === 'sphere') {
        body.addShape(new CANNON.Sphere(c.dims[0]!), offset, orientation);
      } else {
        body.addShape(new CANNON.Cylinder(c.dims[0]!, c.dims[0]!, c.dims[1]!, 12), offset, orientation.mult(Y_TO_Z));
      }
    }
    this.linkBodies.forEach((b) => b.shapes.length > 0 && world.addBody(b));

    world.addEventListener('postStep', () => this.collectFingerContacts());
  }

  private addObject(spec: SceneObject, index: number): void {
    const dims = objectDims(spec.kind, spec.size);
    const movable = dims.mass > 0;
    const body = new CANNON.Body({
      mass: dims.mass,
      type: movable ? CANNON.Body.DYNAMIC : CANNON.Body.STATIC,
      collisionFilterGroup: movable ? GROUP.movable : GROUP.fixed,
      collisionFilterMask: movable ? GROUP.fixed | GROUP.movable | GROUP.arm : GROUP.movable,
    });
    const r = dims.radius;
    switch (spec.kind) {
      case 'ball':
        body.addShape(new CANNON.Sphere(r));
        break;
      case 'cube':
        body.addShape(new CANNON.Box(new CANNON.Vec3(r, r, r)));
        break;
      case 'cylinder':
        body.addShape(new CANNON.Cylinder(r, r, dims.height, 16), undefined, Y_TO_Z);
        break;
      case 'plate':
        body.addShape(new CANNON.Cylinder(r, r, PLATE_THICKNESS, 24), undefined, Y_TO_Z);
        break;
      case 'bowl': {
        // A flat bottom and a ring of wall segments, centred on the body origin (half the height above the table).
        const h = dims.height;
        body.addShape(new CANNON.Cylinder(r, r, BOWL_WALL, 24), new CANNON.Vec3(0, 0, -h / 2 + BOWL_WALL / 2), Y_TO_Z);
        const n = 16;
        const segment = 2 * r * Math.tan(Math.PI / n) + 0.002;
        for (let k = 0; k < n; k++) {
          const a = (2 * Math.PI * k) / n;
          const c = r - BOWL_WALL / 2;
          const q = new CANNON.Quaternion().setFromAxisAngle(new CANNON.Vec3(0, 0, 1), a);
          body.addShape(new CANNON.Box(new CANNON.Vec3(BOWL_WALL / 2, segment / 2, h / 2)), new CANNON.Vec3(c * Math.cos(a), c * Math.sin(a), 0), q);
        }
        break;
      }
    }
    body.position.set(spec.position.x, spec.position.y, dims.height / 2);
    body.quaternion.setFromAxisAngle(new CANNON.Vec3(0, 0, 1), spec.yaw);
    body.sleepSpeedLimit = 0.02; // m/s
    body.sleepTimeLimit = 0.2; // s
    body.linearDamping = 0.05;
    body.angularDamping = 0.1;
    this.world.addBody(body);
    this.bodyToObject.set(body.id, index);
    this.objects.push({ spec, dims, body });
  }

  /**
   * Puts the arm links at `poses` (world transforms, one per link) by the end of the next step: sets each link
   * body's velocity to cover the distance in one step. With `snap`, jumps there at once (at reset).
   */
  moveArm(poses: readonly Matrix4[], snap = false): void {
    const inv = 1 / this.dt;
    for (let l = 0; l < this.linkBodies.length; l++) {
      const body = this.linkBodies[l]!;
      const e = poses[l]!.elements; // column-major
      sPos.set(e[12]!, e[13]!, e[14]!);
      matrixToQuaternion(e, sQuat);
      if (snap) {
        this.linkTargetPos[l]!.copy(sPos);
        this.linkTargetQuat[l]!.copy(sQuat);
        body.position.copy(sPos);
        body.quaternion.copy(sQuat);
        body.velocity.setZero();
        body.angularVelocity.setZero();
        continue;
      }
      // linear velocity = (target - current) / dt
      body.velocity.set((sPos.x - body.position.x) * inv, (sPos.y - body.position.y) * inv, (sPos.z - body.position.z) * inv);
      // angular velocity from the rotation q_target * q_current^-1, as axis * angle / dt
      body.quaternion.conjugate(sQuatInv);
      sQuat.mult(sQuatInv, sDelta);
      if (sDelta.w < 0) sDelta.set(-sDelta.x, -sDelta.y, -sDelta.z, -sDelta.w);
      const s = Math.sqrt(sDelta.x * sDelta.x + sDelta.y * sDelta.y + sDelta.z * sDelta.z);
      if (s < 1e-9) body.angularVelocity.setZero();
      else {
        const angle = 2 * Math.atan2(s, sDelta.w);
        sAxis.set(sDelta.x / s, sDelta.y / s, sDelta.z / s);
        body.angularVelocity.set(sAxis.x * angle * inv, sAxis.y * angle * inv, sAxis.z * angle * inv);
      }
      // Remember the exact target; step() snaps to it after integrating.
      this.linkTargetPos[l]!.copy(sPos);
      this.linkTargetQuat[l]!.copy(sQuat);
    }
  }

  /** One fixed physics step. */
  step(): void {
    this.world.step(this.dt);
    for (let l = 0; l < this.linkBodies.length; l++) {
      // Snap to the exact commanded pose so that integration error never accumulates.
      this.linkBodies[l]!.position.copy(this.linkTargetPos[l]!);
      this.linkBodies[l]!.quaternion.copy(this.linkTargetQuat[l]!);
    }
  }

  private collectFingerContacts(): void {
    this.touchLeft.clear();
    this.touchRight.clear();
    const left = this.linkBodies[this.arm.leftFinger]!.id;
    const right = this.linkBodies[this.arm.rightFinger]!.id;
    for (const c of this.world.contacts) {
      const a = c.bi.id;
      const b = c.bj.id;
      const objA = this.bodyToObject.get(a);
      const objB = this.bodyToObject.get(b);
      if (objB !== undefined && a === left) this.touchLeft.add(objB);
      if (objA !== undefined && b === left) this.touchLeft.add(objA);
      if (objB !== undefined && a === right) this.touchRight.add(objB);
      if (objA !== undefined && b === right) this.touchRight.add(objA);
    }
  }

  /**
   * The movable object that both fingers touched in the last step AND whose centre lies between them (so a
   * closed gripper pushing an object with its fingertips does not pick it up), or -1.
   */
  objectBetweenFingers(): number {
    const l = this.linkBodies[this.arm.leftFinger]!.position;
    const r = this.linkBodies[this.arm.rightFinger]!.position;
    const ax = r.x - l.x;
    const ay = r.y - l.y;
    const az = r.z - l.z;
    const len2 = ax * ax + ay * ay + az * az;
    for (const i of this.touchLeft) {
      if (!this.touchRight.has(i) || this.objects[i]!.dims.mass <= 0) continue;
      const p = this.objects[i]!.body.position;
      // Position of the object's centre along the finger-to-finger axis: 0 at the left finger, 1 at the right.
      const t = len2 > 0 ? ((p.x - l.x) * ax + (p.y - l.y) * ay + (p.z - l.z) * az) / len2 : -1;
      if (t > 0 && t < 1) return i;
    }
    return -1;
  }

  /** Index of the held object, or -1. */
  get heldObject(): number {
    return this.grasp ? this.grasp.object : -1;
  }

  /** Locks object i to the hand where it is now. */
  attach(i: number): void {
    if (this.grasp) return;
    const hand = this.linkBodies[this.arm.hand]!;
    const object = this.objects[i]!.body;
    object.wakeUp();
    const constraint = new CANNON.LockConstraint(hand, object, { maxForce: 1e3 });
    constraint.collideConnected = false;
    this.world.addConstraint(constraint);
    this.grasp = { constraint, object: i };
  }

  release(): void {
    if (!this.grasp) return;
    this.objects[this.grasp.object]!.body.wakeUp();
    this.world.removeConstraint(this.grasp.constraint);
    this.grasp = null;
  }
}

/** Rotation part of a column-major 4x4 matrix as a quaternion (Shepperd's method, as three.js does). */
function matrixToQuaternion(e: ArrayLike<number>, out: CANNON.Quaternion): void {
  const m11 = e[0]!, m12 = e[4]!, m13 = e[8]!;
  const m21 = e[1]!, m22 = e[5]!, m23 = e[9]!;
  const m31 = e[2]!, m32 = e[6]!, m33 = e[10]!;
  const trace = m11 + m22 + m33;
  if (trace > 0) {
    const s = 0.5 / Math.sqrt(trace + 1);
    out.set((m32 - m23) * s, (m13 - m31) * s, (m21 - m12) * s, 0.25 / s);
  } else if (m11 > m22 && m11 > m33) {
    const s = 2 * Math.sqrt(1 + m11 - m22 - m33);
    out.set(0.25 * s, (m12 + m21) / s, (m13 + m31) / s, (m32 - m23) / s);
  } else if (m22 > m33) {
    const s = 2 * Math.sqrt(1 + m22 - m11 - m33);
    out.set((m12 + m21) / s, 0.25 * s, (m23 + m32) / s, (m13 - m31) / s);
  } else {
    const s = 2 * Math.sqrt(1 + m33 - m11 - m22);
    out.set((m13 + m31) / s, (m23 + m32) / s, 0.25 * s, (m21 - m12) / s);
  }
}
