/** Parsers of command-line option values shared by the commands; each error names what was expected. */
import { InvalidArgumentError } from 'commander';
import { parseExecution, type Execution } from '../train/policyDriver.js';
import { TASK_NAMES, type TaskName } from '../../sim/tasks/index.js';
import { MAX_SUPERSAMPLING, isSupersampling } from '../../sim/render/downsample.js';

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got "${value}"`);
  return n;
}

/** Samples per pixel side of a simulated camera (CameraSpec.supersampling): an integer 1..MAX_SUPERSAMPLING. */
export function supersamplingFactor(value: string): number {
  const n = Number(value);
  if (!isSupersampling(n)) {
    throw new InvalidArgumentError(`expected an integer from 1 to ${MAX_SUPERSAMPLING} (samples per pixel side), got "${value}"`);
  }
  return n;
}

/** "a, b,c" -> ['a', 'b', 'c'] (folders and the like), refusing an empty list. */
export function commaList(value: string): string[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError(`expected a comma-separated list, got "${value}"`);
  return items;
}

/** "pick,place" -> ['pick', 'place'], refusing unknown names. */
export function taskList(value: string): TaskName[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!(TASK_NAMES as readonly string[]).includes(n)) {
      throw new InvalidArgumentError(`unknown task "${n}"; expected one or more of ${TASK_NAMES.join(', ')} (comma-separated)`);
    }
  }
  return names as TaskName[];
}

/** --execution: how a policy's action chunks become executed actions (src/train/policyDriver.ts). */
export function execution(value: string): Execution {
  try {
    return parseExecution(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message.replace(/^--execution: /, ''));
  }
}
