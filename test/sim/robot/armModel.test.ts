import { describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  ArmModel,
  DEFAULT_ARM_ACCELERATION,
  DEFAULT_ARM_VELOCITY,
  DEFAULT_FINGER_VELOCITY,
  DEFAULT_URDF_PATH,
  UrdfError,
} from '../../../sim/robot/index.js';
import { ARM_BASE } from '../../../sim/types.js';

const XML = readFileSync(DEFAULT_URDF_PATH, 'utf8');

/** A minimal valid arm: base -> (revolute j1) -> l1 -> (fixed tcp_joint) -> tcp, plus one finger. */
function tinyArm(parts: { j1?: string; extra?: string; tcp?: string; finger?: string } = {}): string {
  const j1 =
    parts.j1 ??
    `<joint name="j1" type="revolute"><parent link="base"/><child link="l1"/><axis xyz="0 0 1"/>
       <limit lower="-1" upper="1"/></joint>`;
  const tcp = parts.tcp ?? `<joint name="tcp_joint" type="fixed"><parent link="l1"/><child link="tcp"/></joint><link name="tcp"/>`;
  const finger =
    parts.finger ??
    `<joint name="f1" type="prismatic"><parent link="l1"/><child link="f1_link"/><axis xyz="0 1 0"/>
       <limit lower="0" upper="0.03"/></joint><link name="f1_link"/>`;
  return `<robot name="tiny"><link name="base"/><link name="l1"/>${j1}${tcp}${finger}${parts.extra ?? ''}</robot>`;
}

function problem(xml: string, options = {}): string {
  // xmldom and roslib report some problems on the console as well; keep the test output clean.
  const quiet = [vi.spyOn(console, 'warn').mockImplementation(() => {}), vi.spyOn(console, 'error').mockImplementation(() => {})];
  try {
    ArmModel.fromUrdf(xml, options);
  } catch (e) {
    expect(e).toBeInstanceOf(UrdfError);
    return (e as Error).message;
  } finally {
    quiet.forEach((s) => s.mockRestore());
  }
  throw new Error('expected a UrdfError');
}

describe('ArmModel: the bundled URDF', () => {
  const arm = ArmModel.loadDefault();

  it('has 5 arm joints and 2 fingers with the documented names', () => {
    expect(arm.name).toBe('vla_arm');
    expect(arm.armJointNames).toEqual(['base_yaw', 'shoulder', 'elbow', 'wrist_pitch', 'wrist_roll']);
    expect(arm.fingerJointNames).toEqual(['finger_left', 'finger_right']);
    expect(arm.armDof).toBe(5);
    expect(arm.linkNames).toEqual([
      'base_link', 'turret', 'upper_arm', 'forearm', 'wrist', 'hand', 'finger_left_link', 'finger_right_link', 'tcp',
    ]);
    expect(arm.linkNames[arm.tcpLink]).toBe('tcp');
    expect(arm.chainLinks.map((l) => arm.linkNames[l])).toEqual(['base_link', 'turret', 'upper_arm', 'forearm', 'wrist', 'hand', 'tcp']);
    expect(arm.source).toBe(DEFAULT_URDF_PATH);
  });

  it('reads position limits from the URDF and velocity/acceleration from the defaults', () => {
    const byName = Object.fromEntries(arm.limits.map((l) => [l.name, l]));
    expect(byName.base_yaw).toMatchObject({ lower: -2.967, upper: 2.967, velocity: DEFAULT_ARM_VELOCITY, acceleration: DEFAULT_ARM_ACCELERATION });
    expect(byName.elbow).toMatchObject({ lower: -0.3, upper: 2.8 });
    expect(byName.finger_left).toMatchObject({ lower: 0, upper: 0.04, velocity: DEFAULT_FINGER_VELOCITY });
    expect(arm.limits.map((l) => l.name)).toEqual([...arm.armJointNames, ...arm.fingerJointNames]);
    expect(arm.maxFingerOpening).toBe(0.04);
  });

  it('takes velocity and acceleration limits from options, per joint too', () => {
    const a = ArmModel.fromUrdf(XML, { armVelocity: 1.5, fingerAcceleration: 3, perJoint: { elbow: { velocity: 0.5 } } });
    expect(a.armLimits[0]!.velocity).toBe(1.5);
    expect(a.armLimits[2]!.velocity).toBe(0.5);
    expect(a.fingerLimits[1]!.acceleration).toBe(3);
    expect(problem(XML, { perJoint: { elbo: { velocity: 1 } } })).toMatch(/perJoint names 'elbo'/);
    expect(problem(XML, { armVelocity: 0 })).toMatch(/armVelocity must be a positive number/);
  });

  it('exposes primitive visuals with colours; fingers are dark boxes of about 2 x 1.5 x 6 cm', () => {
    expect(arm.visuals.length).toBe(12);
    for (const v of arm.visuals) {
      expect(['box', 'cylinder', 'sphere']).toContain(v.shape.kind);
      expect(arm.linkNames[v.linkIndex]).toBe(v.link);
      expect(v.rgb.every((c) => c >= 0 && c <= 1)).toBe(true);
    }
    const fingers = arm.visuals.filter((v) => v.link.startsWith('finger_'));
    expect(fingers.length).toBe(2);
    for (const f of fingers) {
      expect(f.shape).toEqual({ kind: 'box', size: [0.02, 0.015, 0.06] });
      expect(Math.max(...f.rgb)).toBeLessThan(0.2);
    }
    const shoulderHousing = arm.visuals.find((v) => v.link === 'turret' && v.shape.kind === 'cylinder' && v.position[2] === 0.16)!;
    expect(shoulderHousing.quaternion[0]).toBeCloseTo(Math.SQRT1_2, 12); // rpy (pi/2, 0, 0): along y
  });

  it('sits at ARM_BASE unless told otherwise', () => {
    expect(arm.basePose).toEqual({ ...ARM_BASE, yaw: 0 });
    const moved = ArmModel.fromUrdf(XML, { basePose: { x: 0.1, y: 0.2, z: 0.3, yaw: 1 } });
    expect(moved.basePose).toEqual({ x: 0.1, y: 0.2, z: 0.3, yaw: 1 });
  });

  it('accepts a fixed joint named tcp instead of a link', () => {
    const a = ArmModel.fromUrdf(tinyArm({ tcp: `<joint name="tcp" type="fixed"><parent link="l1"/><child link="tip"/></joint><link name="tip"/>` }));
    expect(a.linkNames[a.tcpLink]).toBe('tip');
    expect(a.armJointNames).toEqual(['j1']);
    expect(a.fingerJointNames).toEqual(['f1']);
  });
});

