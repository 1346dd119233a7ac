/**
 * The LeRobotDataset v3.0 layout (LeRobot's src/lerobot/datasets/utils.py and feature_utils.py):
 *
 *   meta/info.json                               codebase_version "v3.0", fps, counts, path templates, features
 *   meta/stats.json                              per-feature stats over the whole dataset (stats.ts)
 *   meta/tasks.parquet                           one row per task text: task_index, with the text as pandas' index "task"
 *   meta/episodes/chunk-000/file-000.parquet     one row per episode: its tasks, length, where its rows and video are, its stats
 *   data/chunk-000/file-000.parquet              one row per frame: the features that are not videos, and the 5 default columns
 *   videos/KEY/chunk-000/file-000.mp4            each camera's frames, every episode one after another
 *
 * An export writes one data file and one video file per camera (chunk 000, file 000): LeRobot's size limits
 * (100 MB of data, 200 MB of video per file) only decide where a recording starts a new file, and its reader
 * follows the per-episode chunk and file indices, whatever the sizes.
 */
import { z } from 'zod';

export const CODEBASE_VERSION = 'v3.0';
export const CHUNKS_SIZE = 1000;
export const DATA_FILES_SIZE_IN_MB = 100;
export const VIDEO_FILES_SIZE_IN_MB = 200;
export const DATA_PATH = 'data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet';
export const VIDEO_PATH = 'videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4';
export const INFO_PATH = 'meta/info.json';
export const STATS_PATH = 'meta/stats.json';
export const TASKS_PATH = 'meta/tasks.parquet';
export const FIRST_DATA_FILE = 'data/chunk-000/file-000.parquet';
export const FIRST_EPISODES_FILE = 'meta/episodes/chunk-000/file-000.parquet';
export const videoFile = (key: string) => `videos/${key}/chunk-000/file-000.mp4`;

/** The robot_type the export records: this project's simulated 5-joint arm with a parallel gripper. */
export const ROBOT_TYPE = 'vla_sim_arm';

/** The columns every LeRobot frame has (LeRobot's DEFAULT_FEATURES), in its order. */
export function defaultFeatures(): Record<string, Feature> {
  return {
    timestamp: { dtype: 'float32', shape: [1], names: null },
    frame_index: { dtype: 'int64', shape: [1], names: null },
    episode_index: { dtype: 'int64', shape: [1], names: null },
    index: { dtype: 'int64', shape: [1], names: null },
    task_index: { dtype: 'int64', shape: [1], names: null },
  };
}

/** One entry of info.json's features. */
export const FeatureSchema = z.object({
  dtype: z.string(),
  shape: z.array(z.number().int().positive()),
  names: z.union([z.array(z.string()), z.record(z.string(), z.unknown()), z.null()]).optional(),
  info: z.record(z.string(), z.unknown()).optional(),
});
export type Feature = z.infer<typeof FeatureSchema>;

/** meta/info.json as LeRobot's DatasetInfo reads it (extra keys are allowed, as LeRobot ignores them). */
export const InfoSchema = z.object({
  codebase_version: z.string(),
  robot_type: z.string().nullable().optional(),
  total_episodes: z.number().int().nonnegative(),
  total_frames: z.number().int().nonnegative(),
  total_tasks: z.number().int().nonnegative(),
  chunks_size: z.number().int().positive(),
  data_files_size_in_mb: z.number().positive(),
  video_files_size_in_mb: z.number().positive(),
  fps: z.number().int().positive(),
  splits: z.record(z.string(), z.string()),
  data_path: z.string(),
  video_path: z.string().nullable(),
  features: z.record(z.string(), FeatureSchema),
});
export type Info = z.infer<typeof InfoSchema>;

export interface VideoFeatureInfo {
  height: number;
  width: number;
  codec: string;
  fps: number;
}

/** A camera feature stored as video, with the video.* entries LeRobot probes from the file (get_video_info). */
export function videoFeature(v: VideoFeatureInfo): Feature {
  return {
    dtype: 'video',
    shape: [v.height, v.width, 3],
    names: ['height', 'width', 'channels'],
    info: {
      'video.height': v.height,
      'video.width': v.width,
      'video.codec': v.codec,
      'video.pix_fmt': 'yuv420p',
      'video.is_depth_map': false,
      'video.fps': v.fps,
      'video.channels': 3,
      has_audio: false,
    },
  };
}

export function makeInfo(o: { fps: number; episodes: number; frames: number; tasks: number; features: Record<string, Feature>; videos: boolean }): Info {
  return {
    codebase_version: CODEBASE_VERSION,
    robot_type: ROBOT_TYPE,
    total_episodes: o.episodes,
    total_frames: o.frames,
    total_tasks: o.tasks,
    chunks_size: CHUNKS_SIZE,
    data_files_size_in_mb: DATA_FILES_SIZE_IN_MB,
    video_files_size_in_mb: VIDEO_FILES_SIZE_IN_MB,
    fps: o.fps,
    splits: { train: `0:${o.episodes}` },
    data_path: DATA_PATH,
    video_path: o.videos ? VIDEO_PATH : null,
    features: { ...o.features, ...defaultFeatures() },
  };
}

/**
 * pandas' metadata for meta/tasks.parquet: the "task" column is the DataFrame's index (LeRobot writes
 * `DataFrame({"task_index": ...}, index=Index(tasks, name="task")).to_parquet(...)` and looks tasks up by it).
 */
export function tasksPandasMetadata(): string {
  return JSON.stringify({
    index_columns: ['task'],
    column_indexes: [{ name: null, field_name: null, pandas_type: 'unicode', numpy_type: 'object', metadata: { encoding: 'UTF-8' } }],
    columns: [
      { name: 'task_index', field_name: 'task_index', pandas_type: 'int64', numpy_type: 'int64', metadata: null },
      { name: 'task', field_name: 'task', pandas_type: 'unicode', numpy_type: 'object', metadata: null },
    ],
    creator: { library: 'vla-sim', version: '0.1.0' },
    pandas_version: '2.2.3',
  });
}
