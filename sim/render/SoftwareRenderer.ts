/**
 * A CPU rasteriser for a three.js scene graph: the policy's camera in Node, where there is no WebGL2 (the same role
 * as PyBullet's TinyRenderer, https://github.com/ssloy/tinyrenderer). It draws what a WebGLRenderer would draw for
 * opaque, untextured meshes, up to shading details:
 *
 *  - Geometry: every visible THREE.Mesh (and InstancedMesh) whose layers match the camera's, BufferGeometry
 *    indexed or not, drawRange and material groups honoured, frustum-culled by bounding sphere like three.js.
 *  - Vertices -> clip space by P * V * M. Triangles are clipped in homogeneous clip space (Sutherland-Hodgman,
 *    Blinn & Newell 1978) against the near and far planes, and against a guard band 8x the viewport so that the
 *    fixed-point edge functions stay exact; a triangle crossing the near plane is cut, never dropped or smeared.
 *  - Culling per material.side (FrontSide / BackSide / DoubleSide), counter-clockwise = front as in WebGL, the
 *    winding flipped for a mirroring matrixWorld (negative determinant), as three.js does.
 *  - Rasterisation by edge functions (Pineda 1988, "A parallel algorithm for polygon rasterization") on vertices
 *    snapped to 1/256 pixel (8 sub-pixel bits, as GPUs do), so the edge values are exact integers; coverage is
 *    sampled at pixel centres with the top-left fill rule (D3D10/OpenGL), so two triangles sharing an edge cover
 *    each pixel once. A z-buffer holds 1/w (affine in screen space, larger = nearer); colours are interpolated
 *    perspective-correctly (attribute/w over 1/w).
 *  - Shading: three.js's diffuse model (r155+ physically based units): outgoing linear radiance
 *    = emissive + colour * (1 - metalness) / pi * E, irradiance E from ambient, hemisphere, directional and
 *    point lights (lighting.ts). Evaluated per vertex from the vertex normals (Gouraud 1971), or per face when
 *    material.flatShading is set or the geometry has no normals; colour = material.color (x vertex colours if
 *    material.vertexColors). MeshBasicMaterial is unlit. No specular, shadows, textures or transparency
 *    (opacity is ignored). Linear colours are written as sRGB bytes, as WebGLRenderer's default output.
 *    With no light in the scene, DEFAULT_LIGHTS (ambient + one directional light) are used.
 *
 * Coordinates: the image is row-major from the top-left pixel; pixel (i, j) has its centre at screen
 * (i + 0.5, j + 0.5), and screen x = (ndc.x + 1) / 2 * W, y = (1 - ndc.y) / 2 * H, as in WebGL.
 * Depth output = distance along the camera's view axis (= clip w = -z_view), metres; Infinity where empty.
 *
 * Per frame nothing is allocated: vertex buffers grow to the largest geometry seen and are then reused.
 */
import * as THREE from 'three';
import type { CameraImage } from '../types.js';
import { LightRig } from './lighting.js';
import { VertexStage, sphereInFrustum } from './vertices.js';
import {
  CLIP_MASK,
  POLY_ATTRS,
  SUB,
  TRI_ATTRS,
  clearTarget,
  clipPolygon,
  createRasterTarget,
  rasterTri,
  resolveDepth,
  srgbByteAt,
  srgbToLinear,
} from './raster.js';

export interface RenderOptions {
  /** Fill out.depth (allocated once on `out` if missing). Default: whether out.depth exists. */
  depth?: boolean;
  /** Fill out.segmentation from mesh.userData.segmentationId (0..255, default 0). Default: whether it exists. */
  segmentation?: boolean;
}

export interface SoftwareRendererOptions {
  /** sRGB 0..1 clear colour when scene.background is not a THREE.Color; default black, as WebGLRenderer. */
  background?: readonly [number, number, number];
}

const NO_OPTIONS: RenderOptions = Object.freeze({});

// Module-level scratch: no allocation per frame.
const _viewProj = new THREE.Matrix4();
const _mvp = new THREE.Matrix4();
const _model = new THREE.Matrix4();
const _instance = new THREE.Matrix4();
const _frustum = new THREE.Frustum();

