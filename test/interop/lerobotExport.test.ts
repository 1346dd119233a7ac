/**
 * `vla export lerobot`: a dataset made by collect, exported, then read back with an independent parquet reader
 * (parquet-wasm, the Rust arrow-rs reader, through apache-arrow; the export writes with hyparquet-writer) and
 * checked against the source episodes: columns and types, episode boundaries, values, tasks and the video.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { collectInProcess } from '../../src/train/collect.js';
import { listEpisodes, readEpisodeRecord, readEpisodeFrames, type EpisodeRecord } from '../../src/train/dataset.js';
import { exportLerobot } from '../../src/interop/lerobot/exportLerobot.js';
import { InfoSchema } from '../../src/interop/lerobot/layout.js';
import { ffmpegPath } from '../../src/interop/lerobot/VideoEncoder.js';
import { decodePng } from '../../sim/render/imageIO.js';

const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));
const readTable = (path: string): Table => tableFromIPC(readParquet(new Uint8Array(readFileSync(path))).intoIPCStream());
/** A row's cell as plain JSON values (bigint to number, arrow vectors to arrays). */
const cell = (t: Table, row: number, col: string): unknown => JSON.parse(JSON.stringify(t.get(row)!.toJSON()[col], (_, v) => (typeof v === 'bigint' ? Number(v) : v)));
const f32 = (xs: number[]) => xs.map((x) => Math.fround(x));

let data: string;
let records: EpisodeRecord[];
beforeAll(() => {
  data = tmp('vla-lerobot-data-');
  collectInProcess({ out: data, tasks: ['pick', 'place'], episodes: 2, seed: 11, imageSize: 32, shard: { index: 0, count: 1 } });
  records = listEpisodes(data).map((n) => readEpisodeRecord(data, n));
});

