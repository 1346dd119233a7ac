/**
 * Commands in words: templates with synonyms for the three task suites, a parser back to a structured command,
 * generation from a seeded Rng, and the held-out splits (sim/tasks/SPLITS.md says the same in prose).
 *
 * Tasks and templates (slots: {target} = colour + shape noun, {dest} = colour + receptacle noun,
 * {in} = in/into (bowl) or on/onto (plate), {dir} = a direction phrase):
 *   pick   "pick up the {target}", "grab the {target}", "lift the {target}", "take the {target}", ...
 *   place  "put the {target} {in} the {dest}", "place the {target} {in} the {dest}", ...
 *   push   "push the {target} {dir}", "slide the {target} {dir}", ...
 * Synonyms: ball/sphere, cube/block, cylinder/can; left = "left"/"to the left"/"leftward(s)" = +y,
 * right = -y, forward = "forward(s)"/"away from the robot" = +x, backward = "backward(s)"/"back"/"toward(s) the
 * robot" = -x.
 *
 * Held-out splits (never produced for training):
 *   - held-out templates: per task, the two templates marked `heldOut` (new word orders of seen words);
 *   - held-out combos: purple ball, orange cube, yellow cylinder never appear as the *target* of a training
 *     command (they may appear as distractors, and every colour and shape is seen in other pairs).
 * `splitOf` classifies a command: 'heldout-combo' if its target is a held-out combo (whatever the template),
 * else 'heldout-template' if its template is held out, else 'seen'.
 *
 * Parsing lower-cases, drops punctuation and extra spaces, and ignores the articles the/a/an, then matches the
 * whole command against every template (both splits). Unknown words are reported by name.
 */
import { COLOURS, type Colour, type Receptacle, type Shape } from '../types.js';
import type { Rng } from '../util/Rng.js';

export const TASK_NAMES = ['pick', 'place', 'push'] as const;
export type TaskName = (typeof TASK_NAMES)[number];

