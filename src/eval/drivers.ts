/**
 * Who drives an episode, by name: "expert" (the scripted expert, privileged state) or a policy folder (a trained
 * VLA policy, camera and words only). Shared by vla eval, vla run, the viewer and the ROS bridge's episodes.
 */
import { existsSync } from 'node:fs';
import { expertDriver, type Driver } from '../../sim/env/Driver.js';
import type { CameraSpec } from '../../sim/env/Environment.js';
import { CAMERA_NAMES, type CameraName } from '../../sim/render/cameras.js';
import { ChunkExecutor, DEFAULT_EXECUTION, type Execution } from '../policy/ChunkExecutor.js';
import { loadPolicy, type VlaPolicy } from '../policy/index.js';
import { PolicyBatcher } from './PolicyBatcher.js';

export interface DriverSource {
  kind: 'expert' | 'policy';
  label: string;
  policy: VlaPolicy | null;
  /** The cameras the driver needs in each observation. */
  cameras: CameraSpec[];
  make: (seed: number) => Driver;
}

/** The camera the scripted expert's episodes render (it reads the privileged state, not the image). */
const EXPERT_CAMERAS: CameraSpec[] = [{ name: 'scene', width: 64, height: 64 }];

/** `execution`: how a policy's action chunks become executed actions (see src/policy/ChunkExecutor.ts). */
export function resolveDriver(name: string, execution: Execution = DEFAULT_EXECUTION): DriverSource {
  if (name === 'expert') return { kind: 'expert', label: 'scripted expert', policy: null, cameras: EXPERT_CAMERAS, make: expertDriver };
  if (!existsSync(name)) {
    throw new Error(`--policy: ${name} not found; give a policy folder (from vla train) or "expert"`);
  }
  const policy = loadPolicy(name);
  const S = policy.config.imageSize;
  const cameras = policy.config.cameras.map((c): CameraSpec => {
    if (!(CAMERA_NAMES as readonly string[]).includes(c)) {
      throw new Error(`${name}: the policy reads camera "${c}", which the simulator does not have (it has ${CAMERA_NAMES.join(', ')})`);
    }
    return { name: c as CameraName, width: S, height: S, supersampling: policy.config.supersampling };
  });
  const batcher = new PolicyBatcher(policy);
  return { kind: 'policy', label: name, policy, cameras, make: () => policyDriver(policy, execution, batcher) };
}

/**
 * A trained policy as an episode driver: it sees only the observation (camera image, proprioception, command),
 * never the privileged state. Its action chunks are executed by a ChunkExecutor (temporal ensembling by default).
 * Drivers sharing a `batcher` predict together for episodes run in lockstep (runEpisodes).
 */
export function policyDriver(policy: VlaPolicy, execution: Execution = DEFAULT_EXECUTION, batcher = new PolicyBatcher(policy)): Driver {
  const executor = new ChunkExecutor(execution);
  const self = {};
  return {
    reset: () => executor.reset(),
    prepare: (obs) => {
      if (executor.needsPrediction) batcher.request(self, obs);
    },
    act: (obs) => executor.next(() => batcher.take(self, obs)),
  };
}