describe('export lerobot', () => {
  it('writes the v3.0 data file with the right columns, boundaries and values', async () => {
    const out = join(tmp('vla-lerobot-out-'), 'ds');
    const s = await exportLerobot({ data, out, video: null });
    const frames = records.reduce((n, r) => n + r.steps, 0);
    expect(s).toMatchObject({ episodes: 4, frames, cameraKey: null });
    const info = InfoSchema.parse(JSON.parse(readFileSync(join(out, 'meta/info.json'), 'utf8')));
    expect(info).toMatchObject({ codebase_version: 'v3.0', fps: 20, total_episodes: 4, total_frames: frames, video_path: null });
    expect(info.features['observation.state']).toMatchObject({ dtype: 'float32', shape: [11] });
    expect(info.features['action']!.names).toEqual(['dx', 'dy', 'dz', 'dyaw', 'gripper']);

    const t = readTable(join(out, 'data/chunk-000/file-000.parquet'));
    expect(t.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      'action:List<Float32>',
      'observation.state:List<Float32>',
      'timestamp:Float32',
      'frame_index:Int64',
      'episode_index:Int64',
      'index:Int64',
      'task_index:Int64',
    ]);
    expect(t.numRows).toBe(frames);
    const eps = readTable(join(out, 'meta/episodes/chunk-000/file-000.parquet'));
    const tasks = readTable(join(out, 'meta/tasks.parquet'));
    expect(tasks.schema.metadata.get('pandas')).toContain('"index_columns": ["task"]'.replace(/ /g, ''));
    const taskText = new Map(Array.from({ length: tasks.numRows }, (_, i) => [cell(tasks, i, 'task_index'), cell(tasks, i, 'task')]));
    expect(eps.numRows).toBe(4);
    for (let e = 0; e < 4; e++) {
      const r = records[e]!;
      const from = cell(eps, e, 'dataset_from_index') as number;
      const to = cell(eps, e, 'dataset_to_index') as number;
      expect(to - from).toBe(r.steps);
      expect(cell(eps, e, 'tasks')).toEqual([r.command]);
      // The first and the last frame of the episode: its index, the proprioception and action of that step, the task.
      for (const k of [0, r.steps - 1]) {
        const row = from + k;
        expect(cell(t, row, 'episode_index')).toBe(e);
        expect(cell(t, row, 'frame_index')).toBe(k);
        expect(cell(t, row, 'index')).toBe(row);
        expect(cell(t, row, 'timestamp')).toBeCloseTo(k / 20, 5);
        expect(cell(t, row, 'observation.state')).toEqual(f32(r.proprio.slice(11 * k, 11 * k + 11)));
        expect(cell(t, row, 'action')).toEqual(f32(r.actions.slice(5 * k, 5 * k + 5)));
        expect(taskText.get(cell(t, row, 'task_index'))).toBe(r.command);
      }
    }
    // stats.json describes the exported actions: the gripper command's mean over every frame.
    const stats = JSON.parse(readFileSync(join(out, 'meta/stats.json'), 'utf8'));
    const gripper = records.flatMap((r) => Array.from({ length: r.steps }, (_, k) => r.actions[5 * k + 4]!));
    expect(stats.action.mean[4]).toBeCloseTo(gripper.reduce((a, b) => a + b, 0) / gripper.length, 9);
    expect(stats.action.count).toEqual([frames]);
  });

  // The video half needs Debian's ffmpeg (.ci/run installs it); without it this case says so and is skipped.
  it.skipIf(!ffmpegPath())('encodes the camera frames as one video whose frames follow the episodes', async () => {
    const out = join(tmp('vla-lerobot-video-'), 'ds');
    const s = await exportLerobot({ data, out, video: 'libx264' });
    const key = 'observation.images.scene';
    expect(s.cameraKey).toBe(key);
    const info = InfoSchema.parse(JSON.parse(readFileSync(join(out, 'meta/info.json'), 'utf8')));
    expect(info.features[key]).toMatchObject({ dtype: 'video', shape: [32, 32, 3] });
    const video = join(out, `videos/${key}/chunk-000/file-000.mp4`);
    const probe = spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames,width,height', '-of', 'csv=p=0', video], { encoding: 'utf8' });
    expect(probe.stdout.trim()).toBe(`32,32,${s.frames}`);
    const eps = readTable(join(out, 'meta/episodes/chunk-000/file-000.parquet'));
    expect(cell(eps, 1, `videos/${key}/from_timestamp`)).toBeCloseTo(records[0]!.steps / 20, 9);
    // Decoded, every video frame is its source frame up to the codec's loss (mean error a few levels of 255).
    const decoded = spawnSync('ffmpeg', ['-v', 'error', '-i', video, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 26 }).stdout as Buffer;
    const S = 32 * 32 * 3;
    expect(decoded.length).toBe(s.frames * S);
    let row = 0;
    let worst = 0;
    listEpisodes(data).forEach((name, i) => {
      const { frames } = readEpisodeFrames(data, name, records[i]!, 32);
      for (let k = 0; k < records[i]!.steps; k++, row++) {
        let err = 0;
        for (let p = 0; p < S; p++) err += Math.abs(decoded[row * S + p]! - frames[k * S + p]!);
        worst = Math.max(worst, err / S);
      }
    });
    expect(worst).toBeLessThan(8);
    // The image stats are of the frames: the red channel's mean over every pixel of every frame, in [0, 1].
    let sum = 0;
    let n = 0;
    listEpisodes(data).forEach((name, i) => {
      const { frames } = readEpisodeFrames(data, name, records[i]!, 32);
      for (let p = 0; p < frames.length; p += 3) sum += frames[p]!;
      n += frames.length / 3;
    });
    const stats = JSON.parse(readFileSync(join(out, 'meta/stats.json'), 'utf8'));
    expect(stats[key].mean[0][0][0]).toBeCloseTo(sum / n / 255, 9);
  });

  it('stores the camera frames as PNG image features when asked, each the source frame exactly', async () => {
    const out = join(tmp('vla-lerobot-images-'), 'ds');
    const s = await exportLerobot({ data, out, video: null, images: true });
    const key = 'observation.images.scene';
    const info = InfoSchema.parse(JSON.parse(readFileSync(join(out, 'meta/info.json'), 'utf8')));
    expect(info.features[key]).toMatchObject({ dtype: 'image', shape: [32, 32, 3] });
    expect(info.video_path).toBeNull();
    const t = readTable(join(out, 'data/chunk-000/file-000.parquet'));
    expect(t.schema.fields.find((f) => f.name === key)!.type.toString()).toBe('Struct<{bytes:Binary, path:Utf8}>');
    expect(t.numRows).toBe(s.frames);
    // Frame 5 of the second episode, decoded from the parquet, against the dataset's frame.
    const { frames } = readEpisodeFrames(data, listEpisodes(data)[1]!, records[1]!, 32);
    const row = records[0]!.steps + 5;
    const png = (t.get(row)!.toJSON()[key] as { bytes: Uint8Array }).bytes;
    expect(Buffer.from(decodePng(png).rgb).equals(Buffer.from(frames.subarray(5 * 32 * 32 * 3, 6 * 32 * 32 * 3)))).toBe(true);
  });

  it('refuses a non-empty --out and a folder that is no dataset, with the path in the message', async () => {
    const busy = tmp('vla-lerobot-busy-');
    writeFileSync(join(busy, 'x'), 'x');
    await expect(exportLerobot({ data, out: busy, video: null })).rejects.toThrow(`--out ${busy}: the folder is not empty`);
    const empty = tmp('vla-lerobot-empty-');
    mkdirSync(join(empty, 'episodes'));
    await expect(exportLerobot({ data: empty, out: join(empty, 'o'), video: null })).rejects.toThrow(`${join(empty, 'meta.json')}: not found`);
    expect(existsSync(join(empty, 'o'))).toBe(false);
  });
});
