/**
 * `vla export lerobot`: a dataset made by `vla collect` as a LeRobotDataset v3.0 folder (layout.ts), so LeRobot
 * trains its policies (ACT, Diffusion Policy, SmolVLA, pi0) on it and its tools (visualize_dataset, the Hub)
 * read it.
 *
 * What maps to what: each vla episode is one LeRobot episode; frame t has observation.state = the episode's
 * proprioception at step t (PROPRIO_KEYS: 5 joints, gripper opening, holding, end-effector x, y, z, yaw),
 * action = the action chosen from it (dx, dy, dz, dyaw, gripper), observation.images.CAMERA = the camera frame
 * (one MP4 through ffmpeg, or with `images` PNG image features in the parquet), timestamp = t / fps (the control
 * rate, 20 Hz), and the episode's command text is its task.
 */
import { existsSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CONTROL_HZ } from '../../../sim/types.js';
import { encodePng } from '../../../sim/render/imageIO.js';
import { listEpisodes, readEpisodeFrames, readEpisodeRecord, readMeta, type DatasetMeta, type EpisodeRecord } from '../../train/dataset.js';
import { makeDir, writeAtomic } from '../../io/files.js';
import { FIRST_DATA_FILE, FIRST_EPISODES_FILE, INFO_PATH, STATS_PATH, TASKS_PATH, makeInfo, tasksPandasMetadata, videoFeature, videoFile, type Feature } from './layout.js';
import { writeParquet, type TableColumn } from './parquetTable.js';
import { PixelHistogram, vectorStats, type FeatureStats } from './stats.js';
import { CODEC_NAMES, VideoEncoder, type VideoCodec } from './VideoEncoder.js';

export interface ExportOptions {
  data: string;
  out: string;
  /** Encode camera frames as MP4 with this codec; null: no video (see images). */
  video: VideoCodec | null;
  /**
   * Without video: store the camera frames as PNG image features inside the data parquet (LeRobot's dtype
   * "image"; needs no ffmpeg, bigger files). Neither: state, action and task only.
   */
  images?: boolean;
  /** Only the episodes whose recorded outcome was a success. */
  successOnly?: boolean;
  onEpisode?: (done: number, total: number) => void;
}

export interface ExportSummary {
  episodes: number;
  frames: number;
  tasks: number;
  cameraKey: string | null;
  out: string;
}

/** Per-frame rows of the data file and per-episode rows of the episodes file, built up episode by episode. */
interface Tables {
  state: number[][];
  action: number[][];
  timestamp: number[];
  frameIndex: number[];
  episodeIndex: number[];
  taskIndex: number[];
  /** PNG bytes of each frame, when the camera is an image feature. */
  images: Uint8Array[] | null;
  episodes: Array<{ record: EpisodeRecord; name: string; from: number; to: number; taskIndex: number; pixels: PixelHistogram | null }>;
  tasks: Map<string, number>;
}

export async function exportLerobot(o: ExportOptions): Promise<ExportSummary> {
  const meta = readMeta(o.data);
  const names = listEpisodes(o.data);
  if (names.length === 0) throw new Error(`${o.data}: no episodes (run vla collect --out ${o.data} first)`);
  if (existsSync(o.out) && readdirSync(o.out).length > 0) throw new Error(`--out ${o.out}: the folder is not empty; give a new or empty folder`);
  // Written beside --out and renamed into place at the end: a failed or interrupted export leaves no half folder.
  const final = o.out;
  o = { ...o, out: `${final.replace(/\/+$/, '')}.partial-${process.pid}` };
  rmSync(o.out, { recursive: true, force: true });
  makeDir(join(o.out, 'meta'));
  try {
    const summary = await writeExport(o, final, meta, names);
    rmSync(final, { recursive: true, force: true });
    renameSync(o.out, final);
    return { ...summary, out: final };
  } catch (e) {
    rmSync(o.out, { recursive: true, force: true });
    throw e;
  }
}

