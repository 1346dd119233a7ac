/**
 * The words a policy reads for a Korean command: the user's mentions, direction and verb in the user's order, each in
 * one canonical form, with its particle as a word of its own ("빨간 공을 파란 그릇에 넣어 주세요" -> 빨간 공 을 파란 그릇
 * 에 넣어). Colour and noun synonyms (빨강, 빨간색; 구슬), particle variants (를, 에다가, 안에, 로) and verb endings
 * (-어라, -어 주세요) become one word each; politeness and filler are left out, as the reader ignores them. So the
 * language encoder sees Korean words in Korean order (object, then destination, then the verb) and learns them from
 * training commands said this way (TrainOptions.korean), and each of the user's words has the tokens of its own part.
 */
import type { Direction, ParsedCommand, TaskName } from '../../sim/tasks/language.js';
import type { Colour, Receptacle, Shape } from '../../sim/types.js';
import type { Reading } from './types.js';
import type { Understood } from './command.js';

/** The canonical Korean words (each one token of the policy's vocabulary). */
export const KOREAN_POLICY_WORDS = {
  colours: { red: '빨간', green: '초록', blue: '파란', yellow: '노란', purple: '보라', orange: '주황' } satisfies Record<Colour, string>,
  shapes: { ball: '공', cube: '큐브', cylinder: '원기둥' } satisfies Record<Shape, string>,
  receptacles: { bowl: '그릇', plate: '접시' } satisfies Record<Receptacle, string>,
  directions: { left: '왼쪽', right: '오른쪽', forward: '앞', backward: '뒤' } satisfies Record<Direction, string>,
  /** Place: 넣어 "put in" a bowl, 놓아 "put on" a plate. */
  verbs: { pick: '집어', push: '밀어', placeIn: '넣어', placeOn: '놓아' },
  /** The object marker, the destination marker ("in, at, on") and the direction marker ("towards"). */
  particles: { object: '을', destination: '에', direction: '으로' },
} as const;

/** Every canonical Korean word, sorted: what a policy's tokenizer adds to read Korean commands. */
export const KOREAN_POLICY_VOCABULARY: readonly string[] = [
  ...new Set(Object.values(KOREAN_POLICY_WORDS).flatMap((group) => Object.values(group) as string[])),
].sort();

/** Whether a policy's vocabulary has every canonical Korean word (it was trained to read Korean commands). */
export function readsKorean(tokenizer: { knows(word: string): boolean }): boolean {
  return KOREAN_POLICY_VOCABULARY.every((w) => tokenizer.knows(w));
}

/**
 * The part of the command each policy word fills, in the keys align.ts uses: 'verb', 'target:colour',
 * 'target:kind', 'destination:colour', 'destination:kind', 'direction', 'into' (the destination's particle);
 * null for the object marker.
 */
export interface PolicyWords {
  words: string[];
  parts: Array<string | null>;
}

type Piece = 'target' | 'destination' | 'direction' | 'verb';

function verbWord(c: ParsedCommand): string {
  const v = KOREAN_POLICY_WORDS.verbs;
  const byTask: Record<TaskName, string> = { pick: v.pick, push: v.push, place: c.destination?.kind === 'plate' ? v.placeOn : v.placeIn };
  return byTask[c.task];
}

/** Appends one piece of `c` to `out`: a mention with its particle, the direction with its particle, or the verb. */
function emit(out: PolicyWords, piece: Piece, c: ParsedCommand): void {
  const w = KOREAN_POLICY_WORDS;
  const push = (word: string, part: string | null) => {
    out.words.push(word);
    out.parts.push(part);
  };
  if (piece === 'target') {
    push(w.colours[c.target.colour], 'target:colour');
    push(w.shapes[c.target.kind], 'target:kind');
    push(w.particles.object, null);
  } else if (piece === 'destination' && c.destination) {
    push(w.colours[c.destination.colour], 'destination:colour');
    push(w.receptacles[c.destination.kind], 'destination:kind');
    push(w.particles.destination, 'into');
  } else if (piece === 'direction' && c.direction) {
    push(w.directions[c.direction], 'direction');
    push(w.particles.direction, 'direction');
  } else if (piece === 'verb') push(verbWord(c), 'verb');
}

/** The pieces of `c` in the order Korean usually says them: object, destination or direction, verb. */
function piecesOf(c: ParsedCommand, destinationFirst = false): Piece[] {
  const middle: Piece[] = c.destination ? ['destination'] : c.direction ? ['direction'] : [];
  return destinationFirst ? [...middle, 'target', 'verb'] : ['target', ...middle, 'verb'];
}

/**
 * The policy's words for command `c` said in Korean, the object first or (`destinationFirst`, "그릇에 빨간 공을
 * 넣어") the destination or direction first.
 */
export function koreanCommandWords(c: ParsedCommand, destinationFirst = false): PolicyWords {
  const out: PolicyWords = { words: [], parts: [] };
  for (const p of piecesOf(c, destinationFirst)) emit(out, p, c);
  return out;
}

/**
 * The policy's words for a Korean reading, grounded as `c` (which fills in what the user left open, "빨간 것을" ->
 * the red ball): each piece where the user said it (the verb where the last verb is: "집어서 그릇에 넣어"), a piece
 * not said just before the next one of the usual order.
 */
export function koreanPolicyWords(reading: Reading, c: ParsedCommand): PolicyWords {
  const at = new Map<Piece, number>();
  reading.slots.forEach((slot, i) => {
    const piece: Piece | null = slot === 'into' ? 'destination' : slot;
    if (piece !== null && (piece === 'verb' || !at.has(piece))) at.set(piece, i);
  });
  const pieces = piecesOf(c);
  for (let k = pieces.length - 1; k >= 0; k--) {
    const next = pieces[k + 1];
    if (!at.has(pieces[k]!)) at.set(pieces[k]!, next === undefined ? Infinity : at.get(next)! - 0.5);
  }
  const out: PolicyWords = { words: [], parts: [] };
  for (const p of [...pieces].sort((a, b) => at.get(a)! - at.get(b)!)) emit(out, p, c);
  return out;
}

/**
 * What a policy reads for an understood command: the Korean words (koreanPolicyWords) when the user wrote Korean and
 * the policy reads Korean (`readsKo`, see readsKorean), else the command in the templates' words; `words` holds the
 * Korean words with their parts, null for the templates' words.
 */
export function policyReading(u: Understood, readsKo: boolean): { text: string; words: PolicyWords | null } {
  if (!readsKo || u.reading.language !== 'ko') return { text: u.command, words: null };
  const words = koreanPolicyWords(u.reading, u.parsed);
  return { text: words.words.join(' '), words };
}
