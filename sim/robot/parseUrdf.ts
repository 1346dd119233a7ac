/**
 * Reads a URDF (parsed by roslib's UrdfModel) into the flat layout ArmModel exposes, with errors that say what
 * is wrong: unparseable text, unsupported joint types, joints naming missing links, several roots, a revolute or
 * prismatic joint without <limit lower upper>, no tcp frame, no revolute joint on the chain to it, meshes.
 */
import * as ROSLIB from 'roslib';
import { ARM_BASE } from '../types.js';
import {
  DEFAULT_ARM_ACCELERATION,
  DEFAULT_ARM_VELOCITY,
  DEFAULT_FINGER_ACCELERATION,
  DEFAULT_FINGER_VELOCITY,
  DEFAULT_VISUAL_RGB,
  type ArmModelOptions,
  type BasePose,
  type JointLimit,
  type JointType,
  type LinkVisual,
  type ModelJoint,
  type VisualShape,
} from './armTypes.js';

/** Every error about a URDF file or text; the message starts with the source (file path or 'URDF text'). */
export class UrdfError extends Error {
  constructor(
    readonly source: string,
    readonly problem: string,
  ) {
    super(`${source}: ${problem}`);
    this.name = 'UrdfError';
  }
}

/** What parseArmUrdf finds; ArmModel's fields (see there). */
export interface ParsedArm {
  name: string;
  source: string;
  linkNames: string[];
  joints: ModelJoint[];
  linkParentJoint: number[];
  armJointNames: string[];
  fingerJointNames: string[];
  armLimits: JointLimit[];
  fingerLimits: JointLimit[];
  visuals: LinkVisual[];
  basePose: Required<BasePose>;
  tcpLink: number;
  chainLinks: number[];
}

/*
 * roslib 2.1's type declarations do not resolve under moduleResolution NodeNext (its RosLib.d.ts re-exports
 * './src/RosLib' without an extension), so `import * as ROSLIB` is typed as an empty namespace. These are the
 * parts of its URDF classes we read (roslib/dist/src/urdf/*.d.ts), and the constructor is reached through them.
 */
interface RlVec3 {
  x: number;
  y: number;
  z: number;
}
interface RlPose {
  position: RlVec3;
  orientation: RlVec3 & { w: number };
}
interface RlGeometry {
  /** UrdfType: SPHERE 0, BOX 1, CYLINDER 2, MESH 3. */
  type: number;
  dimension?: RlVec3 | null;
  radius?: number;
  length?: number;
}
interface RlVisual {
  origin: RlPose | null;
  geometry: RlGeometry | null;
  material: { color: { r: number; g: number; b: number; a: number } | null } | null;
}
interface RlLink {
  name: string;
  visuals: RlVisual[];
}
interface RlJoint {
  name: string;
  type: string | null;
  parent: string | null;
  child: string | null;
  /** NaN without <limit lower upper>. */
  minval: number;
  maxval: number;
  origin: RlPose;
  axis: RlVec3;
}
interface RlUrdfModel {
  name: string | null;
  links: Record<string, RlLink>;
  joints: Record<string, RlJoint>;
}
const UrdfModel = (ROSLIB as unknown as { UrdfModel: new (o: { string: string }) => RlUrdfModel }).UrdfModel;

const JOINT_TYPES: readonly string[] = ['revolute', 'continuous', 'prismatic', 'fixed'];
// roslib's UrdfType enum values (SPHERE = 0, BOX = 1, CYLINDER = 2, MESH = 3).
const GEOM_SPHERE = 0;
const GEOM_BOX = 1;
const GEOM_CYLINDER = 2;
const GEOM_MESH = 3;

type Fail = (problem: string) => never;

/** The joint tree: every joint names existing links, every link has at most one parent joint, one root. */
interface Tree {
  childrenOf: Map<string, RlJoint[]>;
  parentJointOf: Map<string, RlJoint>;
  root: string;
}

