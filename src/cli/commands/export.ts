/** `vla export lerobot`: a vla dataset as a LeRobotDataset v3.0 folder (src/interop/lerobot, docs/interop.md). */
import { Command, Option } from 'commander';
import { exportLerobot } from '../../interop/lerobot/exportLerobot.js';
import { VIDEO_CODECS, type VideoCodec } from '../../interop/lerobot/VideoEncoder.js';

export function registerExportCommand(program: Command): void {
  const exp = program.command('export').description('Write a vla dataset in another ecosystem\'s format');
  exp
    .command('lerobot')
    .description(
      'A dataset made by vla collect as a LeRobotDataset v3.0 folder (parquet frames with observation.state and action, ' +
        'the camera as MP4 video, the command text as the task), for training LeRobot policies such as ACT on it',
    )
    .requiredOption('--data <dir>', 'the vla dataset folder (made by vla collect)')
    .requiredOption('--out <dir>', 'the LeRobot dataset folder to write (new or empty)')
    .addOption(new Option('--vcodec <codec>', 'video codec of the camera frames (libsvtav1: AV1, LeRobot\'s default; libx264: H.264)').choices(VIDEO_CODECS).default('libsvtav1'))
    .option('--no-videos', 'no video: the camera frames as --images, or left out (state, action and task only); needs no ffmpeg')
    .option('--images', 'with --no-videos: the camera frames as PNG image features inside the parquet (LeRobot\'s dtype "image")', false)
    .option('--success-only', 'export only the episodes that succeeded', false)
    .option('--json', 'print the summary as one JSON object on the last line', false)
    .action(async (opts) => {
      if (opts.images && opts.videos) throw new Error('--images stores the camera frames instead of a video: give --no-videos too');
      const progress = process.stderr.isTTY ? (done: number, total: number) => process.stderr.write(`\rexport ${done}/${total} episodes`) : undefined;
      const s = await exportLerobot({
        data: opts.data,
        out: opts.out,
        video: opts.videos ? (opts.vcodec as VideoCodec) : null,
        images: opts.images,
        successOnly: opts.successOnly,
        ...(progress ? { onEpisode: progress } : {}),
      });
      if (progress) process.stderr.write('\n');
      console.log(
        `wrote ${s.out}: LeRobotDataset v3.0, ${s.episodes} episodes, ${s.frames} frames, ${s.tasks} tasks` +
          `${s.cameraKey ? `, camera ${s.cameraKey} as ${opts.images ? 'PNG images' : 'video'}` : ', no camera'}`,
      );
      if (opts.json) console.log(JSON.stringify(s));
    });
}