export const DIRECTIONS = ['left', 'right', 'forward', 'backward'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** Unit vectors in the world's xy plane: left = +y, right = -y, forward = +x (away from the arm), backward = -x. */
export const DIRECTION_VECTORS: Readonly<Record<Direction, { readonly x: number; readonly y: number }>> = {
  left: { x: 0, y: 1 },
  right: { x: 0, y: -1 },
  forward: { x: 1, y: 0 },
  backward: { x: -1, y: 0 },
};

export const SPLITS = ['seen', 'heldout-combo', 'heldout-template'] as const;
export type Split = (typeof SPLITS)[number];

/** An object a command can name as its target (something to pick, place or push). */
export interface TargetRef {
  kind: Shape;
  colour: Colour;
}

/** A container or zone a place command names. */
export interface DestinationRef {
  kind: Receptacle;
  colour: Colour;
}

export const SHAPE_NOUNS: Readonly<Record<Shape, readonly string[]>> = {
  ball: ['ball', 'sphere'],
  cube: ['cube', 'block'],
  cylinder: ['cylinder', 'can'],
};

export const RECEPTACLE_NOUNS: Readonly<Record<Receptacle, readonly string[]>> = {
  bowl: ['bowl'],
  plate: ['plate'],
};

/** Prepositions generation uses per receptacle; the parser accepts any of them with either. */
export const PREPOSITIONS: Readonly<Record<Receptacle, readonly string[]>> = {
  bowl: ['in', 'into'],
  plate: ['on', 'onto'],
};

export const DIRECTION_PHRASES: Readonly<Record<Direction, readonly string[]>> = {
  left: ['left', 'to the left', 'leftward', 'leftwards'],
  right: ['right', 'to the right', 'rightward', 'rightwards'],
  forward: ['forward', 'forwards', 'away from the robot'],
  backward: ['backward', 'backwards', 'back', 'toward the robot', 'towards the robot'],
};

/** Words the parser ignores wherever they stand. */
export const ARTICLES = ['the', 'a', 'an'] as const;

export interface CommandTemplate {
  /** Stable id, "<task>.<name>". */
  readonly id: string;
  readonly task: TaskName;
  /** Words and slots: {target}, {dest}, {in}, {dir}. */
  readonly text: string;
  /** Kept out of training (the 'heldout-template' split). */
  readonly heldOut: boolean;
}

const t = (id: string, task: TaskName, text: string, heldOut = false): CommandTemplate => ({ id, task, text, heldOut });

export const TEMPLATES: readonly CommandTemplate[] = [
  t('pick.pick-up', 'pick', 'pick up the {target}'),
  t('pick.grab', 'pick', 'grab the {target}'),
  t('pick.lift', 'pick', 'lift the {target}'),
  t('pick.take', 'pick', 'take the {target}'),
  t('pick.please-pick-up', 'pick', 'please pick up the {target}'),
  t('pick.lift-up', 'pick', 'lift up the {target}'),
  t('pick.pick-it-up', 'pick', 'pick the {target} up', true),
  t('pick.please-grab', 'pick', 'please grab the {target}', true),

  t('place.put', 'place', 'put the {target} {in} the {dest}'),
  t('place.place', 'place', 'place the {target} {in} the {dest}'),
  t('place.drop', 'place', 'drop the {target} {in} the {dest}'),
  t('place.pick-up-and-put', 'place', 'pick up the {target} and put it {in} the {dest}'),
  t('place.please-put', 'place', 'please put the {target} {in} the {dest}'),
  t('place.please-place', 'place', 'please place the {target} {in} the {dest}', true),
  t('place.grab-and-place', 'place', 'grab the {target} and place it {in} the {dest}', true),

  t('push.push', 'push', 'push the {target} {dir}'),
  t('push.slide', 'push', 'slide the {target} {dir}'),
  t('push.shove', 'push', 'shove the {target} {dir}'),
  t('push.nudge', 'push', 'nudge the {target} {dir}'),
  t('push.please-push', 'push', 'please push the {target} {dir}'),
  t('push.please-slide', 'push', 'please slide the {target} {dir}', true),
  t('push.push-please', 'push', 'push the {target} {dir} please', true),
];

/** Targets never named in training commands (see the module comment and SPLITS.md). */
export const HELDOUT_COMBOS: readonly TargetRef[] = [
  { kind: 'ball', colour: 'purple' },
  { kind: 'cube', colour: 'orange' },
  { kind: 'cylinder', colour: 'yellow' },
];

export function isHeldOutCombo(ref: { kind: string; colour: string }): boolean {
  return HELDOUT_COMBOS.some((c) => c.kind === ref.kind && c.colour === ref.colour);
}

export function getTemplate(id: string): CommandTemplate {
  const found = TEMPLATES.find((x) => x.id === id);
  if (!found) throw new Error(`unknown template ${JSON.stringify(id)}`);
  return found;
}

/** The templates a split draws commands from: held-out ones for 'heldout-template', the others otherwise. */
export function templatesFor(task: TaskName, split: Split): CommandTemplate[] {
  const heldOut = split === 'heldout-template';
  return TEMPLATES.filter((x) => x.task === task && x.heldOut === heldOut);
}

/** The (shape, colour) targets a split draws from: the held-out combos for 'heldout-combo', all others otherwise. */
export function targetsFor(split: Split): TargetRef[] {
  const all: TargetRef[] = [];
  for (const kind of Object.keys(SHAPE_NOUNS) as Shape[]) for (const colour of COLOURS) all.push({ kind, colour });
  return all.filter((r) => isHeldOutCombo(r) === (split === 'heldout-combo'));
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing

export interface ParsedCommand {
  task: TaskName;
  target: TargetRef;
  destination?: DestinationRef;
  direction?: Direction;
  /** Id of the template that matched. */
  template: string;
}

/** A command the parser cannot read; the message says why (unknown words, missing colour, ...). */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

const ARTICLE_SET: ReadonlySet<string> = new Set(ARTICLES);

/** Lower case, punctuation to spaces, single spaces, trimmed: "  Pick up the RED ball! " -> "pick up the red ball". */
export function normaliseCommand(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

const words = (text: string): string[] => normaliseCommand(text).split(' ').filter((w) => w !== '');
const content = (text: string): string[] => words(text).filter((w) => !ARTICLE_SET.has(w));

type Element =
  | { readonly type: 'word'; readonly word: string }
  | { readonly type: 'target' | 'dest' | 'in' | 'dir' };

function compile(template: CommandTemplate): Element[] {
  const parts = template.text.split(/\s+/).filter((w) => w !== '' && !ARTICLE_SET.has(w));
  return parts.map((w): Element => {
    const slotMatch = /^\{(\w+)\}$/.exec(w);
    if (slotMatch) {
      const slot = slotMatch[1];
      if (slot === 'target' || slot === 'dest' || slot === 'in' || slot === 'dir') return { type: slot };
      throw new Error(`template ${template.id}: unknown slot {${slot}}`);
    }
    return { type: 'word', word: w };
  });
}

const COMPILED = TEMPLATES.map((tpl) => ({ tpl, elements: compile(tpl) }));

const SHAPE_BY_NOUN = new Map<string, Shape>();
for (const [kind, nouns] of Object.entries(SHAPE_NOUNS)) for (const n of nouns) SHAPE_BY_NOUN.set(n, kind as Shape);
const RECEPTACLE_BY_NOUN = new Map<string, Receptacle>();
for (const [kind, nouns] of Object.entries(RECEPTACLE_NOUNS)) for (const n of nouns) RECEPTACLE_BY_NOUN.set(n, kind as Receptacle);
const ALL_PREPOSITIONS: ReadonlySet<string> = new Set(Object.values(PREPOSITIONS).flat());
const DIRECTION_TOKENS: Array<{ direction: Direction; tokens: string[] }> = [];
for (const d of DIRECTIONS) for (const p of DIRECTION_PHRASES[d]) DIRECTION_TOKENS.push({ direction: d, tokens: content(p) });
const COLOUR_SET: ReadonlySet<string> = new Set(COLOURS);

/** Every word the parser knows, sorted. */
export const VOCABULARY: readonly string[] = [
  ...new Set([
    ...TEMPLATES.flatMap((x) => words(x.text.replace(/\{\w+\}/g, ' '))),
    ...COLOURS,
    ...SHAPE_BY_NOUN.keys(),
    ...RECEPTACLE_BY_NOUN.keys(),
    ...ALL_PREPOSITIONS,
    ...Object.values(DIRECTION_PHRASES).flatMap((ps) => ps.flatMap(words)),
    ...ARTICLES,
  ]),
].sort();
const VOCAB_SET: ReadonlySet<string> = new Set(VOCABULARY);

interface Slots {
  target?: TargetRef;
  destination?: DestinationRef;
  direction?: Direction;
}

function match(elements: readonly Element[], tokens: readonly string[], i: number, j: number, slots: Slots): Slots | null {
  if (j === elements.length) return i === tokens.length ? slots : null;
  const el = elements[j] as Element;
  const tok = tokens[i];
  switch (el.type) {
    case 'word':
      return tok === el.word ? match(elements, tokens, i + 1, j + 1, slots) : null;
    case 'in':
      return tok !== undefined && ALL_PREPOSITIONS.has(tok) ? match(elements, tokens, i + 1, j + 1, slots) : null;
    case 'target': {
      const kind = SHAPE_BY_NOUN.get(tokens[i + 1] ?? '');
      if (tok === undefined || !COLOUR_SET.has(tok) || kind === undefined) return null;
      return match(elements, tokens, i + 2, j + 1, { ...slots, target: { kind, colour: tok as Colour } });
    }
    case 'dest': {
      const kind = RECEPTACLE_BY_NOUN.get(tokens[i + 1] ?? '');
      if (tok === undefined || !COLOUR_SET.has(tok) || kind === undefined) return null;
      return match(elements, tokens, i + 2, j + 1, { ...slots, destination: { kind, colour: tok as Colour } });
    }
    case 'dir':
      for (const { direction, tokens: phrase } of DIRECTION_TOKENS) {
        if (phrase.every((w, k) => tokens[i + k] === w)) {
          const r = match(elements, tokens, i + phrase.length, j + 1, { ...slots, direction });
          if (r) return r;
        }
      }
      return null;
  }
}

const EXAMPLES = '"pick up the red ball", "put the blue cube in the green bowl" or "push the red cube to the left"';
const PUSH_VERBS = ['push', 'slide', 'shove', 'nudge'];
const PLACE_VERBS = ['put', 'place', 'drop'];

/** Why a command of known words matched no template: the most specific hint we can give. */
function diagnose(tokens: readonly string[], quoted: string): string {
  for (let i = 0; i < tokens.length; i++) {
    const w = tokens[i] as string;
    if ((SHAPE_BY_NOUN.has(w) || RECEPTACLE_BY_NOUN.has(w)) && !COLOUR_SET.has(tokens[i - 1] ?? '')) {
      return `which ${w}? name its colour, e.g. "the red ${w}" (in ${quoted})`;
    }
  }
  const hasDirection = DIRECTION_TOKENS.some(({ tokens: p }) => tokens.some((_, i) => p.every((w, k) => tokens[i + k] === w)));
  if (tokens.some((w) => PUSH_VERBS.includes(w)) && !hasDirection) {
    return `which way? add a direction (left, right, forward or backward) to ${quoted}`;
  }
  const hasReceptacle = tokens.some((w) => RECEPTACLE_BY_NOUN.has(w));
  if (tokens.some((w) => PLACE_VERBS.includes(w)) && !hasReceptacle) {
    return `where to? name a bowl or plate, e.g. "in the green bowl", in ${quoted}`;
  }
  const firstNoun = tokens.find((w) => SHAPE_BY_NOUN.has(w) || RECEPTACLE_BY_NOUN.has(w));
  if (firstNoun !== undefined && RECEPTACLE_BY_NOUN.has(firstNoun)) {
    return `the ${firstNoun} is a receptacle: commands move a ball, cube or cylinder (in ${quoted})`;
  }
  return `could not understand ${quoted}: expected a command like ${EXAMPLES}`;
}

/** Parses a command into task, target, destination/direction and template, or throws CommandError. */
export function parseCommand(text: string): ParsedCommand {
  const all = words(text);
  const trimmed = text.trim();
  // A long text is quoted by its start: the error stays one readable line.
  const quoted = JSON.stringify(trimmed.length > 120 ? `${trimmed.slice(0, 120)}...` : trimmed);
  // Words in letters outside a-z (another language, accents) vanish from `words`: name them rather than call the
  // command empty or judge it by what is left.
  const foreign = [...new Set(text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w !== '' && /[^a-z0-9]/.test(w)))];
  if (foreign.length > 0) {
    const list = foreign.slice(0, 8).map((w) => JSON.stringify(w)).join(', ');
    throw new CommandError(`word${foreign.length > 1 ? 's' : ''} not understood: ${list}${foreign.length > 8 ? ` and ${foreign.length - 8} more` : ''} in ${quoted}; expected a command like ${EXAMPLES}`);
  }
  if (all.length === 0) throw new CommandError(`empty command: expected a command like ${EXAMPLES}`);
  const unknown = [...new Set(all.filter((w) => !VOCAB_SET.has(w)))];
  if (unknown.length > 0) {
    const list = unknown.map((w) => JSON.stringify(w)).join(', ');
    throw new CommandError(
      `unknown word${unknown.length > 1 ? 's' : ''} ${list} in ${quoted}; colours: ${COLOURS.join(', ')}; ` +
        `objects: ${[...SHAPE_BY_NOUN.keys(), ...RECEPTACLE_BY_NOUN.keys()].join(', ')}`,
    );
  }
  const tokens = all.filter((w) => !ARTICLE_SET.has(w));
  for (const { tpl, elements } of COMPILED) {
    const slots = match(elements, tokens, 0, 0, {});
    if (!slots || !slots.target) continue;
    const out: ParsedCommand = { task: tpl.task, target: slots.target, template: tpl.id };
    if (slots.destination) out.destination = slots.destination;
    if (slots.direction) out.direction = slots.direction;
    return out;
  }
  throw new CommandError(diagnose(tokens, quoted));
}

// ---------------------------------------------------------------------------------------------------------------
// Generation and splits

export interface CommandExtra {
  destination?: DestinationRef;
  direction?: Direction;
}

/** Every word choice of one template for one target (all noun, preposition and direction synonyms). */
export function allPhrasings(template: CommandTemplate, target: TargetRef, extra: CommandExtra = {}): string[] {
  checkExtra(template.task, extra);
  let outs = [template.text];
  const expand = (slot: string, options: readonly string[]) => {
    if (!outs[0]?.includes(slot)) return;
    outs = outs.flatMap((o) => options.map((v) => o.replace(slot, v)));
  };
  expand('{target}', SHAPE_NOUNS[target.kind].map((n) => `${target.colour} ${n}`));
  if (extra.destination) {
    const d = extra.destination;
    expand('{dest}', RECEPTACLE_NOUNS[d.kind].map((n) => `${d.colour} ${n}`));
    expand('{in}', PREPOSITIONS[d.kind]);
  }
  if (extra.direction) expand('{dir}', DIRECTION_PHRASES[extra.direction]);
  return outs;
}

function checkExtra(task: TaskName, extra: CommandExtra): void {
  if (task === 'place' && !extra.destination) throw new Error('makeCommand: a place command needs a destination');
  if (task === 'push' && !extra.direction) throw new Error('makeCommand: a push command needs a direction');
  if (task !== 'place' && extra.destination) throw new Error(`makeCommand: a ${task} command takes no destination`);
  if (task !== 'push' && extra.direction) throw new Error(`makeCommand: a ${task} command takes no direction`);
}

/**
 * A command for `task` naming `target` (and `extra.destination` / `extra.direction`), with a template and
 * synonyms drawn from `rng`. The split picks the template pool and is checked against the target: 'seen' and
 * 'heldout-template' refuse held-out combos, 'heldout-combo' requires one; so splitOf(result) === split.
 */
export function makeCommand(task: TaskName, target: TargetRef, extra: CommandExtra, rng: Rng, split: Split = 'seen'): string {
  checkExtra(task, extra);
  const heldOutTarget = isHeldOutCombo(target);
  if (split === 'heldout-combo' && !heldOutTarget) {
    throw new Error(`makeCommand: ${target.colour} ${target.kind} is not a held-out combo (split 'heldout-combo')`);
  }
  if (split !== 'heldout-combo' && heldOutTarget) {
    throw new Error(`makeCommand: ${target.colour} ${target.kind} is a held-out combo; it cannot be a target in split '${split}'`);
  }
  const template = rng.pick(templatesFor(task, split));
  return rng.pick(allPhrasings(template, target, extra));
}

/**
 * Which split a command belongs to: 'heldout-combo' when its target (`target`, or the parsed one) is a held-out
 * combo, else 'heldout-template' when its template is held out, else 'seen'. Throws CommandError if unparsable.
 */
export function splitOf(command: string | ParsedCommand, target?: { kind: string; colour: string }): Split {
  const parsed = typeof command === 'string' ? parseCommand(command) : command;
  if (isHeldOutCombo(target ?? parsed.target)) return 'heldout-combo';
  return getTemplate(parsed.template).heldOut ? 'heldout-template' : 'seen';
}
