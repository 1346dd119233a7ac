/** Shared helpers of the renderer tests. */
import * as THREE from 'three';
import type { CameraImage } from '../../../sim/types.js';

/** An opaque colour given in sRGB 0..1, as three.js stores it (linear). */
export function srgb(r: number, g: number, b: number): THREE.Color {
  return new THREE.Color().setRGB(r, g, b, THREE.SRGBColorSpace);
}

/** three.js's projection of a world point to continuous pixel coordinates (y down, pixel centres at +0.5). */
export function projectToPixel(p: THREE.Vector3, camera: THREE.Camera, width: number, height: number): [number, number] {
  const ndc = p.clone().project(camera);
  return [((ndc.x + 1) / 2) * width, ((1 - ndc.y) / 2) * height];
}

/** Centroid (pixel-centre coordinates), area and whether it touches the border, of the pixels with this id. */
export function maskStats(image: CameraImage, id: number): { cx: number; cy: number; count: number; touchesBorder: boolean } {
  const seg = image.segmentation!;
  let sx = 0;
  let sy = 0;
  let count = 0;
  let touchesBorder = false;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      if (seg[y * image.width + x] !== id) continue;
      sx += x + 0.5;
      sy += y + 0.5;
      count++;
      if (x === 0 || y === 0 || x === image.width - 1 || y === image.height - 1) touchesBorder = true;
    }
  }
  return { cx: sx / count, cy: sy / count, count, touchesBorder };
}

export function pixel(image: CameraImage, x: number, y: number): [number, number, number] {
  const i = 3 * (Math.floor(y) * image.width + Math.floor(x));
  return [image.rgb[i]!, image.rgb[i + 1]!, image.rgb[i + 2]!];
}

/** A scene of the given meshes, lit by one directional light and an ambient light. */
export function litScene(...objects: THREE.Object3D[]): THREE.Scene {
  const scene = new THREE.Scene();
  const sun = new THREE.DirectionalLight(0xffffff, 2.5);
  sun.position.set(0.3, 0.4, 1);
  scene.add(sun, new THREE.AmbientLight(0xffffff, 1.2), ...objects);
  return scene;
}

/** A mesh with one triangle (counter-clockwise = front, seen from where its normal points). */
export function triangleMesh(a: readonly number[], b: readonly number[], c: readonly number[], material: THREE.Material): THREE.Mesh {
  const g = new THREE.BufferGeometry();
  g.setAttribute('position', new THREE.Float32BufferAttribute([...a, ...b, ...c], 3));
  const m = new THREE.Mesh(g, material);
  m.frustumCulled = false;
  return m;
}
