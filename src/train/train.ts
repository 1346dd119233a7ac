/**
 * `vla train`: behaviour cloning of the VLA policy on a demonstration dataset.
 *
 * Loss: the policy's own (L1 on normalised action deltas over the valid chunk steps + BCE on the gripper, plus
 * groundingWeight times the grounding loss: the words naming the target or destination should look at its patches,
 * from the dataset's segmentation masks; see VlaPolicy.lossTerms), Adam
 * with linear warm-up and cosine decay of the learning rate (Loshchilov & Hutter 2017), gradient clipping by
 * global norm. A validation split of whole episodes is scored every `evalEvery` steps.
 *
 * The output folder is always a loadable policy (written at every checkpoint), plus:
 *   metrics.jsonl   one JSON line per logged step: step, loss, val loss (and its terms), lr, samples/s, elapsed s
 *   loss.png        the loss curve (training and validation), redrawn at every checkpoint
 *   train-state.json  the step reached, the options, the sample stream's position and Adam's bias corrections
 *   train-weights.bin the trained weights (float32, trainable variables in order) when the saved ones are a moving
 *                     average (emaDecay), for resuming
 *   train-optimizer.bin Adam's first and second moments (float32), for resuming
 * Resume after a crash by running the same command again: training continues from the last checkpoint as the
 * uninterrupted run would have (the same weights at the end, on one backend with one worker; tested).
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import * as tf from '../tf/tf.js';
import { Rng } from '../../sim/util/Rng.js';
import { computeStats, disposeInputs, isResidualOutputWeight, loadPolicy, savePolicy, Tokenizer, VlaPolicy, type LossOptions, type PolicyConfig } from '../policy/index.js';
import { VOCABULARY } from '../../sim/tasks/language.js';
import { KOREAN_POLICY_VOCABULARY, readsKorean } from '../language/koreanPolicy.js';
import { loadEpisodes, makeBatch, splitSamples, statsSamples, type BatchOptions, type Episodes, type SampleRef } from './TrainData.js';
import { planBatch } from './batch.js';
import { adamBytes, checkResumeMatches, loadResumeCheckpoint, readAdamState, readTrainState, TRAIN_OPTIMIZER_FILE, TRAIN_STATE_FILE, type TrainState } from './trainState.js';
import { makeDir, writeAtomic } from '../io/files.js';
import { formatZodError } from '../io/zodIssues.js';
import { DataParallel } from './parallel/DataParallel.js';
import { FrameSampler } from './FrameSampler.js';
import { renderLossCurvePng } from '../viz/lossCurve.js';

/** Training options; every one may be given in the config file's "train" object. */
export const TrainOptionsSchema = z
  .object({
    steps: z.number().int().positive(),
    batchSize: z.number().int().positive(),
    learningRate: z.number().positive(),
    warmupSteps: z.number().int().nonnegative(),
    clipNorm: z.number().positive(),
    checkpointEvery: z.number().int().positive(),
    evalEvery: z.number().int().positive(),
    logEvery: z.number().int().positive(),
    valFraction: z.number().min(0).max(0.5),
    augment: z.boolean(),
    shiftPixels: z.number().int().min(0),
    groundingWeight: z.number().min(0),
    patchLabelWeight: z.number().min(0),
    frameStride: z.number().int().min(1),
    paraphrase: z.number().min(0).max(1),
    korean: z.number().min(0).max(1),
    unknownWords: z.number().min(0).max(1),
    keyFrameWeight: z.number().min(1),
    emaDecay: z.number().min(0).lt(1),
    workers: z.number().int().min(1).max(64),
    seed: z.number().int().nonnegative(),
  })
  .strict();
export type TrainOptions = z.infer<typeof TrainOptionsSchema>;

