/**
 * The demonstration dataset on disk (format "vla-dataset", version 2).
 *
 *   data/NAME/meta.json                 what was collected and how (see DatasetMeta); written first
 *   data/NAME/episodes/TASK-000042.json one episode's metadata and low-dimensional arrays (see EpisodeRecord)
 *   data/NAME/episodes/TASK-000042.rgb.gz its camera frames: gzip of T x H x W x 3 bytes, row-major, frame t
 *                                       is the observation the action at step t was chosen from
 *   data/NAME/episodes/TASK-000042.seg.gz the same frames' segmentation: gzip of T x H x W bytes, 0 = no object
 *                                       (table, arm, background), i + 1 = scene object i (record.objects[i])
 *
 * A collection with meta.noise (DART, Laskey et al. 2017) was driven by the expert with a seeded drift added to its
 * moves, and one with meta.misses had a share of its first grasps made to miss (record.injectedMiss): the frames
 * show the arm off the expert's own path, and the actions are the expert's way back.
 *
 * Version 2 added the segmentation, the scene's objects with the target and destination indices (so training can
 * tell which patches the command's words refer to), and the end effector's pose to the proprioception.
 *
 * Episode files are written to a temporary name and renamed, so a crash leaves either a whole episode or none,
 * and collection resumes by skipping the episodes already there once each is checked whole (episodeProblem: the
 * record parses and the frames decompress, gzip's CRC-32 included, to the right length); a damaged one is removed
 * and collected again. Episode i of task k always uses the same seed
 * (seedOf), whichever machine or shard collects it, so shards of one plan never overlap and always agree.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { z } from 'zod';
import { hashSeed } from '../../sim/util/Rng.js';
import { TASK_NAMES, type TaskName } from '../../sim/tasks/index.js';
import { MAX_SUPERSAMPLING } from '../../sim/render/downsample.js';
import { makeDir, writeAtomic } from '../io/files.js';

export { writeAtomic };

/** The largest frame side a collection renders (a policy's imageSize is far smaller; more only exhausts memory). */
export const MAX_DATASET_IMAGE_SIZE = 512;

export const DATASET_FORMAT = 'vla-dataset';
export const DATASET_VERSION = 2;

/**
 * The proprioception vector: 5 arm joints (rad), gripper opening (0..1), holding (0/1), then the end effector's pose
 * in the world frame (m, rad), as `proprioVector(obs, true)` makes it. A policy with eeProprio false reads the first 7.
 */
export const PROPRIO_KEYS = ['j0', 'j1', 'j2', 'j3', 'j4', 'gripperOpening', 'holding', 'eeX', 'eeY', 'eeZ', 'eeYaw'] as const;

/**
 * Who chose the executed actions: the scripted expert, always. A meta.json or episode record may say so (`driver:
 * "expert"`) or leave it out (collect writes none); any other driver is refused, since training (TrainData.ts) takes
 * each successful episode's recorded actions as the expert's own demonstration.
 */
const EXPERT_DRIVER = z.literal('expert', { error: 'expected "expert" or no driver: only collections the scripted expert drove can be read' }).optional();

export const DatasetMetaSchema = z
  .object({
    format: z.literal(DATASET_FORMAT),
    version: z.number().int(),
    tasks: z.array(z.enum(TASK_NAMES)).min(1),
    episodesPerTask: z.number().int().positive(),
    seed: z.number().int().nonnegative(),
    imageSize: z.number().int().positive().max(MAX_DATASET_IMAGE_SIZE),
    camera: z.string(),
    actionKeys: z.array(z.string()),
    proprioKeys: z.array(z.string()),
    split: z.string(),
    created: z.string(),
    /** See EXPERT_DRIVER. */
    driver: EXPERT_DRIVER,
    /**
     * DART (Laskey et al. 2017, "DART: Noise Injection for Robust Imitation Learning"): the standard deviation (m per
     * step) of the drift added to the executed end-effector moves; the recorded actions stay the expert's own.
     * Absent or 0: the executed actions are the recorded ones.
     */
    noise: z.number().min(0).optional(),
    /** The share of pick and place episodes whose first grasp was made to miss (see collect.ts); absent: none. */
    misses: z.number().min(0).max(1).optional(),
    /** The share of episodes whose arm was parked beside its way down for a while (see collect.ts); absent: none. */
    stalls: z.number().min(0).max(1).optional(),
    /** The expert's blended phase changes (m, ScriptedExpert's blend option); absent: off. */
    blend: z.number().min(0).max(0.02).optional(),
    /** Placing, the expert's release band (m, ScriptedExpert's releaseBand option); absent: off. */
    releaseBand: z.number().min(0).max(0.03).optional(),
    /** Episodes per scene (collect.ts, Siblings): groups of this many share a scene and name different objects; absent: 1. */
    siblings: z.number().int().min(2).optional(),
    /** The share of scenes drawn with confusers (collect.ts, Confusers); absent: none. */
    confusers: z.number().min(0).max(1).optional(),
    /** With confusers, 'all': every other shape of the target's colour was added (collect.ts, Confusers); absent: one. */
    confuserShapes: z.enum(['all']).optional(),
    /** Samples per pixel side the frames were rendered with (collect.ts, Supersampling); absent: 1. */
    supersampling: z.number().int().min(1).max(MAX_SUPERSAMPLING).optional(),
  })
  .strict();
