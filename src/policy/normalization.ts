/**
 * Normalisation statistics: the policy predicts actions as (a - mean) / std and reads proprioception the same
 * way, so every number it sees or emits is of order 1 whatever its physical unit (metres per step are ~0.01).
 *
 * The gripper command is a 0/1 target of a logit (binary cross-entropy), so it is not normalised: its mean is 0
 * and its std 1. Standard deviations are floored at STD_FLOOR so a dimension that never changes in the data (e.g.
 * dyaw in a dataset without rotations) does not blow up to 1/0.
 */
import { EE_ACTION_KEYS, type Observation } from '../../sim/types.js';

export const STD_FLOOR = 1e-3;

/** Index of the gripper in an action vector (EE_ACTION_KEYS order); not normalised. */
export const GRIPPER_INDEX = EE_ACTION_KEYS.indexOf('gripper');

export interface MeanStd {
  mean: number[];
  std: number[];
}

export interface NormalizationStats {
  /** Over EE_ACTION_KEYS (dx, dy, dz, dyaw, gripper); gripper: mean 0, std 1. */
  action: MeanStd;
  /** Over the proprio vector (5 joints, gripper opening, holding). */
  proprio: MeanStd;
}

/** Mean 0 and std 1 everywhere: the statistics of a policy nobody has trained yet. */
export function identityStats(actionDim: number = EE_ACTION_KEYS.length, proprioDim = 11): NormalizationStats {
  const ms = (n: number): MeanStd => ({ mean: new Array<number>(n).fill(0), std: new Array<number>(n).fill(1) });
  return { action: ms(actionDim), proprio: ms(proprioDim) };
}

function meanStd(samples: ArrayLike<ArrayLike<number>>, what: string, floor: number): MeanStd {
  const n = samples.length;
  if (n === 0) throw new Error(`computeStats: no ${what} samples`);
  const dim = samples[0]!.length;
  const sum = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const s = samples[i]!;
    if (s.length !== dim) throw new Error(`computeStats: ${what} sample ${i} has ${s.length} numbers, sample 0 has ${dim}`);
    for (let d = 0; d < dim; d++) {
      const v = s[d]!;
      if (!Number.isFinite(v)) throw new Error(`computeStats: ${what} sample ${i} has a non-finite value ${v} at index ${d}`);
      sum[d] = sum[d]! + v;
      sq[d] = sq[d]! + v * v;
    }
  }
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sq, (s, d) => Math.max(floor, Math.sqrt(Math.max(0, s / n - mean[d]! ** 2))));
  return { mean, std };
}

/**
 * Statistics of action and proprio samples (one vector per sample). The gripper entry of the action statistics
 * is set to mean 0, std 1.
 */
export function computeStats(
  actions: ArrayLike<ArrayLike<number>>,
  proprio: ArrayLike<ArrayLike<number>>,
  options: { stdFloor?: number } = {},
): NormalizationStats {
  const floor = options.stdFloor ?? STD_FLOOR;
  const action = meanStd(actions, 'action', floor);
  if (action.mean.length !== EE_ACTION_KEYS.length) {
    throw new Error(`computeStats: actions must have ${EE_ACTION_KEYS.length} numbers (${EE_ACTION_KEYS.join(', ')}), got ${action.mean.length}`);
  }
  action.mean[GRIPPER_INDEX] = 0;
  action.std[GRIPPER_INDEX] = 1;
  return { action, proprio: meanStd(proprio, 'proprio', floor) };
}

/**
 * The proprioception vector of an observation: the arm joints (radians), gripper opening (0..1), holding (0/1),
 * and with `withEe` the end effector's pose (x, y, z in metres, yaw in radians; world frame, from forward kinematics).
 */
export function proprioVector(obs: Pick<Observation, 'joints' | 'gripperOpening' | 'holding' | 'eePose'>, withEe = false): number[] {
  const v = [...obs.joints, obs.gripperOpening, obs.holding ? 1 : 0];
  if (withEe) v.push(obs.eePose.x, obs.eePose.y, obs.eePose.z, obs.eePose.yaw);
  return v;
}

/** Checks a stats object read from anywhere; throws an Error naming the problem. */
export function checkStats(stats: unknown, actionDim: number, proprioDim: number): NormalizationStats {
  const s = stats as Partial<NormalizationStats> | null;
  const check = (ms: unknown, name: string, dim: number): MeanStd => {
    const m = ms as Partial<MeanStd> | null;
    if (m === null || typeof m !== 'object') throw new Error(`${name}: expected {mean, std}`);
    for (const k of ['mean', 'std'] as const) {
      const a = m[k];
      if (!Array.isArray(a) || a.length !== dim || !a.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw new Error(`${name}.${k}: expected ${dim} finite numbers, got ${JSON.stringify(a)}`);
      }
    }
    if (m.std!.some((v) => v <= 0)) throw new Error(`${name}.std: every entry must be > 0, got ${JSON.stringify(m.std)}`);
    return { mean: [...m.mean!], std: [...m.std!] };
  };
  if (s === null || typeof s !== 'object') throw new Error('normalization stats: expected {action, proprio}');
  return { action: check(s.action, 'action', actionDim), proprio: check(s.proprio, 'proprio', proprioDim) };
}