describe('ArmModel: bad URDFs give specific errors', () => {
  it('names the file that cannot be read', () => {
    expect(() => ArmModel.load('/nonexistent/arm.urdf')).toThrow(/^\/nonexistent\/arm\.urdf: cannot read the file/);
  });

  it('unparseable XML', () => {
    expect(problem('<robot name="x"><link name="a"></robot>', { source: 'bad.urdf' })).toMatch(/^bad\.urdf: not parseable as URDF/);
  });

  it('no links', () => {
    expect(problem('<foo/>')).toMatch(/no <link> elements/);
  });

  it('no revolute joints', () => {
    const j1 = `<joint name="j1" type="fixed"><parent link="base"/><child link="l1"/></joint>`;
    expect(problem(tinyArm({ j1 }))).toMatch(/no revolute joints/);
  });

  it('a revolute joint without limits', () => {
    const j1 = `<joint name="j1" type="revolute"><parent link="base"/><child link="l1"/><axis xyz="0 0 1"/></joint>`;
    expect(problem(tinyArm({ j1 }))).toMatch(/joint 'j1' \(revolute\) has no <limit lower/);
  });

  it('a prismatic finger without limits', () => {
    const finger = `<joint name="f1" type="prismatic"><parent link="l1"/><child link="f1_link"/><axis xyz="0 1 0"/></joint><link name="f1_link"/>`;
    expect(problem(tinyArm({ finger }))).toMatch(/joint 'f1' \(prismatic\) has no <limit/);
  });

  it('lower limit above upper', () => {
    const j1 = `<joint name="j1" type="revolute"><parent link="base"/><child link="l1"/><limit lower="1" upper="-1"/></joint>`;
    expect(problem(tinyArm({ j1 }))).toMatch(/lower limit 1 above upper limit -1/);
  });

  it('a broken chain: a joint names a link that does not exist', () => {
    const j1 = `<joint name="j1" type="revolute"><parent link="base"/><child link="l2"/><limit lower="-1" upper="1"/></joint>`;
    expect(problem(tinyArm({ j1 }))).toMatch(/broken chain: joint 'j1' has child link 'l2', which is not defined/);
  });

  it('a broken chain: two roots', () => {
    expect(problem(tinyArm({ extra: '<link name="floating"/>' }))).toMatch(/broken chain: 2 links have no parent joint \(base, floating\)/);
  });

  it('a link with two parents', () => {
    const extra = `<joint name="again" type="fixed"><parent link="base"/><child link="tcp"/></joint>`;
    expect(problem(tinyArm({ extra }))).toMatch(/link 'tcp' is the child of two joints/);
  });

  it('no tcp frame', () => {
    expect(problem(tinyArm({ tcp: '' }))).toMatch(/no link or fixed joint named 'tcp'/);
    expect(problem(XML, { tcpName: 'tool0' })).toMatch(/no link or fixed joint named 'tool0'/);
  });

  it('unsupported joint types and geometry', () => {
    const j1 = `<joint name="j1" type="floating"><parent link="base"/><child link="l1"/></joint>`;
    expect(problem(tinyArm({ j1, extra: '<joint name="j0" type="revolute"><parent link="l1"/><child link="x"/><limit lower="0" upper="1"/></joint><link name="x"/>' }))).toMatch(
      /joint 'j1' has type 'floating'/,
    );
    const mesh = XML.replace('<cylinder radius="0.08" length="0.08"/>', '<mesh filename="foot.stl"/>');
    expect(problem(mesh)).toMatch(/link 'base_link' visual 0 is a mesh/);
  });

  it('a moving joint that is neither on the chain nor a finger', () => {
    const extra = `<joint name="stray" type="revolute"><parent link="base"/><child link="s"/><limit lower="0" upper="1"/></joint><link name="s"/>`;
    expect(problem(tinyArm({ extra }))).toMatch(/joint 'stray' \(revolute\) moves but is neither on the chain/);
  });
});
