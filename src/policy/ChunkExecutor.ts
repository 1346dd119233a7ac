/**
 * How a policy's predicted action chunks become the actions executed step by step; shared by the simulator's
 * policy driver (src/eval/drivers.ts) and the ROS controller. The modes:
 *
 * - `ensemble` (the default): temporal ensembling as in ACT (Zhao et al. 2023, "Learning Fine-Grained Bimanual
 *   Manipulation with Low-Cost Hardware", section 3.3). The policy runs every step; the action for step t is the
 *   weighted mean of what every chunk still covering t predicted for it, weight exp(-decay * i) with i = 0 the
 *   oldest (decay 0, the default: a plain mean; decay < 0 favours the newest); the gripper closes when the weighted
 *   vote for closed is at least one half. Older chunks already "knew" what comes next (close the gripper once
 *   there), which keeps the arm from stalling at the grasp, where one frame alone does not say whether it is time
 *   to close.
 * - `receding` with `steps` n: execute the first n actions of a chunk, then run again (n = 1 replans every step).
 *
 * Ensembling with decay 0 is the default: it succeeds more often than replanning every step (docs/policy.md,
 * "Executing action chunks", has the measurement).
 */
import type { EeAction } from '../../sim/types.js';

export type Execution = { mode: 'ensemble'; decay: number } | { mode: 'receding'; steps: number };

export const DEFAULT_EXECUTION: Execution = Object.freeze({ mode: 'ensemble', decay: 0 }) as Execution;

/** "ensemble", "ensemble:0.3", "receding:4" (or just "4"); errors say what is expected. */
export function parseExecution(value: string): Execution {
  const v = value.trim();
  const bad = () => new Error(`--execution: expected "ensemble", "ensemble:DECAY" (a number; < 0 favours the newest chunks) or "receding:N" (N >= 1), got "${value}"`);
  if (v === 'ensemble') return { ...DEFAULT_EXECUTION };
  const m = /^(ensemble|receding):(.+)$/.exec(v) ?? (/^\d+$/.test(v) ? ['', 'receding', v] : null);
  if (!m) throw bad();
  const x = Number(m[2]);
  if (m[1] === 'ensemble') {
    if (!Number.isFinite(x)) throw bad();
    return { mode: 'ensemble', decay: x };
  }
  if (!Number.isInteger(x) || x < 1) throw bad();
  return { mode: 'receding', steps: x };
}

export const formatExecution = (e: Execution) => (e.mode === 'ensemble' ? `ensemble:${e.decay}` : `receding:${e.steps}`);

export class ChunkExecutor {
  /** receding: the actions left to execute. ensemble: the chunks still covering the next step, oldest first. */
  private queue: EeAction[] = [];
  private chunks: EeAction[][] = [];
  private weights: number[] = [];

  constructor(readonly execution: Execution = DEFAULT_EXECUTION) {}

  /** Forget the chunks (a new episode, or after a stop). */
  reset(): void {
    this.queue = [];
    this.chunks = [];
  }

  /** Whether the next action needs a new prediction. */
  get needsPrediction(): boolean {
    return this.execution.mode === 'ensemble' || this.queue.length === 0;
  }

  /** The action for this step; `predict` runs the policy when needed (every step when ensembling). */
  next(predict: () => EeAction[]): EeAction {
    const e = this.execution;
    if (e.mode === 'receding') {
      if (this.queue.length === 0) this.queue = predict().slice(0, e.steps);
      const a = this.queue.shift();
      if (!a) throw new Error('ChunkExecutor: the policy predicted an empty chunk');
      return a;
    }
    const chunk = predict();
    if (chunk.length === 0) throw new Error('ChunkExecutor: the policy predicted an empty chunk');
    this.chunks.push(chunk);
    // chunks[j] was predicted n - 1 - j steps ago; it covers this step while that is below its length.
    while (this.chunks.length > 0 && this.chunks.length - 1 >= this.chunks[0]!.length) this.chunks.shift();
    const n = this.chunks.length;
    while (this.weights.length < n) this.weights.push(Math.exp(-e.decay * this.weights.length));
    const out: EeAction = { dx: 0, dy: 0, dz: 0, dyaw: 0, gripper: 0 };
    let wsum = 0;
    let grip = 0;
    for (let j = 0; j < n; j++) {
      const a = this.chunks[j]![n - 1 - j]!; // chunk j's prediction for this step
      const w = this.weights[j]!;
      out.dx += w * a.dx;
      out.dy += w * a.dy;
      out.dz += w * a.dz;
      out.dyaw += w * a.dyaw;
      grip += w * a.gripper;
      wsum += w;
    }
    out.dx /= wsum;
    out.dy /= wsum;
    out.dz /= wsum;
    out.dyaw /= wsum;
    out.gripper = grip / wsum >= 0.5 ? 1 : 0;
    return out;
  }
}