type Lit = THREE.Material & {
  color?: THREE.Color;
  emissive?: THREE.Color;
  emissiveIntensity?: number;
  metalness?: number;
  flatShading?: boolean;
  isMeshBasicMaterial?: boolean;
};
type Attr = THREE.BufferAttribute | THREE.InterleavedBufferAttribute;

export interface RenderStats {
  /** Meshes drawn (after frustum culling). */
  meshes: number;
  /** Triangles that reached the rasteriser and overlapped the image (after culling and clipping). */
  triangles: number;
}

export class SoftwareRenderer {
  readonly stats: RenderStats = { meshes: 0, triangles: 0 };
  private readonly bgLinear: readonly [number, number, number];
  private readonly clearColour = new Float64Array(3);
  private readonly target = createRasterTarget();
  private readonly lights = new LightRig();
  private segScratch = new Uint8Array(0);
  private cam: THREE.Camera | null = null;
  private readonly meshes: (THREE.Mesh | null)[] = [];
  private meshCount = 0;
  /** Per-vertex results of the mesh being drawn. */
  readonly vertices = new VertexStage();
  // Per-triangle scratch.
  private readonly polyA = new Float64Array(9 * POLY_ATTRS); // a triangle clipped by 6 planes has <= 9 vertices
  private readonly polyB = new Float64Array(9 * POLY_ATTRS);
  private readonly polyS = new Float64Array(9 * 3);
  private readonly vcol = new Float64Array(9); // linear rgb of the 3 source vertices
  private readonly tri = new Float64Array(3 * TRI_ATTRS);
  private readonly faceIrr = new Float64Array(3);
  private readonly face = new Float64Array(6); // flat shading: unit normal, centroid
  // Current mesh / material state.
  private matLit = false;
  private matFlat = false;
  private readonly base = new Float64Array(3);
  private readonly emis = new Float64Array(3);
  private kDiffuse = 0;
  private vColors: Attr | null = null;

  constructor(options: SoftwareRendererOptions = {}) {
    const bg = options.background ?? [0, 0, 0];
    this.bgLinear = [srgbToLinear(bg[0]), srgbToLinear(bg[1]), srgbToLinear(bg[2])];
  }

  /**
   * Renders `scene` seen by `camera` into `out` (out.width x out.height; rgb must hold width*height*3 bytes).
   * Sets camera.aspect to width/height (updating its projection) when it differs. Returns `out`.
   */
  render(scene: THREE.Scene, camera: THREE.PerspectiveCamera, out: CameraImage, options: RenderOptions = NO_OPTIONS): CameraImage {
    const W = out.width;
    const H = out.height;
    const n = W * H;
    if (!(W > 0 && H > 0) || out.rgb.length !== n * 3) {
      throw new Error(`SoftwareRenderer: a ${W}x${H} image needs rgb of ${n * 3} bytes, got ${out.rgb.length}`);
    }
    const wantDepth = options.depth ?? out.depth !== undefined;
    const wantSeg = options.segmentation ?? out.segmentation !== undefined;
    if (wantDepth && out.depth?.length !== n) out.depth = new Float32Array(n);
    if (wantSeg && out.segmentation?.length !== n) out.segmentation = new Uint8Array(n);
    const t = this.target;
    if (t.zbuf.length < n) {
      t.zbuf = new Float64Array(n);
      this.segScratch = new Uint8Array(n);
    }
    t.width = W;
    t.height = H;
    t.rgb = out.rgb;
    t.seg = wantSeg && out.segmentation ? out.segmentation : this.segScratch;
    t.triangles = 0;

    if (camera.aspect !== W / H) {
      camera.aspect = W / H;
      camera.updateProjectionMatrix();
    }
    if (scene.matrixWorldAutoUpdate) scene.updateMatrixWorld();
    if (camera.parent === null && camera.matrixWorldAutoUpdate) camera.updateMatrixWorld();
    _viewProj.multiplyMatrices(camera.projectionMatrix, camera.matrixWorldInverse);
    _frustum.setFromProjectionMatrix(_viewProj);

    const bg = scene.background instanceof THREE.Color ? scene.background : null;
    const c = this.clearColour;
    if (bg) bg.toArray(c);
    else c.set(this.bgLinear);
    clearTarget(t, srgbByteAt(c, 0), srgbByteAt(c, 1), srgbByteAt(c, 2));

    // Collect lights and meshes in one walk, then draw.
    this.cam = camera;
    this.meshCount = 0;
    this.lights.reset();
    this.stats.meshes = 0;
    scene.traverseVisible(this.visit);
    if (!this.lights.any) this.lights.useDefaults();
    for (let m = 0; m < this.meshCount; m++) {
      const mesh = this.meshes[m]!;
      this.meshes[m] = null;
      if (mesh.frustumCulled && !sphereInFrustum(mesh, _frustum)) continue;
      this.stats.meshes++;
      const inst = mesh as THREE.Mesh & Partial<THREE.InstancedMesh>;
      if (inst.isInstancedMesh && inst.instanceMatrix) {
        for (let k = 0; k < (inst.count ?? 0); k++) {
          _instance.fromArray(inst.instanceMatrix.array, k * 16);
          this.drawMesh(mesh, _model.multiplyMatrices(mesh.matrixWorld, _instance));
        }
      } else this.drawMesh(mesh, mesh.matrixWorld);
    }
    this.cam = null;
    this.stats.triangles = t.triangles;
    if (wantDepth && out.depth) resolveDepth(t, out.depth);
    return out;
  }

