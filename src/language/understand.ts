/**
 * `readCommand("could you lift the red ball?")` -> a Reading: the task, the target, the destination and the
 * direction, each word's role, the words ignored and the words not known, and what is missing. English or Korean
 * (any Hangul in the text makes it Korean; Latin words within are read as English).
 */
import { assembleReading } from './reader.js';
import { tagEnglish } from './english.js';
import { hasHangul, tagKorean } from './korean.js';
import type { Reading, WordTag } from './types.js';

export function readCommand(text: string): Reading {
  if (hasHangul(text)) {
    const tagOther = (w: string): WordTag => tagEnglish(w)[0]?.tag ?? { role: 'unknown' };
    return assembleReading(text, 'ko', tagKorean(text, tagOther));
  }
  return assembleReading(text, 'en', tagEnglish(text));
}
