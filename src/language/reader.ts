/**
 * From tagged words to a reading, the same for every language: colours and nouns group into mentions of objects,
 * a mention is the destination when its noun is a receptacle or a word marks it so ("in", "onto"; Korean 에, 위에),
 * and the verbs together with the slots decide the task. Nothing here throws: what is missing or contradictory goes
 * into `problems`, in words a user can act on.
 */
import type { Colour, Receptacle, Shape } from '../../sim/types.js';
import type { Direction, TaskName } from '../../sim/tasks/language.js';
import type { Language, Mention, Reading, ReadWord, VerbClass, WordSlot } from './types.js';

interface Draft {
  colour: Colour | null;
  colourWord: string | null;
  kind: Shape | Receptacle | null;
  receptacle: boolean;
  destination: boolean;
  /** Indices of its words in the tagged words. */
  words: number[];
}

interface Parts {
  verbs: Array<{ verb: VerbClass; text: string }>;
  mentions: Draft[];
  direction: Direction | null;
  pronoun: boolean;
  slots: WordSlot[];
  problems: string[];
}

/** Assembles the reading of `words` (already tagged by a language's tagger). */
export function assembleReading(text: string, language: Language, words: readonly ReadWord[]): Reading {
  const { verbs, mentions, direction, pronoun, slots, problems } = collectParts(language, words);
  const targets = mentions.filter((m) => !m.destination);
  const dests = mentions.filter((m) => m.destination);
  const describe = (m: Draft) => [m.colour, m.kind ?? (m.receptacle ? 'container' : 'one')].filter((x) => x !== null).join(' ');
  // At most a few names: a pasted paragraph must not make a problem line as long as itself.
  const names = (ms: Draft[]) => ms.slice(0, 3).map(describe).join(' and ') + (ms.length > 3 ? ` and ${ms.length - 3} more` : '');
  if (targets.length > 1) problems.push(`one object at a time: the command names ${names(targets)}`);
  if (dests.length > 1) problems.push(`one destination at a time: the command names ${names(dests)}`);
  const t = targets[0];
  const d = dests[0];
  for (const k of t?.words ?? []) slots[k] = 'target';
  for (const k of d?.words ?? []) slots[k] = 'destination';
  if (t && t.receptacle) problems.push(`the ${describe(t)} is where things go; name the object to move, e.g. "put the red ball in the ${describe(t)}"`);
  if (d && !d.receptacle && d.kind !== null) problems.push(`things go in a bowl or on a plate, not on the ${describe(d)}`);
  const target: Mention<Shape> | null = t && !t.receptacle ? { kind: t.kind as Shape | null, colour: t.colour } : null;
  const destination: Mention<Receptacle> | null = d && (d.receptacle || d.kind === null) ? { kind: d.kind as Receptacle | null, colour: d.colour } : null;
  if (!target && !(t && t.receptacle)) problems.push(pronoun ? '"it" refers to nothing: name the object, e.g. "the red ball"' : 'which object? name it, e.g. "the red ball"');

  const task = decideTask(verbs, destination !== null, direction, target, problems);
  const ignored = words.filter((w) => w.tag.role === 'filler').map((w) => w.text);
  const unknown = words.filter((w) => w.tag.role === 'unknown').map((w) => w.text);
  // With no words at all, that is the one problem to say (not "which object?" before it).
  if (words.length === 0) problems.splice(0, problems.length, text.trim() === '' ? 'empty command: say what to do, e.g. "pick up the red ball"' : `no words to read in "${text}"`);
  return { text, language, words, slots, task, target, destination, direction, ignored, unknown, problems };
}

