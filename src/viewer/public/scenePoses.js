// The scene the server sends (three.js JSON of the simulator's SceneGraph) and the poses of each control step,
// without any drawing: SceneView.js draws what this builds, and test/viewer/scenePoses.test.ts runs this same
// file in node to check that the page's meshes stand where the simulator's links and objects are.
import * as THREE from 'three';

/** A scene message -> {scene, objects, links}: the root and the meshes/groups the frames' pose arrays move. */
export function loadScene(msg) {
  const scene = new THREE.ObjectLoader().parse(msg.three);
  const objects = msg.objectNames.map((n) => scene.getObjectByName(n) ?? null);
  const links = msg.linkNames.map((n) => scene.getObjectByName(n) ?? null);
  // A link group's matrix is the link's world transform (its parent is the scene), set whole every frame.
  for (const g of links) if (g) g.matrixAutoUpdate = false;
  return { scene, objects, links };
}

/** Poses of one control step: objects as position + quaternion, links as column-major world matrices. */
export function applyFrame(loaded, msg) {
  const o = msg.objects;
  loaded.objects.forEach((m, i) => {
    if (!m) return;
    m.position.set(o[7 * i], o[7 * i + 1], o[7 * i + 2]);
    m.quaternion.set(o[7 * i + 3], o[7 * i + 4], o[7 * i + 5], o[7 * i + 6]);
  });
  loaded.links.forEach((g, i) => {
    if (!g) return;
    g.matrix.fromArray(msg.links, 16 * i);
    g.matrixWorldNeedsUpdate = true;
  });
}
