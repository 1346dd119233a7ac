/**
 * The policy's configuration: every size of the model in one typed, frozen object.
 *
 * `DEFAULT_POLICY_CONFIG` documents each default; `PolicyConfigSchema` (zod) holds every field's rule; and
 * `resolvePolicyConfig(partial)` fills in the defaults, checks the whole thing and either returns a new frozen object
 * (the argument is never modified) or throws one Error that lists every problem with its field, its value and why.
 *
 * The default model (see README, "The policy"): a 64x64 image from the "scene" camera goes through a small conv
 * stem and is cut into an 8x8 grid of 8x8-pixel patches (64 patch tokens, ViT, Dosovitskiy et al. 2021); the
 * command's words become word tokens; the words look at the patches through cross-attention (Perceiver / Flamingo
 * style, Jaegle et al. 2021, Alayrac et al. 2022); K = 8 learned action queries read the fused words and the
 * proprioception token and predict the next 8 end-effector actions at once (action chunking, ACT, Zhao et al. 2023).
 */
import { SCORE_KINDS, type ScoreKind } from '../attention/index.js';
import { EE_ACTION_KEYS } from '../../sim/types.js';
import { MAX_SUPERSAMPLING } from '../../sim/render/downsample.js';
import { z } from 'zod';

export { SCORE_KINDS, type ScoreKind };

/**
 * How the words meet the image. 'cross': cross-attention, the words are queries and the patches keys and values
 * (Perceiver / Flamingo style); each word gets a map over the patches. 'concat': the words and patches joined in one
 * token stream with self-attention over all of it, as token-concatenation VLAs do (RT-2, OpenVLA); a word's map is
 * its attention on the patches, renormalised over them. 'concat' is the baseline of `vla experiment attention`.
 */
export const FUSIONS = ['cross', 'concat'] as const;
export type Fusion = (typeof FUSIONS)[number];

