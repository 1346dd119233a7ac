/**
 * Free-form ways to say a command, in English and Korean, for training augmentation and for measuring how well
 * commands in people's words are carried out. Each pool has a `train` part and a `heldout` part with words, fillers
 * and endings of its own: the held-out phrasings (new politeness, new synonyms, new Korean endings) are never
 * produced for training, so `vla eval --phrasing en|ko` measures phrasings the policy was not trained on.
 */
import { CommandError, parseCommand, type Direction, type ParsedCommand, type TaskName } from '../../sim/tasks/language.js';
import type { Colour, Receptacle, Scene, Shape } from '../../sim/types.js';
import { hashSeed, Rng } from '../../sim/util/Rng.js';
import { understandCommand } from './command.js';
import { policyReading } from './koreanPolicy.js';
import type { Rephrased } from '../eval/episode.js';
import type { Language } from './types.js';

export const PHRASING_POOLS = ['train', 'heldout'] as const;
export type PhrasingPool = (typeof PHRASING_POOLS)[number];

type Split<T> = Readonly<Record<PhrasingPool, readonly T[]>>;

interface EnglishWords {
  before: Split<string>;
  after: Split<string>;
  verbs: Readonly<Record<TaskName, Split<string>>>;
  shapes: Readonly<Record<Shape, Split<string>>>;
  colours: Readonly<Record<Colour, Split<string>>>;
  into: Readonly<Record<Receptacle, Split<string>>>;
  directions: Readonly<Record<Direction, Split<string>>>;
  end: Split<string>;
}

const both = <T>(train: readonly T[], heldout: readonly T[]): Split<T> => ({ train, heldout });

export const ENGLISH_PHRASINGS: EnglishWords = {
  before: both(['', '', 'please', 'can you', 'could you', 'hey robot,'], ['would you', 'i need you to', 'go ahead and', 'robot, kindly', 'i want you to']),
  after: both(['', '', 'please', 'now', 'for me'], ['thanks', 'thank you', 'right now', 'for me, thanks']),
  verbs: {
    pick: both(['pick up', 'grab', 'lift', 'take', 'raise'], ['grasp', 'seize', 'hoist', 'take hold of', 'lift up']),
    place: both(['put', 'place', 'set', 'move'], ['lay', 'position', 'deposit', 'transfer']),
    push: both(['push', 'slide', 'shove', 'move'], ['nudge', 'shift']),
  },
  shapes: { ball: both(['ball'], ['sphere', 'orb']), cube: both(['cube'], ['block']), cylinder: both(['cylinder'], ['can']) },
  colours: {
    red: both(['red'], ['crimson', 'scarlet']),
    green: both(['green'], ['greenish']),
    blue: both(['blue'], ['bluish']),
    yellow: both(['yellow'], ['yellowish']),
    purple: both(['purple'], ['violet']),
    orange: both(['orange'], ['orangish']),
  },
  into: { bowl: both(['in', 'into'], ['inside']), plate: both(['on', 'onto'], ['on top of']) },
  directions: {
    left: both(['left', 'to the left'], ['leftwards', 'to your left']),
    right: both(['right', 'to the right'], ['rightwards', 'to your right']),
    forward: both(['forward', 'away from the robot'], ['away from you', 'frontward']),
    backward: both(['backward', 'toward the robot'], ['towards you', 'closer']),
  },
  end: both(['', '', '.', '!'], ['?', '...', '!!']),
};

interface KoreanWords {
  colours: Readonly<Record<Colour, Split<string>>>;
  shapes: Readonly<Record<Shape, Split<string>>>;
  containers: Readonly<Record<Receptacle, Split<string>>>;
  /** Where a thing goes: {0} is the container with its colour. */
  into: Readonly<Record<Receptacle, Split<string>>>;
  directions: Readonly<Record<Direction, Split<string>>>;
  verbs: Readonly<Record<TaskName, Split<string>>>;
  polite: Split<string>;
}

