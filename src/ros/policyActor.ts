/**
 * What drives `vla ros`: something that turns an observation into a chunk of end-effector actions. A VLA policy
 * (policyActor) is the usual one; tests pass scripted actors.
 *
 * The policy was trained in simulation, in the simulated arm's frame (its base at ARM_BASE, facing +x). policyActor
 * puts the real arm in that frame: the tool pose it shows the policy is taken relative to robot.basePose and placed
 * relative to ARM_BASE, and the actions' dx, dy are turned back by the base's yaw. Proprioception holds the arm's
 * joints; on an arm with another joint count than the policy was trained on, it gets the simulated arm's joints
 * that put the tool at the same relative pose (IK on sim/robot/vla_arm.urdf), an approximation noted at start.
 */
import { ArmModel } from '../../sim/robot/index.js';
import { ARM_BASE, type EeAction, type EePose, type Observation } from '../../sim/types.js';
import type { VlaPolicy } from '../policy/index.js';
import type { RosConfig } from './config.js';
import { readsKorean } from '../language/koreanPolicy.js';

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
  /** Whether it reads a Korean command in Korean words (src/language/koreanPolicy.ts); else in the templates' words. */
  readonly readsKorean?: boolean;
}

export function policyActor(policy: VlaPolicy, arm: ArmModel, basePose: RosConfig['robot']['basePose'], label = 'policy'): Actor {
  const c = policy.config;
  if (c.cameras.length !== 1) {
    throw new Error(`${label}: the policy reads ${c.cameras.length} cameras (${c.cameras.join(', ')}); vla ros feeds one camera topic`);
  }
  const eeNumbers = (c as { eeProprio?: boolean }).eeProprio ? 4 : 0;
  const policyJoints = c.proprioDim - 2 - eeNumbers;
  const cos = Math.cos(basePose.yaw);
  const sin = Math.sin(basePose.yaw);
  /** A pose in the robot's frame -> the same pose relative to the simulated arm's base. */
  const toSim = (p: EePose): EePose => {
    const rx = p.x - basePose.x;
    const ry = p.y - basePose.y;
    return { x: ARM_BASE.x + cos * rx + sin * ry, y: ARM_BASE.y - sin * rx + cos * ry, z: ARM_BASE.z + p.z - basePose.z, yaw: p.yaw - basePose.yaw };
  };
  let mapJoints: ((simPose: EePose) => number[]) | null = null;
  let note: string | null = null;
  if (arm.armDof !== policyJoints) {
    const sim = ArmModel.loadDefault();
    if (sim.armDof !== policyJoints) {
      throw new Error(`${label}: the policy takes ${policyJoints} joints (proprioDim ${c.proprioDim}); the arm (${arm.source}) has ${arm.armDof} and the simulated arm ${sim.armDof}`);
    }
    const seed = sim.homeConfiguration();
    mapJoints = (simPose) => {
      const r = sim.solveIk(simPose, seed, undefined, { restarts: 0, maxIterations: 50 });
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
    readsKorean: readsKorean(policy.tokenizer),
    act: (obs) => {
      const eePose = toSim(obs.eePose);
      const chunk = policy.act({ ...obs, eePose, joints: mapJoints ? mapJoints(eePose) : obs.joints });
      // Deltas come in the simulated arm's frame: turn them by the base's yaw into the robot's frame.
      return chunk.map((a) => ({ ...a, dx: cos * a.dx - sin * a.dy, dy: sin * a.dx + cos * a.dy }));
    },
    reset: () => {},
  };
}
