/** Success and failure rules of pick, place and push, on synthetic snapshot sequences. */
import { describe, expect, it } from 'vitest';
import { loadScene, restingCentreZ } from '../../../sim/scene/index.js';
import { getTask, pushDisplacement, pushPathClear, type TaskGoal, type TaskTracker, type TrackerStatus, type WorldSnapshot } from '../../../sim/tasks/index.js';
import type { Scene } from '../../../sim/types.js';

type Override = Partial<{ x: number; y: number; z: number; held: boolean }>;

/** Every scene object at rest, with some overridden. */
function snap(scene: Scene, time: number, overrides: Record<string, Override> = {}): WorldSnapshot {
  return {
    time,
    gripperOpening: 1,
    objects: scene.objects.map((o) => {
      const ov = overrides[o.id] ?? {};
      return {
        id: o.id,
        position: { x: ov.x ?? o.position.x, y: ov.y ?? o.position.y, z: ov.z ?? restingCentreZ(o) },
        held: ov.held ?? false,
      };
    }),
  };
}

/** Feeds snapshots at 20 Hz from t0 to t1 (inclusive) and returns the statuses. */
function feed(tracker: TaskTracker, scene: Scene, t0: number, t1: number, overrides: (t: number) => Record<string, Override>): TrackerStatus[] {
  const out: TrackerStatus[] = [];
  for (let k = 0; t0 + k * 0.05 <= t1 + 1e-9; k++) {
    const t = t0 + k * 0.05;
    out.push(tracker.update(snap(scene, t, overrides(t))));
  }
  return out;
}

const last = (xs: TrackerStatus[]) => xs[xs.length - 1]!;

describe('pick', () => {
  const scene = loadScene('default'); // red-ball (0.05, 0.12), d 0.045; blue-cube; green-cylinder; yellow-bowl
  const goal: TaskGoal = { task: 'pick', targetId: 'red-ball' };
  const high = { x: 0.05, y: 0.12, z: 0.0225 + 0.05 + 0.005, held: true };
  const start = () => {
    const tr = getTask('pick').createTracker(scene, goal);
    tr.update(snap(scene, 0));
    return tr;
  };

  it('held high for 0.6 s: success; 0.4 s: not yet', () => {
    const tr = start();
    const early = feed(tr, scene, 0.1, 0.5, () => ({ 'red-ball': high }));
    expect(last(early)).toEqual({ success: false, failed: false, reason: null, detail: null });
    const later = feed(tr, scene, 0.55, 0.7, () => ({ 'red-ball': high }));
    expect(later[0]!.success).toBe(false); // 0.1 -> 0.55: 0.45 s
    expect(later[1]!.success).toBe(true); // 0.1 -> 0.6: 0.5 s
    expect(last(later)).toMatchObject({ success: true, failed: false, reason: 'success' });
  });

  it('the 0.5 s must be continuous', () => {
    const tr = start();
    feed(tr, scene, 0.1, 0.4, () => ({ 'red-ball': high }));
    tr.update(snap(scene, 0.45, { 'red-ball': { ...high, z: 0.06 } })); // dips below 5 cm clearance, still held
    // The clock restarts at 0.5: nothing until 1.0.
    const s = feed(tr, scene, 0.5, 0.95, () => ({ 'red-ball': high }));
    expect(s.some((x) => x.success || x.failed)).toBe(false);
    expect(tr.update(snap(scene, 1.0, { 'red-ball': high })).success).toBe(true);
  });

  it('held but below 5 cm clearance, or high but not held: never success', () => {
    const low = start();
    expect(last(feed(low, scene, 0.1, 2, () => ({ 'red-ball': { ...high, z: 0.0225 + 0.045 } }))).success).toBe(false);
    const loose = start();
    expect(last(feed(loose, scene, 0.1, 2, () => ({ 'red-ball': { ...high, held: false } }))).success).toBe(false);
  });

  it('dropped: the grasp is lost after lifting', () => {
    const tr = start();
    feed(tr, scene, 0.1, 0.3, () => ({ 'red-ball': { ...high, z: 0.06 } }));
    const s = tr.update(snap(scene, 0.35, { 'red-ball': { ...high, z: 0.05, held: false } }));
    expect(s).toMatchObject({ success: false, failed: true, reason: 'dropped' });
    // Latched: later snapshots do not change the verdict.
    expect(tr.update(snap(scene, 0.4, { 'red-ball': high })).reason).toBe('dropped');
  });

  it('a grasp that slips before lifting is not a drop', () => {
    const tr = start();
    tr.update(snap(scene, 0.1, { 'red-ball': { held: true } }));
    expect(tr.update(snap(scene, 0.15)).failed).toBe(false);
  });

  it('wrong object: another object held, lifted or moved far', () => {
    const held = start();
    expect(held.update(snap(scene, 0.1, { 'blue-cube': { held: true } }))).toMatchObject({ failed: true, reason: 'wrong object' });
    const lifted = start();
    const s = lifted.update(snap(scene, 0.1, { 'blue-cube': { z: 0.02 + 0.05 } }));
    expect(s).toMatchObject({ failed: true, reason: 'wrong object' });
    expect(s.detail).toMatch(/blue-cube was lifted 5\.0 cm/);
    const moved = start();
    expect(moved.update(snap(scene, 0.1, { 'green-cylinder': { x: -0.05 + 0.1 } })).reason).toBe('wrong object');
    const nudged = start();
    expect(nudged.update(snap(scene, 0.1, { 'green-cylinder': { x: -0.05 + 0.03 } })).failed).toBe(false);
  });

  it('knocked off table', () => {
    const tr = start();
    expect(tr.update(snap(scene, 0.1, { 'red-ball': { z: -0.2 } }))).toMatchObject({ failed: true, reason: 'knocked off table' });
    const other = start();
    expect(other.update(snap(scene, 0.1, { 'blue-cube': { x: 0.6, z: -0.3 } })).detail).toBe('blue-cube fell off the table');
  });

  it('rejects bad input', () => {
    const tr = start();
    tr.update(snap(scene, 1));
    expect(() => tr.update(snap(scene, 0.5))).toThrow(/must not decrease/);
    expect(() => tr.update({ time: 2, gripperOpening: 0, objects: [] })).toThrow(/has no object "red-ball"/);
    expect(() => getTask('pick').createTracker(scene, { task: 'pick', targetId: 'purple-ball' })).toThrow(/not in scene "default"/);
    expect(() => getTask('pick').createTracker(scene, { task: 'push', targetId: 'red-ball', direction: 'left' })).toThrow(/pick tracker cannot check a push goal/);
  });
});