export const TRAIN_DEFAULTS: Readonly<TrainOptions> = Object.freeze({
  steps: 5000,
  batchSize: 32,
  learningRate: 1e-3,
  warmupSteps: 100,
  clipNorm: 1.0,
  checkpointEvery: 250,
  evalEvery: 250,
  logEvery: 25,
  valFraction: 0.05,
  augment: true,
  // The scene camera is fixed, so where an object is in the image says where it is on the table; a random shift of
  // s pixels blurs that by s / 64 of the view (4 px: about 6 cm, more than a grasp tolerates). Colour jitter stays.
  shiftPixels: 0,
  groundingWeight: 0.5,
  // The patch label loss (policy.patchLabels): cross-entropy of each patch's kind and colour against its object
  // pixels' (src/policy/PatchLabels.ts).
  patchLabelWeight: 0.5,
  // Learn from the frames of every k-th step of each episode (the episodes take turns over the k phases; the action
  // chunks still hold every step). Neighbouring frames are nearly the same picture, and all frames must fit one
  // array (4 GiB, about 350,000 frames of 64x64): a stride of 3 trains on three times the scenes in that memory.
  frameStride: 1,
  // The share of training samples whose command is replaced by a paraphrase: the same request in a recombination
  // of the seen templates' verbs, "please" and synonyms (sim/tasks/paraphrase.ts; never a held-out template).
  paraphrase: 0,
  // The share of training samples whose command is said in Korean, as the policy reads a Korean command: canonical
  // Korean words in Korean order, particles as words of their own (src/language/koreanPolicy.ts). A policy trained
  // from scratch with it gets the Korean words in its vocabulary. `paraphrase` applies to the samples not said in Korean.
  korean: 0,
  // The share of training samples with one unknown word ([UNK]) inserted at a random place in the command (after
  // paraphrase or Korean): words the policy does not know, or words where the seen phrasings have none, must not
  // change what it does (BatchOptions.unknownWords).
  unknownWords: 0,
  // Draw the frames that lead up to a grasp or a release (the expert's gripper label changes within the next
  // KEY_FRAME_WINDOW steps) this many times as often as the other frames of their episode, each episode keeping its
  // share of the draws (FrameSampler.ts); 1: every frame alike.
  keyFrameWeight: 1,
  // Validate and save an exponential moving average of the weights over the steps (WeightEma.ts; e.g. 0.999 spans
  // about the last 1000 steps) instead of the last step's weights; 0: no average.
  emaDecay: 0,
  // Data parallelism (src/train/parallel/): each step's batch is split over this many worker threads, each with its
  // own wasm backend and replica of the policy; their gradients are summed into the whole batch's, clipped and
  // applied once, so the weights equal one worker's up to float rounding. 1 trains in the calling thread.
  workers: Math.min(2, availableParallelism()),
  seed: 0,
});

export const TrainConfigFileSchema = z
  .object({ policy: z.record(z.string(), z.unknown()).optional(), train: z.record(z.string(), z.unknown()).optional() })
  .strict();