export type DatasetMeta = z.infer<typeof DatasetMetaSchema>;

export interface EpisodeRecord {
  task: TaskName;
  index: number;
  seed: number;
  command: string;
  split: string;
  success: boolean;
  reason: string;
  steps: number;
  /** steps x 5 (dx, dy, dz, dyaw, gripper), flat. */
  actions: number[];
  /** steps x 11 (PROPRIO_KEYS), flat. */
  proprio: number[];
  /** The target object's kind and colour (for analysis). */
  target: { kind: string; colour: string };
  /** The scene's objects in order: segmentation id i + 1 is objects[i]. */
  objects: Array<{ kind: string; colour: string }>;
  /** Index into objects of the object the command names, and of the place destination (-1: none). */
  targetIndex: number;
  destinationIndex: number;
  /** Who chose the executed actions: the scripted expert, always (see EXPERT_DRIVER). */
  driver?: 'expert';
  /** True when the first grasp was made to miss (collect --misses): the frames show it, the labels recover. */
  injectedMiss?: boolean;
  /** True when the arm was parked beside its way down (collect --stalls): the frames show it, the labels recover. */
  injectedStall?: boolean;
}

const EpisodeSchema = z.object({
  task: z.enum(TASK_NAMES),
  index: z.number().int().nonnegative(),
  seed: z.number().int(),
  command: z.string(),
  split: z.string(),
  success: z.boolean(),
  reason: z.string(),
  steps: z.number().int().nonnegative(),
  actions: z.array(z.number()),
  proprio: z.array(z.number()),
  target: z.object({ kind: z.string(), colour: z.string() }),
  objects: z.array(z.object({ kind: z.string(), colour: z.string() })),
  targetIndex: z.number().int().nonnegative(),
  destinationIndex: z.number().int().min(-1),
  driver: EXPERT_DRIVER,
  injectedMiss: z.boolean().optional(),
  injectedStall: z.boolean().optional(),
});

/** The seed of episode `index` of `task` in a collection with base seed `seed`. */
export function seedOf(seed: number, task: TaskName, index: number): number {
  return hashSeed(`collect:${seed}:${task}:${index}`);
}

export const episodeName = (task: TaskName, index: number) => `${task}-${String(index).padStart(6, '0')}`;

export function writeMeta(dir: string, meta: DatasetMeta): void {
  makeDir(join(dir, 'episodes'));
  const path = join(dir, 'meta.json');
  if (existsSync(path)) {
    const old = readMeta(dir);
    const same = (['tasks', 'episodesPerTask', 'seed', 'imageSize', 'camera', 'split', 'noise', 'misses', 'stalls', 'blend', 'releaseBand', 'siblings', 'confusers', 'confuserShapes', 'supersampling'] as const).every(
      (k) => JSON.stringify(old[k]) === JSON.stringify(meta[k]),
    );
    if (!same) {
      throw new Error(
        `${path}: this folder holds a collection with other settings (tasks ${old.tasks.join(',')}, ` +
          `${old.episodesPerTask} episodes per task, seed ${old.seed}, image ${old.imageSize}` +
          `${old.noise ? `, noise ${old.noise} m` : ''}${old.misses ? `, misses ${old.misses}` : ''}${old.stalls ? `, stalls ${old.stalls}` : ''}${old.blend ? `, blend ${old.blend} m` : ''}${old.releaseBand ? `, release band ${old.releaseBand} m` : ''}${old.siblings ? `, siblings ${old.siblings}` : ''}${old.confusers ? `, confusers ${old.confusers}` : ''}${old.confuserShapes ? `, confuser shapes ${old.confuserShapes}` : ''}${old.supersampling ? `, supersampling ${old.supersampling}` : ''}); ` +
          `use another --out or the same settings to resume`,
      );
    }
    return;
  }
  writeAtomic(path, JSON.stringify(meta, null, 2));
}