async function writeExport(o: ExportOptions, final: string, meta: DatasetMeta, names: string[]): Promise<ExportSummary> {
  const images = !o.video && o.images === true;
  const cameraKey = o.video || images ? `observation.images.${meta.camera}` : null;
  const t: Tables = { state: [], action: [], timestamp: [], frameIndex: [], episodeIndex: [], taskIndex: [], images: images ? [] : null, episodes: [], tasks: new Map() };
  const encoder = o.video && cameraKey ? openVideo(o.out, cameraKey, meta, o.video) : null;
  try {
    for (let i = 0; i < names.length; i++) {
      const record = readEpisodeRecord(o.data, names[i]!);
      if (o.successOnly && !record.success) continue;
      await addEpisode(o.data, names[i]!, record, meta, t, encoder, cameraKey !== null);
      o.onEpisode?.(i + 1, names.length);
    }
  } finally {
    await encoder?.finish();
  }
  if (t.episodes.length === 0) throw new Error(`${o.data}: none of the ${names.length} episodes succeeded (drop --success-only to export them all)`);
  const features: Record<string, Feature> = {
    action: { dtype: 'float32', shape: [meta.actionKeys.length], names: meta.actionKeys },
    'observation.state': { dtype: 'float32', shape: [meta.proprioKeys.length], names: meta.proprioKeys },
  };
  if (cameraKey && o.video) features[cameraKey] = videoFeature({ height: meta.imageSize, width: meta.imageSize, codec: CODEC_NAMES[o.video], fps: CONTROL_HZ });
  if (cameraKey && images) features[cameraKey] = { dtype: 'image', shape: [meta.imageSize, meta.imageSize, 3], names: ['height', 'width', 'channels'] };
  const stats = datasetStats(t, cameraKey);
  writeDataFile(o.out, t, cameraKey);
  writeEpisodesFile(o.out, t, o.video ? cameraKey : null, cameraKey);
  writeTasksFile(o.out, t.tasks);
  writeAtomic(join(o.out, STATS_PATH), JSON.stringify(stats, null, 2));
  const info = makeInfo({ fps: CONTROL_HZ, episodes: t.episodes.length, frames: t.timestamp.length, tasks: t.tasks.size, features, videos: o.video !== null });
  writeAtomic(join(o.out, INFO_PATH), JSON.stringify(info, null, 4));
  writeFileSync(join(o.out, 'README.md'), readme(o.data, final, info.total_episodes, info.total_frames));
  return { episodes: t.episodes.length, frames: t.timestamp.length, tasks: t.tasks.size, cameraKey, out: o.out };
}

function openVideo(out: string, key: string, meta: DatasetMeta, codec: VideoCodec): VideoEncoder {
  const path = join(out, videoFile(key));
  makeDir(join(path, '..'));
  return new VideoEncoder({ path, width: meta.imageSize, height: meta.imageSize, fps: CONTROL_HZ, codec });
}

/** Appends one episode's frames to the tables (and its camera frames to the video or the images). */
async function addEpisode(dir: string, name: string, record: EpisodeRecord, meta: DatasetMeta, t: Tables, encoder: VideoEncoder | null, camera: boolean): Promise<void> {
  const s = meta.proprioKeys.length;
  const a = meta.actionKeys.length;
  if (record.proprio.length !== record.steps * s || record.actions.length !== record.steps * a) {
    throw new Error(`${join(dir, 'episodes', name)}.json: ${record.steps} steps but ${record.proprio.length / s} proprioception rows and ${record.actions.length / a} actions`);
  }
  const episodeIndex = t.episodes.length;
  let taskIndex = t.tasks.get(record.command);
  if (taskIndex === undefined) t.tasks.set(record.command, (taskIndex = t.tasks.size));
  const from = t.timestamp.length;
  for (let k = 0; k < record.steps; k++) {
    t.state.push(record.proprio.slice(k * s, (k + 1) * s));
    t.action.push(record.actions.slice(k * a, (k + 1) * a));
    t.timestamp.push(k / CONTROL_HZ);
    t.frameIndex.push(k);
    t.episodeIndex.push(episodeIndex);
    t.taskIndex.push(taskIndex);
  }
  let pixels: PixelHistogram | null = null;
  if (camera) {
    const { frames } = readEpisodeFrames(dir, name, record, meta.imageSize);
    const side = meta.imageSize;
    const size = side * side * 3;
    pixels = new PixelHistogram();
    for (let k = 0; k < record.steps; k++) {
      const frame = frames.subarray(k * size, (k + 1) * size);
      pixels.add(frame);
      if (encoder) await encoder.write(frame);
      t.images?.push(encodePng({ width: side, height: side, rgb: frame }));
    }
  }
  t.episodes.push({ record, name, from, to: t.timestamp.length, taskIndex, pixels });
}

/** The numeric per-frame features over rows [from, to): values flat, with their width. */
function numericFeatures(t: Tables, from: number, to: number): Record<string, { values: number[]; dim: number }> {
  const index = Array.from({ length: to - from }, (_, k) => from + k);
  return {
    action: { values: t.action.slice(from, to).flat(), dim: t.action[from]!.length },
    'observation.state': { values: t.state.slice(from, to).flat(), dim: t.state[from]!.length },
    timestamp: { values: t.timestamp.slice(from, to), dim: 1 },
    frame_index: { values: t.frameIndex.slice(from, to), dim: 1 },
    episode_index: { values: t.episodeIndex.slice(from, to), dim: 1 },
    index: { values: index, dim: 1 },
    task_index: { values: t.taskIndex.slice(from, to), dim: 1 },
  };
}

function featureStats(t: Tables, from: number, to: number, pixels: PixelHistogram | null, cameraKey: string | null): Record<string, FeatureStats> {
  const out: Record<string, FeatureStats> = {};
  for (const [k, f] of Object.entries(numericFeatures(t, from, to))) out[k] = vectorStats(f.values, f.dim);
  if (cameraKey && pixels) out[cameraKey] = pixels.stats(to - from);
  return out;
}

function datasetStats(t: Tables, cameraKey: string | null): Record<string, FeatureStats> {
  let pixels: PixelHistogram | null = null;
  if (cameraKey) {
    pixels = new PixelHistogram();
    for (const e of t.episodes) pixels.merge(e.pixels!);
  }
  return featureStats(t, 0, t.timestamp.length, pixels, cameraKey);
}

