/** The command language: every template with every synonym round-trips; errors are clear; normalisation. */
import { describe, expect, it } from 'vitest';
import {
  CommandError,
  DIRECTIONS,
  DIRECTION_PHRASES,
  SHAPE_NOUNS,
  TEMPLATES,
  VOCABULARY,
  allPhrasings,
  makeCommand,
  normaliseCommand,
  parseCommand,
  type CommandExtra,
  type CommandTemplate,
  type DestinationRef,
  type TargetRef,
} from '../../../sim/tasks/index.js';
import { COLOURS, RECEPTACLES, SHAPES } from '../../../sim/types.js';
import { Rng } from '../../../sim/util/Rng.js';

/** Every extra a template's task can take: each receptacle kind in two colours, or every direction. */
function extrasFor(tpl: CommandTemplate): CommandExtra[] {
  if (tpl.task === 'place') {
    return RECEPTACLES.flatMap((kind) => (['green', 'orange'] as const).map((colour) => ({ destination: { kind, colour } })));
  }
  if (tpl.task === 'push') return DIRECTIONS.map((direction) => ({ direction }));
  return [{}];
}

describe('parseCommand round-trips', () => {
  it('every template x every colour x every shape x every synonym', () => {
    let n = 0;
    for (const tpl of TEMPLATES) {
      for (const kind of SHAPES) {
        for (const colour of COLOURS) {
          const target: TargetRef = { kind, colour };
          for (const extra of extrasFor(tpl)) {
            for (const text of allPhrasings(tpl, target, extra)) {
              const p = parseCommand(text);
              expect(p.task, text).toBe(tpl.task);
              expect(p.template, text).toBe(tpl.id);
              expect(p.target, text).toEqual(target);
              expect(p.destination, text).toEqual(extra.destination);
              expect(p.direction, text).toEqual(extra.direction);
              n++;
            }
          }
        }
      }
    }
    expect(n).toBeGreaterThan(2000);
  });

  it('covers each synonym in the phrasings', () => {
    const texts = TEMPLATES.flatMap((tpl) =>
      SHAPES.flatMap((kind) => extrasFor(tpl).flatMap((extra) => allPhrasings(tpl, { kind, colour: 'red' }, extra))),
    );
    const joined = ` ${texts.join(' | ')} `;
    for (const nouns of Object.values(SHAPE_NOUNS)) for (const n of nouns) expect(joined).toContain(` red ${n} `.trimEnd());
    for (const phrases of Object.values(DIRECTION_PHRASES)) for (const p of phrases) expect(joined).toContain(` ${p}`);
    for (const w of ['pick up', 'grab', 'lift', 'take', 'into', 'onto']) expect(joined).toContain(w);
  });

  it('reads the examples in the brief', () => {
    expect(parseCommand('pick up the red ball')).toMatchObject({ task: 'pick', target: { kind: 'ball', colour: 'red' } });
    expect(parseCommand('grab the red sphere').target).toEqual({ kind: 'ball', colour: 'red' });
    expect(parseCommand('lift the red ball').task).toBe('pick');
    expect(parseCommand('take the red block').target).toEqual({ kind: 'cube', colour: 'red' });
    expect(parseCommand('put the blue cube in the green bowl')).toMatchObject({
      task: 'place',
      target: { kind: 'cube', colour: 'blue' },
      destination: { kind: 'bowl', colour: 'green' },
    });
    expect(parseCommand('place the blue block on the yellow plate').destination).toEqual({ kind: 'plate', colour: 'yellow' });
    expect(parseCommand('push the red cube to the left')).toMatchObject({ task: 'push', direction: 'left' });
    expect(parseCommand('slide the red block right').direction).toBe('right');
    expect(parseCommand('push the green can forward').direction).toBe('forward');
    expect(parseCommand('push the green can backwards').direction).toBe('backward');
  });

  it('ignores case, punctuation, extra spaces and articles', () => {
    const want = parseCommand('pick up the red ball');
    for (const text of ['Pick up the RED ball!', '  pick   up the red   ball  ', 'pick up, the red ball.', 'PICK-UP the red ball?!', 'pick up a red ball', 'pick up red ball']) {
      expect(parseCommand(text), text).toEqual(want);
    }
    expect(normaliseCommand('  Put the Blue-Cube, in the  bowl! ')).toBe('put the blue cube in the bowl');
    expect(parseCommand('Push the red cube to the LEFT.').direction).toBe('left');
  });
});

