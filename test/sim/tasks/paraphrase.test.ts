/** Paraphrases for training: recombinations of seen templates that never say a held-out template. */
import { describe, expect, it } from 'vitest';
import { allParaphrases, drawParaphrase, isHeldOutPhrasing } from '../../../sim/tasks/paraphrase.js';
import {
  DIRECTIONS,
  DIRECTION_PHRASES,
  PREPOSITIONS,
  RECEPTACLE_NOUNS,
  SHAPE_NOUNS,
  TEMPLATES,
  parseCommand,
  splitOf,
  targetsFor,
  type ParsedCommand,
} from '../../../sim/tasks/language.js';
import { COLOURS } from '../../../sim/types.js';
import { Rng } from '../../../sim/util/Rng.js';

const words = (s: string) => s.split(' ').filter((w) => w !== '');

/** One command per task, target and destination/direction of the seen split. */
function seenCommands(): ParsedCommand[] {
  const out: ParsedCommand[] = [];
  for (const target of targetsFor('seen')) {
    out.push({ task: 'pick', target, template: 'pick.pick-up' });
    out.push({ task: 'place', target, destination: { kind: 'bowl', colour: 'blue' }, template: 'place.put' });
    out.push({ task: 'place', target, destination: { kind: 'plate', colour: 'red' }, template: 'place.put' });
    for (const direction of DIRECTIONS) out.push({ task: 'push', target, direction, template: 'push.push' });
  }
  return out;
}

describe('paraphrases', () => {
  const commands = seenCommands();
  const all = commands.map((c) => ({ c, ps: allParaphrases(c, 12) }));

  it('never say a held-out template, with or without "please" in front, and fit the word budget', () => {
    for (const { ps } of all) {
      for (const p of ps) {
        expect(words(p).length).toBeLessThanOrEqual(12);
        let split: string | null = null;
        try {
          split = splitOf(p);
        } catch {
          split = null; // a new word order: no template
        }
        expect(split === null || split === 'seen').toBe(true);
        if (p.startsWith('please ')) expect(isHeldOutPhrasing(p.slice(7))).toBe(false);
      }
    }
    // The recombinations that would be held-out templates are the ones left out.
    const place = allParaphrases(parseCommand('put the blue cube in the green bowl'), 12);
    expect(place).toContain('grab the blue cube and put it in the green bowl');
    expect(place).toContain('please drop the blue cube in the green bowl');
    expect(place).not.toContain('grab the blue cube and place it in the green bowl');
    expect(place).not.toContain('please grab the blue cube and place it in the green bowl');
    expect(place).not.toContain('please place the blue cube in the green bowl');
    const pick = allParaphrases(parseCommand('pick up the red ball'), 12);
    expect(pick).toContain('please lift the red ball');
    expect(pick).not.toContain('please grab the red ball');
    expect(allParaphrases(parseCommand('push the red cube left'), 12)).not.toContain('please slide the red cube left');
  });

  it('use only words of the seen templates and the slot fillers, and name the same target, destination and direction', () => {
    const seenWords = new Set(TEMPLATES.filter((t) => !t.heldOut).flatMap((t) => words(t.text.replace(/\{\w+\}/g, ' '))));
    const fillers = new Set([
      ...COLOURS,
      ...Object.values(SHAPE_NOUNS).flat(),
      ...Object.values(RECEPTACLE_NOUNS).flat(),
      ...Object.values(PREPOSITIONS).flat(),
      ...Object.values(DIRECTION_PHRASES).flat().flatMap(words),
    ]);
    for (const { c, ps } of all) {
      expect(ps.length).toBeGreaterThan(1);
      for (const p of ps) {
        for (const w of words(p)) expect(seenWords.has(w) || fillers.has(w), `${w} in ${p}`).toBe(true);
        expect(SHAPE_NOUNS[c.target.kind].some((n) => p.includes(` ${c.target.colour} ${n}`))).toBe(true);
        if (c.destination) expect(p.endsWith(` ${c.destination.colour} ${c.destination.kind}`)).toBe(true);
        if (c.direction) expect(DIRECTION_PHRASES[c.direction].some((d) => p.endsWith(` ${d}`))).toBe(true);
        // Where a paraphrase is a seen template's phrasing, it parses back to the same request.
        let back: ParsedCommand | null = null;
        try {
          back = parseCommand(p);
        } catch {
          back = null;
        }
        if (back) expect({ task: back.task, target: back.target, destination: back.destination, direction: back.direction }).toEqual({ task: c.task, target: c.target, destination: c.destination, direction: c.direction });
      }
    }
  });

  it('are drawn reproducibly from the seed, from the full list, within a smaller word budget too', () => {
    const c = parseCommand('put the blue cube on the green plate');
    const list = new Set(allParaphrases(c, 12));
    const draw = (seed: number, n: number, budget = 12) => {
      const r = new Rng(seed);
      return Array.from({ length: n }, () => drawParaphrase(c, budget, r));
    };
    const a = draw(3, 200);
    expect(draw(3, 200)).toEqual(a);
    expect(draw(4, 200)).not.toEqual(a);
    for (const p of a) expect(list.has(p!)).toBe(true);
    expect(new Set(a).size).toBeGreaterThan(40);
    // Both place frames, one verb and two verbs, come up.
    expect(a.some((p) => p!.includes(' and '))).toBe(true);
    expect(a.some((p) => !p!.includes(' and '))).toBe(true);
    for (const p of draw(5, 100, 8)) if (p !== null) expect(words(p).length).toBeLessThanOrEqual(8);
    expect(drawParaphrase(c, 3, new Rng(1))).toBeNull(); // nothing fits three words
  });
});
