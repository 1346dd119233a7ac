/** A reading as lines for a terminal (`vla parse`): the slots, the words by role, what was ignored or not known. */
import type { Mention, Reading, ReadWord } from './types.js';

const LANGUAGE_NAMES = { en: 'English', ko: 'Korean' } as const;

const mention = (m: Mention<string> | null, any: string): string =>
  m === null ? '-' : [m.colour ?? '(any colour)', m.kind ?? any].join(' ');

/** The word with its role: "lift[pick]", "red[colour]", "the(ignored)", "gently(?)". */
export function wordLabel(w: ReadWord): string {
  const t = w.tag;
  switch (t.role) {
    case 'verb':
      return `${w.text}[${t.verb}]`;
    case 'colour':
      return `${w.text}[${t.colour}]`;
    case 'shape':
      return `${w.text}[${t.shape ?? 'any shape'}]`;
    case 'receptacle':
      return `${w.text}[${t.receptacle ?? 'any container'}${w.marksDestination ? ', destination' : ''}]`;
    case 'direction':
      return `${w.text}[${t.direction}]`;
    case 'into':
      return `${w.text}[destination]`;
    case 'pronoun':
      return `${w.text}[the target]`;
    case 'negation':
      return `${w.text}[not]`;
    case 'filler':
      return `${w.text}(ignored)`;
    case 'unknown':
      return `${w.text}(?)`;
  }
}

/** A line longer than this is cut, saying how much was left out (a pasted paragraph stays a screenful). */
export const MAX_LINE_CHARS = 400;

const cut = (line: string): string => (line.length <= MAX_LINE_CHARS ? line : `${line.slice(0, MAX_LINE_CHARS)}... (${line.length - MAX_LINE_CHARS} more characters)`);

export function describeReading(r: Reading, command: string | null): string[] {
  const list = (xs: readonly string[]) => (xs.length ? xs.join(', ') : '-');
  return [
    `"${r.text}" (${LANGUAGE_NAMES[r.language]})`,
    `  task         ${r.task ?? '-'}`,
    `  target       ${mention(r.target, 'object')}`,
    `  destination  ${mention(r.destination, 'container')}`,
    `  direction    ${r.direction ?? '-'}`,
    `  ignored      ${list(r.ignored)}`,
    `  not known    ${list(r.unknown)}`,
    `  words        ${r.words.map(wordLabel).join(' ')}`,
    ...(command ? [`  command      ${command}`] : []),
    ...r.problems.map((p) => `  problem      ${p}`),
  ].map(cut);
}
