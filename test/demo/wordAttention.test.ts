/** The learners' example: the hand-set roles must produce the attention pattern the help text promises. */
import { beforeAll, describe, expect, it } from 'vitest';
import { formatWeightTable, wordAttention } from '../../src/demo/wordAttention.js';
import { selectBackend } from '../../src/tf/backend.js';

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
});

const argmax = (row: number[]) => row.indexOf(Math.max(...row));

describe.each(['dot', 'additive'] as const)('wordAttention (%s)', (kind) => {
  it('colour and action words look at the object, the object looks at its colour', () => {
    const r = wordAttention('Pick up the RED ball!', { kind });
    expect(r.words).toEqual(['pick', 'up', 'the', 'red', 'ball']);
    const ball = r.words.indexOf('ball');
    const red = r.words.indexOf('red');
    expect(argmax(r.weights[red]!)).toBe(ball);
    expect(argmax(r.weights[0]!)).toBe(ball);
    expect(argmax(r.weights[ball]!)).toBe(red);
    expect(r.weights[red]![ball]!).toBeGreaterThan(0.5);
    for (const row of r.weights) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('causal: no word looks ahead, so "red" cannot see "ball"', () => {
    const r = wordAttention('pick up the red ball', { kind, causal: true });
    r.weights.forEach((row, i) => row.forEach((w, j) => (j > i ? expect(w).toBe(0) : undefined)));
    expect(r.weights[3]![4]).toBe(0);
    expect(argmax(r.weights[4]!)).toBe(3);
  });
});

describe('wordAttention input handling', () => {
  it('reports words outside its lexicon instead of failing', () => {
    const r = wordAttention('pick up the shiny ball');
    expect(r.unknown).toEqual(['shiny']);
    expect(r.roles[3]).toBe('other');
  });

  it('rejects a sentence without words', () => {
    expect(() => wordAttention(' ?! ')).toThrow(/has no words/);
  });

  it('formats a table with one line per query word', () => {
    const r = wordAttention('grab the blue cube');
    const lines = formatWeightTable(r).split('\n');
    expect(lines).toHaveLength(2 + r.words.length);
    expect(lines[2]).toMatch(/^grab\s/);
  });
});