export function readMeta(dir: string): DatasetMeta {
  const path = join(dir, 'meta.json');
  if (!existsSync(path)) throw new Error(`${path}: not found (is ${dir} a dataset made by vla collect?)`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const parsed = DatasetMetaSchema.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`${path}: ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  if (parsed.data.version !== DATASET_VERSION) {
    throw new Error(`${path}: dataset format version ${parsed.data.version}; this build reads version ${DATASET_VERSION}`);
  }
  return parsed.data;
}

export function hasEpisode(dir: string, task: TaskName, index: number): boolean {
  return existsSync(join(dir, 'episodes', `${episodeName(task, index)}.json`));
}

/**
 * Whether episode (task, index) is on disk whole: its record parses, names this episode and agrees with itself,
 * and its frames and masks decompress (gzip checks a CRC-32) to the lengths the record and `imageSize` give.
 * Returns null when it is, else why not (a file missing, cut short or corrupted).
 */
export function episodeProblem(dir: string, task: TaskName, index: number, imageSize: number): string | null {
  const name = episodeName(task, index);
  try {
    const record = readEpisodeRecord(dir, name);
    if (record.task !== task || record.index !== index) return `${name}.json: holds ${episodeName(record.task, record.index)}`;
    readEpisodeFrames(dir, name, record, imageSize);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Removes episode (task, index)'s files (record first: without it the episode does not exist). */
export function removeEpisode(dir: string, task: TaskName, index: number): void {
  const base = join(dir, 'episodes', episodeName(task, index));
  for (const ext of ['.json', '.rgb.gz', '.seg.gz']) rmSync(`${base}${ext}`, { force: true });
}

/** Writes the frames first and the JSON last (all atomically): an episode exists once its JSON does. */
export function writeEpisode(dir: string, record: EpisodeRecord, frames: Uint8Array, segmentation: Uint8Array): void {
  const base = join(dir, 'episodes', episodeName(record.task, record.index));
  writeAtomic(`${base}.rgb.gz`, gzipSync(frames, { level: 6 }));
  writeAtomic(`${base}.seg.gz`, gzipSync(segmentation, { level: 6 }));
  writeAtomic(`${base}.json`, JSON.stringify(record));
}

export function readEpisode(dir: string, name: string, imageSize: number): { record: EpisodeRecord; frames: Uint8Array; segmentation: Uint8Array } {
  const record = readEpisodeRecord(dir, name);
  return { record, ...readEpisodeFrames(dir, name, record, imageSize) };
}

/** An episode's JSON record alone (no frames), checked against the schema and against itself. */
export function readEpisodeRecord(dir: string, name: string): EpisodeRecord {
  const base = join(dir, 'episodes', name);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(`${base}.json`, 'utf8'));
  } catch (e) {
    throw new Error(`${base}.json: unreadable (${(e as Error).message})`);
  }
  const parsed = EpisodeSchema.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`${base}.json: ${i.path.join('.')}: ${i.message}`);
  }
  const record = parsed.data;
  if (record.targetIndex >= record.objects.length || record.destinationIndex >= record.objects.length) {
    throw new Error(`${base}.json: targetIndex/destinationIndex outside the ${record.objects.length} objects`);
  }
  if (record.actions.length !== record.steps * 5 || record.proprio.length !== record.steps * PROPRIO_KEYS.length) {
    throw new Error(`${base}.json: actions/proprio lengths do not match ${record.steps} steps`);
  }
  return record;
}

/** An episode's frames and segmentation masks (decompressed, no copy), checked against its record's length. */
export function readEpisodeFrames(dir: string, name: string, record: EpisodeRecord, imageSize: number): { frames: Uint8Array; segmentation: Uint8Array } {
  const base = join(dir, 'episodes', name);
  const unzip = (file: string): Uint8Array => {
    try {
      return gunzipSync(readFileSync(file));
    } catch (e) {
      throw new Error(`${file}: unreadable (${(e as Error).message})`);
    }
  };
  const frames = unzip(`${base}.rgb.gz`);
  const expected = record.steps * imageSize * imageSize * 3;
  if (frames.length !== expected) {
    throw new Error(`${base}.rgb.gz: ${frames.length} bytes, expected ${expected} (${record.steps} frames of ${imageSize}x${imageSize}x3)`);
  }
  const segmentation = unzip(`${base}.seg.gz`);
  if (segmentation.length !== expected / 3) {
    throw new Error(`${base}.seg.gz: ${segmentation.length} bytes, expected ${expected / 3} (${record.steps} masks of ${imageSize}x${imageSize})`);
  }
  return { frames, segmentation };
}

/** Names of the complete episodes in a dataset, sorted. */
export function listEpisodes(dir: string): string[] {
  const folder = join(dir, 'episodes');
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}
