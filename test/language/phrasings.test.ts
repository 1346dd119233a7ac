import { describe, expect, it } from 'vitest';
import { ENGLISH_PHRASINGS, freeFormRephrase, KOREAN_PHRASINGS, objectParticle, sayFreely } from '../../src/language/phrasings.js';
import { understandCommand } from '../../src/language/index.js';
import { targetsFor, type ParsedCommand } from '../../sim/tasks/language.js';
import { Rng } from '../../sim/util/Rng.js';
import { evaluate } from '../../src/eval/index.js';

const commands: ParsedCommand[] = targetsFor('seen').flatMap((target, i) => [
  { task: 'pick', target, template: 'pick.pick-up' },
  { task: 'place', target, destination: { kind: i % 2 ? 'bowl' : 'plate', colour: target.colour === 'blue' ? 'green' : 'blue' }, template: 'place.put' },
  { task: 'push', target, direction: (['left', 'right', 'forward', 'backward'] as const)[i % 4], template: 'push.push' },
]);

describe('free-form phrasings', () => {
  it('are read back to the command they say, in both languages and both pools', () => {
    const rng = new Rng(3);
    for (const language of ['en', 'ko'] as const) {
      for (const pool of ['train', 'heldout'] as const) {
        for (const c of commands) {
          const text = sayFreely(c, language, pool, rng);
          const p = understandCommand(text).parsed;
          expect({ task: p.task, target: p.target, destination: p.destination, direction: p.direction }, text).toEqual({ task: c.task, target: c.target, destination: c.destination, direction: c.direction });
        }
      }
    }
  });

  it('keep the held-out words out of the training pool', () => {
    const disjoint = (split: { train: readonly string[]; heldout: readonly string[] }, what: string) => {
      const shared = split.heldout.filter((w) => w !== '' && split.train.includes(w));
      expect(shared, what).toEqual([]);
    };
    const e = ENGLISH_PHRASINGS;
    disjoint(e.before, 'before');
    disjoint(e.after, 'after');
    for (const [k, v] of Object.entries(e.verbs)) disjoint(v, k);
    for (const [k, v] of Object.entries(e.colours)) disjoint(v, k);
    for (const [k, v] of Object.entries(KOREAN_PHRASINGS.verbs)) disjoint(v, `ko ${k}`);
    for (const [k, v] of Object.entries(KOREAN_PHRASINGS.colours)) disjoint(v, `ko ${k}`);
  });

  it('pick the Korean object particle by the last syllable', () => {
    expect(['공', '큐브', '원기둥', '정육면체', '캔'].map((n) => n + objectParticle(n))).toEqual(['공을', '큐브를', '원기둥을', '정육면체를', '캔을']);
  });

  it('vla eval --phrasing: episodes run on what was understood, reported under their own split; not understood is a failure', async () => {
    const ko = await evaluate({ tasks: ['pick'], episodes: 3, seed: 11, rephrase: freeFormRephrase('ko'), progress: 'none', cameras: [] });
    expect(Object.keys(ko.perTask.pick!.perSplit)).toEqual(['free-ko']);
    expect(ko.perTask.pick!.successes).toBe(3);
    const texts: string[] = [];
    const deaf = await evaluate({
      tasks: ['pick'],
      episodes: 2,
      seed: 11,
      progress: 'none',
      cameras: [],
      rephrase: { split: 'garbled', say: (command) => ({ text: `${command}?!`, command: null }) },
      onEpisode: (r) => void texts.push(r.command),
    });
    expect(deaf.perTask.pick!.failures).toEqual({ 'not understood': 2 });
    expect(texts.every((t) => t.endsWith('?!'))).toBe(true);
  });
});
