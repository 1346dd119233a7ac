/**
 * The English tagger: words and phrases to roles, longest phrase first ("pick up", "to the left", "could you"),
 * with simple inflections undone ("picking" -> "pick", "slides" -> "slide"). Synonyms of verbs, shapes, containers,
 * colours and directions come from WordNet (englishLexicon.ts) and the simulator's own templates; the small words
 * around them (politeness, articles, prepositions) are listed here.
 */
import { COLOURS, type Colour, type Receptacle, type Shape } from '../../sim/types.js';
import { DIRECTION_PHRASES, DIRECTIONS, RECEPTACLE_NOUNS, SHAPE_NOUNS, type Direction } from '../../sim/tasks/language.js';
import { ENGLISH_LEXICON } from './englishLexicon.js';
import type { ReadWord, VerbClass, WordTag } from './types.js';

/** Words said to be polite or to fill, read and ignored ("could you please ... for me, thanks"). */
export const ENGLISH_FILLERS = [
  'the', 'a', 'an', 'this', 'that', 'please', 'pls', 'kindly', 'could', 'would', 'can', 'will', 'you', 'u', 'for', 'me',
  'us', 'now', 'thanks', 'thank', 'thank you', 'just', 'go', 'go ahead and', 'and', 'then', 'also', 'i', 'want', 'need',
  'like', "i'd", 'id', 'to', 'ok', 'okay', 'hey', 'hi', 'robot', 'try', 'let\'s', 'lets', 'mind', 'do', 'up', 'there',
  'gently', 'carefully', 'slowly', 'quickly', 'little', 'small', 'big', 'of', 'right now', 'over', 'here', 'coloured',
  'colored', 'color', 'colour', 'please?', 'sir', 'again', 'next', 'first', 'one more time',
] as const;

/** Nouns that name an object of any shape, or a container of any kind; the scene decides which. */
export const ENGLISH_ANY_SHAPE = ['one', 'thing', 'object', 'item', 'toy', 'shape', 'piece'] as const;
export const ENGLISH_ANY_RECEPTACLE = ['dish', 'container', 'receptacle'] as const;

/** Words that make the next mention a destination. */
export const ENGLISH_INTO = ['in', 'into', 'inside', 'inside of', 'on', 'onto', 'on top of', 'upon', 'in to', 'on to', 'to', 'at'] as const;

/** Directions in words beyond the simulator's own phrases. */
export const ENGLISH_DIRECTION_EXTRAS: Readonly<Record<Direction, readonly string[]>> = {
  left: ['to your left', 'to the left side', 'left side', 'leftward', 'leftwards'],
  right: ['to your right', 'to the right side', 'right side', 'rightward', 'rightwards'],
  forward: ['away', 'away from you', 'away from the arm', 'further away', 'farther away', 'ahead'],
  backward: ['toward you', 'towards you', 'toward the arm', 'towards the arm', 'closer', 'nearer', 'back toward the robot'],
};

export const ENGLISH_NEGATIONS = ['not', "don't", 'dont', 'do not', 'never', "doesn't"] as const;