export const KOREAN_PHRASINGS: KoreanWords = {
  colours: {
    red: both(['빨간'], ['빨간색', '빨강']),
    green: both(['초록'], ['초록색', '녹색']),
    blue: both(['파란'], ['파란색', '파랑']),
    yellow: both(['노란'], ['노란색', '노랑']),
    purple: both(['보라'], ['보라색']),
    orange: both(['주황'], ['주황색']),
  },
  shapes: { ball: both(['공'], ['구슬']), cube: both(['큐브'], ['정육면체', '블록']), cylinder: both(['원기둥'], ['원통', '캔']) },
  containers: { bowl: both(['그릇'], ['사발']), plate: both(['접시'], ['접시']) },
  into: { bowl: both(['{0}에'], ['{0} 안에', '{0}에다']), plate: both(['{0}에', '{0} 위에'], ['{0} 위에다', '{0} 위로']) },
  directions: {
    left: both(['왼쪽으로'], ['좌측으로', '왼편으로']),
    right: both(['오른쪽으로'], ['우측으로', '오른편으로']),
    forward: both(['앞으로'], ['앞쪽으로']),
    backward: both(['뒤로'], ['뒤쪽으로']),
  },
  verbs: {
    pick: both(['집어라', '집어 줘', '잡아라', '들어라'], ['집어 주세요', '들어 올려 주세요', '주워 줘', '잡으세요']),
    place: both(['넣어라', '놓아라', '놓아 줘', '옮겨라'], ['넣어 주세요', '놓으세요', '올려놓아 줘', '둬']),
    push: both(['밀어라', '밀어 줘'], ['밀어 주세요', '미세요', '굴려 줘']),
  },
  polite: both(['', '', '좀'], ['제발', '좀']),
};

/** 을 after a closing consonant (공을), 를 after a vowel (큐브를); likewise 으로/로. */
export function objectParticle(noun: string): string {
  return batchim(noun) ? '을' : '를';
}

function batchim(word: string): boolean {
  const c = word.charCodeAt(word.length - 1) - 0xac00;
  return c >= 0 && c < 11172 && c % 28 !== 0;
}

/** A free-form way to say `c` in `language`, drawn from `pool`. */
export function sayFreely(c: ParsedCommand, language: Language, pool: PhrasingPool, rng: Rng): string {
  return language === 'ko' ? sayKorean(c, pool, rng) : sayEnglish(c, pool, rng);
}

const choose = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(0, xs.length - 1)]!;

function sayEnglish(c: ParsedCommand, pool: PhrasingPool, rng: Rng): string {
  const w = ENGLISH_PHRASINGS;
  const target = `the ${choose(rng, w.colours[c.target.colour][pool])} ${choose(rng, w.shapes[c.target.kind][pool])}`;
  const verb = choose(rng, w.verbs[c.task][pool]);
  let body: string;
  if (c.task === 'place') {
    const d = c.destination!;
    body = `${verb} ${target} ${choose(rng, w.into[d.kind][pool])} the ${choose(rng, w.colours[d.colour][pool])} ${d.kind}`;
  } else if (c.task === 'push') body = `${verb} ${target} ${choose(rng, w.directions[c.direction!][pool])}`;
  else body = `${verb} ${target}`;
  let after = choose(rng, w.after[pool]);
  if (body.endsWith(' right') && /^(now|right now)/.test(after)) after = ''; // "push it right now": which way?
  const words = [choose(rng, w.before[pool]), body, after].filter((x) => x !== '');
  const text = words.join(' ') + choose(rng, w.end[pool]);
  return rng.bool(0.3) ? text[0]!.toUpperCase() + text.slice(1) : text;
}

function sayKorean(c: ParsedCommand, pool: PhrasingPool, rng: Rng): string {
  const w = KOREAN_PHRASINGS;
  const noun = choose(rng, w.shapes[c.target.kind][pool]);
  const parts = [choose(rng, w.colours[c.target.colour][pool]), `${noun}${objectParticle(noun)}`];
  if (c.task === 'place') {
    const d = c.destination!;
    const container = `${choose(rng, w.colours[d.colour][pool])} ${choose(rng, w.containers[d.kind][pool])}`;
    parts.push(choose(rng, w.into[d.kind][pool]).replace('{0}', container));
  } else if (c.task === 'push') parts.push(choose(rng, w.directions[c.direction!][pool]));
  const polite = choose(rng, w.polite[pool]);
  if (polite) parts.push(polite);
  parts.push(choose(rng, w.verbs[c.task][pool]));
  return parts.join(' ');
}

/**
 * The rephrasing `vla eval --phrasing` uses: each sampled command said freely in `language` from `pool` (seeded by
 * the episode), then read and grounded in the episode's scene as a user's command would be; a policy that reads
 * Korean (`readsKo`) is given a Korean command's Korean words (policyReading).
 */
export function freeFormRephrase(language: Language, pool: PhrasingPool = 'heldout', readsKo = false) {
  return {
    split: `${pool === 'heldout' ? 'free' : 'free-train'}-${language}`,
    say: (command: string, scene: Scene, seed: number): Rephrased => {
      const text = sayFreely(parseCommand(command), language, pool, new Rng(hashSeed(`phrasing:${language}:${seed}`)));
      try {
        const u = understandCommand(text, { scene });
        const reads = policyReading(u, readsKo).words;
        return { text, command: u.command, ...(reads ? { reads: reads.words.join(' ') } : {}) };
      } catch (e) {
        if (e instanceof CommandError) return { text, command: null };
        throw e;
      }
    },
  };
}
