/**
 * A demonstration dataset in memory, as training samples: sample (episode e, step t) is the frame, the
 * proprioception and the command at t, and the K actions t..t+K-1 (action chunking, as ACT; steps past the
 * episode's end are marked invalid). Episodes are split into training and validation by a seeded draw.
 *
 * Augmentation (training only): a random shift of up to `shift` pixels (pad by edge replication, crop), and
 * brightness/contrast jitter applied equally to the three channels, so that hues, and with them colour names,
 * stay true. Optionally (BatchOptions.paraphrase) the command is said again in other seen words.
 *
 * Grounding targets (when asked for): for each word of the command that names the target or the destination (its
 * colour or noun), where on the patch grid that object is in the frame: the share of the object's pixels in each
 * patch (from the segmentation, shifted with the image). The policy's grounding loss pulls the word's attention
 * towards the object. Words naming nothing, or an object hidden in that frame, get weight 0.
 * Patch label targets (for config.patchLabels): per patch, what kinds and colours its object pixels are, for every
 * object in the frame (src/policy/PatchLabels.ts).
 */
import { constants } from 'node:buffer';
import { Rng } from '../../sim/util/Rng.js';
import { patchColourIndex, patchKindIndex, type PolicyBatch, type Tokenizer } from '../policy/index.js';
import { batchTensors, frameAt, planBatch, renderBatch, type BatchOptions } from './batch.js';

export { frameIndex, type BatchOptions } from './batch.js';
import { parseCommand, SHAPE_NOUNS, type ParsedCommand } from '../../sim/tasks/language.js';
import type { Colour, Receptacle, Shape } from '../../sim/types.js';
import { KOREAN_POLICY_WORDS } from '../language/koreanPolicy.js';
import { listEpisodes, readEpisodeFrames, readEpisodeRecord, readMeta, PROPRIO_KEYS, type DatasetMeta, type EpisodeRecord } from './dataset.js';

/** The most bytes one Uint8Array holds in this Node.js (4 GiB in Node 20): the frames are chunked to fit. */
export const MAX_FRAME_BYTES = constants.MAX_LENGTH;

export interface Episodes {
  imageSize: number;
  /** Samples per pixel side the frames were rendered with (DatasetMeta.supersampling; 1 when absent). */
  supersampling: number;
  /**
   * The kept frames of all episodes, concatenated: kept frame f at f * S * S * 3. With a frame stride k, an episode
   * keeps the frames of its steps t = offset, offset + k, ... only (see loadEpisodes); proprio and actions keep
   * every step. This and the other per-frame and per-step arrays live on SharedArrayBuffers: training's worker
   * threads read them without a copy (src/train/parallel/).
   */
  frames: Uint8Array[];
  /** Frames per chunk of `frames` and `segmentation` (the last chunk may hold fewer); see frameAt in batch.ts. */
  framesPerChunk: number;
  /** Every how many steps a frame is kept (1: all). */
  frameStride: number;
  /** Their segmentation masks: kept frame f at f * S * S; 0 = no object, i + 1 = scene object i. */
  segmentation: Uint8Array[];
  /** Per step (every step, whatever the frame stride): proprio (11) and action (5). */
  proprio: Float32Array;
  actions: Float32Array;
  /**
   * Per episode: first step (in proprio and actions), length in steps, first kept frame (in frames and
   * segmentation) and the first step whose frame is kept (0 <= frameOffset < frameStride), token ids, token mask,
   * command, task.
   */
  episodes: Array<{
    start: number;
    length: number;
    frameStart: number;
    frameOffset: number;
    ids: Int32Array;
    mask: Int32Array;
    command: string;
    task: string;
    /** Per token position: the segmentation id (object index + 1) of the object the word names, or 0. */
    referents: Int32Array;
    /** The command parsed (null if it does not parse): what a paraphrase must say again. */
    parsed: ParsedCommand | null;
    /** The referents of another wording of the command (a paraphrase) in this episode's scene. */
    referentsOf: (words: readonly string[]) => Int32Array;
    /** Per segmentation id (0: no object): the object's index in PATCH_KINDS and PATCH_COLOURS, -1 for none. */
    kindOf: Int8Array;
    colourOf: Int8Array;
  }>;
  unknownWords: Set<string>;
}

const A = 5;
const P = PROPRIO_KEYS.length;

/**
 * Reads the episodes to learn from in one or more dataset folders (all of one image size): their successful episodes
 * (a failed one shows the expert not solving the task, nothing to imitate).
 */