const PHRASES = new Map<string, WordTag>();
const put = (phrase: string, tag: WordTag) => {
  if (!PHRASES.has(phrase)) PHRASES.set(phrase, tag);
};
// Order matters only where one phrase has two meanings; the first one listed wins.
for (const d of DIRECTIONS) for (const p of [...DIRECTION_PHRASES[d], ...ENGLISH_DIRECTION_EXTRAS[d], ...ENGLISH_LEXICON.directions[d]]) put(p, { role: 'direction', direction: d });
for (const c of COLOURS) for (const w of [c, ...ENGLISH_LEXICON.colours[c]]) put(w, { role: 'colour', colour: c as Colour });
for (const [s, nouns] of Object.entries(SHAPE_NOUNS)) for (const w of [...nouns, ...ENGLISH_LEXICON.shapes[s as Shape]]) put(w, { role: 'shape', shape: s as Shape });
for (const [r, nouns] of Object.entries(RECEPTACLE_NOUNS)) for (const w of [...nouns, ...ENGLISH_LEXICON.receptacles[r as Receptacle]]) put(w, { role: 'receptacle', receptacle: r as Receptacle });
for (const w of ENGLISH_ANY_SHAPE) put(w, { role: 'shape', shape: null });
for (const w of ENGLISH_ANY_RECEPTACLE) put(w, { role: 'receptacle', receptacle: null });
for (const [cls, verbs] of Object.entries(ENGLISH_LEXICON.verbs)) for (const w of verbs) put(w, { role: 'verb', verb: cls as VerbClass });
put('pick', { role: 'verb', verb: 'pick' }); // "pick the red ball up"
for (const w of ENGLISH_NEGATIONS) put(w, { role: 'negation' });
for (const w of ['it', 'them']) put(w, { role: 'pronoun' });
for (const w of ENGLISH_INTO) put(w, { role: 'into' });
for (const w of ENGLISH_FILLERS) put(w, { role: 'filler' });

const MAX_PHRASE = Math.max(...[...PHRASES.keys()].map((p) => p.split(' ').length));
const KNOWN_WORDS: ReadonlySet<string> = new Set([...PHRASES.keys()].flatMap((p) => p.split(' ')));

/** Every English word the tagger knows, sorted. */
export const ENGLISH_VOCABULARY: readonly string[] = [...KNOWN_WORDS].sort();

/** The word as the vocabulary has it: itself if known, else the first known form with an inflection undone. */
export function englishLemma(word: string): string {
  if (KNOWN_WORDS.has(word)) return word;
  const candidates: string[] = [];
  if (word.endsWith('ing')) {
    const stem = word.slice(0, -3);
    candidates.push(stem, `${stem}e`);
    if (stem.length > 2 && stem.at(-1) === stem.at(-2)) candidates.push(stem.slice(0, -1)); // putting -> put
  }
  if (word.endsWith('ed')) candidates.push(word.slice(0, -2), word.slice(0, -1));
  if (word.endsWith('es')) candidates.push(word.slice(0, -2));
  if (word.endsWith('s')) candidates.push(word.slice(0, -1));
  return candidates.find((c) => KNOWN_WORDS.has(c)) ?? word;
}

/** Splits English text into words: letters, digits and apostrophes; everything else separates. */
export function englishWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[’‘]/g, "'")
    .split(/[^a-z0-9']+/)
    .map((w) => w.replace(/^'+|'+$/g, ''))
    .filter((w) => w !== '');
}

/** Tags English text: each word or longest known phrase with its role; unknown words tagged as such. */
export function tagEnglish(text: string): ReadWord[] {
  const surface = englishWords(text);
  const lemmas = surface.map(englishLemma);
  const out: ReadWord[] = [];
  for (let i = 0; i < surface.length; ) {
    let matched = false;
    for (let n = Math.min(MAX_PHRASE, surface.length - i); n >= 1 && !matched; n--) {
      let tag = PHRASES.get(lemmas.slice(i, i + n).join(' '));
      // "can" is a cylinder after a colour or an article ("the red can"), and a modal elsewhere ("can you ...").
      if (tag && lemmas[i] === 'can' && n === 1 && !nounContext(out.at(-1))) tag = { role: 'filler' };
      if (tag) {
        out.push({ text: surface.slice(i, i + n).join(' '), tag });
        i += n;
        matched = true;
      }
    }
    if (!matched) {
      out.push({ text: surface[i]!, tag: { role: 'unknown' } });
      i++;
    }
  }
  return out;
}

function nounContext(previous: ReadWord | undefined): boolean {
  return previous !== undefined && (previous.tag.role === 'colour' || ['the', 'a', 'this', 'that'].includes(previous.text));
}
