/** Parsers of command-line option values shared by the commands; each error names what was expected. */
import { InvalidArgumentError } from 'commander';
import { parseExecution, type Execution } from '../policy/ChunkExecutor.js';
import { TASK_NAMES, type TaskName } from '../../sim/tasks/index.js';
import { MAX_SUPERSAMPLING, isSupersampling } from '../../sim/render/downsample.js';
import { MAX_SEED } from '../../sim/types.js';

/** The largest count any option takes (episodes, steps, ...): beyond it a typo, not a plan. */
export const MAX_COUNT = 10_000_000;
/** Seeds are integers 0..MAX_SEED (the viewer's protocol takes the same range). */
export { MAX_SEED };
/** Image and GIF sides in pixels. */
export const MIN_IMAGE_SIDE = 16;
export const MAX_IMAGE_SIDE = 1024;

/**
 * A parser of integers from `min` to `max` written in decimal digits: "", " ", "1e99", "0x10", "1.5" and numbers
 * past the range are refused by name (Number("") is 0 and Number("1e99") an integer, so Number alone is not enough).
 */
export function intInRange(min: number, max: number, what = 'an integer'): (value: string) => number {
  return (value: string) => {
    const n = /^\s*[+-]?\d{1,16}\s*$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected ${what} from ${min} to ${max}, got ${JSON.stringify(value)}`);
    }
    return n;
  };
}

/**
 * A positive decimal number ("0.5", "30", "1e-3"); "", "0x10", "Infinity" and numbers too small to mean anything are
 * refused (Number alone reads "0x10" as 16 and "" as 0).
 */
export function positiveDecimal(value: string): number {
  const n = /^\s*(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < 1e-9) throw new InvalidArgumentError(`expected a positive number, got ${JSON.stringify(value)}`);
  return n;
}

export const positiveInt = intInRange(1, MAX_COUNT, 'an integer');
export const nonNegativeInt = intInRange(0, MAX_COUNT, 'an integer');
/** --seed: an integer 0..MAX_SEED. */
export const seedOption = intInRange(0, MAX_SEED, 'a seed, an integer');
/** --size, --image-size: a square image's side in pixels. */
export const imageSide = intInRange(MIN_IMAGE_SIDE, MAX_IMAGE_SIDE, 'an image side in pixels');
/** --workers: processes, one per core. */
export const workerCount = intInRange(1, 64, 'a number of processes');

/** Seeds first..first+count-1 must all be seeds: episode i of a run uses seed + i. */
export function checkSeedRange(seed: number, count: number, option = '--seed'): void {
  if (seed + count - 1 > MAX_SEED) {
    throw new Error(`${option} ${seed}: with ${count} episodes the last seed would be ${seed + count - 1}, past the largest seed ${MAX_SEED}; give a smaller ${option}`);
  }
}

/** Samples per pixel side of a simulated camera (CameraSpec.supersampling): an integer 1..MAX_SUPERSAMPLING. */
export function supersamplingFactor(value: string): number {
  const n = /^\s*\d{1,3}\s*$/.test(value) ? Number(value) : NaN;
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
  const names = [...new Set(value.split(',').map((s) => s.trim()).filter(Boolean))];
  if (names.length === 0) throw new InvalidArgumentError(`expected one or more of ${TASK_NAMES.join(', ')} (comma-separated), got ${JSON.stringify(value)}`);
  for (const n of names) {
    if (!(TASK_NAMES as readonly string[]).includes(n)) {
      throw new InvalidArgumentError(`unknown task "${n}"; expected one or more of ${TASK_NAMES.join(', ')} (comma-separated)`);
    }
  }
  return names as TaskName[];
}

/** --execution: how a policy's action chunks become executed actions (src/eval/drivers.ts). */
export function execution(value: string): Execution {
  try {
    return parseExecution(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message.replace(/^--execution: /, ''));
  }
}