describe('parseCommand errors', () => {
  const err = (text: string) => {
    try {
      parseCommand(text);
    } catch (e) {
      expect(e).toBeInstanceOf(CommandError);
      return (e as Error).message;
    }
    throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
  };

  it('names unknown words', () => {
    expect(err('pick up the shiny ball')).toMatch(/^unknown word "shiny" in "pick up the shiny ball"; colours: red, green/);
    expect(err('pick up the pink ball')).toMatch(/^unknown word "pink"/);
    expect(err('fetch the red dodecahedron')).toMatch(/^unknown words "fetch", "dodecahedron" in/);
    expect(err('asdf qwer')).toMatch(/unknown words "asdf", "qwer"/);
  });

  it('explains known words in no known order', () => {
    expect(err('')).toMatch(/^empty command/);
    expect(err('  ?! ')).toMatch(/^empty command/);
    // Letters outside a-z are words it does not understand, not an empty command (issue 33).
    expect(err('빨간 공을 집어')).toMatch(/^words not understood: "빨간", "공을", "집어" in "빨간 공을 집어"; expected a command like/);
    expect(err('pick up the red ballé')).toMatch(/^word not understood: "ballé"/);
    expect(err('pick up the ball')).toMatch(/^which ball\? name its colour/);
    expect(err('push the red ball')).toMatch(/^which way\? add a direction/);
    expect(err('put the red ball')).toMatch(/^where to\? name a bowl or plate/);
    expect(err('pick up the red bowl')).toMatch(/the bowl is a receptacle/);
    expect(err('red ball the up pick')).toMatch(/^could not understand "red ball the up pick": expected a command like "pick up the red ball"/);
    expect(err('pick up the red ball to the left')).toMatch(/^could not understand/);
  });
});

describe('makeCommand', () => {
  it('is deterministic in the rng and parses back to its inputs', () => {
    const target: TargetRef = { kind: 'cube', colour: 'blue' };
    const destination: DestinationRef = { kind: 'plate', colour: 'red' };
    const a = Array.from({ length: 20 }, (_, i) => makeCommand('place', target, { destination }, new Rng(i)));
    const b = Array.from({ length: 20 }, (_, i) => makeCommand('place', target, { destination }, new Rng(i)));
    expect(a).toEqual(b);
    expect(new Set(a).size).toBeGreaterThan(5);
    for (const text of a) expect(parseCommand(text)).toMatchObject({ task: 'place', target, destination });
    const rng = new Rng(1);
    for (const direction of DIRECTIONS) {
      expect(parseCommand(makeCommand('push', target, { direction }, rng)).direction).toBe(direction);
    }
  });

  it('uses in/into for bowls and on/onto for plates', () => {
    const rng = new Rng(2);
    for (let i = 0; i < 50; i++) {
      expect(makeCommand('place', { kind: 'ball', colour: 'red' }, { destination: { kind: 'bowl', colour: 'blue' } }, rng)).toMatch(/ in(to)? the blue bowl$/);
      expect(makeCommand('place', { kind: 'ball', colour: 'red' }, { destination: { kind: 'plate', colour: 'blue' } }, rng)).toMatch(/ on(to)? the blue plate$/);
    }
  });

  it('insists on the extras each task needs', () => {
    const rng = new Rng(0);
    const t: TargetRef = { kind: 'ball', colour: 'red' };
    expect(() => makeCommand('place', t, {}, rng)).toThrow(/needs a destination/);
    expect(() => makeCommand('push', t, {}, rng)).toThrow(/needs a direction/);
    expect(() => makeCommand('pick', t, { direction: 'left' }, rng)).toThrow(/takes no direction/);
    expect(() => makeCommand('pick', t, { destination: { kind: 'bowl', colour: 'red' } }, rng)).toThrow(/takes no destination/);
  });

  it('every generated word is in the vocabulary', () => {
    const rng = new Rng(4);
    const vocab = new Set(VOCABULARY);
    for (let i = 0; i < 300; i++) {
      const text = makeCommand('push', { kind: rng.pick(SHAPES), colour: 'green' }, { direction: rng.pick(DIRECTIONS) }, rng);
      for (const w of text.split(' ')) expect(vocab.has(w), w).toBe(true);
    }
  });
});
