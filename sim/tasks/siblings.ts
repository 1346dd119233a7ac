/**
 * Sibling commands: the same task on the same scene, naming another object. A policy that went for the wrong
 * object (a red cylinder for "the red ball") has seen each scene with one command only; episodes that share a scene
 * and differ only in the words ("pick up the red ball", then "pick up the red cylinder") show that the words decide
 * where to go. Used by `vla collect --siblings K` (src/train/collect.ts).
 */
import type { Receptacle, Scene, Shape } from '../types.js';
import type { Rng } from '../util/Rng.js';
import { confusable } from './confusers.js';
import { DIRECTIONS, makeCommand, targetsFor, type Split, type TaskName } from './language.js';
import { pushPathClear } from './push.js';

export interface SiblingSource {
  task: TaskName;
  scene: Scene;
  /** Index into scene.objects of the object the original command names. */
  target: number;
  /** For place: index of the receptacle (kept in every sibling); else -1. */
  destination: number;
}

/**
 * The objects of `source.scene` that a sibling command may name: movable shapes other than the original target whose
 * colour-shape pair the split allows as a target (`split` 'seen': not a held-out combo), and for push only those with
 * a free push path in at least one direction; in scene order, or with `confusableFirst` those sharing the target's
 * colour or shape (the ones a policy takes for it, confusers.ts) first, then the others, each in scene order.
 */
export function siblingTargets(source: SiblingSource, split: Split = 'seen', confusableFirst = false): number[] {
  const allowed = targetsFor(split);
  const out: number[] = [];
  source.scene.objects.forEach((o, i) => {
    if (i === source.target || !allowed.some((t) => t.kind === o.kind && t.colour === o.colour)) return;
    if (source.task === 'push' && !DIRECTIONS.some((d) => pushPathClear(source.scene, o.id, d))) return;
    out.push(i);
  });
  const t = source.scene.objects[source.target];
  if (!confusableFirst || !t) return out;
  const near = (i: number) => confusable(source.scene.objects[i]!, t);
  return [...out.filter(near), ...out.filter((i) => !near(i))];
}

/**
 * The k-th sibling command (k >= 1) of `source`: the same task on the same scene naming siblingTargets(source, split,
 * confusableFirst)[(k-1) mod n], with the same destination for place and a free direction (drawn from `rng`) for
 * push; the phrasing is drawn from `rng` among the split's templates. null when the scene has no other object the
 * command could name.
 */
export function siblingCommand(source: SiblingSource, k: number, rng: Rng, split: Split = 'seen', confusableFirst = false): string | null {
  if (!Number.isInteger(k) || k < 1) throw new Error(`siblingCommand: k must be an integer >= 1, got ${k}`);
  const candidates = siblingTargets(source, split, confusableFirst);
  if (candidates.length === 0) return null;
  const obj = source.scene.objects[candidates[(k - 1) % candidates.length]!]!;
  const target = { kind: obj.kind as Shape, colour: obj.colour };
  if (source.task === 'place') {
    const dest = source.scene.objects[source.destination];
    if (!dest) throw new Error(`siblingCommand: place needs a destination; scene "${source.scene.name}" has no object ${source.destination}`);
    return makeCommand('place', target, { destination: { kind: dest.kind as Receptacle, colour: dest.colour } }, rng, split);
  }
  if (source.task === 'push') {
    const direction = rng.pick(DIRECTIONS.filter((d) => pushPathClear(source.scene, obj.id, d)));
    return makeCommand('push', target, { direction }, rng, split);
  }
  return makeCommand('pick', target, {}, rng, split);
}
