/**
 * A parallel corpus of robot commands, English and Korean, generated from the task templates
 * (sim/tasks/language.ts): "pick up the red ball" -> "빨간 공을 집어라". Every Korean word knows which English words
 * it translates (and the other way round), so a model's cross-attention can be scored against the true alignment.
 *
 * The Korean side is one fixed translation per command, in the usual Korean order (object, then destination or
 * direction, then the verb), with the particle written onto its noun (공을, 큐브를, 그릇에, 왼쪽으로) and the verb
 * in the plain imperative (집어라) or, when the English says "please", the polite request (집어 주세요). The
 * verb follows the task, not the English synonym: pick 집어, push 밀어, place 넣어 (a bowl) or 놓아 (a plate).
 *
 * Held out of training, as in the policy's splits: the templates marked heldOut (new word orders of seen words:
 * "pick the red ball up", "push the red ball left please") and the target combinations purple ball, orange cube and
 * yellow cylinder. Korean -> English reads the Korean (object first or destination/direction first) and writes the
 * canonical English ("pick up the red ball", "put the red ball in the blue bowl", "please push the red ball to the
 * left"); there the direction-first order of a push ("왼쪽으로 빨간 공을 밀어라") is the held-out word order.
 */
import {
  DIRECTIONS,
  PREPOSITIONS,
  RECEPTACLE_NOUNS,
  SHAPE_NOUNS,
  TEMPLATES,
  DIRECTION_PHRASES,
  isHeldOutCombo,
  type CommandTemplate,
  type Direction,
  type TaskName,
} from '../../sim/tasks/language.js';
import { COLOURS, RECEPTACLES, SHAPES, type Colour, type Receptacle, type Shape } from '../../sim/types.js';
import { KOREAN_POLICY_WORDS } from '../language/koreanPolicy.js';

export const TRANSLATION_DIRECTIONS = ['en-ko', 'ko-en'] as const;
export type TranslationDirection = (typeof TRANSLATION_DIRECTIONS)[number];

export const PAIR_SPLITS = ['train', 'heldout-combo', 'heldout-template'] as const;
export type PairSplit = (typeof PAIR_SPLITS)[number];

/** One sentence pair, oriented source -> target. */
export interface Pair {
  source: string[];
  target: string[];
  /** targetSources[i]: the indices of the source words that target word i translates (empty: no counterpart). */
  targetSources: number[][];
  /** targetParts[i]: the part of the meaning target word i says ('' for none), for alignment by part. */
  targetParts: string[];
  split: PairSplit;
  task: TaskName;
}

/**
 * The Korean words of the translation: the policy's canonical Korean words (src/language), except that colours take
 * the written form with 색 where Korean writes it (초록색 공, not 초록 공).
 */
export const KOREAN_WORDS = {
  ...KOREAN_POLICY_WORDS,
  colours: { ...KOREAN_POLICY_WORDS.colours, green: '초록색', purple: '보라색', orange: '주황색' } satisfies Record<Colour, string>,
  /** The plain imperative ending and the polite request ("please ...") that follows the stem as a word. */
  imperative: '라',
  polite: '주세요',
} as const;

/** The canonical English phrase of each direction (the Korean -> English target). */
const CANONICAL_DIRECTION: Readonly<Record<Direction, string>> = {
  left: 'to the left',
  right: 'to the right',
  forward: 'forward',
  backward: 'backward',
};

/** Whether a Hangul syllable ends in a consonant (batchim), and whether that consonant is ㄹ. */
function finalConsonant(word: string): 'none' | 'rieul' | 'other' {
  const code = word.charCodeAt(word.length - 1) - 0xac00;
  if (code < 0 || code > 11171) return 'none';
  const jong = code % 28;
  return jong === 0 ? 'none' : jong === 8 ? 'rieul' : 'other';
}

/** noun + 을/를 (object marker): 을 after a consonant, 를 after a vowel. */
export function withObjectParticle(noun: string): string {
  return noun + (finalConsonant(noun) === 'none' ? '를' : '을');
}

/** noun + 으로/로 ("towards"): 로 after a vowel or ㄹ, 으로 after other consonants. */
export function withDirectionParticle(noun: string): string {
  return noun + (finalConsonant(noun) === 'other' ? '으로' : '로');
}

/** The meaning of a command, enough to say it in either language. */
export interface Meaning {
  task: TaskName;
  target: { colour: Colour; kind: Shape };
  destination?: { colour: Colour; kind: Receptacle };
  direction?: Direction;
  polite: boolean;
}

/** A word of the English side with the parts of the meaning it says (none for words with no Korean counterpart). */
interface EnWord {
  word: string;
  parts: Part[];
}
export type Part = 'verb' | 'target:colour' | 'target:kind' | 'dest:colour' | 'dest:kind' | 'direction' | 'please';