  private readonly visit = (o: THREE.Object3D): void => {
    if (!o.layers.test(this.cam!.layers)) return;
    if ((o as THREE.Mesh).isMesh) {
      const m = this.meshCount++;
      if (m < this.meshes.length) this.meshes[m] = o as THREE.Mesh;
      else this.meshes.push(o as THREE.Mesh);
    } else if ((o as THREE.Light).isLight) this.lights.add(o as THREE.Light);
  };

  /** Transforms and lights the mesh's vertices once, then draws its triangles per material (group). */
  private drawMesh(mesh: THREE.Mesh, model: THREE.Matrix4): void {
    const geom = mesh.geometry;
    const sid = mesh.userData['segmentationId'];
    this.target.segId = typeof sid === 'number' && sid > 0 ? Math.min(255, Math.round(sid)) : 0;
    const mats = mesh.material;
    let anyLit = false;
    let anyBack = false;
    for (let k = 0, nm = Array.isArray(mats) ? mats.length : 1; k < nm; k++) {
      const m = (Array.isArray(mats) ? mats[k] : mats) as Lit | undefined;
      if (!m || !m.visible || m.isMeshBasicMaterial) continue;
      anyLit = true;
      if (m.side !== THREE.FrontSide) anyBack = true;
    }

    _mvp.multiplyMatrices(_viewProj, model);
    const v = this.vertices;
    if (!v.run(geom, model, _mvp, this.target.width, this.target.height, anyLit ? this.lights : null, anyBack)) return;

    const index = geom.index ? geom.index.array : null;
    const total = index ? index.length : v.count;
    const dStart = Math.max(0, geom.drawRange.start);
    const dEnd = Math.min(total, dStart + geom.drawRange.count);
    const colorAttr = geom.getAttribute('color') ?? null;
    if (Array.isArray(mats)) {
      for (let k = 0; k < geom.groups.length; k++) {
        const g = geom.groups[k]!;
        const m = mats[g.materialIndex ?? 0] as Lit | undefined;
        if (m) this.drawRange(m, Math.max(dStart, g.start), Math.min(dEnd, g.start + g.count), index, colorAttr);
      }
    } else this.drawRange(mats as Lit, dStart, dEnd, index, colorAttr);
  }

  /** Draws triangles [start, end) of the index (or of the vertices) with one material. */
  private drawRange(mat: Lit, start: number, end: number, index: ArrayLike<number> | null, colorAttr: Attr | null): void {
    if (!mat.visible) return;
    const col = mat.color;
    this.base[0] = col ? col.r : 1;
    this.base[1] = col ? col.g : 1;
    this.base[2] = col ? col.b : 1;
    this.matLit = !mat.isMeshBasicMaterial;
    this.matFlat = this.matLit && (mat.flatShading === true || !this.vertices.hasNormals);
    this.kDiffuse = (1 - (mat.metalness ?? 0)) / Math.PI;
    const em = this.matLit ? mat.emissive : undefined;
    const ei = mat.emissiveIntensity ?? 1;
    this.emis[0] = em ? em.r * ei : 0;
    this.emis[1] = em ? em.g * ei : 0;
    this.emis[2] = em ? em.b * ei : 0;
    this.vColors = mat.vertexColors && colorAttr ? colorAttr : null;
    this.drawTriangles(start, end, index, mat.side);
  }