/** The nonlinearity inside every feed-forward block. 'gelu' is the sigmoid approximation x * sigmoid(1.702 x). */
export const ACTIVATIONS = ['gelu', 'relu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export interface PolicyConfig {
  /** Side of the square RGB image the policy sees, in pixels (camera images must have this size). */
  imageSize: number;
  /** Camera names (keys of Observation.images) the policy reads, in order; they share one vision encoder. */
  cameras: readonly string[];
  /**
   * How the simulator renders this policy's camera images: k x k samples per pixel, averaged (supersampling
   * anti-aliasing, sim/render/downsample.ts), so that a 4 px object's outline and position show inside its pixels
   * as a real camera's would. It says nothing about the network; it must match the data the policy is trained on
   * (a recipe's datasets are rendered by it) and every simulated observation it is given (eval, run, viewer).
   * Default 4 (checkpoints written before this field existed were rendered with 1, one sample at each pixel's
   * centre, and load as such).
   */
  supersampling: number;
  /** A small conv stem before patching: conv3x3 (stride 1) -> relu -> conv3x3 (stride 1), NHWC. */
  convStem: boolean;
  /** Output channels of both stem convolutions (ignored without the stem). */
  stemChannels: number;
  /**
   * Space-to-depth factor f applied to the image first: every f x f block of pixels becomes one pixel of f*f*3
   * channels (lossless; "pixel unshuffle", Shi et al. 2016), so the stem runs at (imageSize/f)^2 positions. A
   * 128x128 image with f = 2 costs the stem about what a 64x64 image costs with f = 1, yet keeps every pixel:
   * objects are twice as many pixels wide. Must divide imageSize and patchSize (patchSize stays in image pixels).
   * Default 1 (none).
   */
  spaceToDepth: number;
  /** Side of a square patch in pixels; imageSize / patchSize patches per row and per column. */
  patchSize: number;
  /** Token width E of every transformer in the model. */
  width: number;
  /** Attention heads per layer; must divide width. */
  heads: number;
  /** Self-attention layers over the patch tokens (ViT encoder). */
  visionLayers: number;
  /** Self-attention layers over the word tokens. */
  languageLayers: number;
  /** Fusion layers: words look at patches (cross-attention, or self-attention over both: `fusion`); a map per word each. */
  fusionLayers: number;
  /** How the words meet the image in the fusion layers (see FUSIONS). Default 'cross'. */
  fusion: Fusion;
  /** Cross-attention layers: action queries (each plus the proprio token) look at the fused words (ACT-style decoder). */
  actionLayers: number;
  /** Hidden width of the feed-forward blocks = ffnMult * width. */
  ffnMult: number;
  /**
   * How a word scores a patch in the fusion layers: 'dot' (Vaswani 2017) or 'additive' (Bahdanau 2015). The
   * encoders' self-attention and the action decoder always use dot products.
   */
  scoreKind: ScoreKind;
  /** Nonlinearity of the feed-forward blocks. */
  activation: Activation;
  /** Words per command; longer commands are truncated (and the truncation reported). */
  maxWords: number;
  /** K: future actions predicted at once (action chunking, ACT). */
  chunk: number;
  /** Numbers per action: dx, dy, dz, dyaw (normalised deltas) and a gripper logit. Fixed by EE_ACTION_KEYS. */
  actionDim: number;
  /**
   * Proprioception numbers: the arm joints, gripper opening (0..1), holding (0/1), and with eeProprio the end
   * effector's pose (x, y, z, yaw): 5 + 2 + 4 = 11 for the simulated arm.
   */
  proprioDim: number;
  /**
   * Append the end effector's pose (from forward kinematics) to the proprioception. Actions are end-effector
   * deltas in the world frame, so the pose saves the network from learning forward kinematics itself. Default true.
   */
  eeProprio: boolean;
  /**
   * Attention keypoints: each word's cross-attention map of the last fusion layer, per head, gives an expected
   * patch position (x, y in [-1, 1]; the "spatial soft-argmax" of Levine et al. 2016, "End-to-end training of deep
   * visuomotor policies"); a linear layer adds these 2 * heads numbers to the word's token. Where a word looks
   * becomes something the action decoder reads directly. Default true.
   */
  attentionKeypoints: boolean;
  /**
   * Patch labels: an auxiliary head on the vision encoder's patch tokens says what kind (ball, cube, cylinder, bowl,
   * plate) and colour of object each patch holds, trained by its own loss (`patchLabelWeight`) from the
   * segmentation and the scene's objects, for every object of every frame, named or not (src/policy/PatchLabels.ts).
   * It teaches the tokens the words attend to to carry shape; the actions do not read it. Default true.
   */
  patchLabels: boolean;
  /** Dropout on the embeddings and on every residual branch while training; 0 disables it. */
  dropout: number;
  /** Seed of the initial weights (and of the dropout masks). */
  seed: number;
}

/** Every field with its default. */
export const DEFAULT_POLICY_CONFIG: Readonly<PolicyConfig> = Object.freeze({
  imageSize: 64,
  cameras: Object.freeze(['scene']),
  supersampling: 4,
  convStem: true,
  stemChannels: 16,
  spaceToDepth: 1,
  patchSize: 8,
  width: 64,
  heads: 4,
  visionLayers: 2,
  languageLayers: 1,
  fusionLayers: 1,
  fusion: 'cross',
  actionLayers: 1,
  ffnMult: 2,
  scoreKind: 'dot',
  activation: 'gelu',
  maxWords: 12,
  chunk: 8,
  actionDim: EE_ACTION_KEYS.length,
  proprioDim: 11,
  eeProprio: true,
  attentionKeypoints: true,
  patchLabels: true,
  dropout: 0,
  seed: 0,
} as const satisfies PolicyConfig);

export type ResolvedPolicyConfig = Readonly<PolicyConfig>;