describe('place', () => {
  const scene = loadScene('place'); // blue-cube (0, 0.1); red-ball (0, -0.1); green-bowl (0.16, 0.12); yellow-plate (0.16, -0.12)
  const start = (destinationId: string) => {
    const tr = getTask('place').createTracker(scene, { task: 'place', targetId: 'blue-cube', destinationId });
    tr.update(snap(scene, 0));
    // Grasp, lift, carry over the destination.
    tr.update(snap(scene, 0.05, { 'blue-cube': { held: true } }));
    tr.update(snap(scene, 0.1, { 'blue-cube': { held: true, z: 0.1 } }));
    return tr;
  };

  it('released in the bowl and resting for 0.6 s: success; 0.4 s: not yet', () => {
    const tr = start('green-bowl');
    tr.update(snap(scene, 0.15, { 'blue-cube': { held: true, x: 0.16, y: 0.12, z: 0.1 } }));
    const inBowl = { x: 0.17, y: 0.11, z: 0.025 };
    expect(last(feed(tr, scene, 0.2, 0.6, () => ({ 'blue-cube': inBowl }))).success).toBe(false);
    expect(last(feed(tr, scene, 0.65, 0.8, () => ({ 'blue-cube': inBowl })))).toMatchObject({ success: true, reason: 'success' });
  });

  it('released next to the bowl: no success (and not a drop when it was let go over the rim)', () => {
    const tr = start('green-bowl');
    tr.update(snap(scene, 0.15, { 'blue-cube': { held: true, x: 0.16, y: 0.19, z: 0.1 } }));
    const s = feed(tr, scene, 0.2, 2, () => ({ 'blue-cube': { x: 0.16, y: 0.19, z: 0.02 } })); // 7 cm from the centre
    expect(last(s)).toMatchObject({ success: false, failed: false });
  });

  it('let go far from the destination: dropped', () => {
    const tr = start('green-bowl');
    const s = tr.update(snap(scene, 0.15, { 'blue-cube': { x: 0.0, y: 0.0, z: 0.08 } }));
    expect(s).toMatchObject({ failed: true, reason: 'dropped' });
    expect(s.detail).toMatch(/from the centre of green-bowl/);
  });

  it('still held inside the bowl, or hovering/falling above it: no success', () => {
    const held = start('green-bowl');
    expect(last(feed(held, scene, 0.2, 1.5, () => ({ 'blue-cube': { x: 0.16, y: 0.12, z: 0.03, held: true } }))).success).toBe(false);
    const hover = start('green-bowl');
    expect(last(feed(hover, scene, 0.2, 1.5, () => ({ 'blue-cube': { x: 0.16, y: 0.12, z: 0.15 } }))).success).toBe(false);
  });

  it('on the plate disc: success; beyond its edge: not', () => {
    const on = start('yellow-plate');
    expect(last(feed(on, scene, 0.15, 0.8, () => ({ 'blue-cube': { x: 0.16 + 0.065, y: -0.12, z: 0.03 } }))).success).toBe(true);
    const off = start('yellow-plate');
    expect(last(feed(off, scene, 0.15, 0.8, () => ({ 'blue-cube': { x: 0.16 + 0.075, y: -0.12, z: 0.02 } }))).success).toBe(false);
  });

  it('follows the bowl if it was nudged; grabbing the bowl is the wrong object', () => {
    const tr = start('green-bowl');
    const s = feed(tr, scene, 0.15, 0.8, () => ({ 'green-bowl': { x: 0.2 }, 'blue-cube': { x: 0.2, y: 0.12, z: 0.025 } }));
    expect(last(s).success).toBe(true);
    const grab = start('green-bowl');
    expect(grab.update(snap(scene, 0.15, { 'green-bowl': { held: true } })).reason).toBe('wrong object');
  });

  it('needs a bowl or plate as destination', () => {
    expect(() => getTask('place').createTracker(scene, { task: 'place', targetId: 'blue-cube', destinationId: 'red-ball' })).toThrow(/not a bowl or plate/);
    expect(() => getTask('place').createTracker(scene, { task: 'place', targetId: 'blue-cube' })).toThrow(/needs a destinationId/);
  });
});

