/**
 * A worked example for learners: self-attention over the words of a command, with hand-set weights instead of
 * learned ones, so every number can be explained.
 *
 * Each word is embedded as a one-hot vector of its role, x = [action, colour, object, other]. The key of a word
 * says what it is (Wk = identity); its query says what it looks for (Wq maps each role to a target role):
 *
 *     action -> object   ("pick" looks for the thing to pick)
 *     colour -> object   ("red" looks for the noun it describes)
 *     object -> colour   ("ball" looks for its colour)
 *     other  -> object   ("the" looks for its noun)
 *
 * Dot-product: score = (x_i Wq)(x_j Wk)^T * strength / sqrt(4). Additive: score = va . tanh(x_i Wq + x_j Wk + b)
 * with b = -1.5, so the tanh unit of the target role only turns positive when the query wants that role AND the
 * key has it. There are no position embeddings: a word cannot tell two nouns apart ("put the blue cube in the
 * green bowl" makes "blue" look at both), which is exactly why transformers add positions.
 */
import * as tf from '../tf/tf.js';
import { additiveAttention, scaledDotProductAttention } from '../attention/index.js';

export const ROLES = ['action', 'colour', 'object', 'other'] as const;
export type Role = (typeof ROLES)[number];

const LEXICON: Readonly<Record<Role, readonly string[]>> = {
  action: ['pick', 'grab', 'lift', 'take', 'push', 'move', 'put', 'place', 'drop', 'slide', 'up'],
  colour: ['red', 'green', 'blue', 'yellow', 'purple', 'orange', 'white', 'black', 'pink', 'cyan'],
  object: ['ball', 'sphere', 'cube', 'block', 'cylinder', 'can', 'bowl', 'plate', 'box', 'object'],
  other: ['the', 'a', 'an', 'in', 'on', 'to', 'into', 'onto', 'of', 'left', 'right', 'and'],
};
const TARGET: Readonly<Record<Role, Role>> = { action: 'object', colour: 'object', object: 'colour', other: 'object' };

export interface WordAttentionOptions {
  kind?: 'dot' | 'additive';
  causal?: boolean;
  /** How sharply a query prefers its target role; default 6 (a logit gap of 3 for dot-product). */
  strength?: number;
}

export interface WordAttentionResult {
  words: string[];
  roles: Role[];
  /** Words not in the example's lexicon; they get the role 'other'. */
  unknown: string[];
  /** weights[i][j]: how much word i attends to word j; rows sum to 1. */
  weights: number[][];
}

export function roleOf(word: string): Role | null {
  for (const role of ROLES) if (LEXICON[role].includes(word)) return role;
  return null;
}

export function wordAttention(sentence: string, options: WordAttentionOptions = {}): WordAttentionResult {
  const words = sentence.toLowerCase().split(/[^a-z]+/).filter((w) => w.length > 0);
  if (words.length === 0) throw new Error(`attention demo: the sentence "${sentence}" has no words`);
  const unknown = words.filter((w) => roleOf(w) === null);
  const roles = words.map((w) => roleOf(w) ?? 'other');
  const R = ROLES.length;
  const strength = options.strength ?? 6;

  const weights = tf.tidy(() => {
    const x = tf.cast(tf.oneHot(tf.tensor1d(roles.map((r) => ROLES.indexOf(r)), 'int32'), R), 'float32'); // [T, R]
    // Wq[r, target(r)] = 1: the query of a word is the one-hot of the role it looks for.
    const wqData = new Float32Array(R * R);
    ROLES.forEach((r, i) => (wqData[i * R + ROLES.indexOf(TARGET[r])] = 1));
    const wq = tf.tensor2d(wqData, [R, R]); // [R, R]
    const wk = tf.eye(R); // [R, R]
    const X = tf.expandDims(x, 0); // [1, T, R]
    const mask = null;
    const causal = options.causal ?? false;
    if ((options.kind ?? 'dot') === 'dot') {
      const q = tf.mul(tf.matMul(x, wq), strength); // [T, R]
      const k = tf.matMul(x, wk); // [T, R]
      return scaledDotProductAttention(tf.expandDims(q, 0), tf.expandDims(k, 0), X, { mask, causal }).weights; // [1, T, T]
    }
    const params = { wq, wk, b: tf.fill([R], -1.5), va: tf.fill([R], strength) };
    return additiveAttention(X, X, X, params, { mask, causal }).weights; // [1, T, T]
  });
  const T = words.length;
  const flat = weights.dataSync();
  weights.dispose();
  const rows: number[][] = [];
  for (let i = 0; i < T; i++) rows.push(Array.from(flat.subarray(i * T, (i + 1) * T)));
  return { words, roles, unknown, weights: rows };
}

/** The weights as a text table: one row per query word, one column per key word. */
export function formatWeightTable(r: WordAttentionResult): string {
  const w = Math.max(6, ...r.words.map((x) => x.length));
  const pad = (s: string) => s.padStart(w);
  const header = `${''.padEnd(w + 2)}${r.words.map(pad).join(' ')}`;
  const lines = r.weights.map((row, i) => `${r.words[i]!.padEnd(w)}  ${row.map((v) => pad(v.toFixed(3))).join(' ')}`);
  return [`query \\ key (rows sum to 1)`, header, ...lines].join('\n');
}
