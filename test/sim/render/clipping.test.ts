import * as THREE from 'three';
import { describe, expect, it } from 'vitest';
import { createCameraImage } from '../../../sim/render/imageIO.js';
import { SUB, TRI_ATTRS, createRasterTarget, rasterTri } from '../../../sim/render/raster.js';
import { SoftwareRenderer } from '../../../sim/render/SoftwareRenderer.js';
import { maskStats, triangleMesh } from './helpers.js';

const W = 64;
const H = 64;

/** Camera at the origin looking down -z, y up, near 0.1. */
function originCamera(): THREE.PerspectiveCamera {
  const camera = new THREE.PerspectiveCamera(60, W / H, 0.1, 10);
  camera.updateMatrixWorld();
  return camera;
}

/**
 * Reference by ray casting: for each pixel centre, the ray from the camera through it hits the triangle at a
 * depth (along the view axis, -z here) in [near, far]? Returns that depth or Infinity.
 */
function rayCastDepths(mesh: THREE.Mesh, camera: THREE.PerspectiveCamera): Float64Array {
  const pos = mesh.geometry.getAttribute('position');
  const [a, b, c] = [0, 1, 2].map((i) => new THREE.Vector3().fromBufferAttribute(pos, i).applyMatrix4(mesh.matrixWorld));
  const tri = new THREE.Triangle(a, b, c);
  const out = new Float64Array(W * H).fill(Infinity);
  const ray = new THREE.Ray();
  const hit = new THREE.Vector3();
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const ndc = new THREE.Vector3(((x + 0.5) / W) * 2 - 1, 1 - ((y + 0.5) / H) * 2, 0.5).unproject(camera);
      ray.set(camera.position, ndc.sub(camera.position).normalize());
      if (!ray.intersectTriangle(tri.a, tri.b, tri.c, false, hit)) continue;
      const depth = -hit.z; // camera at the origin looking down -z
      if (depth >= camera.near && depth <= camera.far) out[y * W + x] = depth;
    }
  }
  return out;
}

describe('near-plane clipping', () => {
  const cases: Array<[string, number[], number[], number[]]> = [
    // A floor strip (y = -0.2) from behind the camera (w < 0) to 3 m ahead.
    ['two vertices behind the camera', [-1, -0.2, 0.5], [1, -0.2, 0.5], [0, -0.2, -3]],
    // In front of the camera but closer than the near plane (0 < w < near) to 2 m ahead.
    ['two vertices between camera and near plane', [-0.3, -0.2, -0.05], [0.3, -0.2, -0.05], [0, -0.2, -2]],
    // A wall leaning through the near plane, one vertex behind the camera.
    ['one vertex behind the camera', [-0.6, -0.5, -1.5], [0.7, -0.4, -1.2], [0.05, 0.6, 0.4]],
  ];
  for (const [name, a, b, c] of cases) {
    it(`${name}: cut at the near plane, matching a ray-cast reference`, () => {
      const camera = originCamera();
      const mesh = triangleMesh(a, b, c, new THREE.MeshBasicMaterial({ color: 0xffffff, side: THREE.DoubleSide }));
      mesh.userData['segmentationId'] = 1;
      const scene = new THREE.Scene().add(mesh) as THREE.Scene;
      const out = createCameraImage(W, H, { depth: true, segmentation: true });
      new SoftwareRenderer().render(scene, camera, out);
      const ref = rayCastDepths(mesh, camera);
      let refCount = 0;
      let mismatches = 0;
      let maxDepthErr = 0;
      for (let i = 0; i < W * H; i++) {
        const want = Number.isFinite(ref[i]!);
        const got = out.segmentation![i] === 1;
        if (want) refCount++;
        if (want !== got) mismatches++;
        else if (want) maxDepthErr = Math.max(maxDepthErr, Math.abs(out.depth![i]! - ref[i]!) / ref[i]!);
        if (got) expect(out.depth![i]!).toBeGreaterThanOrEqual(camera.near * 0.999);
      }
      expect(refCount).toBeGreaterThan(300); // not dropped
      expect(mismatches).toBeLessThanOrEqual(3); // not smeared: only edge pixels may differ
      expect(maxDepthErr).toBeLessThan(1e-3);
      expect(maskStats(out, 1).count).toBeGreaterThan(300);
    });
  }
});