function writeDataFile(out: string, t: Tables, cameraKey: string | null): void {
  const n = t.timestamp.length;
  const path = join(out, FIRST_DATA_FILE);
  makeDir(join(path, '..'));
  const images: TableColumn[] = t.images && cameraKey ? [{ name: cameraKey, kind: 'image', depth: 0, data: t.images.map((bytes) => ({ bytes, path: null })) }] : [];
  writeParquet(path, [
    { name: 'action', kind: 'float32', depth: 1, data: t.action },
    { name: 'observation.state', kind: 'float32', depth: 1, data: t.state },
    ...images,
    { name: 'timestamp', kind: 'float32', depth: 0, data: t.timestamp },
    { name: 'frame_index', kind: 'int64', depth: 0, data: t.frameIndex },
    { name: 'episode_index', kind: 'int64', depth: 0, data: t.episodeIndex },
    { name: 'index', kind: 'int64', depth: 0, data: Array.from({ length: n }, (_, i) => i) },
    { name: 'task_index', kind: 'int64', depth: 0, data: t.taskIndex },
  ]);
}

/**
 * meta/episodes: LeRobot's per-episode columns, its per-episode stats, and this project's own (vla/*). videoKey:
 * the camera when it is a video (its file and timestamps); cameraKey: the camera, video or image (its stats).
 */
function writeEpisodesFile(out: string, t: Tables, videoKey: string | null, cameraKey: string | null): void {
  const eps = t.episodes;
  const col = (name: string, kind: TableColumn['kind'], depth: number, f: (e: Tables['episodes'][number], i: number) => unknown): TableColumn => ({ name, kind, depth, data: eps.map(f) });
  const columns: TableColumn[] = [
    col('episode_index', 'int64', 0, (_, i) => i),
    col('tasks', 'string', 1, (e) => [e.record.command]),
    col('length', 'int64', 0, (e) => e.to - e.from),
    col('data/chunk_index', 'int64', 0, () => 0),
    col('data/file_index', 'int64', 0, () => 0),
    col('dataset_from_index', 'int64', 0, (e) => e.from),
    col('dataset_to_index', 'int64', 0, (e) => e.to),
  ];
  if (videoKey) {
    columns.push(
      col(`videos/${videoKey}/chunk_index`, 'int64', 0, () => 0),
      col(`videos/${videoKey}/file_index`, 'int64', 0, () => 0),
      col(`videos/${videoKey}/from_timestamp`, 'float64', 0, (e) => e.from / CONTROL_HZ),
      col(`videos/${videoKey}/to_timestamp`, 'float64', 0, (e) => e.to / CONTROL_HZ),
    );
  }
  columns.push(col('meta/episodes/chunk_index', 'int64', 0, () => 0), col('meta/episodes/file_index', 'int64', 0, () => 0));
  const perEpisode = eps.map((e) => featureStats(t, e.from, e.to, e.pixels, cameraKey));
  for (const [feature, stats] of Object.entries(perEpisode[0]!)) {
    for (const stat of Object.keys(stats)) {
      const depth = feature === cameraKey && stat !== 'count' ? 3 : 1;
      columns.push({ name: `stats/${feature}/${stat}`, kind: stat === 'count' ? 'int64' : 'float64', depth, data: perEpisode.map((p) => p[feature]![stat]!) });
    }
  }
  columns.push(
    col('vla/name', 'string', 0, (e) => e.name),
    col('vla/seed', 'int64', 0, (e) => e.record.seed),
    col('vla/task', 'string', 0, (e) => e.record.task),
    col('vla/split', 'string', 0, (e) => e.record.split),
    col('vla/success', 'bool', 0, (e) => e.record.success),
    col('vla/reason', 'string', 0, (e) => e.record.reason),
  );
  const path = join(out, FIRST_EPISODES_FILE);
  makeDir(join(path, '..'));
  writeParquet(path, columns);
}

function writeTasksFile(out: string, tasks: Map<string, number>): void {
  const rows = [...tasks.entries()].sort((a, b) => a[1] - b[1]);
  writeParquet(
    join(out, TASKS_PATH),
    [
      { name: 'task_index', kind: 'int64', depth: 0, data: rows.map((r) => r[1]) },
      { name: 'task', kind: 'string', depth: 0, data: rows.map((r) => r[0]) },
    ],
    { pandas: tasksPandasMetadata() },
  );
}

function readme(source: string, root: string, episodes: number, frames: number): string {
  return [
    '# LeRobot dataset exported by vla',
    '',
    `Exported by \`vla export lerobot\` from the vla dataset ${source}: ${episodes} episodes, ${frames} frames (LeRobotDataset v3.0).`,
    'Train a LeRobot policy on it, e.g. ACT (docs/interop.md of the vla project has more):',
    '',
    '    lerobot-train \\',
    `      --dataset.repo_id=local/vla --dataset.root=${resolve(root)} \\`,
    '      --policy.type=act --policy.device=cuda --policy.push_to_hub=false \\',
    '      --output_dir=outputs/train/act_vla --job_name=act_vla',
    '',
  ].join('\n');
}
