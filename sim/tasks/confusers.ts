/**
 * Confuser scenes: the same command on a scene that also holds the objects most easily taken for its target, one of the
 * target's colour and another shape, one of its shape and another colour: where a target word's attention is centred on
 * the wrong object (`vla eval --attention` counts it), that object mostly has the target's colour and another shape,
 * less often its shape and another colour. A random scene holds such a pair only sometimes, and then most commands
 * can still be told apart by colour alone; with a recipe dataset's `confusers: P` (src/train/collect.ts) a share P of
 * the plan's scenes are drawn with them, and sibling commands (siblings.ts) name them first.
 *
 * Which of the target's colour (CONFUSER_SHAPES): 'one' other shape, drawn from those the split allows as a target; or
 * 'all' the other movable shapes of that colour, held-out combinations too. Those are never named (siblings.ts names
 * only pairs the split allows), so a held-out pair stays unseen in commands; but it is seen beside the objects it is
 * taken for. Why: a cloned policy's held-out-combination failures come down by an object of the target's colour and
 * another shape, nearly always a cylinder for a ball or a cube, or a ball for the cylinder; with 'one' a purple ball
 * stands beside the purple cylinder it is taken for only when the random fill puts it there.
 */
import { randomScene, type ObjectRef } from '../scene/randomScene.js';
import type { Scene, Shape } from '../types.js';
import type { Rng } from '../util/Rng.js';
import { SHAPE_NOUNS, parseCommand, targetsFor, type Split } from './language.js';
import { pushPathClear } from './push.js';
import { idOf } from './sampling.js';
import type { SiblingSource } from './siblings.js';

/** Tries this many scenes for a push before giving up (the commanded direction must stay free). */
const PUSH_ATTEMPTS = 20;

/** How many objects of the target's colour and another shape a confuser scene adds (see the module comment). */
export const CONFUSER_SHAPES = ['one', 'all'] as const;
export type ConfuserShapes = (typeof CONFUSER_SHAPES)[number];

/**
 * The pairs a confuser scene adds for `target`: with shapes 'one' an allowed pair of the target's colour and another
 * shape drawn from `rng`, with 'all' every other movable shape of its colour (in SHAPE_NOUNS order); then one allowed
 * pair of the target's shape and another colour, drawn from `rng` (a part may be missing when the split allows none).
 */
export function confuserPairs(target: ObjectRef, rng: Rng, split: Split = 'seen', shapes: ConfuserShapes = 'one'): ObjectRef[] {
  const allowed = targetsFor(split);
  const sameColour = allowed.filter((t) => t.colour === target.colour && t.kind !== target.kind);
  const sameShape = allowed.filter((t) => t.kind === target.kind && t.colour !== target.colour);
  const out: ObjectRef[] = [];
  if (shapes === 'all') {
    for (const kind of Object.keys(SHAPE_NOUNS) as Shape[]) if (kind !== target.kind) out.push({ kind, colour: target.colour });
  } else if (sameColour.length > 0) out.push({ ...rng.pick(sameColour) });
  if (sameShape.length > 0) out.push({ ...rng.pick(sameShape) });
  return out;
}

/**
 * A scene for the same command as `source` (its target, and for place its destination) that also holds
 * confuserPairs(target); the other objects and every position are drawn anew from `rng`. For push the commanded
 * direction (`command`) must stay free; null when PUSH_ATTEMPTS scenes all block it.
 */
export function confuserScene(source: SiblingSource, command: string, rng: Rng, split: Split = 'seen', shapes: ConfuserShapes = 'one'): Scene | null {
  const t = source.scene.objects[source.target];
  if (!t) throw new Error(`confuserScene: scene "${source.scene.name}" has no object ${source.target}`);
  const target: ObjectRef = { kind: t.kind, colour: t.colour };
  const include: ObjectRef[] = [target];
  if (source.task === 'place') {
    const d = source.scene.objects[source.destination];
    if (!d) throw new Error(`confuserScene: place needs a destination; scene "${source.scene.name}" has no object ${source.destination}`);
    include.push({ kind: d.kind, colour: d.colour });
  }
  include.push(...confuserPairs(target, rng, split, shapes).filter((p) => !include.some((q) => q.kind === p.kind && q.colour === p.colour)));
  const direction = source.task === 'push' ? parseCommand(command).direction : undefined;
  for (let attempt = 0; attempt < (direction ? PUSH_ATTEMPTS : 1); attempt++) {
    const seed = rng.nextUint32();
    const scene = randomScene({ seed, include, name: `${source.task}-confusers-${seed}` });
    if (!direction || pushPathClear(scene, idOf(scene, target), direction)) return scene;
  }
  return null;
}

/** Whether `o` shares the colour or the shape of `target` (a scene's pairs are distinct, so not both). */
export function confusable(o: ObjectRef, target: ObjectRef): boolean {
  return o.colour === target.colour || o.kind === target.kind;
}