/** The Korean words of a meaning with their parts; `otherFirst` puts the destination or direction first. */
export function koreanOf(m: Meaning, otherFirst = false): { words: string[]; parts: Part[][] } {
  const k = KOREAN_WORDS;
  const target: Array<[string, Part[]]> = [
    [k.colours[m.target.colour], ['target:colour']],
    [withObjectParticle(k.shapes[m.target.kind]), ['target:kind']],
  ];
  const other: Array<[string, Part[]]> = [];
  if (m.destination) {
    other.push([k.colours[m.destination.colour], ['dest:colour']]);
    other.push([k.receptacles[m.destination.kind] + '에', ['dest:kind']]);
  }
  if (m.direction) other.push([withDirectionParticle(k.directions[m.direction]), ['direction']]);
  const stem = m.task === 'pick' ? k.verbs.pick : m.task === 'push' ? k.verbs.push : m.destination?.kind === 'plate' ? k.verbs.placeOn : k.verbs.placeIn;
  const verb: Array<[string, Part[]]> = m.polite ? [[stem, ['verb']], [k.polite, ['please']]] : [[stem + k.imperative, ['verb']]];
  const all = otherFirst ? [...other, ...target, ...verb] : [...target, ...other, ...verb];
  return { words: all.map(([w]) => w), parts: all.map(([, p]) => p) };
}

/** The English words of a template said for a meaning, with the noun, preposition and direction phrase chosen. */
function englishOf(tpl: CommandTemplate, m: Meaning, noun: string, dest: { noun: string; prep: string } | null, dirPhrase: string | null): EnWord[] {
  const out: EnWord[] = [];
  const afterAnd = tpl.text.includes(' and ');
  let seenAnd = false;
  for (const piece of tpl.text.split(/\s+/)) {
    if (piece === '{target}') out.push({ word: m.target.colour, parts: ['target:colour'] }, { word: noun, parts: ['target:kind'] });
    else if (piece === '{dest}' && dest && m.destination) {
      out.push({ word: m.destination.colour, parts: ['dest:colour'] }, { word: dest.noun, parts: ['dest:kind'] });
    }
    // "in" / "on" is said twice in Korean: by the particle 에 of the destination and by the verb (넣다 "put in", 놓다 "put on").
    else if (piece === '{in}' && dest) out.push({ word: dest.prep, parts: ['dest:kind', 'verb'] });
    else if (piece === '{dir}' && dirPhrase) {
      for (const w of dirPhrase.split(' ')) out.push({ word: w, parts: w === 'the' ? [] : ['direction'] });
    } else if (piece === 'please') out.push({ word: piece, parts: ['please'] });
    else if (piece === 'and') {
      seenAnd = true;
      out.push({ word: piece, parts: [] });
    } else if (['the', 'a', 'an', 'it'].includes(piece)) out.push({ word: piece, parts: [] });
    // A verb (and its particle "up"): in "pick up X and put it in Y" only the verb after "and" is the Korean verb.
    else out.push({ word: piece, parts: afterAnd && !seenAnd ? [] : ['verb'] });
  }
  return out;
}

/** The canonical English of a meaning (the Korean -> English target). */
export function canonicalEnglish(m: Meaning): EnWord[] {
  const id = m.task === 'pick' ? 'pick.pick-up' : m.task === 'place' ? 'place.put' : 'push.push';
  const tpl = TEMPLATES.find((t) => t.id === id)!;
  const dest = m.destination ? { noun: RECEPTACLE_NOUNS[m.destination.kind][0]!, prep: PREPOSITIONS[m.destination.kind][0]! } : null;
  const words = englishOf(tpl, m, SHAPE_NOUNS[m.target.kind][0]!, dest, m.direction ? CANONICAL_DIRECTION[m.direction] : null);
  return m.polite ? [{ word: 'please', parts: ['please'] }, ...words] : words;
}

/** For each word of `to`, the indices of the words of `from` that say the same part of the meaning. */
function sourcesOf(to: ReadonlyArray<readonly Part[]>, from: ReadonlyArray<readonly Part[]>): number[][] {
  return to.map((parts) => from.flatMap((p, j) => (parts.length > 0 && p.some((x) => parts.includes(x)) ? [j] : [])));
}

function* targets(): Generator<{ colour: Colour; kind: Shape }> {
  for (const kind of SHAPES) for (const colour of COLOURS) yield { colour, kind };
}

function* destinations(): Generator<{ colour: Colour; kind: Receptacle }> {
  for (const kind of RECEPTACLES) for (const colour of COLOURS) yield { colour, kind };
}

