import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildEnglishLexicon, LEXICON_FILE, synsetLemmas, wordnetDictDir } from '../../src/language/buildLexicon.js';
import { ENGLISH_LEXICON } from '../../src/language/englishLexicon.js';
import { SHAPE_NOUNS, TEMPLATES } from '../../sim/tasks/language.js';
import { tagEnglish } from '../../src/language/english.js';

describe('the English vocabulary from WordNet', () => {
  it('is what WordNet 3.1 gives for the chosen synsets today (npm run lexicon rewrites it)', () => {
    expect(readFileSync(LEXICON_FILE, 'utf8')).toBe(buildEnglishLexicon());
  });

  it('reads the synsets it names: "pick up" is in 01980103 with "lift up"', () => {
    expect(synsetLemmas(wordnetDictDir(), { pos: 'verb', offset: '01980103' })).toEqual(['pick up', 'lift up', 'gather up']);
    expect(() => synsetLemmas(wordnetDictDir(), { pos: 'verb', offset: '01980104' })).toThrow(/no synset starts at that offset/);
  });

  it('covers the words of every template and every shape noun', () => {
    for (const tpl of TEMPLATES) {
      const words = tagEnglish(tpl.text.replace(/\{\w+\}/g, ' '));
      expect(words.filter((w) => w.tag.role === 'unknown').map((w) => w.text), tpl.id).toEqual([]);
    }
    for (const [shape, nouns] of Object.entries(SHAPE_NOUNS)) for (const n of nouns) expect(tagEnglish(`the ${n}`)[1]!.tag, n).toEqual({ role: 'shape', shape });
    expect(ENGLISH_LEXICON.verbs.pick).toContain('grasp');
  });
});
