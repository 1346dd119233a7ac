/**
 * `vla collect`: runs the scripted expert and writes a demonstration dataset (see dataset.ts). The perturbations below
 * are fields of a recipe's dataset (src/recipe/Recipe.ts); `vla collect --recipe FILE` passes them here.
 *
 * Sharding: the plan is every (task, episode index) pair; shard i/N takes the indices e with e % N == i, so N machines
 * with the same --seed write disjoint parts that together make the whole plan. --workers W splits a shard further over
 * W child processes (one per core), each running shard i + N*w of N*W.
 *
 * DART (noise SIGMA; Laskey, Lee, Fox, Dragan and Goldberg 2017): the expert drives, but a seeded drift is added to
 * each move it executes, and the expert's own (clean) action is recorded. The expert steers from the state it is in, so
 * the data shows it coming back from small errors, with labels that never hesitate between two objects. The drift is a
 * vector of three N(0, SIGMA) components held for about 10 steps at a time (momentary noise averages out before the arm
 * leaves its path), off in half of those stretches (a steady drift holds the arm a few mm from where the expert steers
 * it and the expert, whose waypoints ask for 4 mm, would wait for ever), and off while the expert stands still
 * (closing, releasing, holding) so that grasps are not shaken apart.
 *
 * Missed grasps (misses P): in a seeded share P of the pick and place episodes, the first grasp is made to miss: for 14
 * steps from the moment the expert starts to close, the arm is held 4 to 5 cm to one side (across the fingers' closing
 * line) and closes on nothing there, while the recorded actions stay the expert's, which say "open, go back up and
 * approach again". Plain demonstrations never miss, so a cloned policy that closed beside an object had never seen what
 * to do next and waited there, closed, until the episode timed out.
 *
 * Stalls (stalls P): in a seeded share P of the episodes, once the arm is below 6 cm on its way down, it is moved 3 to
 * 5 cm to a random side and held still there for 15 to 25 steps, gripper as the expert has it; the labels stay the
 * expert's ("off course: back up and approach again"). A cloned policy's most common failure was to stand still low
 * beside an object until the timeout; plain demonstrations never stand still there, so it had not seen what to do next.
 * All of these live in ExpertPerturbation.ts.
 *
 * Siblings (siblings K): the plan's episodes come in groups of K on one scene (group g = index / K, its scene from the
 * seed of episode g); the first has the scene's own command, the others name other objects of the same scene
 * (sim/tasks/siblings.ts; the same destination for place), so the data holds frames that are the same up to the words
 * and actions that differ with them. Why: a cloned policy's failed pick and place episodes often come down by another
 * object than the named one.
 *
 * Confusers (confusers P): a seeded share P of the plan's scenes (with siblings, of the groups' scenes) are drawn again
 * for the same command with the objects most easily taken for its target added: one of its colour and another shape,
 * one of its shape and another colour (sim/tasks/confusers.ts). With siblings those are named first. Why: where a
 * cloned policy's target words point at another object, it is mostly one of the same colour and another shape; a random
 * scene seldom makes the shape matter. confuserShapes 'all' adds every other shape of the target's colour instead of
 * one (held-out combinations too, never named; sim/tasks/confusers.ts).
 *
 * Supersampling (the recipe policy's supersampling K): every frame (and its segmentation) is rendered at K times the
 * size and box-filtered down (sim/render/downsample.ts), as a real camera averages the light over each pixel; a policy
 * trained on it sets config.supersampling = K so that eval and run render its observations the same way. Why: at 64x64
 * an object is 4 to 6 px wide, and with one sample per pixel a ball, a cylinder and a cube are all hard-edged blobs
 * whose outline moves a whole pixel (1.5 cm of table) at a time.
 */
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { Environment } from '../../sim/env/Environment.js';
import { expertDriver } from '../../sim/env/Driver.js';
import { TASK_NAMES, confuserScene, siblingCommand, type ConfuserShapes, type TaskName } from '../../sim/tasks/index.js';
import { EE_ACTION_KEYS } from '../../sim/types.js';
import { proprioVector } from '../policy/normalization.js';
import { Rng, hashSeed } from '../../sim/util/Rng.js';
import { ExpertPerturbation } from './ExpertPerturbation.js';
import { z } from 'zod';
import { MAX_SUPERSAMPLING } from '../../sim/render/downsample.js';
import { removeStaleTemps } from '../io/files.js';
import { untilFirstFailure } from '../io/untilFirstFailure.js';
import { formatZodError } from '../io/zodIssues.js';
import {
  DATASET_FORMAT,
  DATASET_VERSION,
  MAX_DATASET_IMAGE_SIZE,
  PROPRIO_KEYS,
  episodeProblem,
  hasEpisode,
  removeEpisode,
  seedOf,
  writeEpisode,
  writeMeta,
} from './dataset.js';

