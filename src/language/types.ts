/**
 * What the command reader produces: each word of the user's text with its role, and the reading assembled from them
 * (task, target, destination, direction), any part of which may be missing until it is grounded in a scene.
 */
import type { Colour, Receptacle, Shape } from '../../sim/types.js';
import type { Direction, TaskName } from '../../sim/tasks/language.js';

export const LANGUAGES = ['en', 'ko'] as const;
export type Language = (typeof LANGUAGES)[number];

/** Verb classes; `move` is generic: a destination makes it place, a direction push, neither pick. */
export type VerbClass = TaskName | 'move';

/** What a word (or a phrase of several) does in the command. */
export type WordTag =
  | { readonly role: 'verb'; readonly verb: VerbClass }
  | { readonly role: 'colour'; readonly colour: Colour }
  | { readonly role: 'shape'; readonly shape: Shape | null } // null: "one", "thing", "object" (any shape)
  | { readonly role: 'receptacle'; readonly receptacle: Receptacle | null } // null: "dish", "container"
  | { readonly role: 'direction'; readonly direction: Direction }
  | { readonly role: 'into' } // a word that makes the next (English) or this (Korean) mention a destination
  | { readonly role: 'pronoun' } // "it": the target again
  | { readonly role: 'negation' }
  | { readonly role: 'filler' } // politeness, articles, conjunctions: read and ignored
  | { readonly role: 'unknown' };

/** One word or phrase of the user's text, as the user wrote it, with its role. */
export interface ReadWord {
  /** The user's text of it (one word, or a phrase such as "pick up" or "to the left"). */
  readonly text: string;
  readonly tag: WordTag;
  /** Korean: this word carries a particle that marks a destination (에, 안에, 위에, (으)로 on a receptacle). */
  readonly marksDestination?: boolean;
}

/** An object named by colour and/or kind; either may be missing ("the ball", "the red one"). */
export interface Mention<K extends string> {
  kind: K | null;
  colour: Colour | null;
}

/** Which part of the command a word fills: the verb, the target or destination mention, the direction, the word
 * that marks the destination ("in", 위에); null for words ignored or not known. */
export type WordSlot = 'verb' | 'target' | 'destination' | 'direction' | 'into' | null;

export interface Reading {
  /** The user's text, unchanged. */
  readonly text: string;
  readonly language: Language;
  readonly words: readonly ReadWord[];
  /** Per word, the part of the command it fills. */
  readonly slots: readonly WordSlot[];
  /** The task, when the verbs and slots decide it. */
  readonly task: TaskName | null;
  readonly target: Mention<Shape> | null;
  readonly destination: Mention<Receptacle> | null;
  readonly direction: Direction | null;
  /** Words read and deliberately ignored (politeness, articles, "and"). */
  readonly ignored: readonly string[];
  /** Words not in the vocabulary (the reading goes on without them). */
  readonly unknown: readonly string[];
  /** Why the reading cannot be carried out as it stands (empty when it can be, given a scene). */
  readonly problems: readonly string[];
}
