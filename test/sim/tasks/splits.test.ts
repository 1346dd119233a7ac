/** Held-out splits: disjoint, documented in SPLITS.md, and never leaking into training. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  HELDOUT_COMBOS,
  SPLITS,
  TASK_NAMES,
  TEMPLATES,
  getTask,
  isHeldOutCombo,
  makeCommand,
  parseCommand,
  splitOf,
  targetsFor,
  templatesFor,
  type Split,
} from '../../../sim/tasks/index.js';
import { SHAPES, COLOURS } from '../../../sim/types.js';
import { Rng } from '../../../sim/util/Rng.js';

const key = (r: { kind: string; colour: string }) => `${r.colour} ${r.kind}`;

describe('splits', () => {
  it('holds out purple ball, orange cube and yellow cylinder', () => {
    expect(HELDOUT_COMBOS.map(key).sort()).toEqual(['orange cube', 'purple ball', 'yellow cylinder']);
  });

  it('partitions templates and targets', () => {
    for (const task of TASK_NAMES) {
      const train = templatesFor(task, 'seen').map((t) => t.id);
      const held = templatesFor(task, 'heldout-template').map((t) => t.id);
      expect(held.length).toBeGreaterThanOrEqual(1);
      expect(held.length).toBeLessThanOrEqual(2);
      expect(train.length).toBeGreaterThanOrEqual(3);
      expect(train.filter((id) => held.includes(id))).toEqual([]);
      expect(templatesFor(task, 'heldout-combo').map((t) => t.id)).toEqual(train);
      expect([...train, ...held].sort()).toEqual(TEMPLATES.filter((t) => t.task === task).map((t) => t.id).sort());
    }
    const seen = targetsFor('seen').map(key);
    const combo = targetsFor('heldout-combo').map(key);
    expect(seen.filter((k) => combo.includes(k))).toEqual([]);
    expect(seen.length + combo.length).toBe(SHAPES.length * COLOURS.length);
    expect(targetsFor('heldout-template').map(key)).toEqual(seen);
    // Every colour and every shape is still a training target in some pair.
    for (const c of COLOURS) expect(targetsFor('seen').some((t) => t.colour === c)).toBe(true);
    for (const s of SHAPES) expect(targetsFor('seen').some((t) => t.kind === s)).toBe(true);
  });

  it('held-out templates use only words that training templates use', () => {
    const words = (ts: typeof TEMPLATES) => new Set(ts.flatMap((t) => t.text.split(' ')));
    const train = words(TEMPLATES.filter((t) => !t.heldOut));
    for (const t of TEMPLATES.filter((x) => x.heldOut)) for (const w of t.text.split(' ')) expect(train.has(w), `${t.id}: ${w}`).toBe(true);
  });

  it('classifies commands: combo first, then template', () => {
    expect(splitOf('pick up the red ball')).toBe('seen');
    expect(splitOf('pick the red ball up')).toBe('heldout-template');
    expect(splitOf('pick up the purple ball')).toBe('heldout-combo');
    expect(splitOf('pick the purple sphere up')).toBe('heldout-combo');
    expect(splitOf('push the orange block to the left')).toBe('heldout-combo');
    expect(splitOf('put the yellow can in the red bowl')).toBe('heldout-combo');
    // A held-out combo as the destination colour/kind is not a target: still seen.
    expect(splitOf('put the red ball in the purple bowl')).toBe('seen');
    // An explicit target wins over the parsed one.
    expect(splitOf('pick up the red ball', { kind: 'ball', colour: 'purple' })).toBe('heldout-combo');
    expect(splitOf(parseCommand('please grab the red ball'))).toBe('heldout-template');
  });

  it('makeCommand produces exactly the split asked for, and refuses mismatched targets', () => {
    const rng = new Rng(8);
    for (const split of SPLITS) {
      for (let i = 0; i < 200; i++) {
        const task = rng.pick(TASK_NAMES);
        const target = rng.pick(targetsFor(split));
        const extra = task === 'place' ? { destination: { kind: 'bowl', colour: 'red' } as const } : task === 'push' ? { direction: 'left' } as const : {};
        const text = makeCommand(task, target, extra, rng, split);
        expect(splitOf(text, target), text).toBe(split);
      }
    }
    expect(() => makeCommand('pick', { kind: 'ball', colour: 'purple' }, {}, rng, 'seen')).toThrow(/purple ball is a held-out combo/);
    expect(() => makeCommand('pick', { kind: 'ball', colour: 'purple' }, {}, rng, 'heldout-template')).toThrow(/held-out combo/);
    expect(() => makeCommand('pick', { kind: 'ball', colour: 'red' }, {}, rng, 'heldout-combo')).toThrow(/not a held-out combo/);
  });

  it('training episodes never target a held-out combo nor use a held-out template', () => {
    for (const task of TASK_NAMES) {
      const rng = new Rng(`train-${task}`);
      for (let i = 0; i < 300; i++) {
        const ep = getTask(task).sampleEpisode(rng, 'seen');
        const target = ep.scene.objects.find((o) => o.id === ep.targetId)!;
        expect(isHeldOutCombo(target), ep.command).toBe(false);
        expect(splitOf(ep.command, target)).toBe('seen');
      }
    }
  });

  it('held-out episodes are of their split', () => {
    for (const split of ['heldout-combo', 'heldout-template'] as const satisfies readonly Split[]) {
      const rng = new Rng(split);
      for (const task of TASK_NAMES) {
        for (let i = 0; i < 50; i++) {
          const ep = getTask(task).sampleEpisode(rng, split);
          expect(ep.split).toBe(split);
          expect(splitOf(ep.command, ep.scene.objects.find((o) => o.id === ep.targetId)!)).toBe(split);
        }
      }
    }
  });

  it('SPLITS.md documents every template, its split and the held-out combos', () => {
    const doc = readFileSync(new URL('../../../sim/tasks/SPLITS.md', import.meta.url), 'utf8');
    const heldSection = doc.slice(doc.indexOf('## Held-out templates'), doc.indexOf('## Training templates'));
    const trainSection = doc.slice(doc.indexOf('## Training templates'), doc.indexOf('## Synonyms'));
    for (const t of TEMPLATES) {
      const row = `| ${t.task} | \`${t.id}\` | ${t.text} |`;
      expect(t.heldOut ? heldSection : trainSection, t.id).toContain(row);
    }
    const comboSection = doc.slice(doc.indexOf('## Held-out colour-shape'), doc.indexOf('## Held-out templates'));
    for (const c of HELDOUT_COMBOS) expect(comboSection).toContain(`- ${c.colour} ${c.kind}`);
  });
});