  /** The per-triangle loop (apart from the per-material set-up, which meets many material classes). */
  private drawTriangles(start: number, end: number, index: ArrayLike<number> | null, side: THREE.Side): void {
    const oc = this.vertices.outcodes;
    const S = this.vertices.screen;
    const T = this.tri;
    const V = this.vcol;
    for (let t = start; t + 2 < end; t += 3) {
      const i0 = index ? index[t]! : t;
      const i1 = index ? index[t + 1]! : t + 1;
      const i2 = index ? index[t + 2]! : t + 2;
      const o0 = oc[i0]!;
      const o1 = oc[i1]!;
      const o2 = oc[i2]!;
      if ((o0 & o1 & o2) !== 0) continue; // all three outside one plane
      if (((o0 | o1 | o2) & CLIP_MASK) !== 0) {
        this.clipAndDraw(i0, i1, i2, (o0 | o1 | o2) & CLIP_MASK, side);
        continue;
      }
      const x0 = S[3 * i0]!;
      const y0 = S[3 * i0 + 1]!;
      const area = (S[3 * i1]! - x0) * (S[3 * i2 + 1]! - y0) - (S[3 * i1 + 1]! - y0) * (S[3 * i2]! - x0);
      if (area === 0) continue;
      // Screen y points down, so a counter-clockwise (front) triangle has negative area here.
      const back = area > 0 !== this.vertices.flip;
      if (back ? side === THREE.FrontSide : side === THREE.BackSide) continue;
      this.vertexColours(i0, i1, i2, back);
      for (let k = 0; k < 3; k++) {
        const i = k === 0 ? i0 : k === 1 ? i1 : i2;
        const o = k * TRI_ATTRS;
        T[o] = S[3 * i]!;
        T[o + 1] = S[3 * i + 1]!;
        T[o + 2] = S[3 * i + 2]!;
        T[o + 3] = V[3 * k]!;
        T[o + 4] = V[3 * k + 1]!;
        T[o + 5] = V[3 * k + 2]!;
      }
      rasterTri(T, this.target);
    }
  }

  /** Linear rgb of the triangle's three vertices, for the side the camera sees, into this.vcol. */
  private vertexColours(i0: number, i1: number, i2: number, back: boolean): void {
    const V = this.vcol;
    const F = this.faceIrr;
    if (this.matFlat) {
      // Face normal from world positions, turned towards the camera for whichever side is seen (as three.js's
      // flat shading, which takes it from screen-space derivatives); lit at the centroid.
      const P = this.vertices.world;
      const ax = P[3 * i1]! - P[3 * i0]!;
      const ay = P[3 * i1 + 1]! - P[3 * i0 + 1]!;
      const az = P[3 * i1 + 2]! - P[3 * i0 + 2]!;
      const bx = P[3 * i2]! - P[3 * i0]!;
      const by = P[3 * i2 + 1]! - P[3 * i0 + 1]!;
      const bz = P[3 * i2 + 2]! - P[3 * i0 + 2]!;
      const nx = ay * bz - az * by;
      const ny = az * bx - ax * bz;
      const nz = ax * by - ay * bx;
      const s = (back !== this.vertices.flip ? -1 : 1) / (Math.sqrt(nx * nx + ny * ny + nz * nz) || 1);
      const fc = this.face;
      fc[0] = nx * s;
      fc[1] = ny * s;
      fc[2] = nz * s;
      fc[3] = (P[3 * i0]! + P[3 * i1]! + P[3 * i2]!) / 3;
      fc[4] = (P[3 * i0 + 1]! + P[3 * i1 + 1]! + P[3 * i2 + 1]!) / 3;
      fc[5] = (P[3 * i0 + 2]! + P[3 * i1 + 2]! + P[3 * i2 + 2]!) / 3;
      this.lights.irradiance(fc, 0, 1, fc, 3, F, 0);
    }
    const E = this.matFlat ? F : back ? this.vertices.irrB : this.vertices.irrF;
    const vc = this.vColors;
    const kd = this.kDiffuse;
    for (let k = 0; k < 3; k++) {
      const i = k === 0 ? i0 : k === 1 ? i1 : i2;
      let r = this.base[0]!;
      let g = this.base[1]!;
      let b = this.base[2]!;
      if (vc) {
        r *= vc.getX(i);
        g *= vc.getY(i);
        b *= vc.getZ(i);
      }
      if (this.matLit) {
        const o = this.matFlat ? 0 : 3 * i;
        r = this.emis[0]! + kd * r * E[o]!;
        g = this.emis[1]! + kd * g * E[o + 1]!;
        b = this.emis[2]! + kd * b * E[o + 2]!;
      }
      V[3 * k] = r;
      V[3 * k + 1] = g;
      V[3 * k + 2] = b;
    }
  }

