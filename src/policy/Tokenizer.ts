/**
 * A word-level tokenizer for the command language of sim/tasks/language.ts.
 *
 * Normalisation: lower case, punctuation becomes a space, runs of spaces collapse, so "  Pick up the RED ball! "
 * and "pick up the red ball" give the same tokens. The vocabulary is every word the command language uses
 * (VOCABULARY: template words, colours, nouns, prepositions, direction phrases, articles) after two special tokens:
 * [PAD] = 0 fills the end of short commands and [UNK] = 1 stands for a word the vocabulary lacks. Unknown words and
 * truncation are reported, never an error: a policy still acts on "pick up the crimson ball".
 *
 * The vocabulary is saved with every checkpoint (toJSON / fromJSON), so a checkpoint keeps working when the
 * command language grows.
 */
import { VOCABULARY } from '../../sim/tasks/language.js';

export const PAD_TOKEN = '[PAD]';
export const UNK_TOKEN = '[UNK]';
export const PAD_ID = 0;
export const UNK_ID = 1;

export interface EncodedCommand {
  /** [maxWords] word ids; PAD_ID after the last word. */
  ids: Int32Array;
  /** [maxWords] 1 = a real word, 0 = padding. */
  mask: Int32Array;
  /** The normalised words that were kept (the real tokens, in order; unknown ones as written). */
  words: string[];
  /** Words not in the vocabulary (encoded as [UNK]), each once, in order of appearance. */
  unknown: string[];
  /** Words cut off because the command had more than maxWords words. */
  dropped: string[];
}

export interface TokenizerJSON {
  type: 'word-level';
  version: 1;
  lowercase: true;
  specials: [typeof PAD_TOKEN, typeof UNK_TOKEN];
  /** Words with ids 2, 3, ... in order. */
  vocabulary: string[];
}

/** Lower case, punctuation to spaces, single spaces: the words of a command. */
export function normaliseWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .split(' ')
    .filter((w) => w !== '');
}

export class Tokenizer {
  /** Every token by id: [PAD], [UNK], then the words. */
  readonly tokens: readonly string[];
  private readonly index: ReadonlyMap<string, number>;

  /** @param vocabulary the words (without specials); default the command language's VOCABULARY. */
  constructor(vocabulary: readonly string[] = VOCABULARY) {
    const words: string[] = [];
    for (const w of vocabulary) {
      const norm = normaliseWords(w);
      if (norm.length !== 1 || norm[0] !== w) {
        throw new Error(`Tokenizer: vocabulary entry ${JSON.stringify(w)} is not one normalised word (lower case, no punctuation)`);
      }
      if (w === PAD_TOKEN || w === UNK_TOKEN || words.includes(w)) {
        throw new Error(`Tokenizer: vocabulary entry ${JSON.stringify(w)} appears twice`);
      }
      words.push(w);
    }
    this.tokens = Object.freeze([PAD_TOKEN, UNK_TOKEN, ...words]);
    this.index = new Map(this.tokens.map((t, i) => [t, i]));
  }

  /** Number of tokens including the two specials (the rows of the embedding table). */
  get size(): number {
    return this.tokens.length;
  }

  /** Whether the vocabulary has this (normalised) word. */
  knows(word: string): boolean {
    return this.index.has(word);
  }

  /** The id of a (normalised) word, or UNK_ID. */
  idOf(word: string): number {
    return this.index.get(word) ?? UNK_ID;
  }

  wordOf(id: number): string {
    const t = this.tokens[id];
    if (t === undefined) throw new Error(`Tokenizer: id ${id} is outside the vocabulary (0..${this.size - 1})`);
    return t;
  }

  /** Normalises, looks up and pads/truncates to maxWords. Never throws on the text. */
  encode(text: string, maxWords: number): EncodedCommand {
    if (!Number.isInteger(maxWords) || maxWords < 1) throw new Error(`Tokenizer.encode: maxWords must be a positive integer, got ${maxWords}`);
    const all = normaliseWords(text);
    const words = all.slice(0, maxWords);
    const ids = new Int32Array(maxWords); // PAD_ID = 0 everywhere at first
    const mask = new Int32Array(maxWords);
    const unknown: string[] = [];
    words.forEach((w, i) => {
      const id = this.index.get(w);
      ids[i] = id ?? UNK_ID;
      mask[i] = 1;
      if (id === undefined && !unknown.includes(w)) unknown.push(w);
    });
    for (const w of all.slice(maxWords)) if (!this.index.has(w) && !unknown.includes(w)) unknown.push(w);
    return { ids, mask, words, unknown, dropped: all.slice(maxWords) };
  }

  /** The tokens of ids, padding left out. */
  decode(ids: ArrayLike<number>): string[] {
    return Array.from(ids)
      .filter((id) => id !== PAD_ID)
      .map((id) => this.wordOf(id));
  }

  toJSON(): TokenizerJSON {
    return { type: 'word-level', version: 1, lowercase: true, specials: [PAD_TOKEN, UNK_TOKEN], vocabulary: this.tokens.slice(2) };
  }

  /** Rebuilds a tokenizer saved by toJSON; throws an Error saying what is wrong with anything else. */
  static fromJSON(json: unknown): Tokenizer {
    const j = json as Partial<TokenizerJSON> | null;
    if (j === null || typeof j !== 'object') throw new Error('tokenizer: expected an object');
    if (j.type !== 'word-level') throw new Error(`tokenizer: type must be "word-level", got ${JSON.stringify(j.type)}`);
    if (j.version !== 1) throw new Error(`tokenizer: version ${JSON.stringify(j.version)}; this build reads version 1`);
    if (!Array.isArray(j.specials) || j.specials[0] !== PAD_TOKEN || j.specials[1] !== UNK_TOKEN || j.specials.length !== 2) {
      throw new Error(`tokenizer: specials must be ["${PAD_TOKEN}", "${UNK_TOKEN}"], got ${JSON.stringify(j.specials)}`);
    }
    if (!Array.isArray(j.vocabulary) || !j.vocabulary.every((w) => typeof w === 'string')) {
      throw new Error('tokenizer: vocabulary must be an array of words');
    }
    return new Tokenizer(j.vocabulary);
  }
}
