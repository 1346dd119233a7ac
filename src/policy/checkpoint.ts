/**
 * Policy checkpoints on disk (format "vla-policy", version 1): a folder of
 *
 *   config.json         the resolved PolicyConfig (and proprioPlace "queries": see REMOVED_CONFIG_FIELDS)
 *   weights.json        TensorFlow.js weights manifest: [{ paths: ['weights.bin'], weights: [{ name, shape, dtype }] }]
 *   weights.bin         every parameter as little-endian float32, in manifest order (what tf.io.loadWeights reads)
 *   normalization.json  NormalizationStats
 *   tokenizer.json      the tokenizer's vocabulary (Tokenizer.toJSON)
 *   format.json         { format: 'vla-policy', version: 1, created, ... }: written last, the "this is complete" mark
 *
 * Saving writes every file into a temporary folder inside `dir`, then removes format.json, renames the other files
 * into place and renames format.json last; so a crash mid-save leaves a folder without format.json (loadPolicy
 * says the save did not finish), never a mix that looks valid. Other files in `dir` (training logs) are kept.
 * Save and load are synchronous: the weights are plain float32 bytes, no tf.io handler needed.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDir } from '../io/files.js';
import * as tf from '../tf/tf.js';
import { resolvePolicyConfig, type PolicyConfig, type ResolvedPolicyConfig } from './config.js';
import { checkStats } from './normalization.js';
import { Tokenizer } from './Tokenizer.js';
import { VlaPolicy } from './VlaPolicy.js';

export const CHECKPOINT_FORMAT = 'vla-policy';
export const CHECKPOINT_VERSION = 1;
export const CHECKPOINT_FILES = ['config.json', 'weights.json', 'weights.bin', 'normalization.json', 'tokenizer.json', 'format.json'] as const;

export interface FormatInfo {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  /** ISO time of the save. */
  created: string;
  parameterCount: number;
  tensors: number;
  /** Bytes of weights.bin. */
  weightsBytes: number;
  tfjsVersion: string;
}

export interface WeightsManifestEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
}
export type WeightsManifest = Array<{ paths: string[]; weights: WeightsManifestEntry[] }>;