/** Reads a training config file: {"policy": {...PolicyConfig fields}, "train": {...TrainOptions fields}}. */
export function readTrainConfig(path: string): { policy: Partial<PolicyConfig>; train: Partial<TrainOptions> } {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : `not valid JSON (${(e as Error).message})`}`);
  }
  const top = TrainConfigFileSchema.safeParse(json);
  if (!top.success) throw new Error(`${path}: ${top.error.issues[0]!.path.join('.') || '(root)'}: ${top.error.issues[0]!.message} (expected {"policy": {...}, "train": {...}})`);
  const train = TrainOptionsSchema.partial().safeParse(top.data.train ?? {});
  if (!train.success) {
    throw new Error(`${path}: ${formatZodError(train.error, 'train', Object.keys(TrainOptionsSchema.shape))}`);
  }
  return { policy: (top.data.policy ?? {}) as Partial<PolicyConfig>, train: train.data as Partial<TrainOptions> };
}

export interface TrainProgress {
  step: number;
  steps: number;
  loss: number;
  valLoss: number | null;
  samplesPerSec: number;
  etaSec: number;
}

export interface TrainRun {
  /** Dataset folders (vla collect --out), trained on together. */
  data: string | readonly string[];
  /**
   * Start from this trained policy's weights, config and normalisation instead of a fresh policy (fine-tuning, e.g.
   * on new datasets); the step count and learning-rate schedule start over. Policy fields given with it may only add
   * parts (see extendPolicy). Ignored when resuming run.out.
   */
  init?: string | undefined;
  out: string;
  policy: Partial<PolicyConfig>;
  train: Partial<TrainOptions>;
  onProgress?: (p: TrainProgress) => void;
  log?: (line: string) => void;
}

export interface TrainResult {
  steps: number;
  seconds: number;
  finalLoss: number;
  finalValLoss: number | null;
  samplesPerSec: number;
  parameters: number;
  episodes: number;
  samples: number;
}

/** Learning rate at a step: linear warm-up, then cosine decay to 5% of the peak. */
export function learningRateAt(step: number, o: Pick<TrainOptions, 'steps' | 'learningRate' | 'warmupSteps'>): number {
  if (step < o.warmupSteps) return (o.learningRate * (step + 1)) / o.warmupSteps;
  const p = Math.min(1, (step - o.warmupSteps) / Math.max(1, o.steps - o.warmupSteps));
  return o.learningRate * (0.05 + 0.95 * 0.5 * (1 + Math.cos(Math.PI * p)));
}

/**
 * A trained policy with more parts: the config file's "policy" fields over the trained policy's config (e.g.
 * {"patchLabels": true}, {"visionLayers": 3}); every trained weight is kept, the new parts start fresh. A new
 * transformer block starts as the identity (its attention output and second FFN layer zero; function-preserving
 * growth as in Net2Net, Chen, Goodfellow & Shlens 2016), so a deeper vision, language or action stack first acts
 * exactly as the trained one did and learns from there; a new fusion block also moves the attention keypoints, which
 * read the last fusion layer's maps. A field that would change the shape of a trained weight, or drop one, is refused
 * by name. Disposes `base`.
 */
export function extendPolicy(base: VlaPolicy, fields: Partial<PolicyConfig>, name: string, log: (line: string) => void): VlaPolicy {
  let next: VlaPolicy;
  try {
    next = new VlaPolicy({ ...base.config, ...fields }, { tokenizer: base.tokenizer, stats: base.stats });
  } catch (e) {
    base.dispose();
    throw new Error(`--init ${name} with the config file's policy fields: ${(e as Error).message}`);
  }
  const weights = next.getWeights();
  const problems: string[] = [];
  for (const [key, w] of base.getWeights()) {
    const mine = weights.get(key);
    if (!mine) problems.push(`"${key}" would be dropped`);
    else if (mine.shape.join(',') !== w.shape.join(',')) problems.push(`"${key}" would change shape from [${w.shape.join(', ')}] to [${mine.shape.join(', ')}]`);
    else weights.set(key, w);
  }
  const added = [...weights.keys()].filter((k) => !base.namedVariables.has(k));
  base.dispose();
  if (problems.length > 0) {
    next.dispose();
    throw new Error(`--init ${name}: the policy fields ${JSON.stringify(fields)} do not only add parts to that policy: ${problems.join('; ')}`);
  }
  for (const key of added.filter(isResidualOutputWeight)) {
    const w = weights.get(key)!;
    weights.set(key, { shape: w.shape, data: new Float32Array(w.data.length) }); // zeros: the new block is the identity
  }
  next.setWeights(weights);
  log(`new parts (fresh weights): ${added.join(', ') || 'none'}`);
  return next;
}

/** The batches a training run builds for this policy and these options (the targets its loss terms use). */
export function trainBatchOptions(policy: VlaPolicy, o: TrainOptions, augment: boolean): BatchOptions {
  const c = policy.config;
  return {
    chunk: c.chunk,
    maxWords: c.maxWords,
    camera: c.cameras[0]!,
    augment,
    shift: o.shiftPixels,
    proprioDim: c.proprioDim,
    ...(o.groundingWeight > 0 ? { groundingGrid: policy.grid[0] } : {}),
    ...(c.patchLabels && o.patchLabelWeight > 0 ? { labelGrid: policy.grid[0] } : {}),
    ...(o.paraphrase > 0 ? { paraphrase: { p: o.paraphrase, tokenizer: policy.tokenizer } } : {}),
    ...(o.korean > 0 ? { korean: { p: o.korean, tokenizer: policy.tokenizer } } : {}),
    ...(o.unknownWords > 0 ? { unknownWords: o.unknownWords } : {}),
  };
}

/** The loss terms' weights of a training run. */
export function trainLossOptions(o: TrainOptions): LossOptions {
  return { groundingWeight: o.groundingWeight, labelWeight: o.patchLabelWeight };
}