/** A moving joint's limits and axis. */
function checkLimitsAndAxis(j: RlJoint, fail: Fail): void {
  const type = j.type ?? '';
  if ((type === 'revolute' || type === 'prismatic') && !(Number.isFinite(j.minval) && Number.isFinite(j.maxval))) {
    fail(`joint '${j.name}' (${type}) has no <limit lower="..." upper="..."/>`);
  }
  if ((type === 'revolute' || type === 'prismatic') && j.minval > j.maxval) {
    fail(`joint '${j.name}' has lower limit ${j.minval} above upper limit ${j.maxval}`);
  }
  if (type !== 'fixed' && !(Math.hypot(j.axis.x, j.axis.y, j.axis.z) > 1e-9)) fail(`joint '${j.name}' has a zero or invalid <axis xyz>`);
}

function jointTree(links: Record<string, RlLink>, rawJoints: readonly RlJoint[], fail: Fail): Tree {
  const childrenOf = new Map<string, RlJoint[]>();
  const parentJointOf = new Map<string, RlJoint>();
  for (const j of rawJoints) {
    const type = j.type ?? '';
    if (!JOINT_TYPES.includes(type)) fail(`joint '${j.name}' has type '${type}'; supported: ${JOINT_TYPES.join(', ')}`);
    if (!j.parent || !j.child) fail(`joint '${j.name}' lacks a <parent link=...> or <child link=...>`);
    const parent = j.parent as string;
    const child = j.child as string;
    if (!(parent in links)) fail(`broken chain: joint '${j.name}' has parent link '${parent}', which is not defined`);
    if (!(child in links)) fail(`broken chain: joint '${j.name}' has child link '${child}', which is not defined`);
    const other = parentJointOf.get(child);
    if (other) fail(`link '${child}' is the child of two joints ('${other.name}' and '${j.name}')`);
    parentJointOf.set(child, j);
    const list = childrenOf.get(parent) ?? [];
    list.push(j);
    childrenOf.set(parent, list);
    checkLimitsAndAxis(j, fail);
  }
  if (!rawJoints.some((j) => j.type === 'revolute' || j.type === 'continuous')) {
    fail('no revolute joints (an arm needs at least one revolute or continuous joint)');
  }
  const roots = Object.keys(links).filter((name) => !parentJointOf.has(name));
  if (roots.length === 0) fail('broken chain: every link has a parent joint (the joints form a cycle)');
  if (roots.length > 1) fail(`broken chain: ${roots.length} links have no parent joint (${roots.join(', ')}); a URDF has one root`);
  return { childrenOf, parentJointOf, root: roots[0] as string };
}

/** Links depth first from the root, joints in document order; `order[i]` is the joint into link i (null: the root). */
function treeOrder(tree: Tree, linkCount: number, fail: Fail): { linkNames: string[]; order: (RlJoint | null)[] } {
  const linkNames: string[] = [];
  const order: (RlJoint | null)[] = [];
  const stack: [string, RlJoint | null][] = [[tree.root, null]];
  while (stack.length > 0) {
    const [name, via] = stack.pop() as [string, RlJoint | null];
    linkNames.push(name);
    order.push(via);
    const kids = tree.childrenOf.get(name) ?? [];
    for (let k = kids.length - 1; k >= 0; k--) stack.push([(kids[k] as RlJoint).child as string, kids[k] as RlJoint]);
  }
  if (linkNames.length !== linkCount) fail('broken chain: some links are not connected to the root');
  return { linkNames, order };
}

/** The tool centre point's link: a link named `tcpName`, or the child of a fixed joint of that name. */
function tcpLinkOf(links: Record<string, RlLink>, rawJoints: readonly RlJoint[], tcpName: string, fail: Fail): string {
  if (tcpName in links) return tcpName;
  const tj = rawJoints.find((j) => j.name === tcpName);
  if (tj && tj.type !== 'fixed') fail(`joint '${tcpName}' must be fixed to mark the tool centre point, not ${tj.type}`);
  return tj?.child ?? fail(`no link or fixed joint named '${tcpName}' (the tool centre point)`);
}