/** Writes `policy` to the folder `dir` (created if needed; an older checkpoint there is replaced). */
export function savePolicy(policy: VlaPolicy, dir: string): FormatInfo {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new Error(`savePolicy: ${dir} exists and is not a folder`);
  makeDir(dir);

  // Weights: one float32 buffer in manifest order.
  const entries: WeightsManifestEntry[] = [];
  let total = 0;
  for (const [name, v] of policy.namedVariables) {
    entries.push({ name, shape: [...v.shape], dtype: 'float32' });
    total += v.size;
  }
  const data = new Float32Array(total);
  let offset = 0;
  for (const v of policy.namedVariables.values()) {
    data.set(v.dataSync() as Float32Array, offset);
    offset += v.size;
  }
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength); // little-endian on every platform Node runs
  const manifest: WeightsManifest = [{ paths: ['weights.bin'], weights: entries }];
  const format: FormatInfo = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    created: new Date().toISOString(),
    parameterCount: total,
    tensors: entries.length,
    weightsBytes: bytes.byteLength,
    tfjsVersion: tf.version_core,
  };
  const contents: Record<(typeof CHECKPOINT_FILES)[number], string | Buffer> = {
    'config.json': JSON.stringify({ ...policy.config, ...storedRemovedFields() }, null, 2),
    'weights.json': JSON.stringify(manifest, null, 2),
    'weights.bin': bytes,
    'normalization.json': JSON.stringify(policy.stats, null, 2),
    'tokenizer.json': JSON.stringify(policy.tokenizer.toJSON(), null, 2),
    'format.json': JSON.stringify(format, null, 2),
  };

  const tmp = join(dir, `.saving-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(tmp);
  try {
    for (const name of CHECKPOINT_FILES) writeFileSync(join(tmp, name), contents[name]);
    rmSync(join(dir, 'format.json'), { force: true }); // from here until the last rename the folder is "unfinished"
    for (const name of CHECKPOINT_FILES) if (name !== 'format.json') renameSync(join(tmp, name), join(dir, name));
    renameSync(join(tmp, 'format.json'), join(dir, 'format.json'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return format;
}

/** A problem with a checkpoint: the message names the folder, the file and what is wrong. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

function readJson(dir: string, file: string): unknown {
  const path = join(dir, file);
  if (!existsSync(path)) {
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new CheckpointError(`checkpoint ${dir}: is a file; expected a policy folder (from vla train)`);
    const hint =
      file === 'format.json'
        ? existsSync(dir)
          ? ' (not a policy checkpoint, or its save did not finish)'
          : ` (the folder ${dir} does not exist)`
        : '';
    throw new CheckpointError(`checkpoint ${dir}: ${file} is missing${hint}`);
  }
  const text = readFileSync(path, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CheckpointError(`checkpoint ${dir}: ${file} is not valid JSON (${(e as Error).message})`);
  }
}

function checkManifest(dir: string, json: unknown): WeightsManifestEntry[] {
  const bad = (why: string) => new CheckpointError(`checkpoint ${dir}: weights.json ${why}`);
  if (!Array.isArray(json) || json.length !== 1) throw bad('must be a TensorFlow.js weights manifest with one group: [{ paths, weights }]');
  const group = json[0] as { paths?: unknown; weights?: unknown };
  if (!Array.isArray(group.paths) || group.paths.length !== 1 || group.paths[0] !== 'weights.bin') {
    throw bad(`must name one file, ["weights.bin"], in paths; got ${JSON.stringify(group.paths)}`);
  }
  if (!Array.isArray(group.weights)) throw bad('has no weights list');
  return group.weights.map((w: unknown, i: number) => {
    const e = w as Partial<WeightsManifestEntry>;
    const shapeOk = Array.isArray(e.shape) && e.shape.every((d) => Number.isInteger(d) && d >= 0);
    if (typeof e.name !== 'string' || !shapeOk) throw bad(`entry ${i} needs a name and a shape of non-negative integers: ${JSON.stringify(w)}`);
    if (e.dtype !== 'float32') throw bad(`entry "${e.name}" has dtype ${JSON.stringify(e.dtype)}; only float32 is supported`);
    return { name: e.name, shape: e.shape!, dtype: 'float32' };
  });
}

/**
 * Config fields added after checkpoints were first written, with the value a checkpoint written before them was
 * trained with. proprioDim is not listed: it is always written.
 */
export const CONFIG_FIELDS_ADDED_LATER: Readonly<Partial<PolicyConfig>> = Object.freeze({
  eeProprio: false,
  attentionKeypoints: false,
  supersampling: 1,
  patchLabels: false,
  fusion: 'cross',
});

/** A config field removed from the policy: the one value it may still hold, and what any other value switched on. */
export interface RemovedConfigField {
  /** What the removed value(s) built, for the message. */
  what: string;
  plural: boolean;
  /** The value that describes today's model (false for a removed switch). */
  kept: unknown;
  /** The value a checkpoint written before the field existed was trained with, when not `kept`. */
  absent?: unknown;
  /** The last commit that could build the other values (`git show COMMIT:src/policy/config.ts`). */
  lastIn: string;
}

/**
 * Config fields removed from the policy: switches and choices that no shipped model used and no experiment gained
 * from. A checkpoint whose config.json has each at its kept value describes today's model and loads; one with any
 * other value (or without the field, where a checkpoint written before it was trained otherwise) is refused.
 */
export const REMOVED_CONFIG_FIELDS: Readonly<Record<string, RemovedConfigField>> = Object.freeze({
  imageCentering: { what: 'image centering', plural: false, kept: false, lastIn: 'f5000ef' },
  locateHead: { what: 'the locate head', plural: false, kept: false, lastIn: 'f5000ef' },
  commandQuery: { what: 'the command token', plural: false, kept: false, lastIn: 'f5000ef' },
  pixelKeypoints: { what: 'pixel keypoints', plural: true, kept: false, lastIn: 'f5000ef' },
  relativeKeypoints: { what: 'relative keypoints', plural: true, kept: false, lastIn: 'f5000ef' },
  // 'words+patches': the action queries also read the patch tokens
  actionMemory: { what: 'the patch tokens in the action memory', plural: true, kept: 'words', lastIn: '8c9f0dc' },
  // 'memory': the proprioception token as one more key of the action memory (as ACT does); trained so, the action
  // queries met the loss from proprioception alone and the words were ignored
  proprioPlace: { what: 'the proprioception token in the action memory', plural: false, kept: 'queries', absent: 'memory', lastIn: '8c9f0dc' },
});

/**
 * What a checkpoint still writes of the removed fields: each whose absence means another model (a checkpoint
 * written before the field existed), at its kept value, so that this model is told from those, also by older vla.
 */
function storedRemovedFields(): Record<string, unknown> {
  return Object.fromEntries(Object.entries(REMOVED_CONFIG_FIELDS).flatMap(([k, f]) => ('absent' in f ? [[k, f.kept]] : [])));
}

/**
 * A checkpoint's stored config without the removed fields; throws a CheckpointError naming the file when one holds
 * another value than today's model (the model it describes cannot be built any more).
 */
export function dropRemovedFields(stored: Readonly<Record<string, unknown>>, file: string): Record<string, unknown> {
  const on = Object.entries(REMOVED_CONFIG_FIELDS).filter(([k, f]) => (k in stored ? stored[k] !== f.kept : 'absent' in f && f.absent !== f.kept));
  if (on.length > 0) {
    const fields = on.map(([k, f]) => (k in stored ? `${k} is ${JSON.stringify(stored[k])}` : `${k} is not set (written before it existed: ${JSON.stringify(f.absent)})`)).join(', ');
    const parts = on.map(([, f]) => f);
    const verb = parts.length > 1 || parts[0]!.plural ? 'were' : 'was';
    const commits = [...new Set(parts.map((p) => p.lastIn))].join(', ');
    throw new CheckpointError(
      `${file}: ${fields}, but ${parts.map((p) => p.what).join(' and ')} ${verb} removed from vla (last in commit ${commits}); retrain without ${on.length > 1 ? 'them' : 'it'}`,
    );
  }
  return Object.fromEntries(Object.entries(stored).filter(([k]) => !(k in REMOVED_CONFIG_FIELDS)));
}

/** The policy config of the checkpoint in `dir` (its config.json, as loadPolicy reads it); throws a CheckpointError. */
export function readCheckpointConfig(dir: string): ResolvedPolicyConfig {
  try {
    const stored = readJson(dir, 'config.json') as Partial<PolicyConfig>;
    if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) return resolvePolicyConfig(stored);
    // A field the checkpoint does not name was added after it was written: take the value that reproduces the
    // model as it was trained (the feature off), not today's default.
    const given = dropRemovedFields(stored, join(dir, 'config.json')) as Partial<PolicyConfig>;
    const legacy = Object.fromEntries(Object.entries(CONFIG_FIELDS_ADDED_LATER).filter(([k]) => !(k in given)));
    return resolvePolicyConfig({ ...legacy, ...given });
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    throw new CheckpointError(`checkpoint ${dir}: config.json: ${(e as Error).message}`);
  }
}

/**
 * Every weight must be a finite number: a NaN or an infinity (a training that diverged, a corrupted file) would
 * otherwise load silently and fail far away ("action.dx must be a finite number"). Names the tensor and the element.
 */
export function checkFiniteWeights(dir: string, bin: Uint8Array, entries: readonly WeightsManifestEntry[]): void {
  const values = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  let bad = 0;
  let first = -1;
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i]!)) continue;
    if (first < 0) first = i;
    bad++;
  }
  if (bad === 0) return;
  let offset = 0;
  let where = `element ${first}`;
  for (const e of entries) {
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (first < offset + size) {
      where = `"${e.name}" element ${first - offset}`;
      break;
    }
    offset += size;
  }
  throw new CheckpointError(
    `checkpoint ${dir}: weights.bin holds ${bad} ${bad > 1 ? 'weights that are not finite numbers' : 'weight that is not a finite number'} (the first: ${where} is ${values[first]}); ` +
      'the training diverged or the file is corrupted: use an earlier checkpoint or train again',
  );
}

/** Reads a checkpoint written by savePolicy; throws a CheckpointError naming the file and the problem. */
export function loadPolicy(dir: string): VlaPolicy {
  const format = readJson(dir, 'format.json') as Partial<FormatInfo> | null;
  if (format === null || typeof format !== 'object' || format.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(`checkpoint ${dir}: format.json says format ${JSON.stringify(format?.format)}; expected "${CHECKPOINT_FORMAT}"`);
  }
  if (format.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(`checkpoint ${dir} was written by format version ${JSON.stringify(format.version)}; this build reads version ${CHECKPOINT_VERSION}`);
  }

  const config = readCheckpointConfig(dir);
  const wrap = <T>(file: string, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof CheckpointError) throw e;
      throw new CheckpointError(`checkpoint ${dir}: ${file}: ${(e as Error).message}`);
    }
  };
  const tokenizer = wrap('tokenizer.json', () => Tokenizer.fromJSON(readJson(dir, 'tokenizer.json')));
  const stats = wrap('normalization.json', () => checkStats(readJson(dir, 'normalization.json'), config.actionDim, config.proprioDim));
  const entries = checkManifest(dir, readJson(dir, 'weights.json'));

  const binPath = join(dir, 'weights.bin');
  if (!existsSync(binPath)) throw new CheckpointError(`checkpoint ${dir}: weights.bin is missing`);
  const bin = readFileSync(binPath);
  const expected = entries.reduce((n, e) => n + e.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (bin.byteLength < expected) {
    throw new CheckpointError(`checkpoint ${dir}: weights.bin is truncated: weights.json describes ${expected} bytes, the file has ${bin.byteLength}`);
  }
  if (bin.byteLength > expected) {
    throw new CheckpointError(`checkpoint ${dir}: weights.bin has ${bin.byteLength} bytes, ${bin.byteLength - expected} more than the ${expected} weights.json describes`);
  }

  checkFiniteWeights(dir, bin, entries);

  const policy = new VlaPolicy(config, { tokenizer, stats });
  try {
    const problems: string[] = [];
    const byName = new Map(entries.map((e) => [e.name, e]));
    for (const [name, v] of policy.namedVariables) {
      const e = byName.get(name);
      if (!e) problems.push(`"${name}" is missing`);
      else if (e.shape.join(',') !== v.shape.join(',')) problems.push(`"${name}" has shape [${e.shape.join(', ')}], the model built from config.json needs [${v.shape.join(', ')}]`);
    }
    for (const e of entries) if (!policy.namedVariables.has(e.name)) problems.push(`"${e.name}" is not a weight of this model`);
    if (problems.length > 0) throw new CheckpointError(`checkpoint ${dir}: weights.json does not fit config.json: ${problems.join('; ')}`);

    const buffer = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
    const tensors = tf.io.decodeWeights(buffer, entries); // name -> tensor
    try {
      policy.setWeights(new Map(Object.entries(tensors)));
    } finally {
      tf.dispose(Object.values(tensors));
    }
    return policy;
  } catch (e) {
    policy.dispose();
    throw e;
  }
}
