/**
 * A synthetic table scene for tests and timing, and the renderer benchmark behind `vla bench sim`.
 *
 * The scene (Z up, metres): a 1 x 1 m table (a box, top at z = 0), six objects (two spheres of 16 x 12
 * segments, two cubes, two cylinders of 24 segments) in the object region, and an arm of eight boxes and
 * cylinders rising from its base at (-0.42, 0, 0); lit like sim/world's scene (a directional and an ambient light).
 * Object i carries userData.segmentationId = i + 1.
 */
import * as THREE from 'three';
import { COLOUR_RGB } from '../types.js';
import { CAMERA_PRESETS, makeCamera } from './cameras.js';
import { SoftwareRenderer } from './SoftwareRenderer.js';
import { createCameraImage } from './imageIO.js';

const ALONG_Z = new THREE.Quaternion().setFromAxisAngle(new THREE.Vector3(1, 0, 0), Math.PI / 2);

function lambert(rgb: readonly [number, number, number]): THREE.MeshLambertMaterial {
  return new THREE.MeshLambertMaterial({ color: new THREE.Color().setRGB(rgb[0], rgb[1], rgb[2], THREE.SRGBColorSpace) });
}

/** The benchmark scene; `objects` lists the six objects' meshes in segmentation order. */
export function buildBenchScene(): { scene: THREE.Scene; objects: THREE.Mesh[]; triangles: number } {
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0.78, 0.84, 0.9);
  const sun = new THREE.DirectionalLight(0xffffff, 2.6);
  sun.position.set(0.3, 0.4, 1);
  scene.add(sun, new THREE.AmbientLight(0xffffff, 1.4));

  const table = new THREE.Mesh(new THREE.BoxGeometry(1, 1, 0.04), lambert([0.55, 0.42, 0.3]));
  table.position.set(0, 0, -0.02);
  scene.add(table);

  const objects: THREE.Mesh[] = [];
  const specs: Array<[THREE.BufferGeometry, keyof typeof COLOUR_RGB, number, number, number]> = [
    [new THREE.SphereGeometry(0.025, 16, 12), 'red', 0.1, 0.12, 0.025],
    [new THREE.SphereGeometry(0.025, 16, 12), 'blue', -0.1, -0.15, 0.025],
    [new THREE.BoxGeometry(0.04, 0.04, 0.04), 'green', 0.2, -0.05, 0.02],
    [new THREE.BoxGeometry(0.04, 0.04, 0.04), 'yellow', 0.0, 0.22, 0.02],
    [new THREE.CylinderGeometry(0.02, 0.02, 0.06, 24).applyQuaternion(ALONG_Z), 'purple', 0.25, 0.2, 0.03],
    [new THREE.CylinderGeometry(0.02, 0.02, 0.06, 24).applyQuaternion(ALONG_Z), 'orange', -0.05, -0.25, 0.03],
  ];
  specs.forEach(([geo, colour, x, y, z], i) => {
    const m = new THREE.Mesh(geo, lambert(COLOUR_RGB[colour]));
    m.position.set(x, y, z);
    m.rotation.z = 0.3 * i;
    m.userData['segmentationId'] = i + 1;
    scene.add(m);
    objects.push(m);
  });

  const grey = lambert([0.7, 0.7, 0.72]);
  const dark = lambert([0.25, 0.25, 0.28]);
  const arm = new THREE.Group();
  arm.position.set(-0.42, 0, 0);
  scene.add(arm);
  const part = (geo: THREE.BufferGeometry, mat: THREE.Material, x: number, y: number, z: number, ry = 0) => {
    const m = new THREE.Mesh(geo, mat);
    m.position.set(x, y, z);
    m.rotation.y = ry;
    arm.add(m);
  };
  part(new THREE.CylinderGeometry(0.06, 0.07, 0.05, 24).applyQuaternion(ALONG_Z), dark, 0, 0, 0.025);
  part(new THREE.CylinderGeometry(0.04, 0.04, 0.12, 24).applyQuaternion(ALONG_Z), grey, 0, 0, 0.11);
  part(new THREE.BoxGeometry(0.05, 0.05, 0.25), grey, 0.05, 0, 0.28, 0.4);
  part(new THREE.CylinderGeometry(0.03, 0.03, 0.07, 24), dark, 0.1, 0, 0.39);
  part(new THREE.BoxGeometry(0.22, 0.04, 0.04), grey, 0.22, 0, 0.38, 0.3);
  part(new THREE.BoxGeometry(0.05, 0.06, 0.03), dark, 0.33, 0, 0.3);
  part(new THREE.BoxGeometry(0.01, 0.015, 0.05), dark, 0.33, 0.02, 0.26);
  part(new THREE.BoxGeometry(0.01, 0.015, 0.05), dark, 0.33, -0.02, 0.26);

  let triangles = 0;
  scene.traverse((o) => {
    if ((o as THREE.Mesh).isMesh) {
      const g = (o as THREE.Mesh).geometry;
      triangles += (g.index ? g.index.count : g.getAttribute('position').count) / 3;
    }
  });
  return { scene, objects, triangles };
}

export interface RenderBenchResult {
  width: number;
  height: number;
  /** Median wall time of one frame (rgb + depth + segmentation), milliseconds. */
  medianMs: number;
  /** 10th and 90th percentiles, milliseconds. */
  p10Ms: number;
  p90Ms: number;
  frames: number;
  /** Triangles in the scene, and those that reached the rasteriser in the last frame. */
  sceneTriangles: number;
  drawnTriangles: number;
}

/**
 * Times SoftwareRenderer on the benchmark scene from the "scene" camera at each size ([width, height]),
 * after `warmup` frames (JIT), over `frames` frames. The objects move a little every frame, as in a rollout.
 */
export function benchRenderer(
  sizes: ReadonlyArray<readonly [number, number]> = [
    [64, 64],
    [128, 128],
  ],
  options: { frames?: number; warmup?: number } = {},
): RenderBenchResult[] {
  const frames = options.frames ?? 200;
  const warmup = options.warmup ?? 50;
  const { scene, objects, triangles } = buildBenchScene();
  const renderer = new SoftwareRenderer();
  return sizes.map(([width, height]) => {
    const camera = makeCamera(CAMERA_PRESETS.scene, width / height);
    const image = createCameraImage(width, height, { depth: true, segmentation: true });
    const times: number[] = [];
    for (let f = 0; f < warmup + frames; f++) {
      for (const [i, m] of objects.entries()) m.rotation.z = 0.3 * i + 0.01 * f;
      const t0 = performance.now();
      renderer.render(scene, camera, image);
      if (f >= warmup) times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
    return {
      width,
      height,
      medianMs: q(0.5),
      p10Ms: q(0.1),
      p90Ms: q(0.9),
      frames,
      sceneTriangles: triangles,
      drawnTriangles: renderer.stats.triangles,
    };
  });
}
