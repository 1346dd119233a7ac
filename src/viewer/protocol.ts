/**
 * The viewer's websocket protocol. Browser -> server messages are JSON objects with an `op`, each checked with zod
 * before anything acts on it; server -> browser messages are JSON objects with a `type`.
 *
 *   run    {op, command, driver, seed, scene?}  reset to a scene (seeded random, or a shipped scene) and run an episode
 *   reset  {op, seed, scene?, command?}         show the start of an episode without running it ("new scene", "reset")
 *   stop   {op}                                 stop the running episode where it is
 *   stats  {op}                                 server figures: memory, clients, frames sent and dropped
 */
import { z } from 'zod';
import { MAX_SEED } from '../../sim/types.js';

export const DRIVERS = ['policy', 'expert'] as const;
export type DriverName = (typeof DRIVERS)[number];

export const CLIENT_OPS = ['run', 'reset', 'stop', 'stats'] as const;
export type ClientOp = (typeof CLIENT_OPS)[number];

/** Largest message a browser may send; anything bigger closes that connection (ws maxPayload). */
export const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;
export const MAX_COMMAND_LENGTH = 200;
export { MAX_SEED };

const seed = z.number().int().min(0).max(MAX_SEED);
const command = z.string().trim().min(1, 'the command is empty').max(MAX_COMMAND_LENGTH);
/** A shipped scene's name (the server also checks it against the list it offers). */
const sceneName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected a scene name like "default"');

export const runMessageSchema = z.strictObject({
  op: z.literal('run'),
  command,
  driver: z.enum(DRIVERS),
  seed,
  scene: sceneName.nullish(),
});

export const resetMessageSchema = z.strictObject({
  op: z.literal('reset'),
  seed,
  scene: sceneName.nullish(),
  command: z.string().trim().max(MAX_COMMAND_LENGTH).nullish(),
});

export const stopMessageSchema = z.strictObject({ op: z.literal('stop') });
export const statsMessageSchema = z.strictObject({ op: z.literal('stats') });

export const clientMessageSchema = z.discriminatedUnion('op', [runMessageSchema, resetMessageSchema, stopMessageSchema, statsMessageSchema]);

export type RunMessage = z.infer<typeof runMessageSchema>;
export type ResetMessage = z.infer<typeof resetMessageSchema>;
export type ClientMessage = z.infer<typeof clientMessageSchema>;

/** Parses one raw websocket message; returns the message or a one-line reason it was refused. */
export function parseClientMessage(raw: string): { ok: true; message: ClientMessage } | { ok: false; error: string } {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, error: 'malformed message: not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: 'malformed message: expected a JSON object with an "op"' };
  }
  const op = (value as { op?: unknown }).op;
  if (typeof op !== 'string' || !(CLIENT_OPS as readonly string[]).includes(op)) {
    return { ok: false, error: `unknown op ${JSON.stringify(op ?? null)}: expected one of ${CLIENT_OPS.join(', ')}` };
  }
  const r = clientMessageSchema.safeParse(value);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'message'}: ${i.message}`);
    return { ok: false, error: `bad "${op}" message: ${issues.join('; ')}` };
  }
  return { ok: true, message: r.data };
}

// ---- server -> browser ----

export const EPISODE_STATES = ['ready', 'running', 'success', 'failure', 'stopped'] as const;
export type EpisodeState = (typeof EPISODE_STATES)[number];

export interface PolicyInfo {
  label: string;
  cameras: string[];
  grid: [number, number];
  layers: number;
  heads: number;
  imageSize: number;
}

export interface HelloMessage {
  type: 'hello';
  scenes: string[];
  drivers: DriverName[];
  policy: PolicyInfo | null;
  /** Why there is no policy, when there is none. */
  note: string | null;
  controlHz: number;
}

export interface Status {
  state: EpisodeState;
  step: number;
  time: number;
  /** Why the episode ended (success, timeout, dropped, ...); null while it runs. */
  reason: string | null;
  driver: DriverName | null;
}

/** The command's words as the policy reads them; maps are indexed by word. */
export interface AttentionWords {
  words: string[];
  unknown: string[];
  dropped: string[];
}

export interface SceneMessage {
  type: 'scene';
  episode: number;
  seed: number;
  scene: string | null;
  command: string;
  /** The user's command as typed and how it was read (null for a sampled command). */
  reading: {
    text: string;
    summary: string;
    /** With a policy, when the user's words differ from the policy's: per user word, the policy tokens it stands for. */
    panels?: Array<{ label: string; tokens: number[] }>;
  } | null;
  /** The scene as three.js JSON (THREE.ObjectLoader), the same meshes the simulator's renderer draws. */
  three: unknown;
  /** Names of the object meshes and link groups, in the order of the frames' pose arrays. */
  objectNames: string[];
  linkNames: string[];
  camera: { position: readonly number[]; target: readonly number[] };
  attention: AttentionWords | null;
  status: Status;
}

export interface FrameAttention {
  /** Per camera, RGB bytes (width * height * 3), base64. */
  images: string[];
  width: number;
  height: number;
  /** Float32 little-endian, base64: [layer][head][word][camera * rows * cols]. */
  maps: string;
}

export interface FrameMessage {
  type: 'frame';
  episode: number;
  status: Status;
  /** 7 numbers per object: x, y, z, qx, qy, qz, qw. */
  objects: number[];
  /** 16 numbers per link: the column-major world matrix (THREE.Matrix4.elements). */
  links: number[];
  attention: FrameAttention | null;
}

export interface ErrorMessage {
  type: 'error';
  message: string;
  op: string | null;
}

export interface StatsMessage {
  type: 'stats';
  rss: number;
  heapUsed: number;
  clients: number;
  framesSent: number;
  framesDropped: number;
  episodes: number;
  steps: number;
}

export type ServerMessage = HelloMessage | SceneMessage | FrameMessage | ErrorMessage | StatsMessage;
