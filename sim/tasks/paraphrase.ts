/**
 * Paraphrases for training: a command of the seen split said again with the parts of other seen templates, to
 * teach the language encoder that the verb, an optional "please" and the synonyms do not change what to do.
 *
 * The grammar recombines the verb phrases the seen templates of `TEMPLATES` use (a test checks every word it
 * writes is a word of a seen template or a slot filler):
 *   pick   [please] PICK the {target}
 *   place  [please] PUT the {target} {in} the {dest}
 *          [please] PICK the {target} and PUT it {in} the {dest}
 *   push   [please] PUSH the {target} {dir}
 * with PICK one of "pick up", "grab", "lift", "take", "lift up"; PUT one of "put", "place", "drop"; PUSH one of
 * "push", "slide", "shove", "nudge". Some recombinations are exactly a held-out template ("please grab the ...",
 * "please place the ...", "grab the ... and place it ...", "please slide the ..."): those, and a held-out phrasing
 * with "please" in front, are never produced, so the held-out templates stay unseen in training
 * (sim/tasks/SPLITS.md). Nor is a paraphrase longer than the
 * policy's word budget (`maxWords`, articles counted), which would cut off its last words.
 */
import type { Rng } from '../util/Rng.js';
import { DIRECTION_PHRASES, getTemplate, parseCommand, PREPOSITIONS, RECEPTACLE_NOUNS, SHAPE_NOUNS, TASK_NAMES, type ParsedCommand } from './language.js';

export const PICK_PHRASES = ['pick up', 'grab', 'lift', 'take', 'lift up'] as const;
export const PUT_PHRASES = ['put', 'place', 'drop'] as const;
export const PUSH_PHRASES = ['push', 'slide', 'shove', 'nudge'] as const;

/** The verb frames of a task: `{T}` the target phrase, `{I}` the preposition, `{D}` the destination, `{R}` the direction. */
function frames(task: ParsedCommand['task']): string[] {
  switch (task) {
    case 'pick':
      return PICK_PHRASES.map((v) => `${v} the {T}`);
    case 'place':
      return [...PUT_PHRASES.map((v) => `${v} the {T} {I} the {D}`), ...PICK_PHRASES.flatMap((p) => PUT_PHRASES.map((v) => `${p} the {T} and ${v} it {I} the {D}`))];
    case 'push':
      return PUSH_PHRASES.map((v) => `${v} the {T} {R}`);
  }
}

const wordCount = (text: string): number => text.split(' ').filter((w) => w !== '').length;

/** A frame with its slots filled: `{T}` target phrase, `{D}` destination, `{I}` preposition, `{R}` direction. */
function fill(frame: string, slots: { T: string; D: string; I: string; R: string }): string {
  return frame.replace('{T}', slots.T).replace('{D}', slots.D).replace('{I}', slots.I).replace('{R}', slots.R);
}

function parsesHeldOut(text: string): boolean {
  try {
    return getTemplate(parseCommand(text).template).heldOut;
  } catch {
    return false; // a new word order of seen parts: no template at all
  }
}

/**
 * True when `text` is a held-out template's phrasing, or one with "please" in front ("please grab the red cube
 * and place it in the blue bowl" holds the held-out "grab ... and place it ..."): training must see neither.
 */
export function isHeldOutPhrasing(text: string): boolean {
  return parsesHeldOut(text) || (text.startsWith('please ') && parsesHeldOut(text.slice('please '.length)));
}

/**
 * The frames ("please " or not in front) that are held-out phrasings. Whether a phrasing is held out depends on its
 * words around the slots, not on what fills them, so one filling decides for every filling: paraphrases are drawn
 * without parsing each one.
 */
const HELD_OUT_FRAMES: ReadonlySet<string> = new Set(
  TASK_NAMES.flatMap((task) => frames(task).flatMap((f) => [f, `please ${f}`])).filter((f) =>
    isHeldOutPhrasing(fill(f, { T: 'red ball', D: 'blue bowl', I: 'in', R: 'left' })),
  ),
);

/**
 * Every paraphrase of `command` (the parsed command: task, target, destination, direction) within `maxWords`
 * words, held-out phrasings left out, sorted. Includes the seen templates' own phrasings.
 */
export function allParaphrases(command: ParsedCommand, maxWords: number): string[] {
  const out = new Set<string>();
  const targets = SHAPE_NOUNS[command.target.kind].map((n) => `${command.target.colour} ${n}`);
  const dests = command.destination ? RECEPTACLE_NOUNS[command.destination.kind].map((n) => `${command.destination!.colour} ${n}`) : [''];
  const preps = command.destination ? PREPOSITIONS[command.destination.kind] : [''];
  const dirs = command.direction ? DIRECTION_PHRASES[command.direction] : [''];
  for (const base of frames(command.task)) {
    for (const frame of [base, `please ${base}`]) {
      if (HELD_OUT_FRAMES.has(frame)) continue;
      for (const T of targets) for (const D of dests) for (const I of preps) for (const R of dirs) {
        const text = fill(frame, { T, D, I, R });
        if (wordCount(text) <= maxWords) out.add(text);
      }
    }
  }
  return [...out].sort();
}

/**
 * One paraphrase of `command` drawn from `rng`: a verb frame, then "please" or not, then the synonyms, each
 * uniformly (so the one-verb and two-verb place frames are not weighted by how many synonyms they take); draws
 * again while the result is a held-out phrasing or longer than `maxWords`. Returns null when no draw of 32
 * succeeds (a command whose every paraphrase is too long).
 */
export function drawParaphrase(command: ParsedCommand, maxWords: number, rng: Rng): string | null {
  const fs = frames(command.task);
  const d = command.destination;
  for (let attempt = 0; attempt < 32; attempt++) {
    // The draws in this order: please, frame, target noun, destination noun, preposition, direction phrase.
    const frame = `${rng.bool() ? 'please ' : ''}${rng.pick(fs)}`;
    const T = `${command.target.colour} ${rng.pick(SHAPE_NOUNS[command.target.kind])}`;
    const D = d ? `${d.colour} ${rng.pick(RECEPTACLE_NOUNS[d.kind])}` : '';
    const I = d ? rng.pick(PREPOSITIONS[d.kind]) : '';
    const R = command.direction ? rng.pick(DIRECTION_PHRASES[command.direction]) : '';
    const text = fill(frame, { T, D, I, R });
    if (wordCount(text) <= maxWords && !HELD_OUT_FRAMES.has(frame)) return text;
  }
  return null;
}