const FIELDS = Object.keys(DEFAULT_POLICY_CONFIG) as Array<keyof PolicyConfig>;

/** A value as the error messages quote it: strings in quotes, arrays and objects as JSON. */
const show = (v: unknown): string => {
  if (v === undefined) return 'undefined';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
};

/** An error message that quotes the value it refuses: "(7) must be a positive integer: why". */
const says = (rule: string) => (issue: { input?: unknown }) => `(${show(issue.input)}) must be ${rule}`;

/** An integer field in [min, max] with its default; `why` says what the number is. */
function integer(k: keyof PolicyConfig, min: number, why: string, max = Infinity) {
  const rule = max < Infinity ? `an integer from ${min} to ${max}` : min === 1 ? 'a positive integer' : `an integer >= ${min}`;
  const error = says(`${rule}: ${why}`);
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error }).default(DEFAULT_POLICY_CONFIG[k] as number);
}

function flag(k: keyof PolicyConfig) {
  return z.boolean({ error: says('true or false') }).default(DEFAULT_POLICY_CONFIG[k] as boolean);
}

function oneOf<const T extends readonly [string, ...string[]]>(k: keyof PolicyConfig, values: T) {
  return z.enum(values, { error: says(`one of ${values.map(show).join(', ')}`) }).default(DEFAULT_POLICY_CONFIG[k] as T[number]);
}

const camerasField = z
  .array(z.string({ error: says('a camera name') }).refine((n) => n.trim() !== '', { error: says('a non-empty camera name: cameras are keys of Observation.images') }), {
    error: says('a non-empty array of camera names: the policy needs an image'),
  })
  .min(1, { error: says('a non-empty array of camera names: the policy needs an image') })
  .refine((names) => new Set(names).size === names.length, { error: (issue) => `(${show(issue.input)}) must not repeat a name: each camera gets its own patch tokens` })
  .default([...DEFAULT_POLICY_CONFIG.cameras]);

/**
 * Every field, its default and its rule; then the rules between fields (whole patches, heads dividing the width,
 * ...), checked even when other fields are wrong so that one error lists every problem.
 */