export function loadEpisodes(
  dirs: string | readonly string[],
  tokenizer: Tokenizer,
  maxWords: number,
  options: { onProgress?: (done: number, total: number) => void; maxFrameBytes?: number; frameStride?: number } = {},
): Episodes {
  const { onProgress, maxFrameBytes = MAX_FRAME_BYTES, frameStride = 1 } = options;
  if (!Number.isInteger(frameStride) || frameStride < 1) throw new Error(`frameStride must be a whole number >= 1, got ${frameStride}`);
  const list = typeof dirs === 'string' ? [dirs] : dirs;
  if (list.length === 0) throw new Error('no dataset folder given');
  const metas = list.map((dir) => ({ dir, meta: readMeta(dir), names: listEpisodes(dir) }));
  for (const m of metas) if (m.names.length === 0) throw new Error(`${m.dir}: no episodes (run vla collect first)`);
  const { imageSize: S, supersampling } = commonRendering(metas);
  const frameBytes = S * S * 3;
  // Pass 1, the records only: which episodes to learn from and how many frames they hold, so that the frames can
  // go straight into their arrays (never two copies of the data in memory at once).
  const used: Array<{ dir: string; name: string; record: EpisodeRecord }> = [];
  let total = 0; // steps
  let kept = 0; // frames
  for (const { dir, names } of metas) {
    for (const name of names) {
      const record = readEpisodeRecord(dir, name);
      if (record.success) {
        const offset = used.length % frameStride; // the episodes' kept steps take turns over the stride's phases
        used.push({ dir, name, record });
        total += record.steps;
        kept += keptFrames(record.steps, offset, frameStride);
      }
    }
  }
  if (used.length === 0) throw new Error(`${list.join(', ')}: no successful episodes to learn from`);
  // One typed array holds at most maxFrameBytes: the frames go in as many chunks of whole frames as they need.
  const framesPerChunk = Math.max(1, Math.floor(maxFrameBytes / frameBytes));
  const chunkSizes = Array.from({ length: Math.max(1, Math.ceil(kept / framesPerChunk)) }, (_, c) => Math.min(framesPerChunk, kept - c * framesPerChunk));
  const out: Episodes = {
    imageSize: S,
    supersampling,
    frames: chunkSizes.map((n) => new Uint8Array(new SharedArrayBuffer(n * frameBytes))),
    framesPerChunk,
    frameStride,
    segmentation: chunkSizes.map((n) => new Uint8Array(new SharedArrayBuffer(n * S * S))),
    proprio: new Float32Array(new SharedArrayBuffer(total * P * 4)),
    actions: new Float32Array(new SharedArrayBuffer(total * A * 4)),
    episodes: [],
    unknownWords: new Set(),
  };
  let f = 0; // steps so far
  let kf = 0; // kept frames so far
  for (const [read, { dir, name, record }] of used.entries()) {
    const { frames, segmentation } = readEpisodeFrames(dir, name, record, S);
    const offset = read % frameStride;
    const frameStart = kf;
    for (let t = offset; t < record.steps; t += frameStride, kf++) {
      const to = frameAt(out, kf);
      to.pixels.set(frames.subarray(t * frameBytes, (t + 1) * frameBytes));
      to.seg.set(segmentation.subarray(t * S * S, (t + 1) * S * S));
    }
    out.proprio.set(record.proprio, f * P);
    out.actions.set(record.actions, f * A);
    const enc = tokenizer.encode(record.command, maxWords);
    enc.unknown.forEach((w) => out.unknownWords.add(w));
    const referents = wordReferents(enc.words, record, maxWords);
    const names = { objects: record.objects, targetIndex: record.targetIndex, destinationIndex: record.destinationIndex };
    const referentsOf = (words: readonly string[]) => wordReferents(words, names, maxWords);
    const kindOf = Int8Array.from([-1, ...record.objects.map((o) => patchKindIndex(o.kind))]);
    const colourOf = Int8Array.from([-1, ...record.objects.map((o) => patchColourIndex(o.colour))]);
    out.episodes.push({ start: f, length: record.steps, frameStart, frameOffset: offset, ids: Int32Array.from(enc.ids), mask: Int32Array.from(enc.mask), command: record.command, task: record.task, referents, parsed: parseOrNull(record.command), referentsOf, kindOf, colourOf });
    f += record.steps;
    onProgress?.(read + 1, used.length);
  }
  return out;
}