/** The arm's joints (revolute joints on the chain to the tcp) and the fingers (prismatic joints below the last one). */
function armAndFingers(tree: Tree, names: { linkNames: string[]; order: (RlJoint | null)[] }, tcpLinkName: string, fail: Fail) {
  const { linkNames, order } = names;
  const linkIndex = new Map(linkNames.map((n, i) => [n, i]));
  const chainLinks: number[] = [];
  for (let l: string | undefined = tcpLinkName; l !== undefined; l = tree.parentJointOf.get(l)?.parent ?? undefined) {
    chainLinks.unshift(linkIndex.get(l) as number);
  }
  const chainJoints = chainLinks.slice(1).map((l) => tree.parentJointOf.get(linkNames[l] as string) as RlJoint);
  const armRaw = chainJoints.filter((j) => j.type === 'revolute' || j.type === 'continuous');
  if (armRaw.length === 0) fail(`no revolute joints on the chain from '${tree.root}' to '${tcpLinkName}'`);
  const prismaticOnChain = chainJoints.find((j) => j.type === 'prismatic');
  if (prismaticOnChain) fail(`prismatic joint '${prismaticOnChain.name}' on the arm chain is not supported`);

  const lastArm = armRaw[armRaw.length - 1] as RlJoint;
  const gripperRoot = linkIndex.get(lastArm.child as string) as number;
  const inGripper = (li: number): boolean => {
    for (let l: string | undefined = linkNames[li]; l !== undefined; l = tree.parentJointOf.get(l)?.parent ?? undefined) {
      if (linkIndex.get(l) === gripperRoot) return true;
    }
    return false;
  };
  const fingerRaw: RlJoint[] = [];
  for (let li = 1; li < linkNames.length; li++) {
    const j = order[li] as RlJoint;
    if (j.type === 'fixed' || armRaw.includes(j)) continue;
    if (j.type === 'prismatic' && inGripper(li)) fingerRaw.push(j);
    else fail(`joint '${j.name}' (${j.type}) moves but is neither on the chain to '${tcpLinkName}' nor a gripper finger`);
  }
  return { linkIndex, chainLinks, tcpLink: linkIndex.get(tcpLinkName) as number, armRaw, fingerRaw };
}

/** Velocity and acceleration limits: per joint, else the options' arm or finger values, else the defaults. */
function jointLimits(options: ArmModelOptions, armRaw: readonly RlJoint[], fingerRaw: readonly RlJoint[], fail: Fail) {
  const positive = (what: string, v: number | undefined, dflt: number): number => {
    const x = v ?? dflt;
    if (!(Number.isFinite(x) && x > 0)) fail(`option ${what} must be a positive number, got ${x}`);
    return x;
  };
  const armVel = positive('armVelocity', options.armVelocity, DEFAULT_ARM_VELOCITY);
  const armAcc = positive('armAcceleration', options.armAcceleration, DEFAULT_ARM_ACCELERATION);
  const finVel = positive('fingerVelocity', options.fingerVelocity, DEFAULT_FINGER_VELOCITY);
  const finAcc = positive('fingerAcceleration', options.fingerAcceleration, DEFAULT_FINGER_ACCELERATION);
  const perJoint = options.perJoint ?? {};
  for (const n of Object.keys(perJoint)) {
    if (!armRaw.some((j) => j.name === n) && !fingerRaw.some((j) => j.name === n)) {
      fail(`options.perJoint names '${n}', which is not an arm or finger joint`);
    }
  }
  const limitOf = (j: RlJoint, vel: number, acc: number): JointLimit => {
    const o = perJoint[j.name] ?? {};
    const continuous = j.type === 'continuous';
    return {
      name: j.name,
      lower: continuous ? -Infinity : j.minval,
      upper: continuous ? Infinity : j.maxval,
      velocity: positive(`perJoint.${j.name}.velocity`, o.velocity, vel),
      acceleration: positive(`perJoint.${j.name}.acceleration`, o.acceleration, acc),
    };
  };
  return { armLimits: armRaw.map((j) => limitOf(j, armVel, armAcc)), fingerLimits: fingerRaw.map((j) => limitOf(j, finVel, finAcc)) };
}

/** One visual's shape: box, cylinder or sphere with positive sizes. */
function visualShape(g: RlGeometry | null, where: string, fail: Fail): VisualShape {
  if (g === null) return fail(`${where} has no supported geometry (box, cylinder or sphere)`);
  if (g.type === GEOM_BOX) {
    const d = g.dimension;
    if (!d || ![d.x, d.y, d.z].every((x) => Number.isFinite(x) && x > 0)) return fail(`${where}: box needs size="x y z" > 0`);
    return { kind: 'box', size: [d.x, d.y, d.z] };
  }
  if (g.type === GEOM_CYLINDER) {
    const radius = g.radius ?? NaN;
    const length = g.length ?? NaN;
    if (!(radius > 0 && length > 0)) return fail(`${where}: cylinder needs radius and length > 0`);
    return { kind: 'cylinder', radius, length };
  }
  if (g.type === GEOM_SPHERE) {
    const radius = g.radius ?? NaN;
    if (!(radius > 0)) return fail(`${where}: sphere needs radius > 0`);
    return { kind: 'sphere', radius };
  }
  if (g.type === GEOM_MESH) return fail(`${where} is a mesh; only box, cylinder and sphere are supported`);
  return fail(`${where} has an unknown geometry`);
}