/** Groups colours and nouns into mentions, collects verbs and the direction, and notes each word's slot. */
function collectParts(language: Language, words: readonly ReadWord[]): Parts {
  const problems: string[] = [];
  const verbs: Array<{ verb: VerbClass; text: string }> = [];
  const mentions: Draft[] = [];
  let draft = null as Draft | null;
  let into = false; // English: a preposition is waiting for its mention
  let direction: Direction | null = null;
  let pronoun = false;
  const close = () => {
    if (draft) mentions.push(draft);
    draft = null;
  };
  const open = (): Draft => {
    if (!draft) {
      draft = { colour: null, colourWord: null, kind: null, receptacle: false, destination: into, words: [] };
      into = false;
    }
    return draft;
  };
  const slots: WordSlot[] = words.map(() => null);
  for (const [i, w] of words.entries()) {
    const tag = w.tag;
    switch (tag.role) {
      case 'colour': {
        if (draft !== null && draft.kind !== null) close(); // "the ball red cube": a new mention
        const d = open();
        if (d.colour !== null && d.colour !== tag.colour) problems.push(`"${d.colourWord} ${w.text}": one object has one colour`);
        d.colour = tag.colour;
        d.colourWord = w.text;
        d.words.push(i);
        if (w.marksDestination) d.destination = true;
        break;
      }
      case 'shape':
      case 'receptacle': {
        if (draft !== null && draft.kind !== null) close();
        const d = open();
        d.receptacle = tag.role === 'receptacle';
        d.words.push(i);
        d.kind = tag.role === 'shape' ? tag.shape : tag.receptacle;
        if (tag.role === 'receptacle' || w.marksDestination) d.destination = true;
        close();
        break;
      }
      case 'direction':
        close();
        if (direction !== null && direction !== tag.direction) problems.push(`two directions: ${direction} and ${tag.direction}`);
        direction = tag.direction;
        slots[i] = 'direction';
        into = false;
        break;
      case 'into':
        close();
        // Korean postpositions (접시 위에) place the mention before them; English prepositions the one after.
        if (language === 'ko' && mentions.length > 0) mentions[mentions.length - 1]!.destination = true;
        else into = true;
        slots[i] = 'into';
        break;
      case 'verb':
        close();
        into = false;
        verbs.push({ verb: tag.verb, text: w.text });
        slots[i] = 'verb';
        break;
      case 'pronoun':
        close();
        pronoun = true;
        break;
      case 'negation':
        problems.push(`"${w.text}": say what to do rather than what not to do`);
        break;
      case 'filler':
      case 'unknown':
        break;
    }
  }
  close();
  return { verbs, mentions, direction, pronoun, slots, problems };
}

/** The task from the verbs and the slots; adds a problem and returns null when they do not fit together. */
function decideTask(
  verbs: ReadonlyArray<{ verb: VerbClass; text: string }>,
  hasDestination: boolean,
  direction: Direction | null,
  target: Mention<Shape> | null,
  problems: string[],
): TaskName | null {
  const has = (v: VerbClass) => verbs.some((x) => x.verb === v);
  const what = target ? `the ${[target.colour, target.kind ?? 'object'].filter((x) => x !== null).join(' ')}` : 'it';
  const first = verbs[0]?.text;
  if (hasDestination && direction !== null) {
    problems.push(`both a destination and a direction (${direction}): say one`);
    return null;
  }
  if (hasDestination) {
    if (verbs.length > 0 && verbs.every((x) => x.verb === 'push')) {
      problems.push(`"${first}" moves things along the table in a direction; to put ${what} in or on something, say "put"`);
      return null;
    }
    return 'place';
  }
  if (direction !== null) {
    if (verbs.length > 0 && !has('push') && !has('move')) {
      problems.push(`"${first}" does not go ${direction}: to slide ${what} ${direction}, say "push ${what} ${direction}"`);
      return null;
    }
    return 'push';
  }
  if (has('pick') || has('move')) return 'pick';
  if (has('place')) {
    problems.push(`${first} ${what} where? name a bowl or a plate, e.g. "in the blue bowl"`);
    return null;
  }
  if (has('push')) {
    problems.push(`${first} ${what} which way? say left, right, forward or backward`);
    return null;
  }
  if (target) problems.push(`what should I do with ${what}? e.g. "pick up ${what}"`);
  return null;
}
