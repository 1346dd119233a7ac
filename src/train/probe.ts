/**
 * `vla probe`: how well a trained policy's patch tokens tell what is in each patch, measured with a linear probe
 * (Alain & Bengio 2016, "Understanding intermediate layers using linear classifier probes").
 *
 * The policy is frozen; a fresh patch label head (src/policy/PatchLabels.ts: a linear layer from each patch token
 * to kind and colour logits) is trained on the training episodes' frames with the patch label loss, then asked about
 * the validation episodes' frames. What it gets right there is what the tokens carry in a linearly readable form:
 * if the words are to tell a red ball from a red cube by attending to patch tokens, the tokens must say which is
 * which. A policy trained with `patchLabels` is probed with a fresh head too, so that policies compare alike.
 *
 * Counted: validation patches whose labelled pixels are all one object and at least PATCH_LABEL_FULL_PIXELS of them
 * (weight 1 in the loss); per kind, what the probe said (a confusion row), and the share of colours right.
 */
import * as tf from '../tf/tf.js';
import { Rng } from '../../sim/util/Rng.js';
import { disposeInputs, loadPolicy, PATCH_COLOURS, PATCH_KINDS, PATCH_LABEL_PREFIX, VlaPolicy } from '../policy/index.js';
import { loadEpisodes, makeBatch, splitSamples, type BatchOptions, type Episodes, type SampleRef } from './TrainData.js';

export interface ProbeOptions {
  /** Probe training steps (Adam, lr 3e-3). Default 600. */
  steps?: number;
  /** Samples per step. Default 64. */
  batchSize?: number;
  /** Validation frames asked (at most). Default 2000. */
  frames?: number;
  /** Keep one frame in every k steps of each episode when loading (as train.frameStride). Default 4. */
  frameStride?: number;
  /** Share of the episodes held out for the answers. Default 0.1. */
  valFraction?: number;
  seed?: number;
  onProgress?: (step: number, steps: number, loss: number) => void;
}

export interface ProbeKindRow {
  kind: string;
  patches: number;
  right: number;
  /** What the probe said for this kind's patches, by kind. */
  said: Record<string, number>;
}

export interface ProbeResult {
  policy: string;
  /** Validation frames asked and the single-object patches counted in them. */
  frames: number;
  patches: number;
  kinds: ProbeKindRow[];
  kindAccuracy: number;
  colourAccuracy: number;
  /** The probe's training loss at its last step. */
  finalLoss: number;
  steps: number;
}

const argmax = (a: ArrayLike<number>, from: number, n: number): number => {
  let best = 0;
  for (let j = 1; j < n; j++) if (a[from + j]! > a[from + best]!) best = j;
  return best;
};

/**
 * The probe's answers on held-out frames: said[k][j] counts the one-object patches of kind k the head called kind j;
 * colourRight, those whose colour it got right, out of patches.
 */
function scoreProbe(policy: VlaPolicy, episodes: Episodes, asked: readonly SampleRef[], batchOptions: BatchOptions, rng: Rng): { said: number[][]; colourRight: number; patches: number } {
  const NK = PATCH_KINDS.length;
  const NC = PATCH_COLOURS.length;
  const said = Array.from({ length: NK }, () => new Array<number>(NK).fill(0));
  let colourRight = 0;
  let patches = 0;
  for (let i = 0; i < asked.length; i += 100) {
    const batch = makeBatch(episodes, asked.slice(i, i + 100), batchOptions, rng);
    const logits = tf.tidy(() => policy.forward(batch, { patchLabels: true }).patchLabels!.dataSync()); // [B, P, NK + NC]
    const kind = batch.patchKind!.dataSync(); // [B, P, NK]
    const colour = batch.patchColour!.dataSync(); // [B, P, NC]
    const weight = batch.patchLabelWeight!.dataSync(); // [B, P]
    for (let p = 0; p < weight.length; p++) {
      if (weight[p]! < 1) continue;
      const k = argmax(kind, p * NK, NK);
      const cc = argmax(colour, p * NC, NC);
      if (kind[p * NK + k]! < 0.999 || colour[p * NC + cc]! < 0.999) continue; // pixels of more than one object
      said[k]![argmax(logits, p * (NK + NC), NK)]! += 1;
      if (argmax(logits, p * (NK + NC) + NK, NC) === cc) colourRight++;
      patches++;
    }
    disposeInputs(batch);
  }
  return { said, colourRight, patches };
}