export interface CollectOptions {
  out: string;
  tasks: TaskName[];
  episodes: number;
  seed: number;
  imageSize: number;
  shard: { index: number; count: number };
  workers: number;
  /** DART: the drift's standard deviation (m per step) added to the expert's executed moves; 0 or absent: none. */
  noise?: number | undefined;
  /** The share (0..1) of pick and place episodes whose first grasp is made to miss; 0 or absent: none. */
  misses?: number | undefined;
  /** The share (0..1) of episodes whose arm is parked beside its way down for a while; 0 or absent: none. */
  stalls?: number | undefined;
  /** The expert's blended phase changes (m; ExpertOptions.blend); 0 or absent: off. */
  blend?: number | undefined;
  /** Placing, the expert's release band (m; ExpertOptions.releaseBand); 0 or absent: off. */
  releaseBand?: number | undefined;
  /** Episodes per scene (see Siblings above); 1 or absent: every episode its own scene. */
  siblings?: number | undefined;
  /** The share (0..1) of scenes drawn with confusers (see Confusers above); 0 or absent: none. */
  confusers?: number | undefined;
  /** With confusers: one other shape of the target's colour, or all (see Confusers above); absent: 'one'. */
  confuserShapes?: ConfuserShapes | undefined;
  /** Samples per pixel side (see Supersampling above); 1 or absent: one sample at each pixel's centre. */
  supersampling?: number | undefined;
  /** Called after each episode (written or skipped). */
  onProgress?: (p: CollectProgress) => void;
  /** Asked before each episode: true stops the collection there (a worker whose coordinator has gone). */
  stopIf?: () => boolean;
}

export interface CollectProgress {
  done: number;
  total: number;
  written: number;
  skipped: number;
  successes: number;
  /** Of `written`, the episodes that were on disk but damaged (cut short, corrupted) and were collected again. */
  repaired?: number;
}

/**
 * The plan's settings, checked before anything is written or any worker starts: a bad value is a clear error of
 * the input (the same for every worker), never a worker's crash with "run again to resume".
 */
export const CollectSettingsSchema = z.object({
  out: z.string().min(1),
  tasks: z.array(z.enum(TASK_NAMES)).min(1),
  episodes: z.number().int().positive().max(10_000_000),
  seed: z.number().int().nonnegative().max(2 ** 31 - 1),
  imageSize: z.number().int().min(8).max(MAX_DATASET_IMAGE_SIZE),
  supersampling: z.number().int().min(1).max(MAX_SUPERSAMPLING).optional(),
  shard: z.object({ index: z.number().int().nonnegative(), count: z.number().int().positive() }).refine((s) => s.index < s.count, 'expected index < count'),
  workers: z.number().int().min(1).max(64),
});

export function checkCollectSettings(o: Pick<CollectOptions, keyof z.infer<typeof CollectSettingsSchema>>): void {
  const r = CollectSettingsSchema.safeParse({ out: o.out, tasks: o.tasks, episodes: o.episodes, seed: o.seed, imageSize: o.imageSize, supersampling: o.supersampling, shard: o.shard, workers: o.workers });
  if (!r.success) throw new Error(`collect: ${formatZodError(r.error)}`);
}

/** The (task, index) pairs of a shard, in a fixed order. */
export function shardPlan(tasks: TaskName[], episodes: number, shard: { index: number; count: number }) {
  const plan: Array<{ task: TaskName; index: number }> = [];
  for (let e = shard.index; e < episodes; e += shard.count) for (const task of tasks) plan.push({ task, index: e });
  return plan;
}

/** More shards than episodes any command collects would only be empty. */
const MAX_SHARDS = 10_000_000;

export function parseShard(value: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count || count > MAX_SHARDS) {
    throw new Error(`--shard: expected i/N with 0 <= i < N <= ${MAX_SHARDS} (e.g. 0/4), got "${value}"`);
  }
  return { index, count };
}

