/**
 * The user's words against the policy's tokens, for the attention panels: the policy reads the command in the
 * templates' words ("pick up the red ball"), the user wrote "could you lift the crimson orb?" or "빨간 공을 집어라".
 * Each user word is shown with the attention of the tokens that fill the same part of the command (its verb, the
 * target's colour or kind, the destination's, the direction); words that fill none are shown as ignored.
 */
import type { Understood } from './command.js';
import { readCommand } from './understand.js';
import type { Reading, WordSlot } from './types.js';

export interface WordPanel {
  /** The user's word (or phrase). */
  label: string;
  /** Indices into the policy's tokens whose attention this word gets; empty: the word was ignored. */
  tokens: number[];
}

/** What part of the command a word fills, finer than its slot: the target's colour and kind apart. */
function part(r: Reading, i: number): string | null {
  const slot: WordSlot = r.slots[i] ?? null;
  if (slot === null) return null;
  const role = r.words[i]!.tag.role;
  return slot === 'target' || slot === 'destination' ? `${slot}:${role === 'colour' ? 'colour' : 'kind'}` : slot;
}

/** Per user word, the tokens (indices into `tokens`, the policy's words of `u.command`) it is shown with. */
export function alignToTokens(u: Understood, tokens: readonly string[]): WordPanel[] {
  const canonical = readCommand(u.command);
  const byPart = new Map<string, number[]>();
  let at = 0;
  canonical.words.forEach((w, i) => {
    for (const piece of w.text.split(' ')) {
      const k = tokens.indexOf(piece.toLowerCase(), at);
      if (k < 0) continue;
      at = k + 1;
      const p = part(canonical, i);
      if (p !== null) byPart.set(p, [...(byPart.get(p) ?? []), k]);
    }
  });
  return u.reading.words.map((w, i) => {
    const p = part(u.reading, i);
    return { label: w.text, tokens: p === null ? [] : (byPart.get(p) ?? []) };
  });
}