export function probePatchTokens(policyDir: string, data: string | readonly string[], o: ProbeOptions = {}): ProbeResult {
  const steps = o.steps ?? 600;
  const batchSize = o.batchSize ?? 64;
  const seed = o.seed ?? 0;
  const base = loadPolicy(policyDir);
  // The same policy with a fresh head: every trained weight but the head's.
  const policy = new VlaPolicy({ ...base.config, patchLabels: true }, { tokenizer: base.tokenizer, stats: base.stats });
  const weights = policy.getWeights();
  for (const [k, w] of base.getWeights()) if (!k.startsWith(PATCH_LABEL_PREFIX)) weights.set(k, w);
  base.dispose();
  policy.setWeights(weights);
  const head = [...policy.namedVariables].filter(([k]) => k.startsWith(PATCH_LABEL_PREFIX)).map(([, v]) => v);
  const optimizer = tf.train.adam(3e-3);
  try {
    const c = policy.config;
    const episodes = loadEpisodes(data, policy.tokenizer, c.maxWords, { frameStride: o.frameStride ?? 4 });
    if (episodes.imageSize !== c.imageSize || episodes.supersampling !== c.supersampling) {
      throw new Error(
        `${[data].flat().join(', ')}: frames of ${episodes.imageSize}x${episodes.imageSize} rendered with supersampling ${episodes.supersampling} (meta.json), ` +
          `but ${policyDir} sees ${c.imageSize}x${c.imageSize} with supersampling ${c.supersampling}; probe it on data collected as it was trained (vla collect --image-size, --supersampling)`,
      );
    }
    const { train, val } = splitSamples(episodes, o.valFraction ?? 0.1, seed);
    if (train.length === 0 || val.length === 0) throw new Error(`${[data].flat().join(', ')}: too few episodes to hold some out for the probe's answers`);
    const batchOptions: BatchOptions = { chunk: c.chunk, maxWords: c.maxWords, camera: c.cameras[0]!, augment: false, proprioDim: c.proprioDim, labelGrid: policy.grid[0] };
    const rng = new Rng(`probe:${seed}`);
    let finalLoss = Number.NaN;
    for (let s = 0; s < steps; s++) {
      const refs = Array.from({ length: batchSize }, () => train[rng.int(0, train.length - 1)]!);
      const batch = makeBatch(episodes, refs, batchOptions, rng);
      const cost = optimizer.minimize(() => policy.lossTerms(batch, { training: false, labelWeight: 1 }).labels, true, head);
      finalLoss = cost!.dataSync()[0]!;
      cost!.dispose();
      disposeInputs(batch);
      o.onProgress?.(s + 1, steps, finalLoss);
    }

    const asked = rng.shuffle([...val]).slice(0, o.frames ?? 2000);
    const { said, colourRight, patches } = scoreProbe(policy, episodes, asked, batchOptions, rng);
    const kinds = PATCH_KINDS.map((kind, k) => ({
      kind,
      patches: said[k]!.reduce((a, v) => a + v, 0),
      right: said[k]![k]!,
      said: Object.fromEntries(PATCH_KINDS.map((name, j) => [name, said[k]![j]!])),
    }));
    const right = kinds.reduce((a, r) => a + r.right, 0);
    return {
      policy: policyDir,
      frames: asked.length,
      patches,
      kinds,
      kindAccuracy: right / Math.max(patches, 1),
      colourAccuracy: colourRight / Math.max(patches, 1),
      finalLoss,
      steps,
    };
  } finally {
    optimizer.dispose();
    policy.dispose();
  }
}

/** The result as lines of text. */
export function formatProbe(r: ProbeResult): string {
  const pct = (a: number, b: number) => `${((100 * a) / Math.max(b, 1)).toFixed(1)}%`;
  const lines = [`${r.policy}: a linear probe (${r.steps} steps) on the patch tokens, asked about ${r.patches} single-object patches of ${r.frames} held-out frames`];
  for (const k of r.kinds) {
    lines.push(`  ${k.kind.padEnd(9)} ${String(k.patches).padStart(6)} patches, ${pct(k.right, k.patches).padStart(6)} right; said ${Object.entries(k.said).map(([n, v]) => `${n} ${v}`).join(', ')}`);
  }
  lines.push(`kind right in ${pct(r.kindAccuracy, 1)}, colour right in ${pct(r.colourAccuracy, 1)} of the patches`);
  return lines.join('\n');
}