/** Writes (or checks, when resuming) the dataset's meta.json; removes temporary files of writers that died. */
function initDataset(o: Omit<CollectOptions, 'workers'>): void {
  removeStaleTemps(o.out);
  removeStaleTemps(join(o.out, 'episodes'));
  writeMeta(o.out, {
    format: DATASET_FORMAT,
    version: DATASET_VERSION,
    tasks: o.tasks,
    episodesPerTask: o.episodes,
    seed: o.seed,
    imageSize: o.imageSize,
    camera: 'scene',
    actionKeys: [...EE_ACTION_KEYS],
    proprioKeys: [...PROPRIO_KEYS],
    split: 'seen',
    created: new Date().toISOString(),
    ...(o.noise ? { noise: o.noise } : {}),
    ...(o.misses ? { misses: o.misses } : {}),
    ...(o.stalls ? { stalls: o.stalls } : {}),
    ...(o.blend ? { blend: o.blend } : {}),
    ...(o.releaseBand ? { releaseBand: o.releaseBand } : {}),
    ...(o.siblings && o.siblings > 1 ? { siblings: o.siblings } : {}),
    ...(o.confusers ? { confusers: o.confusers } : {}),
    ...(o.confusers && o.confuserShapes === 'all' ? { confuserShapes: 'all' as const } : {}),
    ...(o.supersampling && o.supersampling > 1 ? { supersampling: o.supersampling } : {}),
  });
}

/** Collects a shard in this process. */
export function collectInProcess(o: Omit<CollectOptions, 'workers'>): CollectProgress {
  checkCollectSettings({ ...o, workers: 1 });
  initDataset(o);
  const plan = shardPlan(o.tasks, o.episodes, o.shard);
  const supersampling = o.supersampling ?? 1;
  const env = new Environment({ cameras: [{ name: 'scene', width: o.imageSize, height: o.imageSize, segmentation: true, supersampling }] });
  const p: CollectProgress = { done: 0, total: plan.length, written: 0, skipped: 0, successes: 0 };
  for (const { task, index } of plan) {
    if (o.stopIf?.()) break;
    if (!needsCollecting(o, task, index, p)) {
      p.skipped++;
      p.done++;
      o.onProgress?.(p);
      continue;
    }
    const success = collectEpisode(env, o, task, index);
    p.written++;
    p.done++;
    if (success) p.successes++;
    o.onProgress?.(p);
  }
  return p;
}

/**
 * Whether plan entry (task, index) must be collected. Resuming trusts no file for being there: an episode on disk
 * that is not whole is removed (and counted in p.repaired) to be collected again, with the same seed and bytes.
 */
function needsCollecting(o: Pick<CollectOptions, 'out' | 'imageSize'>, task: TaskName, index: number, p: CollectProgress): boolean {
  if (!hasEpisode(o.out, task, index)) return true;
  if (episodeProblem(o.out, task, index, o.imageSize) === null) return false;
  removeEpisode(o.out, task, index);
  p.repaired = (p.repaired ?? 0) + 1;
  return true;
}

/** Runs and writes one episode of the plan (the expert, perturbed as the options ask); returns its success. */
function collectEpisode(env: Environment, o: Omit<CollectOptions, 'workers'>, task: TaskName, index: number): boolean {
  const frameBytes = o.imageSize * o.imageSize * 3;
  const maskBytes = o.imageSize * o.imageSize;
  const seed = seedOf(o.seed, task, index);
  let obs = resetForPlan(env, o, task, index, seed);
  const driver = expertDriver(seed, { ...(o.blend ? { blend: o.blend } : {}), ...(o.releaseBand ? { releaseBand: o.releaseBand } : {}) });
  driver.reset(env);
  const perturb = new ExpertPerturbation(seed, task, o);
  const frames: Uint8Array[] = [];
  const masks: Uint8Array[] = [];
  const actions: number[] = [];
  const proprio: number[] = [];
  let success = false;
  let reason = 'timeout';
  for (;;) {
    const a = driver.act(obs, env);
    const img = obs.images.scene!;
    frames.push(img.rgb.slice());
    masks.push(img.segmentation!.slice());
    proprio.push(...proprioVector(obs, true));
    actions.push(a.dx, a.dy, a.dz, a.dyaw, a.gripper);
    // The recorded action is the expert's own; the executed one carries the episode's perturbations, if any.
    const r = env.step(perturb.execute(a, obs));
    obs = r.observation;
    if (r.done) {
      success = r.info.success;
      reason = r.info.reason ?? 'timeout';
      break;
    }
  }
  const all = new Uint8Array(frames.length * frameBytes);
  frames.forEach((f, t) => all.set(f, t * frameBytes));
  const seg = new Uint8Array(masks.length * maskBytes);
  masks.forEach((m, t) => seg.set(m, t * maskBytes));
  const info = env.info;
  const target = info.scene.objects[info.target]!;
  writeEpisode(
    o.out,
    {
      task,
      index,
      seed,
      command: info.command,
      split: info.split,
      success,
      reason,
      steps: frames.length,
      actions,
      proprio,
      target: { kind: target.kind, colour: target.colour },
      objects: info.scene.objects.map((ob) => ({ kind: ob.kind, colour: ob.colour })),
      targetIndex: info.target,
      destinationIndex: info.destination,
      ...(perturb.injectedMiss ? { injectedMiss: true } : {}),
      ...(perturb.injectedStall ? { injectedStall: true } : {}),
    },
    all,
    seg,
  );
  return success;
}

