/**
 * The user's words against the policy's tokens, for the attention panels: the policy reads the command in the
 * templates' words ("pick up the red ball"), the user wrote "could you lift the crimson orb?" or "빨간 공을 집어라".
 * Each user word is shown with the attention of the tokens that fill the same part of the command (its verb, the
 * target's colour or kind, the destination's, the direction); words that fill none are shown as ignored.
 */
import type { Understood } from './command.js';
import { readCommand } from './understand.js';
import type { Reading, WordSlot } from './types.js';
import type { PolicyWords } from './koreanPolicy.js';

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

/**
 * Per user word, the tokens (indices into `tokens`) it is shown with. `tokens` are the policy's words of
 * `u.command`, or, for a policy that reads Korean, the Korean words `korean` (koreanPolicyWords), whose parts say
 * which is which.
 */
export function alignToTokens(u: Understood, tokens: readonly string[], korean: PolicyWords | null = null): WordPanel[] {
  const byPart = new Map<string, number[]>();
  if (korean) {
    korean.parts.forEach((p, k) => {
      if (p !== null && k < tokens.length) byPart.set(p, [...(byPart.get(p) ?? []), k]);
    });
  } else partsOfCommand(u.command, tokens, byPart);
  return u.reading.words.map((w, i) => {
    const p = part(u.reading, i);
    return { label: w.text, tokens: p === null ? [] : (byPart.get(p) ?? []) };
  });
}

/** Into byPart: which of `tokens` (the policy's words of `command`) fill which part of the command. */
function partsOfCommand(command: string, tokens: readonly string[], byPart: Map<string, number[]>): void {
  const canonical = readCommand(command);
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
}
