/**
 * The Korean tagger. Korean writes a noun and its particle as one word (공을 = 공 "ball" + 을, the object marker;
 *그릇에 = 그릇 "bowl" + 에 "in/at"), and a verb as a stem and an ending (집어라 = 집- "pick up" + -어라, the plain
 * imperative; 넣어 주세요 = 넣- "put in" + -어 주세요, the polite request). So each word is split into a known stem and
 * known particles or endings; which particle it carries says whether a mention is the destination.
 *
 * Covered: colour words (빨간, 빨강, 빨간색, ...), shapes (공, 구, 큐브, 정육면체, 블록, 원기둥, 원통, 캔), containers
 * (그릇, 사발, 접시), particles (을/를, 이/가, 은/는, 의, 에, 에다(가), 으로/로, 안에, 위에, 속에, 쪽으로), directions
 * (왼쪽, 오른쪽, 앞, 뒤, 앞쪽, 뒤쪽, 좌측, 우측), verbs (집다, 잡다, 들다, 줍다, 들어 올리다, 놓다, 넣다, 두다,
 * 올려놓다, 밀다, 굴리다, 옮기다, 가져오다) in the endings -아라/-어라, -아/-어, -아 줘/-어 줘, -아 주세요/-어 주세요,
 * -(으)세요, -(으)십시오, and politeness (좀, 제발, 부탁해, 주세요, 줘, 줄래).
 */
import type { Colour, Receptacle, Shape } from '../../sim/types.js';
import type { Direction } from '../../sim/tasks/language.js';
import type { ReadWord, VerbClass, WordTag } from './types.js';

/** True if the text contains Hangul syllables or letters. */
export function hasHangul(text: string): boolean {
  return /[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]/.test(text);
}

export const KOREAN_COLOURS: Readonly<Record<Colour, readonly string[]>> = {
  red: ['빨간', '빨강', '빨간색', '빨강색', '붉은', '붉은색', '적색'],
  green: ['초록', '초록색', '녹색', '초록빛'],
  blue: ['파란', '파랑', '파란색', '파랑색', '청색', '푸른'],
  yellow: ['노란', '노랑', '노란색', '노랑색', '황색'],
  purple: ['보라', '보라색', '보랏빛', '자주색', '자색'],
  orange: ['주황', '주황색', '오렌지색', '귤색'],
};

export const KOREAN_SHAPES: Readonly<Record<Shape, readonly string[]>> = {
  ball: ['공', '구', '구슬', '볼'],
  cube: ['큐브', '정육면체', '육면체', '블록', '블럭', '상자', '주사위'],
  cylinder: ['원기둥', '원통', '캔', '깡통', '실린더'],
};

export const KOREAN_RECEPTACLES: Readonly<Record<Receptacle, readonly string[]>> = {
  bowl: ['그릇', '사발', '보울'],
  plate: ['접시'],
};

/** Nouns for any object ("빨간 것을": the red one) and any container. */
export const KOREAN_ANY_SHAPE = ['것', '거', '물체', '물건'] as const;
export const KOREAN_ANY_RECEPTACLE = ['용기'] as const;

export const KOREAN_DIRECTIONS: Readonly<Record<Direction, readonly string[]>> = {
  left: ['왼쪽', '왼편', '좌측', '왼'],
  right: ['오른쪽', '오른편', '우측', '오른'],
  forward: ['앞', '앞쪽', '전방', '앞으로'],
  backward: ['뒤', '뒤쪽', '후방', '뒤로'],
};

/** Postpositions that make a container the destination ("그릇에", "접시 위에"); 으로/로 too, on a container. */
const DESTINATION_PARTICLES = ['에다가', '에다', '에', '안에', '안으로', '속에', '속으로', '위에', '위로', '으로', '로', '쪽으로', '쪽에'];
/** Other particles: object, subject, topic, genitive, and 쪽 "side". */
const OTHER_PARTICLES = ['을', '를', '이', '가', '은', '는', '의', '도', '쪽', '좀'];
const PARTICLES = [...DESTINATION_PARTICLES, ...OTHER_PARTICLES].sort((a, b) => b.length - a.length);

/** Free-standing words that place the previous mention: 위에 "on top of", 안에 "inside", 속에 "into". */
const DESTINATION_WORDS = ['위에', '위로', '안에', '안으로', '속에', '속으로', '위', '안', '속'];

/**
 * Verb stems as they stand before the endings: the -아/-어 form (집어, 놓아/놔) and the form before -(으)세요
 * (집으, 놓으). Longer forms first, so 들어올려 is read as one verb, not 들어 + 올려.
 */
const KOREAN_VERBS: ReadonlyArray<{ forms: readonly string[]; verb: VerbClass }> = [
  { forms: ['들어올려', '들어올리', '들어 올려', '집어올려', '집어 올려', '주워', '주우', '줍'], verb: 'pick' },
  { forms: ['올려놓아', '올려놔', '올려놓으', '올려놓', '올려 놓아', '올려 놔', '넣어', '넣으', '넣', '놓아', '놔', '놓으', '놓', '둬', '두어', '두', '내려놓아', '내려놔', '내려놓으'], verb: 'place' },
  { forms: ['집어', '집으', '집', '잡아', '잡으', '잡', '들어', '드', '들', '가져와', '가져오', '가져다', '가져'], verb: 'pick' },
  { forms: ['밀어', '밀', '미', '굴려', '굴리', '밀쳐', '밀치'], verb: 'push' },
  { forms: ['옮겨', '옮기', '이동시켜', '이동시키', '이동해', '이동하', '움직여', '움직이'], verb: 'move' },
  { forms: ['올려', '올리'], verb: 'move' }, // "접시 위에 올려" puts on; "올려" alone lifts
];