  /** Clips the triangle against the planes in `mask` (homogeneous space), then culls, shades and draws the pieces. */
  private clipAndDraw(i0: number, i1: number, i2: number, mask: number, side: THREE.Side): void {
    let src = this.polyA;
    let dst = this.polyB;
    const C = this.vertices.clip;
    for (let k = 0; k < 3; k++) {
      const i = k === 0 ? i0 : k === 1 ? i1 : i2;
      const o = k * POLY_ATTRS;
      src[o] = C[4 * i]!;
      src[o + 1] = C[4 * i + 1]!;
      src[o + 2] = C[4 * i + 2]!;
      src[o + 3] = C[4 * i + 3]!;
      src[o + 4] = k === 0 ? 1 : 0;
      src[o + 5] = k === 1 ? 1 : 0;
      src[o + 6] = k === 2 ? 1 : 0;
    }
    let nv = 3;
    for (let p = 0; p < 6 && nv >= 3; p++) {
      if ((mask & (1 << p)) === 0) continue;
      nv = clipPolygon(src, nv, dst, p);
      const tmp = src;
      src = dst;
      dst = tmp;
    }
    if (nv < 3) return;
    // Project, then take the orientation from the polygon's signed area (shoelace).
    const P = this.polyS;
    const halfW = (this.target.width / 2) * SUB;
    const halfH = (this.target.height / 2) * SUB;
    for (let k = 0; k < nv; k++) {
      const o = k * POLY_ATTRS;
      const iw = 1 / src[o + 3]!;
      P[3 * k] = Math.round((src[o]! * iw + 1) * halfW);
      P[3 * k + 1] = Math.round((1 - src[o + 1]! * iw) * halfH);
      P[3 * k + 2] = iw;
    }
    let area = 0;
    for (let k = 0; k < nv; k++) {
      const j = k + 1 === nv ? 0 : k + 1;
      area += P[3 * k]! * P[3 * j + 1]! - P[3 * j]! * P[3 * k + 1]!;
    }
    if (area === 0) return;
    const back = area > 0 !== this.vertices.flip;
    if (back ? side === THREE.FrontSide : side === THREE.BackSide) return;
    this.vertexColours(i0, i1, i2, back);
    const V = this.vcol;
    const T = this.tri;
    for (let f = 1; f + 1 < nv; f++) {
      for (let k = 0; k < 3; k++) {
        const v = k === 0 ? 0 : k === 1 ? f : f + 1;
        const o = v * POLY_ATTRS;
        const b0 = src[o + 4]!;
        const b1 = src[o + 5]!;
        const b2 = src[o + 6]!;
        const q = k * TRI_ATTRS;
        T[q] = P[3 * v]!;
        T[q + 1] = P[3 * v + 1]!;
        T[q + 2] = P[3 * v + 2]!;
        T[q + 3] = b0 * V[0]! + b1 * V[3]! + b2 * V[6]!;
        T[q + 4] = b0 * V[1]! + b1 * V[4]! + b2 * V[7]!;
        T[q + 5] = b0 * V[2]! + b1 * V[5]! + b2 * V[8]!;
      }
      rasterTri(T, this.target);
    }
  }
}
