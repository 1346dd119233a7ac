/**
 * From a reading to a command the simulator and the policy know: `groundReading` finds what the reading names in a
 * scene ("pick up the ball" with a red and a blue ball on the table: which one?), `completeReading` fills what the
 * user left open by a seeded choice when there is no scene yet, and `canonicalCommand` says the result in the
 * templates' words ("pick up the red ball"), which is what the policy was trained on.
 */
import { COLOURS, RECEPTACLES, SHAPES, type Colour, type Receptacle, type Scene, type SceneObject, type Shape } from '../../sim/types.js';
import { CommandError, DIRECTION_PHRASES, PREPOSITIONS, type ParsedCommand } from '../../sim/tasks/language.js';
import { Rng } from '../../sim/util/Rng.js';
import type { Mention, Reading } from './types.js';

const TEMPLATE_OF = { pick: 'pick.pick-up', place: 'place.put', push: 'push.push' } as const;

const name = (m: Mention<string>, fallback: string) => [m.colour, m.kind ?? fallback].filter((x) => x !== null).join(' ');
const article = (s: string) => (/^[aeiou]/.test(s) ? `an ${s}` : `a ${s}`);

/** Throws a CommandError listing the reading's problems, if it has any. */
export function checkReading(reading: Reading): void {
  if (reading.problems.length > 0) throw new CommandError(`"${reading.text}": ${reading.problems.join('; ')}`);
  if (!reading.task || !reading.target) throw new CommandError(`"${reading.text}": could not tell what to do`);
}

function matches<K extends string>(m: Mention<K>, kinds: readonly string[], o: SceneObject): boolean {
  return kinds.includes(o.kind) && (m.kind === null || o.kind === m.kind) && (m.colour === null || o.colour === m.colour);
}

function findOne<K extends string>(reading: Reading, m: Mention<K>, kinds: readonly string[], fallback: string, scene: Scene): SceneObject {
  const found = scene.objects.filter((o) => matches(m, kinds, o));
  const what = name(m, fallback);
  if (found.length === 1) return found[0]!;
  const onTable = scene.objects.filter((o) => kinds.includes(o.kind)).map((o) => `${o.colour} ${o.kind}`);
  if (found.length === 0) {
    throw new CommandError(`there is no ${what} on the table${onTable.length ? ` (there ${onTable.length === 1 ? 'is' : 'are'}: ${onTable.map(article).join(', ')})` : ''}`);
  }
  const options = found.map((o) => `the ${o.colour} ${o.kind}`);
  const hint = `say which, e.g. "${options[0]}"`;
  throw new CommandError(`"${reading.text}": which ${what}? there are ${found.length} on the table (${options.join(', ')}); ${hint}`);
}

/** The command the reading names in `scene`; throws a CommandError when something is missing, absent or ambiguous. */
export function groundReading(reading: Reading, scene: Scene): ParsedCommand {
  checkReading(reading);
  const target = findOne(reading, reading.target!, SHAPES, 'object', scene);
  const out: ParsedCommand = { task: reading.task!, target: { kind: target.kind as Shape, colour: target.colour }, template: TEMPLATE_OF[reading.task!] };
  if (reading.task === 'place') {
    const dest = findOne(reading, reading.destination!, RECEPTACLES, 'container', scene);
    out.destination = { kind: dest.kind as Receptacle, colour: dest.colour };
  }
  if (reading.task === 'push') out.direction = reading.direction!;
  return out;
}

/** The reading with every open colour and kind filled by a choice seeded with `seed` (for a scene still to be made). */
export function completeReading(reading: Reading, seed: number): ParsedCommand {
  checkReading(reading);
  const rng = new Rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(0, xs.length - 1)]!;
  const t = reading.target!;
  const out: ParsedCommand = {
    task: reading.task!,
    target: { kind: t.kind ?? pick(SHAPES), colour: t.colour ?? pick(COLOURS) },
    template: TEMPLATE_OF[reading.task!],
  };
  if (reading.task === 'place') {
    const d = reading.destination!;
    out.destination = { kind: d.kind ?? pick(RECEPTACLES), colour: d.colour ?? pick(COLOURS.filter((c) => c !== out.target.colour) as Colour[]) };
  }
  if (reading.task === 'push') out.direction = reading.direction!;
  return out;
}

/** True when the reading names every colour and kind, so it needs no scene to become a command. */
export function isComplete(reading: Reading): boolean {
  const full = (m: Mention<string> | null) => m === null || (m.kind !== null && m.colour !== null);
  return reading.problems.length === 0 && reading.target !== null && full(reading.target) && full(reading.destination);
}

/** The command in the templates' words: "pick up the red ball", "put the red ball in the blue bowl", "push ... left". */
export function canonicalCommand(c: ParsedCommand): string {
  const target = `${c.target.colour} ${c.target.kind}`;
  if (c.task === 'pick') return `pick up the ${target}`;
  if (c.task === 'place') {
    const d = c.destination!;
    return `put the ${target} ${PREPOSITIONS[d.kind][0]} the ${d.colour} ${d.kind}`;
  }
  return `push the ${target} ${DIRECTION_PHRASES[c.direction!][0]}`;
}