describe('backface culling', () => {
  const camera = originCamera();
  const quad = (side: THREE.Side, facingCamera: boolean, mirror = false) => {
    const m = new THREE.Mesh(new THREE.PlaneGeometry(0.5, 0.5), new THREE.MeshBasicMaterial({ color: 0xffffff, side }));
    m.position.z = -1; // the plane's front (+z normal) faces the camera
    if (!facingCamera) m.rotation.y = Math.PI;
    if (mirror) m.scale.x = -1;
    m.userData['segmentationId'] = 1;
    const out = createCameraImage(W, H, { segmentation: true });
    new SoftwareRenderer().render(new THREE.Scene().add(m) as THREE.Scene, camera, out);
    return maskStats(out, 1).count;
  };

  it('FrontSide draws front faces only, BackSide back faces only, DoubleSide both', () => {
    const full = quad(THREE.FrontSide, true);
    expect(full).toBeGreaterThan(200);
    expect(quad(THREE.FrontSide, false)).toBe(0);
    expect(quad(THREE.BackSide, true)).toBe(0);
    expect(quad(THREE.BackSide, false)).toBe(full);
    expect(quad(THREE.DoubleSide, true)).toBe(full);
    expect(quad(THREE.DoubleSide, false)).toBe(full);
  });

  it('a mirroring transform (negative determinant) keeps front faces front, as three.js does', () => {
    expect(quad(THREE.FrontSide, true, true)).toBe(quad(THREE.FrontSide, true));
    expect(quad(THREE.FrontSide, false, true)).toBe(0);
  });

  it('from inside a closed box, FrontSide shows nothing and BackSide shows the walls all around', () => {
    const inside = (side: THREE.Side) => {
      const box = new THREE.Mesh(new THREE.BoxGeometry(2, 2, 2), new THREE.MeshBasicMaterial({ side }));
      box.userData['segmentationId'] = 1;
      const out = createCameraImage(W, H, { segmentation: true });
      new SoftwareRenderer().render(new THREE.Scene().add(box) as THREE.Scene, camera, out);
      return maskStats(out, 1).count;
    };
    expect(inside(THREE.FrontSide)).toBe(0);
    expect(inside(THREE.BackSide)).toBe(W * H);
  });
});

describe('rasteriser fill rule (top-left, pixel centres)', () => {
  /** Coverage count per pixel of a fan of triangles around a centre, each rasterised alone. */
  it('triangles sharing edges through pixel centres cover every inside pixel exactly once', () => {
    const size = 32;
    const counts = new Uint8Array(size * size);
    // Fan vertices exactly on pixel centres (x.5), so shared edges pass through many centres: ties everywhere.
    const c = [16.5, 15.5];
    const ring = [
      [4.5, 4.5], [16.5, 2.5], [28.5, 6.5], [29.5, 16.5], [26.5, 28.5], [16.5, 29.5], [5.5, 27.5], [2.5, 15.5],
    ];
    const T = new Float64Array(3 * TRI_ATTRS);
    for (let k = 0; k < ring.length; k++) {
      const p = ring[k]!;
      const q = ring[(k + 1) % ring.length]!;
      const t = createRasterTarget();
      Object.assign(t, { width: size, height: size, rgb: new Uint8Array(size * size * 3), seg: new Uint8Array(size * size), zbuf: new Float64Array(size * size), segId: 1 });
      [c, p, q].forEach((v, j) => T.set([v[0]! * SUB, v[1]! * SUB, 1, 1, 1, 1], j * TRI_ATTRS));
      rasterTri(T, t);
      for (let i = 0; i < size * size; i++) counts[i]! += t.seg[i]!;
    }
    // Inside test against the convex ring (clockwise on screen with y down), strictly inside.
    const inside = (x: number, y: number) =>
      ring.every((p, k) => {
        const q = ring[(k + 1) % ring.length]!;
        return (q[0]! - p[0]!) * (y - p[1]!) - (q[1]! - p[1]!) * (x - p[0]!) > 0;
      });
    let insideCount = 0;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const n = counts[y * size + x]!;
        expect(n).toBeLessThanOrEqual(1);
        if (inside(x + 0.5, y + 0.5)) {
          insideCount++;
          expect(n).toBe(1);
        }
      }
    }
    expect(insideCount).toBeGreaterThan(400);
  });
});
