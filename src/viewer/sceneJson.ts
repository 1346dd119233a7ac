/**
 * The tabletop as three.js JSON for the browser: the simulator's own SceneGraph (table, arm link primitives,
 * objects with their colours), serialised so the page draws exactly what the software renderer draws.
 */
import * as THREE from 'three';
import type { ArmModel } from '../../sim/robot/ArmModel.js';
import { armPrimitives } from '../../sim/env/armPrimitives.js';
import { SceneGraph } from '../../sim/world/SceneGraph.js';
import type { Scene } from '../../sim/types.js';

export interface SceneJson {
  three: unknown;
  objectNames: string[];
  linkNames: string[];
}

export function sceneJson(scene: Scene, arm: ArmModel): SceneJson {
  const graph = new SceneGraph(scene, arm.linkNames.length, armPrimitives(arm).primitives);
  graph.scene.traverse((o) => {
    const mesh = o as THREE.Mesh;
    // Cylinders, plates and bowls were rotated into z-up by applyQuaternion, which toJSON would lose when it
    // writes a geometry as its constructor parameters; plain buffer geometry keeps the vertices as they are.
    if (mesh.isMesh) mesh.geometry = new THREE.BufferGeometry().copy(mesh.geometry);
  });
  // toJSON writes each object's local `matrix`, which three.js computes from position/quaternion only in
  // updateMatrixWorld: without this call every link primitive lost its offset in its link (the upper-arm slab
  // centred on the shoulder joint instead of reaching up from it, the fingers inside the wrist: the arm looked
  // broken apart) and the sun sat at the origin with its target, lighting nothing (a dark table). The link groups
  // keep matrixAutoUpdate = false; each frame sets their matrices to the link world transforms.
  graph.scene.updateMatrixWorld(true);
  const three = graph.scene.toJSON();
  graph.scene.traverse((o) => {
    const mesh = o as THREE.Mesh;
    if (mesh.isMesh) {
      mesh.geometry.dispose();
      (mesh.material as THREE.Material).dispose();
    }
  });
  return { three, objectNames: graph.objectMeshes.map((m) => m.name), linkNames: graph.linkGroups.map((g) => g.name) };
}