/** The policy a run starts from: its own checkpoint when resuming, `run.init`'s weights, or a fresh policy. */
function startingPolicy(run: TrainRun, o: TrainOptions, resuming: boolean, log: (line: string) => void): { policy: VlaPolicy; startStep: number; resumed: TrainState | null } {
  let policy: VlaPolicy;
  let startStep = 0;
  let resumed: TrainState | null = null;
  if (resuming) {
    resumed = readTrainState(run.out);
    checkResumeMatches(run.out, resumed, o);
    policy = loadResumeCheckpoint(run.out);
    startStep = resumed.step;
    log(`resuming ${run.out} from step ${startStep}`);
  } else if (run.init) {
    policy = loadPolicy(run.init);
    if (Object.keys(run.policy).length > 0) policy = extendPolicy(policy, run.policy, run.init, log);
    log(`starting from the weights of ${run.init}`);
  } else {
    policy = new VlaPolicy(run.policy, o.korean > 0 ? { tokenizer: new Tokenizer([...VOCABULARY, ...KOREAN_POLICY_VOCABULARY]) } : {});
  }
  if (o.korean > 0 && !readsKorean(policy.tokenizer)) {
    policy.dispose();
    throw new Error(`training option korean ${o.korean}: the policy of ${run.init ?? run.out} has no Korean words in its vocabulary; train one from scratch with it`);
  }
  return { policy, startStep, resumed };
}

/**
 * Puts a resumed run back where it stopped: the trained weights beside a moving average, Adam's moments and the
 * sample stream's position, so it goes on as an uninterrupted run would. Checkpoints of older versions saved no
 * moments or stream position: those start over (said in the log).
 */
function restoreTrainingState(run: TrainRun, state: TrainState, parallel: DataParallel, rng: Rng, count: number, log: (line: string) => void): void {
  if (state.emaUpdates !== null) parallel.restoreTraining(readTrainWeights(join(run.out, TRAIN_WEIGHTS_FILE), count), state.emaUpdates);
  const adam = readAdamState(run.out, state, count);
  if (adam) parallel.restoreOptimizer(adam);
  if (state.rngState !== null) rng.setState(state.rngState);
  if (!adam || state.rngState === null) log('this checkpoint has no optimizer moments or sample-stream position (an older version wrote it): they start over');
}

/** The run's episodes, refused when their frames are not what the policy reads. */
function trainingData(run: TrainRun, policy: VlaPolicy, o: TrainOptions, log: (line: string) => void): Episodes {
  const c = policy.config;
  const dataName = typeof run.data === 'string' ? run.data : run.data.join(', ');
  log(`loading ${dataName}`);
  const data = loadEpisodes(run.data, policy.tokenizer, c.maxWords, { frameStride: o.frameStride });
  if (data.imageSize !== c.imageSize) {
    throw new Error(`${dataName}: frames are ${data.imageSize}x${data.imageSize} but the policy reads ${c.imageSize}x${c.imageSize} (set policy.imageSize or collect with --image-size ${c.imageSize})`);
  }
  if (data.supersampling !== c.supersampling) {
    throw new Error(
      `${dataName}: frames rendered with supersampling ${data.supersampling} (meta.json) but the policy's config.supersampling is ${c.supersampling}; ` +
        `set "policy": {"supersampling": ${data.supersampling}} in the config file (eval and run render the policy's images by it)`,
    );
  }
  if (data.unknownWords.size > 0) log(`words the tokenizer does not know (become [UNK]): ${[...data.unknownWords].join(', ')}`);
  return data;
}

type HistoryRow = { step: number; loss: number; valLoss: number | null };

/** The loss history of a resumed run; rows past the checkpoint describe steps about to be redone and are dropped. */
function restoreMetrics(metricsPath: string, startStep: number): HistoryRow[] {
  const history: HistoryRow[] = [];
  if (!existsSync(metricsPath)) return history;
  const kept: string[] = [];
  const lines = readFileSync(metricsPath, 'utf8').split('\n');
  const last = lines.findLastIndex((l) => l.trim() !== '');
  for (const [i, line] of lines.entries()) {
    if (!line.trim()) continue;
    let m: HistoryRow;
    try {
      m = JSON.parse(line) as HistoryRow;
    } catch {
      if (i === last) continue; // a row cut short when the run was killed mid-write
      throw new Error(`${metricsPath}:${i + 1}: not a JSON row of the loss history; remove the line to resume`);
    }
    if (m.step > startStep) continue;
    kept.push(line);
    history.push({ step: m.step, loss: m.loss, valLoss: m.valLoss });
  }
  writeAtomic(metricsPath, kept.length ? `${kept.join('\n')}\n` : '');
  return history;
}

type ValTerms = Record<'delta' | 'gripper' | 'grounding' | 'labels', number>;

