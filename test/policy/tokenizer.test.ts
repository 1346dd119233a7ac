/**
 * Tokenizer: case, punctuation and space insensitivity; the vocabulary covers every template phrasing; unknown
 * words and truncation are reported, never thrown; JSON round trip and its errors.
 */
import { describe, expect, it } from 'vitest';
import { PAD_ID, Tokenizer, UNK_ID, normaliseWords } from '../../src/policy/index.js';
import { COLOURS } from '../../sim/types.js';
import { DIRECTIONS, RECEPTACLE_NOUNS, SHAPE_NOUNS, TEMPLATES, allPhrasings, VOCABULARY } from '../../sim/tasks/language.js';

describe('Tokenizer', () => {
  const tok = new Tokenizer();

  it('has [PAD] = 0, [UNK] = 1 and then the command vocabulary', () => {
    expect(tok.tokens[PAD_ID]).toBe('[PAD]');
    expect(tok.tokens[UNK_ID]).toBe('[UNK]');
    expect(tok.size).toBe(VOCABULARY.length + 2);
    expect(tok.idOf('red')).toBeGreaterThan(1);
  });

  it('ignores case, punctuation and extra spaces', () => {
    const a = tok.encode('pick up the red ball', 12);
    for (const text of ['  Pick UP the RED ball! ', 'pick, up; the red-ball.', 'PICK\tup\nthe   red ball?!']) {
      const b = tok.encode(text, 12);
      expect(Array.from(b.ids)).toEqual(Array.from(a.ids));
      expect(b.words).toEqual(['pick', 'up', 'the', 'red', 'ball']);
    }
    expect(Array.from(a.mask)).toEqual([1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(a.ids.slice(5))).toEqual(new Array(7).fill(PAD_ID));
    expect(a.unknown).toEqual([]);
    expect(a.dropped).toEqual([]);
    expect(tok.decode(a.ids)).toEqual(a.words);
    expect(normaliseWords('')).toEqual([]);
  });

  it('knows every word of every template phrasing and fits it in 12 words', () => {
    for (const t of TEMPLATES) {
      const extra =
        t.task === 'place' ? { destination: { kind: 'bowl' as const, colour: 'green' as const } } : t.task === 'push' ? { direction: DIRECTIONS[0] } : {};
      for (const text of allPhrasings(t, { kind: 'cube', colour: 'red' }, extra)) {
        const e = tok.encode(text, 12);
        expect(e.unknown, text).toEqual([]);
        expect(e.dropped, text).toEqual([]);
      }
    }
    for (const w of [...COLOURS, ...Object.values(SHAPE_NOUNS).flat(), ...Object.values(RECEPTACLE_NOUNS).flat()]) expect(tok.idOf(w)).toBeGreaterThan(1);
  });

  it('reports unknown words as [UNK] instead of failing', () => {
    const e = tok.encode('Pick up the crimson ball, crimson!', 12);
    expect(e.words).toEqual(['pick', 'up', 'the', 'crimson', 'ball', 'crimson']);
    expect(e.unknown).toEqual(['crimson']);
    expect(e.ids[3]).toBe(UNK_ID);
    expect(e.ids[5]).toBe(UNK_ID);
    expect(e.mask[5]).toBe(1);
  });

  it('truncates long commands and reports what was dropped', () => {
    const e = tok.encode('pick up the red ball and put it into the green bowl please now', 12);
    expect(e.words).toHaveLength(12);
    expect(e.dropped).toEqual(['please', 'now']);
    expect(e.unknown).toEqual(['now']); // reported even though dropped
    expect(Array.from(e.mask).every((m) => m === 1)).toBe(true);
    expect(tok.encode('', 4)).toMatchObject({ words: [], unknown: [], dropped: [] });
    expect(() => tok.encode('x', 0)).toThrow('maxWords must be a positive integer');
  });

  it('round-trips through JSON and rejects bad JSON', () => {
    const back = Tokenizer.fromJSON(JSON.parse(JSON.stringify(tok.toJSON())));
    expect(back.tokens).toEqual(tok.tokens);
    const small = new Tokenizer(['pick', 'red']);
    expect(Tokenizer.fromJSON(small.toJSON()).tokens).toEqual(['[PAD]', '[UNK]', 'pick', 'red']);
    expect(() => Tokenizer.fromJSON({ ...tok.toJSON(), version: 2 })).toThrow('version 2; this build reads version 1');
    expect(() => Tokenizer.fromJSON({ ...tok.toJSON(), type: 'bpe' })).toThrow('type must be "word-level"');
    expect(() => Tokenizer.fromJSON(null)).toThrow('expected an object');
    expect(() => new Tokenizer(['Red'])).toThrow('not one normalised word');
    expect(() => new Tokenizer(['red', 'red'])).toThrow('appears twice');
  });
});