/** Endings after a verb stem: imperative, request, polite; '' when the ending is a separate word (집어 주세요). */
const VERB_ENDINGS = ['', '라', '지', '요', '다', '줘', '줘요', '주세요', '주십시오', '줄래', '줄래요', '주라', '세요', '으세요', '십시오', '시오', '봐', '봐요', '야지', '야', '자', '주시겠어요', '줄래요?'];

/** Words that turn the request around (집지 마 "do not pick up"). */
export const KOREAN_NEGATIONS = ['마', '마라', '마세요', '말아', '말아라', '말아요', '말고', '않게', '못'];

/** Whole words that only add politeness or a request. */
export const KOREAN_FILLERS = ['좀', '제발', '부탁해', '부탁해요', '부탁합니다', '주세요', '줘', '줘요', '줄래', '줄래요', '주십시오', '그리고', '그다음', '그', '저', '이', '다음', '로봇', '빨리', '천천히', '조심히', '조심스럽게', '살살', '한번', '다시', '그걸', '그것을', '그거'];

interface Split {
  stem: string;
  particle: string;
}

/** Splits off a known particle: "공을" -> 공 + 을; "그릇에다가" -> 그릇 + 에다가; "공" -> 공 + "". */
function splitParticle(word: string, isStem: (s: string) => boolean): Split | null {
  if (isStem(word)) return { stem: word, particle: '' };
  for (const p of PARTICLES) if (word.endsWith(p) && isStem(word.slice(0, -p.length))) return { stem: word.slice(0, -p.length), particle: p };
  return null;
}

const NOUN_TAGS = new Map<string, WordTag>();
for (const [c, ws] of Object.entries(KOREAN_COLOURS)) for (const w of ws) NOUN_TAGS.set(w, { role: 'colour', colour: c as Colour });
for (const [s, ws] of Object.entries(KOREAN_SHAPES)) for (const w of ws) NOUN_TAGS.set(w, { role: 'shape', shape: s as Shape });
for (const [r, ws] of Object.entries(KOREAN_RECEPTACLES)) for (const w of ws) NOUN_TAGS.set(w, { role: 'receptacle', receptacle: r as Receptacle });
for (const w of KOREAN_ANY_SHAPE) NOUN_TAGS.set(w, { role: 'shape', shape: null });
for (const w of KOREAN_ANY_RECEPTACLE) NOUN_TAGS.set(w, { role: 'receptacle', receptacle: null });
for (const [d, ws] of Object.entries(KOREAN_DIRECTIONS)) for (const w of ws) NOUN_TAGS.set(w, { role: 'direction', direction: d as Direction });

/** The verb class of a word made of a known stem and a known ending, or null. */
export function koreanVerb(word: string): VerbClass | null {
  for (const { forms, verb } of KOREAN_VERBS) {
    for (const f of forms) if (word.startsWith(f) && VERB_ENDINGS.includes(word.slice(f.length))) return verb;
  }
  return null;
}

/** Tags Korean text (spaces separate words; punctuation is dropped; Latin words are read as English would be). */
export function tagKorean(text: string, tagOther: (word: string) => WordTag): ReadWord[] {
  const words = text
    .replace(/[.,!?~;:"'()\[\]…·]+/g, ' ')
    .split(/\s+/)
    .filter((w) => w !== '');
  const out: ReadWord[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const pair = i + 1 < words.length ? `${w} ${words[i + 1]}` : null;
    const pairVerb = pair ? koreanVerb(pair) : null; // 들어 올려라, 올려 놓아
    if (pair && pairVerb) {
      out.push({ text: pair, tag: { role: 'verb', verb: pairVerb } });
      i++;
      continue;
    }
    out.push(...tagKoreanWord(w, tagOther));
  }
  return out;
}

function tagKoreanWord(w: string, tagOther: (word: string) => WordTag): ReadWord[] {
  if (KOREAN_NEGATIONS.includes(w)) return [{ text: w, tag: { role: 'negation' } }];
  if (DESTINATION_WORDS.includes(w)) return [{ text: w, tag: { role: 'into' } }];
  if (KOREAN_FILLERS.includes(w)) return [{ text: w, tag: { role: 'filler' } }];
  const noun = nounWord(w);
  if (noun) return [noun];
  const compound = colourCompound(w); // 빨간공을: no space between colour and noun
  if (compound) return compound;
  const verb = koreanVerb(w);
  if (verb) return [{ text: w, tag: { role: 'verb', verb } }];
  if (!hasHangul(w)) return [{ text: w, tag: tagOther(w) }];
  return [{ text: w, tag: { role: 'unknown' } }];
}

/** A noun (colour, shape, container, direction) with an optional particle, or null. */
function nounWord(w: string): ReadWord | null {
  const noun = splitParticle(w, (s) => NOUN_TAGS.has(s));
  if (!noun) return null;
  const tag = NOUN_TAGS.get(noun.stem)!;
  const marks = DESTINATION_PARTICLES.includes(noun.particle) && tag.role !== 'direction';
  return marks ? { text: w, tag, marksDestination: true } : { text: w, tag };
}

/** "빨간공을" written as one word: the colour and the noun (with its particle), read as two. */
function colourCompound(w: string): ReadWord[] | null {
  for (const ws of Object.values(KOREAN_COLOURS)) {
    for (const cw of ws) {
      if (!w.startsWith(cw) || w.length === cw.length) continue;
      const rest = nounWord(w.slice(cw.length));
      if (rest && rest.tag.role !== 'colour') return [nounWord(cw)!, rest];
    }
  }
  return null;
}