/** Every English command the templates can say, with its meaning and template. */
function* englishCommands(): Generator<{ tpl: CommandTemplate; m: Meaning; words: EnWord[] }> {
  for (const tpl of TEMPLATES) {
    const polite = tpl.text.split(' ').includes('please');
    for (const target of targets()) {
      for (const noun of SHAPE_NOUNS[target.kind]) {
        if (tpl.task === 'pick') {
          const m: Meaning = { task: 'pick', target, polite };
          yield { tpl, m, words: englishOf(tpl, m, noun, null, null) };
        } else if (tpl.task === 'place') {
          for (const d of destinations()) {
            for (const dn of RECEPTACLE_NOUNS[d.kind]) {
              for (const prep of PREPOSITIONS[d.kind]) {
                const m: Meaning = { task: 'place', target, destination: d, polite };
                yield { tpl, m, words: englishOf(tpl, m, noun, { noun: dn, prep }, null) };
              }
            }
          }
        } else {
          for (const direction of DIRECTIONS) {
            for (const phrase of DIRECTION_PHRASES[direction]) {
              const m: Meaning = { task: 'push', target, direction, polite };
              yield { tpl, m, words: englishOf(tpl, m, noun, null, phrase) };
            }
          }
        }
      }
    }
  }
}

const enParts = (words: readonly EnWord[]): Part[][] => words.map((w) => w.parts);

/** English -> Korean: every command of every template, with its split. */
function englishToKorean(): Pair[] {
  const pairs: Pair[] = [];
  for (const { tpl, m, words } of englishCommands()) {
    const ko = koreanOf(m);
    const split: PairSplit = isHeldOutCombo(m.target) ? 'heldout-combo' : tpl.heldOut ? 'heldout-template' : 'train';
    const targetParts = ko.parts.map((p) => p[0] ?? '');
    pairs.push({ source: words.map((w) => w.word), target: ko.words, targetSources: sourcesOf(ko.parts, enParts(words)), targetParts, split, task: m.task });
  }
  return pairs;
}

/** Every meaning the Korean side can say (each target, destination or direction, plain and polite). */
function* meanings(): Generator<Meaning> {
  for (const polite of [false, true]) {
    for (const target of targets()) {
      yield { task: 'pick', target, polite };
      for (const destination of destinations()) yield { task: 'place', target, destination, polite };
      for (const direction of DIRECTIONS) yield { task: 'push', target, direction, polite };
    }
  }
}

/** Korean -> English: each meaning in Korean (object first, and destination or direction first), canonical English. */
function koreanToEnglish(): Pair[] {
  const pairs: Pair[] = [];
  for (const m of meanings()) {
    const en = canonicalEnglish(m);
    for (const otherFirst of m.task === 'pick' ? [false] : [false, true]) {
      const ko = koreanOf(m, otherFirst);
      const split: PairSplit = isHeldOutCombo(m.target) ? 'heldout-combo' : m.task === 'push' && otherFirst ? 'heldout-template' : 'train';
      const targetParts = en.map((w) => w.parts[0] ?? '');
      pairs.push({ source: ko.words, target: en.map((w) => w.word), targetSources: sourcesOf(enParts(en), ko.parts), targetParts, split, task: m.task });
    }
  }
  return pairs;
}

/** The whole corpus in one direction, in a fixed order. */
export function buildCorpus(direction: TranslationDirection): Pair[] {
  return direction === 'en-ko' ? englishToKorean() : koreanToEnglish();
}

/** A vocabulary: index 0 padding, 1 start of sentence, 2 end of sentence, then the words sorted. */
export class Vocabulary {
  static readonly PAD = 0;
  static readonly BOS = 1;
  static readonly EOS = 2;
  readonly words: readonly string[];
  private readonly index: ReadonlyMap<string, number>;

  constructor(words: Iterable<string>) {
    this.words = ['<pad>', '<s>', '</s>', ...[...new Set(words)].sort()];
    this.index = new Map(this.words.map((w, i) => [w, i]));
  }

  get size(): number {
    return this.words.length;
  }

  has(word: string): boolean {
    return this.index.has(word);
  }

  /** Word ids; throws naming the words it does not know. */
  encode(words: readonly string[]): number[] {
    const unknown = words.filter((w) => !this.index.has(w));
    if (unknown.length > 0) throw new Error(`unknown word${unknown.length > 1 ? 's' : ''} ${unknown.map((w) => `"${w}"`).join(', ')}`);
    return words.map((w) => this.index.get(w)!);
  }

  decode(ids: readonly number[]): string[] {
    return ids.map((i) => this.words[i] ?? '<?>');
  }
}