/**
 * Resets `env` for plan entry (task, index): a scene and command sampled from the episode's seed, or with
 * o.siblings = K > 1 the scene of the group's first episode and, after the first, a sibling command on it (one naming
 * another object; the group's own command when the scene has none). With o.confusers = P, a seeded share P of those
 * scenes are drawn again with confusers (sim/tasks/confusers.ts) for the same command, and the siblings name the
 * objects sharing the target's colour or shape first (without it, scene order, as collections made before it).
 */
function resetForPlan(env: Environment, o: Pick<CollectOptions, 'seed' | 'siblings' | 'confusers' | 'confuserShapes'>, task: TaskName, index: number, seed: number) {
  const K = o.siblings ?? 1;
  const sceneSeed = K <= 1 ? seed : seedOf(o.seed, task, Math.floor(index / K));
  let first = env.reset({ seed: sceneSeed, task, split: 'seen' });
  if (o.confusers) {
    const rng = new Rng(hashSeed(`confusers:${sceneSeed}`));
    const scene = rng.nextFloat() < o.confusers ? confuserScene(env.info, env.info.command, rng, 'seen', o.confuserShapes ?? 'one') : null;
    if (scene) first = env.reset({ seed: sceneSeed, scene, command: env.info.command });
  }
  const k = index % K;
  if (K <= 1 || k === 0) return first;
  const command = siblingCommand(env.info, k, new Rng(hashSeed(`sibling:${seed}`)), 'seen', Boolean(o.confusers));
  return command ? env.reset({ seed: sceneSeed, scene: env.info.scene, command }) : first;
}

const binPath = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/vla.js');

/** Collects a shard, splitting it over `workers` child processes (one per core). */
export async function collect(o: CollectOptions): Promise<CollectProgress> {
  checkCollectSettings(o);
  if (o.workers <= 1) return collectInProcess(o);
  const total = shardPlan(o.tasks, o.episodes, o.shard).length;
  const per: CollectProgress[] = [];
  const report = () => {
    const sum = per.reduce(
      (a, b) => ({ done: a.done + b.done, total, written: a.written + b.written, skipped: a.skipped + b.skipped, successes: a.successes + b.successes, repaired: (a.repaired ?? 0) + (b.repaired ?? 0) }),
      { done: 0, total, written: 0, skipped: 0, successes: 0, repaired: 0 },
    );
    o.onProgress?.(sum);
    return sum;
  };
  // Write meta.json once, before the workers race to it.
  initDataset(o);
  await untilFirstFailure(
    Array.from({ length: o.workers }, (_, w) => (stop: AbortSignal) => {
      per.push({ done: 0, total: 0, written: 0, skipped: 0, successes: 0 });
      const shard = `${o.shard.index + o.shard.count * w}/${o.shard.count * o.workers}`;
      // The child gets the whole plan as JSON (a hidden option of vla collect): every perturbation travels with it.
      const { onProgress: _progress, stopIf: _stopIf, ...plan } = o;
      const args = [binPath, 'collect', '--plan', JSON.stringify({ ...plan, shard: parseShard(shard), workers: 1 }), '--progress-json'];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], signal: stop });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        try {
          per[w] = JSON.parse(line) as CollectProgress;
          report();
        } catch {
          /* not a progress line */
        }
      });
      return new Promise<void>((ok, fail) => {
        child.on('error', fail); // also the abort when another worker failed first
        // 'close', not 'exit': the last progress line may still be on its way at 'exit'.
        child.on('close', (code) => (code === 0 ? ok() : fail(new Error(`collect worker ${w} (shard ${shard}) exited with code ${code}; run again to resume`))));
      });
    }),
  );
  return report();
}


export const datasetPath = (name: string) => (name.includes('/') ? name : join('data', name));