function linkVisuals(links: Record<string, RlLink>, linkNames: readonly string[], fail: Fail): LinkVisual[] {
  const visuals: LinkVisual[] = [];
  linkNames.forEach((ln, li) => {
    (links[ln] as RlLink).visuals.forEach((v, vi) => {
      const shape = visualShape(v.geometry, `link '${ln}' visual ${vi}`, fail);
      const o = v.origin;
      const c = v.material?.color;
      visuals.push({
        link: ln,
        linkIndex: li,
        shape,
        position: o ? [o.position.x, o.position.y, o.position.z] : [0, 0, 0],
        quaternion: o ? [o.orientation.x, o.orientation.y, o.orientation.z, o.orientation.w] : [0, 0, 0, 1],
        rgb: c ? [c.r, c.g, c.b] : DEFAULT_VISUAL_RGB,
      });
    });
  });
  return visuals;
}

export function parseArmUrdf(xml: string, options: ArmModelOptions = {}): ParsedArm {
  const source = options.source ?? 'URDF text';
  const fail: Fail = (problem) => {
    throw new UrdfError(source, problem);
  };
  let urdf: RlUrdfModel;
  try {
    urdf = new UrdfModel({ string: xml });
  } catch (e) {
    return fail(`not parseable as URDF (${(e as Error).message})`);
  }
  const links = urdf.links;
  const rawJoints = Object.values(urdf.joints);
  if (Object.keys(links).length === 0) fail('no <link> elements (is the root element <robot>?)');
  const tree = jointTree(links, rawJoints, fail);
  const names = treeOrder(tree, Object.keys(links).length, fail);
  const { linkNames, order } = names;
  const tcpLinkName = tcpLinkOf(links, rawJoints, options.tcpName ?? 'tcp', fail);
  const { linkIndex, chainLinks, tcpLink, armRaw, fingerRaw } = armAndFingers(tree, names, tcpLinkName, fail);
  const { armLimits, fingerLimits } = jointLimits(options, armRaw, fingerRaw, fail);

  const joints: ModelJoint[] = [];
  const linkParentJoint: number[] = [-1];
  for (let li = 1; li < linkNames.length; li++) {
    const j = order[li] as RlJoint;
    const p = j.origin.position;
    const q = j.origin.orientation;
    const n = Math.hypot(j.axis.x, j.axis.y, j.axis.z) || 1;
    linkParentJoint.push(joints.length);
    joints.push({
      name: j.name,
      type: j.type as JointType,
      parentLink: linkIndex.get(j.parent as string) as number,
      childLink: li,
      originPosition: [p.x, p.y, p.z],
      originQuaternion: [q.x, q.y, q.z, q.w],
      axis: [j.axis.x / n, j.axis.y / n, j.axis.z / n],
      armIndex: armRaw.indexOf(j),
      fingerIndex: fingerRaw.indexOf(j),
    });
  }
  const visuals = linkVisuals(links, linkNames, fail);

  const bp = options.basePose ?? ARM_BASE;
  const basePose = { x: bp.x, y: bp.y, z: bp.z, yaw: 'yaw' in bp ? (bp.yaw ?? 0) : 0 };
  if (![basePose.x, basePose.y, basePose.z, basePose.yaw].every(Number.isFinite)) fail('options.basePose must be finite numbers');

  return {
    name: urdf.name ?? 'robot',
    source,
    linkNames,
    joints,
    linkParentJoint,
    armJointNames: armRaw.map((j) => j.name),
    fingerJointNames: fingerRaw.map((j) => j.name),
    armLimits,
    fingerLimits,
    visuals,
    basePose,
    tcpLink,
    chainLinks,
  };
}
