/**
 * The scripted expert's place demonstrations: the carry towards the destination starts while the gripper is still
 * rising (at CARRY_FROM = 10 cm), so no place demonstration stands still at the height where pick demonstrations
 * stand still to end (15 cm): a cloned policy cannot tell those two standstills apart except by the command. Also its
 * release band, and its way back when something moved the arm off its descent.
 */
import { describe, expect, it } from 'vitest';
import { Environment } from '../../../sim/env/Environment.js';
import { MAX_RELEASE_BAND, ScriptedExpert, type ExpertOptions } from '../../../sim/expert/ScriptedExpert.js';
import { objectHeight } from '../../../sim/scene/geometry.js';

function placeTrace(seed: number, options: ExpertOptions = {}) {
  const env = new Environment({ cameras: [] });
  let obs = env.reset({ seed, task: 'place', split: 'seen' });
  const expert = new ScriptedExpert(seed, options);
  expert.reset(env.info, env.snapshot());
  const { scene, target, destination } = env.info;
  // The height the expert lets go at without a release band: the destination's top + half the object + 2 cm.
  const releaseZ = objectHeight(scene.objects[destination!]!) + objectHeight(scene.objects[target]!) / 2 + 0.02;
  const steps: { z: number; holding: boolean; phase: string; move: number; across: number; gripper: number }[] = [];
  let success = false;
  for (let t = 0; t < 400; t++) {
    const a = expert.act(obs, env.snapshot());
    steps.push({ z: obs.eePose.z, holding: obs.holding, phase: expert.currentPhase, move: Math.hypot(a.dx, a.dy, a.dz), across: Math.hypot(a.dx, a.dy), gripper: a.gripper });
    const r = env.step(a);
    obs = r.observation;
    if (r.done) {
      success = r.info.reason === 'success';
      break;
    }
  }
  return { steps, success, releaseZ };
}

/** The gripper's height when the expert first says "open" while holding. */
const releaseHeight = (steps: ReturnType<typeof placeTrace>['steps']) => steps.find((s) => s.holding && s.gripper === 0)!.z;

describe('ScriptedExpert, place', () => {
  for (const seed of [3, 4, 5]) {
    it(`seed ${seed}: starts carrying below the hold height and never stands still while holding before the lowering`, () => {
      const { steps, success } = placeTrace(seed);
      expect(success).toBe(true);
      const firstCarry = steps.findIndex((s) => s.phase === 'carry');
      expect(firstCarry).toBeGreaterThan(0);
      const z = steps[firstCarry]!.z;
      expect(z).toBeGreaterThanOrEqual(0.1);
      expect(z).toBeLessThan(0.13);
      // The phase switches during the step that still lifts (phases are recorded after each act); the next one goes across.
      expect(steps[firstCarry + 1]!.across).toBeGreaterThan(0.002);
      // From the grasp to the end of the carry, every step moves the gripper at least 2 mm.
      const lifted = steps.findIndex((s) => s.holding && s.phase === 'lift');
      const lowered = steps.findIndex((s) => s.phase === 'lower');
      expect(lifted).toBeGreaterThan(0);
      expect(lowered).toBeGreaterThan(firstCarry);
      const slow = steps.slice(lifted + 1, lowered).filter((s) => s.move < 0.002);
      expect(slow).toEqual([]);
    });
  }
});

describe('ScriptedExpert, release band', () => {
  it('lets go as soon as it is lowered into the band over the destination, higher than without it, and still places', () => {
    let higher = 0;
    for (const seed of [3, 4, 5, 6, 7, 8]) {
      const plain = placeTrace(seed, { blend: 0.012 });
      const band = placeTrace(seed, { blend: 0.012, releaseBand: 0.03 });
      expect(plain.success && band.success).toBe(true);
      // Without the band it stops on the release height (4 mm) first; with it, anywhere up to 3 cm above.
      expect(Math.abs(releaseHeight(plain.steps) - plain.releaseZ)).toBeLessThan(0.0045);
      const z = releaseHeight(band.steps);
      expect(z).toBeLessThanOrEqual(band.releaseZ + 0.03 + 1e-9);
      expect(z).toBeGreaterThan(band.releaseZ - 0.0045);
      if (z > band.releaseZ + 0.005) higher++;
    }
    expect(higher).toBeGreaterThanOrEqual(3);
  });

  it('refuses a band outside 0..MAX_RELEASE_BAND, naming the option', () => {
    expect(() => new ScriptedExpert(1, { releaseBand: MAX_RELEASE_BAND + 0.01 })).toThrow(/releaseBand must be between 0 and 0.03 m, got 0.04/);
    expect(() => new ScriptedExpert(1, { releaseBand: -1 })).toThrow(/releaseBand/);
  });
});

describe('ScriptedExpert knocked off course', () => {
  it('goes back up and approaches again instead of cutting diagonally through the scene', () => {
    const env = new Environment({ cameras: [] });
    let obs = env.reset({ seed: 3, task: 'pick', split: 'seen' });
    const expert = new ScriptedExpert(3);
    expert.reset(env.info, env.snapshot());
    for (let t = 0; t < 200 && expert.currentPhase !== 'descend'; t++) obs = env.step(expert.act(obs, env.snapshot())).observation;
    expect(expert.currentPhase).toBe('descend');
    // The gripper 5 cm sideways, as a collection's stall or missed grasp moves it.
    const shifted = { ...obs, eePose: { ...obs.eePose, x: obs.eePose.x + 0.05 } };
    const a = expert.act(shifted, env.snapshot());
    expect(expert.currentPhase).toBe('approach');
    expect(a.dx).toBeLessThan(0); // back towards the object, at the hover height
    expect(a.gripper).toBe(0);
  });
});
