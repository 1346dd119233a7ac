/**
 * Language sensitivity (reported by vla eval --language): on the same scene, commands naming each different movable
 * object ("pick up the blue cube", then "pick up the red ball", ...); the share of these counterfactual commands that
 * end with the named object picked. A policy that ignores words picks the same object whatever is said and scores
 * about 1/n. For place, scenes with one receptacle, and commands that name each movable object and that same
 * destination ("put the blue cube in the green bowl", then "put the red ball in the green bowl", ...): the named one
 * must end there. The failed commands are counted by reason and by where they came down (by the named object, by
 * another, never), and each that came down by another is named as a confusion ("orange ball -> orange cylinder").
 */
import type { Driver } from '../../sim/env/Driver.js';
import { Environment } from '../../sim/env/Environment.js';
import { randomScene } from '../../sim/scene/index.js';
import { hashSeed, Rng } from '../../sim/util/Rng.js';
import { COLOURS, RECEPTACLES, SHAPES, type Scene, type Shape } from '../../sim/types.js';
import { allPhrasings, getTemplate, type TargetRef } from '../../sim/tasks/index.js';
import { LOCKSTEP_EPISODES, readingAs, runEpisodes, type EpisodePlan, type Rephrased } from './episode.js';
import { countFailureSite, type FailureSites } from './tally.js';

/** The tasks language sensitivity is measured on (push would also need a direction per command). */
export const LANGUAGE_TASKS = ['pick', 'place'] as const;
export type LanguageTask = (typeof LANGUAGE_TASKS)[number];

export interface LanguageSensitivity {
  task: LanguageTask;
  scenes: number;
  commands: number;
  successes: number;
  /** successes / commands */
  rate: number;
  /** The failed commands by reason ("wrong object", "timeout", ...). */
  failures: Record<string, number>;
  /**
   * Where the failed commands first came down (EpisodeResult.cameDownBy): by the named object (the words were read;
   * the grasp or the placing failed), by another object (the words were misread or the object mistaken), never.
   */
  failedBy: FailureSites;
  /** The failures that came down by another object, as "named -> taken" ("purple ball -> purple cylinder"): count. */
  confusions: Record<string, number>;
}

export async function languageSensitivity(o: {
  makeDriver: (seed: number) => Driver;
  /** The episodes' environment; LOCKSTEP_EPISODES - 1 more like it run beside it in lockstep. */
  env: Environment;
  scenes: number;
  seed: number;
  /** Default 'pick'. */
  task?: LanguageTask;
  /** Say each command in other words first, as evaluate's `rephrase` (e.g. free-form Korean); null command: not understood. */
  rephrase?: { say: (command: string, scene: Scene, seed: number) => Rephrased };
}): Promise<LanguageSensitivity> {
  const task = o.task ?? 'pick';
  const failures: Record<string, number> = {};
  const failedBy: FailureSites = { byTarget: 0, byOther: 0, never: 0 };
  const confusions: Record<string, number> = {};
  const plans: EpisodePlan[] = [];
  for (let i = 0; i < o.scenes; i++) {
    const { seed, scene, phrase } = task === 'pick' ? pickScene(o.seed, i) : placeScene(o.seed, i);
    for (const obj of scene.objects) {
      if (!(SHAPES as readonly string[]).includes(obj.kind)) continue; // receptacles cannot be picked
      const said = o.rephrase?.say(phrase({ kind: obj.kind as Shape, colour: obj.colour }), scene, hashSeed(`${seed}:${obj.id}`));
      const command = said ? said.command : phrase({ kind: obj.kind as Shape, colour: obj.colour });
      if (command === null) {
        failures['not understood'] = (failures['not understood'] ?? 0) + 1;
        continue;
      }
      const driver = said?.reads !== undefined ? readingAs(o.makeDriver(seed), said.reads) : o.makeDriver(seed);
      plans.push({ options: { seed, scene, command, driver } });
    }
  }
  const commands = plans.length + (failures['not understood'] ?? 0);
  let successes = 0;
  const more = Array.from({ length: LOCKSTEP_EPISODES - 1 }, () => new Environment({ arm: o.env.arm, cameras: o.env.cameras, maxSteps: o.env.maxSteps }));
  await runEpisodes(plans, [o.env, ...more], (r) => {
    if (r.success) {
      successes++;
      return;
    }
    failures[r.reason] = (failures[r.reason] ?? 0) + 1;
    countFailureSite(failedBy, r);
    if (r.cameDownBy && !r.cameDownBy.isTarget) {
      const key = `${r.target} -> ${r.cameDownBy.name}`;
      confusions[key] = (confusions[key] ?? 0) + 1;
    }
  });
  return { task, scenes: o.scenes, commands, successes, rate: commands ? successes / commands : 0, failures, failedBy, confusions };
}

interface CounterfactualScene {
  seed: number;
  scene: Scene;
  /** The command naming one movable object: the first phrasing of a seen template ("pick up the red ball"). */
  phrase: (target: TargetRef) => string;
}

function pickScene(firstSeed: number, i: number): CounterfactualScene {
  const seed = hashSeed(`language:${firstSeed}:${i}`);
  const template = getTemplate('pick.pick-up');
  return { seed, scene: randomScene({ seed, count: 4 }), phrase: (target) => allPhrasings(template, target)[0]! };
}

/** Four movable objects and one receptacle, the destination of every command on the scene. */
function placeScene(firstSeed: number, i: number): CounterfactualScene {
  const seed = hashSeed(`language-place:${firstSeed}:${i}`);
  const rng = new Rng(seed);
  const destination = { kind: rng.pick(RECEPTACLES), colour: rng.pick(COLOURS) };
  const scene = randomScene({ seed, count: 5, include: [destination], maxReceptacles: 1 });
  const template = getTemplate('place.put');
  return { seed, scene, phrase: (target) => allPhrasings(template, target, { destination })[0]! };
}
