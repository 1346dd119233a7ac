/**
 * What drives `vla ros`: something that turns an observation into a chunk of end-effector actions. A VLA policy
 * (policyActor) is the usual one; tests pass scripted actors.
 *
 * A policy trained in simulation reads the simulated arm's joints as proprioception (proprioDim = its joints + 2).
 * On an arm with another joint count, policyActor gives it the simulated arm's joints that put the tool at the
 * same pose relative to the base (IK on sim/robot/vla_arm.urdf): an approximation, logged once at start.
 */
import { ArmModel } from '../../sim/robot/index.js';
import { ARM_BASE, type EeAction, type Observation } from '../../sim/types.js';
import type { VlaPolicy } from '../policy/index.js';
import type { RosConfig } from './config.js';

export interface Actor {
  readonly label: string;
  /** The camera name the actor reads in observation.images. */
  readonly camera: string;
  /** Side of the square image it takes, pixels. */
  readonly imageSize: number;
  /** The next actions (a chunk, at least one). */
  act(observation: Observation): EeAction[];
  /** A new episode begins. */
  reset(): void;
  /** One line on how proprioception is mapped, or null. */
  readonly note: string | null;
}

export function policyActor(policy: VlaPolicy, arm: ArmModel, basePose: RosConfig['robot']['basePose'], label = 'policy'): Actor {
  const c = policy.config;
  if (c.cameras.length !== 1) {
    throw new Error(`${label}: the policy reads ${c.cameras.length} cameras (${c.cameras.join(', ')}); vla ros feeds one camera topic`);
  }
  let mapJoints: ((obs: Observation) => number[]) | null = null;
  let note: string | null = null;
  if (arm.armDof + 2 !== c.proprioDim) {
    const sim = ArmModel.loadDefault();
    if (sim.armDof + 2 !== c.proprioDim) {
      throw new Error(
        `${label}: the policy takes ${c.proprioDim - 2} joints (proprioDim ${c.proprioDim}); the arm (${arm.source}) has ${arm.armDof} and the simulated arm ${sim.armDof}`,
      );
    }
    const seed = sim.homeConfiguration();
    const cos = Math.cos(-basePose.yaw);
    const sin = Math.sin(-basePose.yaw);
    mapJoints = (obs) => {
      const rx = obs.eePose.x - basePose.x;
      const ry = obs.eePose.y - basePose.y;
      const target = {
        x: ARM_BASE.x + cos * rx - sin * ry,
        y: ARM_BASE.y + sin * rx + cos * ry,
        z: ARM_BASE.z + obs.eePose.z - basePose.z,
        yaw: obs.eePose.yaw - basePose.yaw,
      };
      const r = sim.solveIk(target, seed, undefined, { restarts: 0, maxIterations: 50 });
      for (let i = 0; i < seed.length; i++) seed[i] = r.q[i]!;
      return Array.from(r.q);
    };
    note = `the arm has ${arm.armDof} joints and the policy was trained on ${sim.armDof}: its proprioception is the simulated arm's joints at the same tool pose (IK)`;
  }
  return {
    label,
    camera: c.cameras[0]!,
    imageSize: c.imageSize,
    note,
    act: (obs) => policy.act(mapJoints ? { ...obs, joints: mapJoints(obs) } : obs),
    reset: () => {},
  };
}