export const PolicyConfigSchema = z
  .strictObject({
    imageSize: integer('imageSize', 1, 'the side of the square camera image in pixels'),
    cameras: camerasField,
    supersampling: integer('supersampling', 1, 'samples per pixel side when the simulator renders the images', MAX_SUPERSAMPLING),
    convStem: flag('convStem'),
    stemChannels: integer('stemChannels', 1, 'the channels of the conv stem'),
    spaceToDepth: integer('spaceToDepth', 1, 'the side of the pixel blocks folded into channels (1 = none)'),
    patchSize: integer('patchSize', 1, 'the side of a square patch in pixels'),
    width: integer('width', 1, 'the token width of every transformer'),
    heads: integer('heads', 1, 'the number of attention heads'),
    visionLayers: integer('visionLayers', 0, 'the self-attention layers over patches (0 = patch embeddings only)'),
    languageLayers: integer('languageLayers', 0, 'the self-attention layers over words (0 = word embeddings only)'),
    fusionLayers: integer('fusionLayers', 1, 'without a words-to-patches cross-attention layer the policy would never see the image'),
    fusion: oneOf('fusion', FUSIONS),
    actionLayers: integer('actionLayers', 1, 'the action queries need at least one layer to read the words and proprioception'),
    ffnMult: integer('ffnMult', 1, 'the feed-forward hidden width is ffnMult * width'),
    scoreKind: oneOf('scoreKind', SCORE_KINDS),
    activation: oneOf('activation', ACTIVATIONS),
    maxWords: integer('maxWords', 1, 'the number of word tokens per command'),
    chunk: integer('chunk', 1, 'the number of future actions predicted at once'),
    actionDim: z
      .literal(EE_ACTION_KEYS.length, { error: says(`${EE_ACTION_KEYS.length}: an action is ${EE_ACTION_KEYS.join(', ')} (EE_ACTION_KEYS)`) })
      .default(EE_ACTION_KEYS.length),
    proprioDim: integer('proprioDim', 1, 'the length of the proprioception vector (5 joints + gripper opening + holding (+ 4 with eeProprio) = 7 or 11)'),
    eeProprio: flag('eeProprio'),
    attentionKeypoints: flag('attentionKeypoints'),
    patchLabels: flag('patchLabels'),
    dropout: z
      .number({ error: says('a number in [0, 1): the probability of zeroing an activation') })
      .min(0, { error: says('a number in [0, 1): the probability of zeroing an activation') })
      .lt(1, { error: says('a number in [0, 1): the probability of zeroing an activation') })
      .default(DEFAULT_POLICY_CONFIG.dropout),
    seed: integer('seed', 0, 'it seeds the initial weights', 0xffffffff),
  })
  .superRefine(
    (c, ctx) => {
      const int = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;
      const problem = (path: keyof PolicyConfig, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
      if (int(c.imageSize) && int(c.patchSize) && c.imageSize % c.patchSize !== 0) {
        problem('patchSize', `(${c.patchSize}) must divide imageSize (${c.imageSize}): the image is cut into whole patches`);
      }
      if (int(c.spaceToDepth) && c.spaceToDepth > 1) {
        for (const k of ['imageSize', 'patchSize'] as const) {
          if (int(c[k]) && c[k] % c.spaceToDepth !== 0) {
            problem('spaceToDepth', `(${c.spaceToDepth}) must divide ${k} (${c[k]}): blocks of ${c.spaceToDepth}x${c.spaceToDepth} pixels are folded into channels`);
          }
        }
      }
      if (int(c.width) && int(c.heads) && c.width % c.heads !== 0) {
        problem('heads', `(${c.heads}) must divide width (${c.width}): each head gets width/heads columns`);
      }
      if (typeof c.eeProprio === 'boolean' && int(c.proprioDim) && c.proprioDim < (c.eeProprio ? 7 : 3)) {
        problem('proprioDim', `(${c.proprioDim}) is too small: it counts the joints, gripper opening and holding${c.eeProprio ? ', and the 4 numbers of the end-effector pose (eeProprio)' : ''}`);
      }
    },
    { when: () => true },
  );

/** One problem as a line: "patchSize (7) must divide imageSize (64): ...", 'unknown field "widht": the fields are ...'. */
function problemLines(issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => `unknown field "${k}": the fields are ${FIELDS.join(', ')}`);
  const field = issue.path.map((k, i) => (typeof k === 'number' ? `[${k}]` : `${i ? '.' : ''}${String(k)}`)).join('');
  return [`${field} ${issue.message}`];
}

/**
 * Fills in defaults, checks every field and returns a new frozen config (the argument is never modified). Throws one
 * Error listing every problem, e.g. "patchSize (7) must divide imageSize (64): the image is cut into whole patches".
 */
export function resolvePolicyConfig(partial: Partial<PolicyConfig> = {}): ResolvedPolicyConfig {
  if (partial === null || typeof partial !== 'object' || Array.isArray(partial)) {
    throw new Error(`invalid policy config: expected an object of fields, got ${show(partial)}`);
  }
  const r = PolicyConfigSchema.safeParse(partial);
  if (!r.success) {
    const problems = r.error.issues.flatMap(problemLines);
    throw new Error(`invalid policy config (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n  - ${problems.join('\n  - ')}`);
  }
  const c: PolicyConfig = r.data;
  return Object.freeze({ ...c, cameras: Object.freeze([...c.cameras]) });
}

/** Patches per image row and column, and in total. */
export function patchGrid(c: ResolvedPolicyConfig): { gh: number; gw: number; patches: number } {
  const g = c.imageSize / c.patchSize;
  return { gh: g, gw: g, patches: g * g };
}