/** The validation loss and its terms, means over the validation samples (null without any). */
function validationLoss(policy: VlaPolicy, data: Episodes, samples: readonly SampleRef[], o: TrainOptions, rng: Rng): { total: number; terms: ValTerms } | null {
  if (samples.length === 0) return null;
  const options = trainBatchOptions(policy, o, false);
  const lossOptions = trainLossOptions(o);
  const sum = [0, 0, 0, 0, 0];
  let n = 0;
  for (let i = 0; i < samples.length; i += 64) {
    const part = samples.slice(i, i + 64);
    const batch = makeBatch(data, part, options, rng);
    const l = tf.tidy(() => {
      const t = policy.lossTerms(batch, { training: false, ...lossOptions });
      return [t.total, t.delta, t.gripper, t.grounding, t.labels].map((x) => x.dataSync()[0]!);
    });
    disposeInputs(batch);
    l.forEach((v, k) => (sum[k] = sum[k]! + v * part.length));
    n += part.length;
  }
  return { total: sum[0]! / n, terms: { delta: sum[1]! / n, gripper: sum[2]! / n, grounding: sum[3]! / n, labels: sum[4]! / n } };
}

/** The trained weights a moving-average run saves beside its checkpoint, for resuming. */
const TRAIN_WEIGHTS_FILE = 'train-weights.bin';

/**
 * Writes a checkpoint: the policy (the moving average when there is one), the trained weights beside it when they
 * differ, the step reached and the loss curve.
 */
function saveCheckpoint(run: TrainRun, o: TrainOptions, step: number, rngState: number, policy: VlaPolicy, parallel: DataParallel, history: readonly HistoryRow[]): void {
  savePolicy(policy, run.out);
  const t = parallel.trainingState();
  if (t.emaUpdates !== null) writeAtomic(join(run.out, TRAIN_WEIGHTS_FILE), new Uint8Array(Float32Array.from(t.weights).buffer));
  writeAtomic(join(run.out, TRAIN_OPTIMIZER_FILE), adamBytes(t.adam));
  const adam = { accBeta1: t.adam.accBeta1, accBeta2: t.adam.accBeta2 };
  writeAtomic(join(run.out, TRAIN_STATE_FILE), JSON.stringify({ step, options: o, data: run.data, emaUpdates: t.emaUpdates, rngState, adam }, null, 2));
  writeAtomic(join(run.out, 'loss.png'), renderLossCurvePng(history, { title: `${run.out}: loss` }));
}

/** A run's options, its starting policy (normalisation set from the data when new) and its data, split. */
function prepareRun(run: TrainRun, log: (line: string) => void) {
  const resuming = existsSync(join(run.out, TRAIN_STATE_FILE));
  const given = TrainOptionsSchema.partial().safeParse(run.train);
  if (!given.success) throw new Error(`training options: ${given.error.issues[0]!.path.join('.')}: ${given.error.issues[0]!.message}`);
  const o: TrainOptions = { ...TRAIN_DEFAULTS, ...given.data };
  makeDir(run.out);
  const { policy, startStep, resumed } = startingPolicy(run, o, resuming, log);
  const data = trainingData(run, policy, o, log);
  const { train: trainSet, val } = splitSamples(data, o.valFraction, o.seed);
  if (!resuming && !run.init) {
    const s = statsSamples(data, trainSet, policy.config.proprioDim);
    policy.setStats(computeStats(s.actions, s.proprio));
  }
  log(`${data.episodes.length} episodes, ${trainSet.length} training and ${val.length} validation samples${o.frameStride > 1 ? ` (one frame in every ${o.frameStride} steps)` : ''}; ${policy.parameterCount} parameters`);
  return { o, policy, startStep, resumed, data, trainSet, val };
}

