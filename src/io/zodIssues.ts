/**
 * zod issues as short lines that name the field: "train.stepz: unknown field (allowed: steps, batchSize, ...)"
 * rather than zod's "train.: Unrecognized key", and at most a few of them with a count of the rest, so that a file
 * with hundreds of problems gives a readable error instead of megabytes.
 */
import type { z } from 'zod';

/** How many problems an error lists before "... and N more". */
export const MAX_LISTED_PROBLEMS = 5;

/** ['train', 'steps'] under prefix 'config' -> "config.train.steps"; array indices as [i]. */
export function issuePath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out === '' ? String(k) : `.${String(k)}`;
  return out === '' ? '(top level)' : out;
}

/** One zod issue as lines (an unknown-keys issue gives one line per key, each naming it). */
export function issueLines(issue: z.core.$ZodIssue, prefix = '', allowed: readonly string[] = []): string[] {
  if (issue.code === 'unrecognized_keys') {
    const hint = allowed.length ? ` (allowed: ${allowed.join(', ')})` : '';
    return issue.keys.map((k) => `${issuePath([...issue.path, k], prefix)}: unknown field${hint}`);
  }
  return [`${issuePath(issue.path, prefix)}: ${issue.message}`];
}

/** At most `max` lines, then "... and N more problems". */
export function capLines(lines: readonly string[], max = MAX_LISTED_PROBLEMS): string[] {
  if (lines.length <= max) return [...lines];
  const rest = lines.length - max;
  return [...lines.slice(0, max), `... and ${rest} more problem${rest > 1 ? 's' : ''}`];
}

/** A zod error as one string: its first few problems, "; "-separated, and the count of the rest. */
export function formatZodError(error: z.ZodError, prefix = '', allowed: readonly string[] = [], max = MAX_LISTED_PROBLEMS): string {
  return capLines(error.issues.flatMap((i) => issueLines(i, prefix, allowed)), max).join('; ');
}
