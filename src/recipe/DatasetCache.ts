/**
 * The dataset cache: every dataset a recipe names is collected once, into a folder keyed by what defines it (its
 * spec, the rendering the policy reads and the dataset format version), and reused by every later recipe that names
 * the same data. A collection cut short resumes episode by episode (src/train/collect.ts); a dataset is complete
 * once its `complete.json` exists, which holds the hash of its content (so a provenance can say which data made a
 * model, and two collections with one spec can be checked to be byte-identical).
 *
 * Where: `$VLA_CACHE/datasets/<key>`; VLA_CACHE defaults to ~/.cache/vla (outside any clone, so that a fresh clone
 * of the repository finds the data an earlier one collected).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { collect, shardPlan, type CollectProgress } from '../train/collect.js';
import { DATASET_FORMAT, DATASET_VERSION, listEpisodes } from '../train/dataset.js';
import { canonicalJson, sha256, type DatasetSpec } from './Recipe.js';
import { makeDir, readJsonFile, writeAtomic } from '../io/files.js';

/** How a dataset's frames are rendered: the policy's image size and supersampling. */
export interface Rendering {
  imageSize: number;
  supersampling: number;
}

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.VLA_CACHE && env.VLA_CACHE.trim() !== '' ? env.VLA_CACHE : join(homedir(), '.cache', 'vla'));
}

/** The spec with every perturbation that is off left out, so that {"noise": 0} and no noise name one dataset. */
export function normaliseSpec(spec: DatasetSpec): DatasetSpec {
  const out: DatasetSpec = { tasks: [...spec.tasks], episodes: spec.episodes, seed: spec.seed };
  if (spec.noise) out.noise = spec.noise;
  if (spec.misses) out.misses = spec.misses;
  if (spec.stalls) out.stalls = spec.stalls;
  if (spec.siblings && spec.siblings > 1) out.siblings = spec.siblings;
  if (spec.confusers) out.confusers = spec.confusers;
  if (spec.confusers && spec.confuserShapes === 'all') out.confuserShapes = 'all';
  if (spec.blend) out.blend = spec.blend;
  if (spec.releaseBand) out.releaseBand = spec.releaseBand;
  return out;
}

/** The cache key of a dataset: a hash of its normalised spec, its rendering and the dataset format. */
export function datasetKey(spec: DatasetSpec, render: Rendering): string {
  const what = { format: DATASET_FORMAT, version: DATASET_VERSION, spec: normaliseSpec(spec), imageSize: render.imageSize, supersampling: render.supersampling };
  return sha256(canonicalJson(what)).slice(0, 20);
}

export const datasetDir = (spec: DatasetSpec, render: Rendering, root = cacheRoot()): string => join(root, 'datasets', datasetKey(spec, render));

const CompleteSchema = z.object({
  key: z.string(),
  spec: z.record(z.string(), z.unknown()),
  imageSize: z.number(),
  supersampling: z.number(),
  episodes: z.number().int(),
  successes: z.number().int(),
  contentHash: z.string(),
  /** Seconds the collection took, over every run that worked on it; `resumed`: an earlier run had written part of it. */
  collectSeconds: z.number(),
  resumed: z.boolean(),
});
/** What `complete.json` says of a finished dataset. */
export type DatasetRecord = z.infer<typeof CompleteSchema>;

/** The finished dataset's record, or null if it is not complete (or its record is unreadable: collect again). */
export function readComplete(dir: string): DatasetRecord | null {
  const path = join(dir, 'complete.json');
  if (!existsSync(path)) return null;
  try {
    const parsed = CompleteSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * The hash of a dataset's content: every episode's record, frames and masks, in name order. gzip at a fixed level
 * is deterministic, so the same episodes give the same hash.
 */
export function contentHash(dir: string): string {
  const h = createHash('sha256');
  for (const name of listEpisodes(dir)) {
    h.update(name);
    for (const ext of ['.json', '.rgb.gz', '.seg.gz']) h.update(readFileSync(join(dir, 'episodes', `${name}${ext}`)));
  }
  return h.digest('hex');
}

export interface EnsureOptions {
  workers: number;
  root?: string;
  onProgress?: (p: CollectProgress) => void;
}

/**
 * Makes sure the dataset is in the cache, collecting what is missing (resuming a collection cut short), and
 * returns its folder and record.
 */
export async function ensureDataset(spec: DatasetSpec, render: Rendering, o: EnsureOptions): Promise<{ dir: string; record: DatasetRecord; collected: boolean }> {
  const key = datasetKey(spec, render);
  const dir = join(o.root ?? cacheRoot(), 'datasets', key);
  const done = readComplete(dir);
  if (done) return { dir, record: done, collected: false };
  // Seconds spent by earlier, interrupted collections of this dataset, and this one's, saved as it goes: the
  // record's collectSeconds is the whole collection's time even when it took several runs.
  const spentPath = join(dir, 'collect-seconds.json');
  const earlier = readSpentSeconds(spentPath);
  const t0 = performance.now();
  let savedAt = t0;
  const spent = () => earlier + (performance.now() - t0) / 1000;
  makeDir(dir);
  const n = normaliseSpec(spec);
  const p = await collect({
    out: dir,
    tasks: n.tasks,
    episodes: n.episodes,
    seed: n.seed,
    imageSize: render.imageSize,
    supersampling: render.supersampling,
    shard: { index: 0, count: 1 },
    workers: o.workers,
    noise: n.noise,
    misses: n.misses,
    stalls: n.stalls,
    siblings: n.siblings,
    confusers: n.confusers,
    confuserShapes: n.confuserShapes,
    blend: n.blend,
    releaseBand: n.releaseBand,
    onProgress: (q: CollectProgress) => {
      if (performance.now() - savedAt > 30_000) {
        savedAt = performance.now();
        writeAtomic(spentPath, JSON.stringify({ seconds: spent() }));
      }
      o.onProgress?.(q);
    },
  });
  const expected = shardPlan(n.tasks, n.episodes, { index: 0, count: 1 }).length;
  const names = listEpisodes(dir);
  if (names.length !== expected) throw new Error(`${dir}: ${names.length} of ${expected} episodes after collecting; run again to resume`);
  let successes = 0;
  for (const name of names) if ((readJsonFile(join(dir, 'episodes', `${name}.json`), `delete it and run again to collect that episode again`) as { success: boolean }).success) successes++;
  const record: DatasetRecord = {
    key,
    spec: n as Record<string, unknown>,
    imageSize: render.imageSize,
    supersampling: render.supersampling,
    episodes: names.length,
    successes,
    contentHash: contentHash(dir),
    collectSeconds: spent(),
    resumed: p.skipped > 0,
  };
  writeAtomic(join(dir, 'complete.json'), JSON.stringify(record, null, 2));
  rmSync(spentPath, { force: true });
  return { dir, record, collected: true };
}

/** The seconds an interrupted collection had spent (0 when none or unreadable: the file is only a running tally). */
function readSpentSeconds(path: string): number {
  if (!existsSync(path)) return 0;
  try {
    const s = (JSON.parse(readFileSync(path, 'utf8')) as { seconds?: unknown }).seconds;
    return typeof s === 'number' && Number.isFinite(s) && s >= 0 ? s : 0;
  } catch {
    return 0;
  }
}