export async function train(run: TrainRun): Promise<TrainResult> {
  const log = run.log ?? (() => {});
  const { o, policy, startStep, resumed, data, trainSet, val } = prepareRun(run, log);
  const sampler = new FrameSampler(trainSet, data, { keyFrameWeight: o.keyFrameWeight });
  if (sampler.keyFrames > 0) log(`${sampler.keyFrames} of the training samples lead up to a grasp or a release, drawn ${o.keyFrameWeight} times as often`);
  const rng = new Rng(`train:${o.seed}:${startStep}`);
  const valRng = new Rng(`val:${o.seed}`);
  const valSamples = valRng.shuffle(val).slice(0, 256);
  const metricsPath = join(run.out, 'metrics.jsonl');
  const history = resumed ? restoreMetrics(metricsPath, startStep) : [];
  const t0 = performance.now();
  let lastVal: number | null = null;
  let valTerms: ValTerms | null = null;
  let smoothed = Number.NaN;
  let seen = 0;
  // The stream's position before the next step's samples are drawn: what a checkpoint after this step saves.
  let rngBeforeNext = 0;
  const save = (step: number) => saveCheckpoint(run, o, step, rngBeforeNext, policy, parallel, history);

  const trainOptions = trainBatchOptions(policy, o, o.augment);
  const parallel = await DataParallel.start({ policy, workers: o.workers, source: data, batchOptions: trainOptions, lossOptions: trainLossOptions(o), clipNorm: o.clipNorm, emaDecay: o.emaDecay });
  if (resumed) restoreTrainingState(run, resumed, parallel, rng, policy.parameterCount, log);
  if (parallel.workers > 1) log(`${parallel.workers} workers, each with ${Math.ceil(o.batchSize / parallel.workers)} of the ${o.batchSize} samples of a step`);
  try {
    // Each step's plans are drawn one step ahead, in the same rng order, so the replicas can render them early.
    const plansOf = () => planBatch(data.episodes, Array.from({ length: o.batchSize }, () => sampler.draw(rng)), trainOptions, rng);
    rngBeforeNext = rng.getState();
    let plans = startStep < o.steps ? plansOf() : [];
    for (let step = startStep; step < o.steps; step++) {
      rngBeforeNext = rng.getState();
      const next = step + 1 < o.steps ? plansOf() : undefined;
      const loss = await parallel.step(plans, learningRateAt(step, o), next);
      if (next) plans = next;
      seen += o.batchSize;
      smoothed = Number.isNaN(smoothed) ? loss : 0.95 * smoothed + 0.05 * loss;
      if (!Number.isFinite(loss)) throw new Error(`training diverged at step ${step} (loss ${loss}); the last checkpoint in ${run.out} is intact`);
      const done = step + 1;
      const evalNow = done % o.evalEvery === 0 || done === o.steps;
      if (evalNow || done % o.checkpointEvery === 0 || done === o.steps) parallel.syncPolicy();
      if (evalNow) {
        const v = validationLoss(policy, data, valSamples, o, valRng);
        lastVal = v?.total ?? null;
        valTerms = v?.terms ?? null;
      }
      const elapsed = (performance.now() - t0) / 1000;
      const sps = seen / elapsed;
      if (done % o.logEvery === 0 || evalNow) {
        const valLoss = evalNow ? lastVal : null;
        const row = { step: done, loss: smoothed, batchLoss: loss, valLoss, ...(evalNow && valTerms ? { valTerms } : {}), lr: learningRateAt(step, o), samplesPerSec: sps, elapsed };
        appendFileSync(metricsPath, `${JSON.stringify(row)}\n`);
        history.push({ step: done, loss: smoothed, valLoss });
      }
      run.onProgress?.({ step: done, steps: o.steps, loss: smoothed, valLoss: lastVal, samplesPerSec: sps, etaSec: ((o.steps - done) * o.batchSize) / sps });
      if (done % o.checkpointEvery === 0 || done === o.steps) save(done);
    }
  } finally {
    await parallel.close();
  }
  if (startStep >= o.steps) save(o.steps);
  const seconds = (performance.now() - t0) / 1000;
  const result: TrainResult = {
    steps: o.steps,
    seconds,
    finalLoss: smoothed,
    finalValLoss: lastVal,
    samplesPerSec: seen / Math.max(seconds, 1e-9),
    parameters: policy.parameterCount,
    episodes: data.episodes.length,
    samples: trainSet.length + val.length,
  };
  policy.dispose();
  return result;
}

/** The trained weights a moving-average run saved beside its checkpoint (TRAIN_WEIGHTS_FILE). */
function readTrainWeights(path: string, count: number): Float32Array {
  if (!existsSync(path)) throw new Error(`${path}: not found; this run saves a moving average of its weights and needs the trained ones to resume (start again in a new folder)`);
  const bytes = readFileSync(path);
  if (bytes.byteLength !== count * 4) throw new Error(`${path}: ${bytes.byteLength} bytes, expected ${count * 4} (${count} float32 weights)`);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