/** The image size and supersampling that every dataset trained on together must share; throws on the first that differs. */
function commonRendering(metas: ReadonlyArray<{ dir: string; meta: DatasetMeta }>): { imageSize: number; supersampling: number } {
  const first = metas[0]!;
  const imageSize = first.meta.imageSize;
  const supersampling = first.meta.supersampling ?? 1;
  for (const m of metas) {
    if (m.meta.imageSize !== imageSize) {
      throw new Error(`${m.dir}: frames are ${m.meta.imageSize}x${m.meta.imageSize} but ${first.dir} has ${imageSize}x${imageSize}; datasets trained on together need one image size`);
    }
    const k = m.meta.supersampling ?? 1;
    if (k !== supersampling) {
      throw new Error(`${m.dir}: frames rendered with supersampling ${k} but ${first.dir} with ${supersampling} (meta.json); datasets trained on together need one rendering`);
    }
  }
  return { imageSize, supersampling };
}

function parseOrNull(command: string): ParsedCommand | null {
  try {
    return parseCommand(command);
  } catch {
    return null;
  }
}

/** The words that name an object: its colour and its nouns (ball/sphere, ..., bowl, plate), in English and Korean. */
function namesOf(o: { kind: string; colour: string }): Set<string> {
  const k = KOREAN_POLICY_WORDS;
  const korean = [k.colours[o.colour as Colour], k.shapes[o.kind as Shape] ?? k.receptacles[o.kind as Receptacle]].filter((w) => w !== undefined);
  return new Set([o.colour, o.kind, ...(SHAPE_NOUNS[o.kind as Shape] ?? []), ...korean]);
}

/**
 * Per token position, the segmentation id (object index + 1) of the object the word names: the target's colour
 * and noun, the destination's colour and noun. A word naming both (the same colour) names neither: it is ambiguous.
 */
export function wordReferents(words: readonly string[], record: Pick<EpisodeRecord, 'objects' | 'targetIndex' | 'destinationIndex'>, maxWords: number): Int32Array {
  const out = new Int32Array(maxWords);
  const target = record.objects[record.targetIndex];
  const dest = record.destinationIndex >= 0 ? record.objects[record.destinationIndex] : undefined;
  const tNames = target ? namesOf(target) : new Set<string>();
  const dNames = dest ? namesOf(dest) : new Set<string>();
  words.slice(0, maxWords).forEach((w, i) => {
    const t = tNames.has(w);
    const d = dNames.has(w);
    if (t && !d) out[i] = record.targetIndex + 1;
    else if (d && !t) out[i] = record.destinationIndex + 1;
  });
  return out;
}

export interface SampleRef {
  episode: number;
  t: number;
}

/** Frames an episode of `steps` steps keeps with this stride and phase. */
function keptFrames(steps: number, offset: number, stride: number): number {
  return offset < steps ? Math.floor((steps - 1 - offset) / stride) + 1 : 0;
}

/**
 * Splits episodes into training and validation samples (a seeded choice of whole episodes): one sample per kept
 * frame (every step with frame stride 1).
 */
export function splitSamples(data: Episodes, valFraction: number, seed: number): { train: SampleRef[]; val: SampleRef[] } {
  const rng = new Rng(`split:${seed}`);
  const order = rng.shuffle(data.episodes.map((_, i) => i));
  const nVal = Math.max(valFraction > 0 ? 1 : 0, Math.round(order.length * valFraction));
  const valSet = new Set(order.slice(0, nVal));
  const train: SampleRef[] = [];
  const val: SampleRef[] = [];
  data.episodes.forEach((e, i) => {
    for (let t = e.frameOffset; t < e.length; t += data.frameStride) (valSet.has(i) ? val : train).push({ episode: i, t });
  });
  return { train, val };
}

/** Builds a batch for the given samples (tensors; dispose with tf.dispose or disposeInputs); see batch.ts. */
export function makeBatch(data: Episodes, samples: readonly SampleRef[], o: BatchOptions, rng: Rng): PolicyBatch {
  return batchTensors(renderBatch(data, planBatch(data.episodes, samples, o, rng), o));
}

/** Per-sample action and proprio vectors (the first proprioDim numbers) of the training samples, for statistics. */
export function statsSamples(data: Episodes, train: readonly SampleRef[], proprioDim: number = P): { actions: Float32Array[]; proprio: Float32Array[] } {
  const actions: Float32Array[] = [];
  const proprio: Float32Array[] = [];
  for (const s of train) {
    const f = data.episodes[s.episode]!.start + s.t;
    actions.push(data.actions.subarray(f * A, (f + 1) * A));
    proprio.push(data.proprio.subarray(f * P, f * P + proprioDim));
  }
  return { actions, proprio };
}