describe('push', () => {
  const scene = loadScene('push'); // red-cube (0.05, 0); green-ball (0.18, 0.2); blue-cylinder (-0.1, -0.2)
  const start = (direction: 'left' | 'right' | 'forward' | 'backward') => {
    const tr = getTask('push').createTracker(scene, { task: 'push', targetId: 'red-cube', direction });
    tr.update(snap(scene, 0));
    return tr;
  };

  it('moved 12 cm left: success; 12 cm right: not', () => {
    expect(start('left').update(snap(scene, 1, { 'red-cube': { y: 0.12 } }))).toMatchObject({ success: true, reason: 'success' });
    const wrongWay = start('left');
    expect(wrongWay.update(snap(scene, 1, { 'red-cube': { y: -0.12 } }))).toMatchObject({ success: false, failed: false });
    expect(start('right').update(snap(scene, 1, { 'red-cube': { y: -0.12 } })).success).toBe(true);
  });

  it('forward and backward are +x and -x', () => {
    expect(start('forward').update(snap(scene, 1, { 'red-cube': { x: 0.05 + 0.11 } })).success).toBe(true);
    expect(start('backward').update(snap(scene, 1, { 'red-cube': { x: 0.05 - 0.11 } })).success).toBe(true);
    expect(start('backward').update(snap(scene, 1, { 'red-cube': { x: 0.05 + 0.11 } })).success).toBe(false);
  });

  it('too short, too much sideways, held or lifted: not success', () => {
    expect(start('left').update(snap(scene, 1, { 'red-cube': { y: 0.08 } })).success).toBe(false);
    expect(start('left').update(snap(scene, 1, { 'red-cube': { y: 0.11, x: 0.05 + 0.13 } })).success).toBe(false);
    expect(start('left').update(snap(scene, 1, { 'red-cube': { y: 0.11, x: 0.05 + 0.05 } })).success).toBe(true);
    expect(start('left').update(snap(scene, 1, { 'red-cube': { y: 0.12, held: true } })).success).toBe(false);
    expect(start('left').update(snap(scene, 1, { 'red-cube': { y: 0.12, z: 0.08 } })).success).toBe(false);
  });

  it('measures from where the target was at the first snapshot', () => {
    const tr = getTask('push').createTracker(scene, { task: 'push', targetId: 'red-cube', direction: 'left' });
    tr.update(snap(scene, 0, { 'red-cube': { y: 0.05 } }));
    expect(tr.update(snap(scene, 1, { 'red-cube': { y: 0.12 } })).success).toBe(false);
    expect(tr.update(snap(scene, 2, { 'red-cube': { y: 0.16 } })).success).toBe(true);
  });

  it('another object shoved far: wrong object', () => {
    const tr = start('left');
    expect(tr.update(snap(scene, 1, { 'green-ball': { y: 0.2 - 0.1 } })).reason).toBe('wrong object');
  });

  it('displacement and path helpers', () => {
    const left = pushDisplacement({ x: 0, y: 0 }, { x: 0.03, y: 0.12 }, 'left');
    expect(left.along).toBeCloseTo(0.12, 12);
    expect(left.sideways).toBeCloseTo(0.03, 12);
    const back = pushDisplacement({ x: 0, y: 0 }, { x: -0.1, y: 0.02 }, 'backward');
    expect(back.along).toBeCloseTo(0.1, 12);
    expect(back.sideways).toBeCloseTo(0.02, 12);
    expect(pushPathClear(scene, 'red-cube', 'left')).toBe(true);
    const blocked: Scene = {
      name: 'blocked',
      objects: [...scene.objects, { id: 'blue-cube', kind: 'cube', colour: 'blue', position: { x: 0.05, y: 0.16 }, yaw: 0, size: 0.04 }],
    };
    expect(pushPathClear(blocked, 'red-cube', 'left')).toBe(false);
    expect(pushPathClear(blocked, 'red-cube', 'right')).toBe(true);
    // The gripper's approach point behind the target must be free too.
    expect(pushPathClear(blocked, 'blue-cube', 'left')).toBe(true);
    expect(pushPathClear(blocked, 'blue-cube', 'backward')).toBe(true);
    expect(pushPathClear(blocked, 'blue-cube', 'right')).toBe(false);
    const edge: Scene = { name: 'edge', objects: [{ id: 'c', kind: 'cube', colour: 'red', position: { x: 0.05, y: 0.25 }, yaw: 0, size: 0.04 }] };
    expect(pushPathClear(edge, 'c', 'left')).toBe(false);
  });
});
