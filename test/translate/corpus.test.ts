/** The parallel corpus: correct Korean, true alignments, held-out pairs kept out of training but solvable. */
import { describe, expect, it } from 'vitest';
import { parseCommand, isHeldOutCombo, getTemplate } from '../../sim/tasks/language.js';
import { readCommand } from '../../src/language/index.js';
import { buildCorpus, canonicalEnglish, koreanOf, Vocabulary, withDirectionParticle, withObjectParticle } from '../../src/translate/index.js';

describe('Korean particles', () => {
  it('을 after a consonant, 를 after a vowel', () => {
    expect(withObjectParticle('공')).toBe('공을');
    expect(withObjectParticle('원기둥')).toBe('원기둥을');
    expect(withObjectParticle('큐브')).toBe('큐브를');
  });

  it('으로 after a consonant, 로 after a vowel or ㄹ', () => {
    expect(withDirectionParticle('왼쪽')).toBe('왼쪽으로');
    expect(withDirectionParticle('앞')).toBe('앞으로');
    expect(withDirectionParticle('뒤')).toBe('뒤로');
    expect(withDirectionParticle('물')).toBe('물로');
  });
});

describe('English -> Korean corpus', () => {
  const corpus = buildCorpus('en-ko');
  const find = (s: string) => corpus.find((p) => p.source.join(' ') === s)!;

  it('translates the primer example and aligns each Korean word with its English words', () => {
    const p = find('pick up the red ball');
    expect(p.target).toEqual(['빨간', '공을', '집어라']);
    expect(p.targetSources).toEqual([[3], [4], [0, 1]]);
    expect(p.split).toBe('train');
  });

  it('says please politely, puts on a plate with 놓아 and names the direction with its particle', () => {
    expect(find('please put the blue can on the green plate').target).toEqual(['파란', '원기둥을', '초록색', '접시에', '놓아', '주세요']);
    const push = find('push the yellow block to the left');
    expect(push.target).toEqual(['노란', '큐브를', '왼쪽으로', '밀어라']);
    expect(push.targetSources[2]).toEqual([4, 6]); // "to", "left"; not "the"
  });

  it('in "pick up X and put it in Y" the Korean verb is the English verb after "and"', () => {
    const p = find('pick up the red ball and put it into the blue bowl');
    expect(p.target).toEqual(['빨간', '공을', '파란', '그릇에', '넣어라']);
    expect(p.targetSources[4]).toEqual([6, 8]); // "put", "into": 넣다 is "put in"
    expect(p.targetSources[3]).toEqual([8, 11]); // "into", "bowl"
  });

  it('every Korean sentence is read by the Korean command reader as the English command means', () => {
    for (let i = 0; i < corpus.length; i += 13) {
      const p = corpus[i]!;
      const en = parseCommand(p.source.join(' '));
      const ko = readCommand(p.target.join(' '));
      expect(ko.problems, p.target.join(' ')).toEqual([]);
      expect({ task: ko.task, target: ko.target, destination: ko.destination, direction: ko.direction }, p.target.join(' ')).toEqual({
        task: en.task,
        target: en.target,
        destination: en.destination ?? null,
        direction: en.direction ?? null,
      });
    }
  });

  it('keeps held-out combinations and templates out of training, and every held-out word is seen in training', () => {
    const train = corpus.filter((p) => p.split === 'train');
    const held = corpus.filter((p) => p.split !== 'train');
    expect(held.some((p) => p.split === 'heldout-combo')).toBe(true);
    expect(held.some((p) => p.split === 'heldout-template')).toBe(true);
    for (const p of train) {
      const c = parseCommand(p.source.join(' '));
      expect(isHeldOutCombo(c.target)).toBe(false);
      expect(getTemplate(c.template).heldOut).toBe(false);
    }
    const seen = new Set(train.flatMap((p) => [...p.source, ...p.target]));
    for (const p of held) for (const w of [...p.source, ...p.target]) expect(seen.has(w), w).toBe(true);
  });
});

describe('Korean -> English corpus', () => {
  const corpus = buildCorpus('ko-en');

  it('reads either word order into the canonical English, the direction-first push held out', () => {
    const m = { task: 'push', target: { colour: 'red', kind: 'ball' }, direction: 'left', polite: true } as const;
    const english = canonicalEnglish(m).map((w) => w.word);
    expect(english).toEqual(['please', 'push', 'the', 'red', 'ball', 'to', 'the', 'left']);
    const objectFirst = corpus.find((p) => p.source.join(' ') === '빨간 공을 왼쪽으로 밀어 주세요')!;
    const directionFirst = corpus.find((p) => p.source.join(' ') === '왼쪽으로 빨간 공을 밀어 주세요')!;
    expect(objectFirst.target).toEqual(english);
    expect(objectFirst.split).toBe('train');
    expect(directionFirst.split).toBe('heldout-template');
    // please <- 주세요, push <- 밀어, the <- nothing, red <- 빨간, left <- 왼쪽으로
    expect(objectFirst.targetSources).toEqual([[4], [3], [], [0], [1], [2], [], [2]]);
    expect(koreanOf(m, true).words).toEqual(directionFirst.source);
  });

  it('holds out the held-out target combinations', () => {
    const purple = corpus.filter((p) => p.source.some((w, i) => w === '공을' && p.source[i - 1] === '보라색'));
    expect(purple.length).toBeGreaterThan(0);
    for (const p of purple) expect(p.split).toBe('heldout-combo');
  });
});

describe('Vocabulary', () => {
  it('reserves padding, start and end, and names unknown words', () => {
    const v = new Vocabulary(['b', 'a', 'b']);
    expect(v.words).toEqual(['<pad>', '<s>', '</s>', 'a', 'b']);
    expect(v.encode(['b', 'a'])).toEqual([4, 3]);
    expect(v.decode([3, 4])).toEqual(['a', 'b']);
    expect(() => v.encode(['a', 'could', 'you'])).toThrow('unknown words "could", "you"');
  });
});
