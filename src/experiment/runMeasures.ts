/**
 * What an experiment measures on a finished run besides the recipe's evaluation: attention on target (src/eval/
 * attention.ts), parameters, the time of one policy step (median over a few dozen observations, after warm-up), and
 * the words' maps on one fixed scene for the side-by-side picture.
 */
import { Environment } from '../../sim/env/Environment.js';
import { hashSeed } from '../../sim/util/Rng.js';
import { median } from '../../sim/util/median.js';
import { attentionOnTarget, type AttentionOnTarget } from '../eval/attention.js';
import { averageHeads, cameraSlice, loadPolicy, type VlaPolicy } from '../policy/index.js';
import type { CameraName } from '../../sim/render/cameras.js';

export interface RunMeasures {
  parameters: number;
  attentionOnTarget: AttentionOnTarget;
  /** Median milliseconds of one policy step (policy.act on one observation). */
  inferenceMs: number;
  /** The last fusion layer's maps, heads averaged, per word, on the figure scene (figureScene). */
  maps: { words: string[]; grid: [number, number]; perWord: number[][] };
}

/** The scene and command every variant's maps are drawn on: the first frame of one seeded pick episode. */
export function figureScene(seed: number): { seed: number; task: 'pick' } {
  return { seed: hashSeed(`experiment-figure:${seed}`), task: 'pick' };
}

/** Milliseconds of policy.act over `n` observations of seeded pick scenes (after 3 warm-up steps). */
function inferenceMs(policy: VlaPolicy, env: Environment, seed: number, n: number): number {
  const times: number[] = [];
  for (let i = 0; i < n + 3; i++) {
    const obs = env.reset({ seed: hashSeed(`experiment-speed:${seed}:${i}`), task: 'pick' });
    const t0 = performance.now();
    policy.act(obs);
    if (i >= 3) times.push(performance.now() - t0);
  }
  return median(times);
}

export function measureRun(dir: string, o: { seed: number; attentionEpisodes: number; tasks: ReadonlyArray<'pick' | 'place' | 'push'> }): RunMeasures {
  const policy = loadPolicy(dir);
  try {
    const S = policy.config.imageSize;
    const camera = policy.config.cameras[0]! as CameraName;
    const env = new Environment({ cameras: [{ name: camera, width: S, height: S, supersampling: policy.config.supersampling }] });
    const at = attentionOnTarget(policy, { episodes: o.attentionEpisodes, seed: o.seed, tasks: o.tasks });
    const ms = inferenceMs(policy, env, o.seed, 30);
    const first = env.reset(figureScene(o.seed));
    const maps = policy.attentionMaps(first);
    const last = averageHeads(maps.layers).at(-1)!;
    return {
      parameters: policy.parameterCount,
      attentionOnTarget: at,
      inferenceMs: ms,
      maps: { words: maps.words, grid: maps.grid, perWord: maps.words.map((_, i) => Array.from(cameraSlice(last[i]!, maps.grid, 0))) },
    };
  } finally {
    policy.dispose();
  }
}
