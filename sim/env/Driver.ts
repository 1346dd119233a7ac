/**
 * Who acts in an episode: anything that maps an observation (and, for the scripted expert, the privileged state) to
 * an action. The expert's driver lives here with the simulator; policies' drivers and the episode loop live in
 * src/eval.
 */
import { ScriptedExpert, type ExpertOptions } from '../expert/ScriptedExpert.js';
import { hashSeed } from '../util/Rng.js';
import type { EeAction, Observation } from '../types.js';
import type { Environment } from './Environment.js';

export interface Driver {
  reset(env: Environment): void;
  /**
   * Optional: this step's observation, shown before `act` while episodes run in lockstep, so that drivers sharing a
   * model can compute the whole group's actions at once. `act` must give the same action with or without it.
   */
  prepare?(obs: Observation, env: Environment): void;
  act(obs: Observation, env: Environment): EeAction;
}

/** The scripted expert of episode `seed` (its own random stream, seeded from the episode's). */
export function expertDriver(seed: number, options: ExpertOptions = {}): Driver {
  const expert = new ScriptedExpert(hashSeed(`expert:${seed}`), options);
  return {
    reset: (env) => expert.reset(env.info, env.snapshot()),
    act: (obs, env) => expert.act(obs, env.snapshot()),
  };
}
