/**
 * The state a `vla train --data` run keeps for resuming (OUT/train-state.json, beside the checkpoint), read with
 * errors that name the file and say how to recover: a run whose state or checkpoint is damaged cannot continue,
 * but its last complete checkpoint can still be fine-tuned from (--init) into a new folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { CheckpointError, loadPolicy } from '../policy/checkpoint.js';
import type { VlaPolicy } from '../policy/VlaPolicy.js';
import type { AdamState } from './parallel/FlatAdam.js';

export const TRAIN_STATE_FILE = 'train-state.json';

const TrainStateSchema = z.looseObject({
  step: z.number().int().nonnegative(),
  emaUpdates: z.number().int().nonnegative().nullish(),
  options: z.record(z.string(), z.unknown()).optional(),
  rngState: z.number().int().optional(),
  adam: z.object({ accBeta1: z.number(), accBeta2: z.number() }).optional(),
});

export interface TrainState {
  step: number;
  emaUpdates: number | null;
  /** The training options the run was started with (absent in state files of older runs). */
  options: Record<string, unknown> | null;
  /** Where the sample stream was, to draw the next step's samples as an uninterrupted run would (null: older runs). */
  rngState: number | null;
  /** Adam's bias-correction products; its moments are in TRAIN_OPTIMIZER_FILE (null: older runs). */
  adam: { accBeta1: number; accBeta2: number } | null;
}

/** Adam's first and second moments of a checkpoint, float32, m then v. */
export const TRAIN_OPTIMIZER_FILE = 'train-optimizer.bin';

/** Adam's state saved with a checkpoint, or null when the run saved none (older runs start the moments over). */
export function readAdamState(out: string, state: TrainState, count: number): AdamState | null {
  const path = join(out, TRAIN_OPTIMIZER_FILE);
  if (!state.adam || !existsSync(path)) return null;
  const bytes = readFileSync(path);
  if (bytes.byteLength !== 2 * count * 4) throw new Error(`${path}: ${bytes.byteLength} bytes, expected ${2 * count * 4} (two moments of ${count} weights); the run cannot resume: ${recovery(out)}`);
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { m: all.subarray(0, count), v: all.subarray(count), ...state.adam };
}

/** The bytes of TRAIN_OPTIMIZER_FILE for Adam's state. */
export function adamBytes(s: AdamState): Uint8Array {
  const all = new Float32Array(s.m.length + s.v.length);
  all.set(s.m);
  all.set(s.v, s.m.length);
  return new Uint8Array(all.buffer);
}

/**
 * Options a resumed run may change: how often it logs, validates and saves, how it splits its work, and `steps`
 * (a finished or cut-short run is trained further with a larger --steps; its schedule then runs to the new end).
 */
const MAY_CHANGE = new Set(['checkpointEvery', 'evalEvery', 'logEvery', 'workers', 'steps']);

/**
 * Refuses to resume with other training options than the run was started with (a different schedule, seed or loss
 * would silently make it another run), naming each differing field with both values. The data is not compared: the
 * same datasets may be named by another path.
 */
export function checkResumeMatches(out: string, state: TrainState, options: Record<string, unknown>): void {
  const differ: string[] = [];
  for (const [k, was] of Object.entries(state.options ?? {})) {
    if (MAY_CHANGE.has(k) || !(k in options)) continue;
    if (JSON.stringify(options[k]) !== JSON.stringify(was)) differ.push(`${k} ${JSON.stringify(was)} (now ${JSON.stringify(options[k])})`);
  }
  if (differ.length > 0) {
    throw new Error(`${join(out, TRAIN_STATE_FILE)}: this run was started with ${differ.join(', ')}; resume it with the same options (the same --config), or train into another --out`);
  }
}

/** How to go on from a run that cannot resume, for the end of an error message. */
function recovery(out: string): string {
  const complete = existsSync(join(out, 'format.json'));
  return complete
    ? `to go on, fine-tune from its last checkpoint into a new folder (vla train --init ${out} --out NEW ...), or start again with another --out`
    : `start again with another --out (or empty ${out})`;
}

/** Reads OUT/train-state.json; throws one line naming the file, what is wrong and how to recover. */
export function readTrainState(out: string): TrainState {
  const path = join(out, TRAIN_STATE_FILE);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    const what = missing ? 'not found' : `damaged, not valid JSON (${(e as Error).message}); it was cut short or edited`;
    throw new Error(`${path}: ${what}; the run cannot resume: ${recovery(out)}`);
  }
  const parsed = TrainStateSchema.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`${path}: ${i.path.join('.') || '(top level)'}: ${i.message}; the run cannot resume: ${recovery(out)}`);
  }
  const d = parsed.data;
  return { step: d.step, emaUpdates: d.emaUpdates ?? null, options: d.options ?? null, rngState: d.rngState ?? null, adam: d.adam ?? null };
}

/**
 * The checkpoint a resumed run continues from (OUT's policy files). A missing format.json means a save was cut
 * short or files were removed: said so, with how to recover, instead of only "format.json is missing".
 */
export function loadResumeCheckpoint(out: string): VlaPolicy {
  checkResumeCheckpoint(out);
  try {
    return loadPolicy(out);
  } catch (e) {
    if (!(e instanceof CheckpointError)) throw e;
    throw new CheckpointError(`${e.message}; the run cannot resume from it: start again with another --out (or empty ${out})`);
  }
}

/** Throws when OUT holds no complete checkpoint to resume from (without loading its weights). */
export function checkResumeCheckpoint(out: string): void {
  if (!existsSync(join(out, 'format.json'))) {
    throw new CheckpointError(
      `${join(out, 'format.json')} is missing: the last checkpoint of this run is incomplete (its save was cut short, or files were removed), ` +
        `so the run cannot resume; start again with another --out (or empty ${out})`,
    );
  }
}
