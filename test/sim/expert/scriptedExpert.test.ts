/**
 * The scripted expert's place demonstrations: the carry towards the destination starts while the gripper is still
 * rising (at CARRY_FROM = 10 cm), so no place demonstration stands still at the height where pick demonstrations
 * stand still to end (15 cm): a cloned policy cannot tell those two standstills apart except by the command.
 */
import { describe, expect, it } from 'vitest';
import { Environment } from '../../../sim/env/Environment.js';
import { ScriptedExpert } from '../../../sim/expert/ScriptedExpert.js';

function placeTrace(seed: number) {
  const env = new Environment({ cameras: [] });
  let obs = env.reset({ seed, task: 'place', split: 'seen' });
  const expert = new ScriptedExpert(seed);
  expert.reset(env.info, env.snapshot());
  const steps: { z: number; holding: boolean; phase: string; move: number; across: number }[] = [];
  let success = false;
  for (let t = 0; t < 400; t++) {
    const a = expert.act(obs, env.snapshot());
    steps.push({ z: obs.eePose.z, holding: obs.holding, phase: expert.currentPhase, move: Math.hypot(a.dx, a.dy, a.dz), across: Math.hypot(a.dx, a.dy) });
    const r = env.step(a);
    obs = r.observation;
    if (r.done) {
      success = r.info.reason === 'success';
      break;
    }
  }
  return { steps, success };
}

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
