/**
 * Who drives an episode, by name: "expert" (the scripted expert, privileged state) or a policy folder (a trained
 * VLA policy, camera and words only). Shared by vla eval and vla run.
 */
import { existsSync } from 'node:fs';
import { expertDriver, type Driver } from '../../sim/env/episodes.js';
import type { CameraSpec } from '../../sim/env/Environment.js';
import { loadPolicy, type VlaPolicy } from '../policy/index.js';
import { DEFAULT_EXECUTION, policyDriver, type Execution } from './policyDriver.js';

export interface DriverSource {
  kind: 'expert' | 'policy';
  label: string;
  policy: VlaPolicy | null;
  /** The cameras the driver needs in each observation. */
  cameras: CameraSpec[];
  make: (seed: number) => Driver;
}

/** `execution`: how a policy's action chunks become executed actions (see policyDriver.ts). */
export function resolveDriver(name: string, execution: Execution = DEFAULT_EXECUTION): DriverSource {
  if (name === 'expert') {
    return { kind: 'expert', label: 'scripted expert', policy: null, cameras: [{ name: 'scene', width: 64, height: 64 }], make: expertDriver };
  }
  if (!existsSync(name)) {
    throw new Error(`--policy: ${name} not found; give a policy folder (from vla train) or "expert"`);
  }
  const policy = loadPolicy(name);
  const S = policy.config.imageSize;
  const cameras = policy.config.cameras.map((c) => {
    if (c !== 'scene' && c !== 'top' && c !== 'side') throw new Error(`${name}: the policy reads camera "${c}", which the simulator does not have`);
    return { name: c, width: S, height: S, supersampling: policy.config.supersampling } as CameraSpec;
  });
  return { kind: 'policy', label: name, policy, cameras, make: () => policyDriver(policy, execution) };
}
