import { describe, expect, it } from 'vitest';
import { parseCommand, type ParsedCommand } from '../../sim/tasks/language.js';
import { COLOURS } from '../../sim/types.js';
import { Rng } from '../../sim/util/Rng.js';
import { KOREAN_POLICY_VOCABULARY, koreanCommandWords, koreanPolicyWords } from '../../src/language/koreanPolicy.js';
import { sayFreely } from '../../src/language/phrasings.js';
import { understandCommand } from '../../src/language/command.js';
import { freeFormRephrase } from '../../src/language/phrasings.js';
import { alignToTokens } from '../../src/language/align.js';
import { policyReading } from '../../src/language/koreanPolicy.js';
import { Environment } from '../../sim/env/Environment.js';
import type { Driver } from '../../sim/env/Driver.js';
import { readingAs, runEpisode } from '../../src/eval/index.js';

/** Commands of every task, colour and kind. */
function commands(): ParsedCommand[] {
  const out: ParsedCommand[] = [];
  COLOURS.forEach((colour, i) => {
    const other = COLOURS[(i + 1) % COLOURS.length];
    for (const kind of ['ball', 'cube', 'cylinder']) {
      out.push(parseCommand(`pick up the ${colour} ${kind}`));
      out.push(parseCommand(`put the ${colour} ${kind} in the ${other} bowl`));
      out.push(parseCommand(`put the ${colour} ${kind} on the ${other} plate`));
      for (const d of ['left', 'right', 'forward', 'backward']) out.push(parseCommand(`push the ${colour} ${kind} ${d}`));
    }
  });
  return out;
}

const policyWordsOf = (text: string) => {
  const u = understandCommand(text, { seed: 3 });
  return koreanPolicyWords(u.reading, u.parsed);
};

describe('the Korean words a policy reads', () => {
  it('are the same for every way the phrasings say a command, training and held-out, and name its parts', () => {
    const rng = new Rng(7);
    for (const c of commands()) {
      const want = koreanCommandWords(c);
      for (const pool of ['train', 'heldout'] as const) {
        const text = sayFreely(c, 'ko', pool, rng);
        expect(policyWordsOf(text).words, text).toEqual(want.words);
      }
      expect(want.parts).toHaveLength(want.words.length);
      for (const w of want.words) expect(KOREAN_POLICY_VOCABULARY).toContain(w);
    }
  });

  it('keep the canonical forms and drop politeness: synonyms, particles and endings become one word each', () => {
    expect(policyWordsOf('빨간색 구슬를 좀 집어 주세요').words).toEqual(['빨간', '공', '을', '집어']);
    expect(policyWordsOf('노랑 블록을 초록색 사발 안에다 넣어라').words).toEqual(['노란', '큐브', '을', '초록', '그릇', '에', '넣어']);
    expect(policyWordsOf('파란 원통을 좌측으로 밀어 줘').words).toEqual(['파란', '원기둥', '을', '왼쪽', '으로', '밀어']);
    expect(policyWordsOf('보라 공을 주황 접시 위에 올려놓아 줘').words).toEqual(['보라', '공', '을', '주황', '접시', '에', '놓아']);
  });

  it('follow the user\'s order: the destination first, or the verb where the last verb is', () => {
    const c = parseCommand('put the red ball in the blue bowl');
    expect(policyWordsOf('파란 그릇에 빨간 공을 넣어').words).toEqual(koreanCommandWords(c, true).words);
    expect(koreanCommandWords(c, true).words).toEqual(['파란', '그릇', '에', '빨간', '공', '을', '넣어']);
    expect(policyWordsOf('빨간 공을 집어서 파란 그릇에 넣어').words).toEqual(koreanCommandWords(c).words);
  });

  it('fill in what the user left open from the grounded command', () => {
    const u = understandCommand('빨간 것을 집어라', { seed: 11 });
    const words = koreanPolicyWords(u.reading, u.parsed).words;
    expect(words).toEqual(koreanCommandWords(u.parsed).words);
    expect(words[0]).toBe('빨간');
  });
});

describe('giving a policy the Korean words', () => {
  it('policyReading: Korean words only for a Korean command and a policy that reads Korean', () => {
    const ko = understandCommand('빨간 공을 집어 주세요', { seed: 1 });
    expect(policyReading(ko, true)).toMatchObject({ text: '빨간 공 을 집어' });
    expect(policyReading(ko, false)).toEqual({ text: 'pick up the red ball', words: null });
    const en = understandCommand('could you lift the red ball', { seed: 1 });
    expect(policyReading(en, true)).toEqual({ text: en.command, words: null });
  });

  it('the free-form rephrasing adds the Korean words for a policy that reads them, and only then', () => {
    const env = new Environment();
    env.reset({ seed: 4, command: 'put the red ball in the blue bowl' });
    const scene = env.info.scene;
    const reads = freeFormRephrase('ko', 'heldout', true).say('put the red ball in the blue bowl', scene, 9);
    expect(reads.command).toBe('put the red ball in the blue bowl');
    expect(reads.reads).toBe('빨간 공 을 파란 그릇 에 넣어');
    expect(freeFormRephrase('ko', 'heldout', false).say('put the red ball in the blue bowl', scene, 9).reads).toBeUndefined();
    expect(freeFormRephrase('en', 'heldout', true).say('put the red ball in the blue bowl', scene, 9).reads).toBeUndefined();
  });

  it('readingAs gives the driver the words in every observation of the episode, the simulator the command', async () => {
    const seen: string[] = [];
    const still: Driver = { reset: () => {}, act: (obs) => (seen.push(obs.command), { dx: 0, dy: 0, dz: 0, dyaw: 0, gripper: 0 }) };
    const env = new Environment({ maxSteps: 5 });
    const r = await runEpisode({ seed: 2, command: 'pick up the red ball', env, driver: readingAs(still, '빨간 공 을 집어') });
    expect(seen.length).toBe(5);
    expect(new Set(seen)).toEqual(new Set(['빨간 공 을 집어']));
    expect(r.command).toBe('pick up the red ball');
  });

  it('each of the user\'s words is shown with the Korean words of its own part', () => {
    const u = understandCommand('빨간색 공을 좀 파란 그릇 안에 넣어 주세요', { seed: 1 });
    const reads = policyReading(u, true);
    const panels = alignToTokens(u, reads.words!.words, reads.words);
    const tokensOf = (label: string) => panels.find((p) => p.label === label)!.tokens.map((k) => reads.words!.words[k]);
    expect(tokensOf('빨간색')).toEqual(['빨간']);
    expect(tokensOf('공을')).toEqual(['공']);
    expect(tokensOf('그릇')).toEqual(['그릇']);
    expect(tokensOf('안에')).toEqual(['에']);
    expect(tokensOf('넣어')).toEqual(['넣어']);
    expect(tokensOf('주세요')).toEqual([]);
    expect(tokensOf('좀')).toEqual([]);
  });
});
