/**
 * Turns the arm model's URDF visuals into what the physics (kinematic colliders) and the scene graph (meshes)
 * are built from, and finds the fingers and the hand (the body a grasped object is locked to).
 */
import type { ArmModel } from '../robot/ArmModel.js';
import type { ArmColliders, ColliderSpec } from '../world/PhysicsWorld.js';
import type { LinkPrimitive } from '../world/SceneGraph.js';

export interface ArmPrimitives {
  colliders: ArmColliders;
  primitives: LinkPrimitive[];
}

export function armPrimitives(arm: ArmModel): ArmPrimitives {
  const primitives: LinkPrimitive[] = arm.visuals.map((v) => {
    const base = { link: v.linkIndex, position: v.position, quaternion: v.quaternion, rgb: v.rgb };
    switch (v.shape.kind) {
      case 'box':
        return { ...base, shape: 'box', dims: [...v.shape.size] } satisfies LinkPrimitive;
      case 'cylinder':
        return { ...base, shape: 'cylinder', dims: [v.shape.radius, v.shape.length] } satisfies LinkPrimitive;
      case 'sphere':
        return { ...base, shape: 'sphere', dims: [v.shape.radius] } satisfies LinkPrimitive;
    }
  });
  const fingerJoints = arm.joints.filter((j) => j.fingerIndex >= 0).sort((a, b) => a.fingerIndex - b.fingerIndex);
  if (fingerJoints.length !== 2) {
    throw new Error(`${arm.source}: the simulator needs a two-finger gripper, found ${fingerJoints.length} finger joints`);
  }
  const [left, right] = fingerJoints as [(typeof fingerJoints)[0], (typeof fingerJoints)[0]];
  const colliders: ColliderSpec[] = primitives.map(({ rgb: _rgb, ...c }) => c);
  return {
    primitives,
    colliders: {
      linkCount: arm.linkNames.length,
      colliders,
      leftFinger: left.childLink,
      rightFinger: right.childLink,
      hand: left.parentLink,
    },
  };
}
