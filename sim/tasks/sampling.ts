/** Helpers the tasks' sampleEpisode functions share: a target for the split, a scene around it, ids by reference. */
import { randomScene, type ObjectRef } from '../scene/randomScene.js';
import type { Scene } from '../types.js';
import type { Rng } from '../util/Rng.js';
import { parseCommand, targetsFor, type Split, type TargetRef, type TaskName } from './language.js';

/** A target (shape, colour) drawn from the pairs the split allows. */
export function sampleTarget(rng: Rng, split: Split): TargetRef {
  return { ...rng.pick(targetsFor(split)) };
}

/** A random scene named "<task>-<seed>" that contains `include`; its seed comes from `rng`. */
export function sampleScene(rng: Rng, task: TaskName, include: readonly ObjectRef[]): Scene {
  const seed = rng.nextUint32();
  return randomScene({ seed, include, name: `${task}-${seed}` });
}

/** The id of the object with this kind and colour; throws if there is not exactly one. */
export function idOf(scene: Scene, ref: ObjectRef): string {
  const found = scene.objects.filter((o) => o.kind === ref.kind && o.colour === ref.colour);
  if (found.length !== 1) throw new Error(`scene "${scene.name}" has ${found.length} ${ref.colour} ${ref.kind}s, expected 1`);
  return (found[0] as { id: string }).id;
}

/** The template id of a generated command. */
export function templateOf(command: string): string {
  return parseCommand(command).template;
}
