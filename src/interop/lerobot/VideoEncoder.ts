/**
 * Encodes RGB frames into one MP4 with the system's ffmpeg (Debian's `ffmpeg` package), as LeRobot stores camera
 * streams: every episode of a camera concatenated in videos/KEY/chunk-000/file-000.mp4, yuv420p, a keyframe every
 * 2 frames (LeRobot's g=2, so decoding a frame at any timestamp stays cheap), AV1 (libsvtav1, LeRobot's default
 * codec) or H.264 (libx264, for players and decoders without AV1).
 *
 * Frames are streamed to ffmpeg's stdin, waiting whenever its pipe is full, so memory stays one frame deep.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export const VIDEO_CODECS = ['libsvtav1', 'libx264'] as const;
export type VideoCodec = (typeof VIDEO_CODECS)[number];

/** The codec name LeRobot records in info.json (video.codec: the stream's canonical name). */
export const CODEC_NAMES: Record<VideoCodec, string> = { libsvtav1: 'av1', libx264: 'h264' };

/** True when an `ffmpeg` binary runs from PATH (or the FFMPEG environment variable). */
export function ffmpegPath(): string | null {
  const bin = process.env.FFMPEG || 'ffmpeg';
  const r = spawnSync(bin, ['-hide_banner', '-version'], { stdio: 'ignore' });
  return r.status === 0 ? bin : null;
}

export interface VideoEncoderOptions {
  path: string;
  width: number;
  height: number;
  fps: number;
  codec: VideoCodec;
}

export class VideoEncoder {
  private readonly child: ChildProcess;
  private readonly done: Promise<void>;
  private stderr = '';
  private failed: Error | null = null;
  frames = 0;

  constructor(private readonly o: VideoEncoderOptions) {
    const bin = ffmpegPath();
    if (!bin) throw new Error('ffmpeg not found: install it (Debian: apt-get install ffmpeg) or export without videos (--no-videos)');
    if (o.width % 2 || o.height % 2) throw new Error(`video ${o.path}: yuv420p needs even frame sides, got ${o.width}x${o.height}`);
    const args = ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${o.width}x${o.height}`, '-r', String(o.fps), '-i', 'pipe:0'];
    args.push('-c:v', o.codec, '-pix_fmt', 'yuv420p', '-g', '2', '-crf', '30');
    if (o.codec === 'libsvtav1') args.push('-preset', '8');
    args.push('-an', o.path);
    this.child = spawn(bin, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-2000)));
    this.child.stdin!.on('error', (e) => (this.failed ??= e));
    this.done = new Promise((resolve, reject) => {
      this.child.on('error', (e) => reject(new Error(`ffmpeg could not start: ${e.message}`)));
      this.child.on('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`ffmpeg failed writing ${o.path} (exit ${code}): ${this.stderr.trim() || this.failed?.message || 'no message'}`)),
      );
    });
    // Keep the rejection observed until finish() awaits it (no unhandled rejection if a write fails first).
    this.done.catch(() => undefined);
  }

  /** Appends one frame (width x height x 3 bytes, row-major from the top-left). */
  async write(rgb: Uint8Array): Promise<void> {
    if (rgb.length !== this.o.width * this.o.height * 3) throw new Error(`video ${this.o.path}: a frame of ${rgb.length} bytes, expected ${this.o.width * this.o.height * 3}`);
    if (this.failed) await this.finish();
    const stdin = this.child.stdin!;
    this.frames++;
    if (!stdin.write(rgb)) {
      await new Promise<void>((resolve) => {
        const go = () => {
          stdin.off('drain', go);
          this.child.off('close', go);
          resolve();
        };
        stdin.once('drain', go);
        this.child.once('close', go);
      });
    }
  }

  /** Closes the stream and waits for ffmpeg to finish the file; throws ffmpeg's message if it failed. */
  async finish(): Promise<void> {
    this.child.stdin!.end();
    await this.done;
  }
}
