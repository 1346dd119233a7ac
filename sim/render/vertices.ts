/**
 * The per-vertex stage of the software renderer: a mesh's vertices are transformed once per draw, into clip
 * space (P * V * M), outcodes against the clip planes, fixed-point screen positions, and, for lit materials,
 * world positions, unit world normals and the irradiance of both sides (Gouraud 1971: light per vertex).
 *
 * Buffers grow to the largest geometry seen and are reused: no allocation per frame. Layouts (n = vertex count):
 *   clip     4n  clip-space x, y, z, w
 *   screen   3n  X, Y in 1/SUB pixel (y down, pixel centres at +SUB/2), 1/w; valid where (outcode & CLIP_MASK) == 0
 *   world    3n  world position, metres
 *   wnorm    3n  unit world normal
 *   irrF/irrB 3n irradiance (linear rgb) of the side the normal points to / the other side
 *   outcodes n   bit p = outside clip plane p (raster.ts); bits 6..9 = x < -w, x > w, y < -w, y > w
 */
import type * as THREE from 'three';
import type { LightRig } from './lighting.js';
import { CLIP_MASK, GUARD, SUB } from './raster.js';

type Attr = THREE.BufferAttribute | THREE.InterleavedBufferAttribute;

export class VertexStage {
  /** Vertices of the last run. */
  count = 0;
  /** Whether the last model matrix mirrors (negative determinant): three.js then flips the winding. */
  flip = false;
  /** Whether the last geometry had normals (else lit materials shade flat). */
  hasNormals = false;
  private cap = 0;
  local = new Float64Array(0);
  lnorm = new Float64Array(0);
  clip = new Float64Array(0);
  screen = new Float64Array(0);
  world = new Float64Array(0);
  wnorm = new Float64Array(0);
  irrF = new Float64Array(0);
  irrB = new Float64Array(0);
  outcodes = new Uint16Array(0);
  /** Column-major 3x3 normal matrix of the last model matrix, up to a positive factor. */
  readonly normalMatrix = new Float64Array(9);
  private readonly mvpE = new Float64Array(16);
  private readonly modelE = new Float64Array(16);

  private ensureCapacity(n: number): void {
    if (n <= this.cap) return;
    const cap = Math.max(n, this.cap * 2, 256);
    this.cap = cap;
    this.local = new Float64Array(3 * cap);
    this.lnorm = new Float64Array(3 * cap);
    this.clip = new Float64Array(4 * cap);
    this.screen = new Float64Array(3 * cap);
    this.world = new Float64Array(3 * cap);
    this.wnorm = new Float64Array(3 * cap);
    this.irrF = new Float64Array(3 * cap);
    this.irrB = new Float64Array(3 * cap);
    this.outcodes = new Uint16Array(cap);
  }

  /**
   * Processes the geometry's vertices for a width x height image. `mvp` = projection * view * model; `lights`
   * null for unlit drawing (world positions and irradiance are then skipped); `backSides`: also light -n.
   * Returns false if the geometry has no positions.
   */
  run(
    geom: THREE.BufferGeometry,
    model: THREE.Matrix4,
    mvp: THREE.Matrix4,
    width: number,
    height: number,
    lights: LightRig | null,
    backSides: boolean,
  ): boolean {
    const pos = geom.getAttribute('position');
    if (!pos) return false;
    const nrm = geom.getAttribute('normal');
    const n = pos.count;
    this.count = n;
    this.ensureCapacity(n);
    readXYZ(pos, this.local, n);
    this.hasNormals = nrm !== undefined && nrm.count >= n;
    if (this.hasNormals) readXYZ(nrm!, this.lnorm, n);

    // Normal matrix: the inverse transpose of the linear part, whose columns are (c1 x c2, c2 x c0, c0 x c1) / det
    // for columns c0 c1 c2; normals are renormalised, so only the sign of det is kept. Mirroring iff det < 0.
    const me = model.elements;
    const ne = this.normalMatrix;
    cross(me, 4, 8, ne, 0);
    cross(me, 8, 0, ne, 3);
    cross(me, 0, 4, ne, 6);
    this.flip = me[0]! * ne[0]! + me[1]! * ne[1]! + me[2]! * ne[2]! < 0;
    if (this.flip) for (let k = 0; k < 9; k++) ne[k] = -ne[k]!;

    this.mvpE.set(mvp.elements);
    this.modelE.set(me);
    this.transform(n, (width / 2) * SUB, (height / 2) * SUB, lights, backSides);
    return true;
  }

  /**
   * The per-vertex loop, apart from run() so that it only ever sees this class's typed arrays: run() meets many
   * geometry and attribute classes, and V8 may leave a function that keeps meeting new maps unoptimised.
   */
  private transform(n: number, halfW: number, halfH: number, lights: LightRig | null, backSides: boolean): void {
    const e = this.mvpE;
    const me = this.modelE;
    const ne = this.normalMatrix;
    const L = this.local;
    const N = this.lnorm;
    const C = this.clip;
    const S = this.screen;
    const P = this.world;
    const WN = this.wnorm;
    const OC = this.outcodes;
    const smooth = lights !== null && this.hasNormals;
    for (let i = 0; i < n; i++) {
      const x = L[3 * i]!;
      const y = L[3 * i + 1]!;
      const z = L[3 * i + 2]!;
      const cx = e[0]! * x + e[4]! * y + e[8]! * z + e[12]!;
      const cy = e[1]! * x + e[5]! * y + e[9]! * z + e[13]!;
      const cz = e[2]! * x + e[6]! * y + e[10]! * z + e[14]!;
      const cw = e[3]! * x + e[7]! * y + e[11]! * z + e[15]!;
      C[4 * i] = cx;
      C[4 * i + 1] = cy;
      C[4 * i + 2] = cz;
      C[4 * i + 3] = cw;
      // Computed inline rather than by a call: V8 boxes doubles passed to a call it does not inline.
      const gw = GUARD * cw;
      const oc =
        (cz + cw < 0 ? 1 : 0) |
        (cw - cz < 0 ? 2 : 0) |
        (cx + gw < 0 ? 4 : 0) |
        (gw - cx < 0 ? 8 : 0) |
        (cy + gw < 0 ? 16 : 0) |
        (gw - cy < 0 ? 32 : 0) |
        (cx < -cw ? 64 : 0) |
        (cx > cw ? 128 : 0) |
        (cy < -cw ? 256 : 0) |
        (cy > cw ? 512 : 0);
      OC[i] = oc;
      if ((oc & CLIP_MASK) === 0) {
        const iw = 1 / cw;
        S[3 * i] = Math.round((cx * iw + 1) * halfW);
        S[3 * i + 1] = Math.round((1 - cy * iw) * halfH);
        S[3 * i + 2] = iw;
      }
      if (lights === null) continue;
      P[3 * i] = me[0]! * x + me[4]! * y + me[8]! * z + me[12]!;
      P[3 * i + 1] = me[1]! * x + me[5]! * y + me[9]! * z + me[13]!;
      P[3 * i + 2] = me[2]! * x + me[6]! * y + me[10]! * z + me[14]!;
      if (!smooth) continue;
      const lx = N[3 * i]!;
      const ly = N[3 * i + 1]!;
      const lz = N[3 * i + 2]!;
      const nx = ne[0]! * lx + ne[3]! * ly + ne[6]! * lz;
      const ny = ne[1]! * lx + ne[4]! * ly + ne[7]! * lz;
      const nz = ne[2]! * lx + ne[5]! * ly + ne[8]! * lz;
      const len = Math.sqrt(nx * nx + ny * ny + nz * nz) || 1;
      WN[3 * i] = nx / len;
      WN[3 * i + 1] = ny / len;
      WN[3 * i + 2] = nz / len;
      lights.irradiance(WN, 3 * i, 1, P, 3 * i, this.irrF, 3 * i);
      if (backSides) lights.irradiance(WN, 3 * i, -1, P, 3 * i, this.irrB, 3 * i);
    }
  }
}

/** out[o..o+2] = column a x column b of the 4x4 column-major m (a, b = 0, 4 or 8). */
function cross(m: ArrayLike<number>, a: number, b: number, out: Float64Array, o: number): void {
  out[o] = m[a + 1]! * m[b + 2]! - m[a + 2]! * m[b + 1]!;
  out[o + 1] = m[a + 2]! * m[b]! - m[a]! * m[b + 2]!;
  out[o + 2] = m[a]! * m[b + 1]! - m[a + 1]! * m[b]!;
}

/** Copies the first three components of n items of a (possibly interleaved or normalised) attribute. */
function readXYZ(attr: Attr, dst: Float64Array, n: number): void {
  if ((attr as THREE.InterleavedBufferAttribute).isInterleavedBufferAttribute || attr.normalized) {
    for (let i = 0; i < n; i++) {
      dst[3 * i] = attr.getX(i);
      dst[3 * i + 1] = attr.getY(i);
      dst[3 * i + 2] = attr.getZ(i);
    }
    return;
  }
  copyStrided(attr.array, attr.itemSize, dst, n);
}

function copyStrided(src: THREE.TypedArray, s: number, dst: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    dst[3 * i] = src[s * i]!;
    dst[3 * i + 1] = s > 1 ? src[s * i + 1]! : 0;
    dst[3 * i + 2] = s > 2 ? src[s * i + 2]! : 0;
  }
}

/**
 * Whether the mesh's bounding sphere meets the frustum (three.js's Frustum.intersectsObject, inlined so that no
 * number is boxed). Instanced meshes always pass.
 */
export function sphereInFrustum(mesh: THREE.Mesh, frustum: THREE.Frustum): boolean {
  if ((mesh as Partial<THREE.InstancedMesh>).isInstancedMesh) return true;
  const geom = mesh.geometry;
  if (geom.boundingSphere === null) geom.computeBoundingSphere();
  const bs = geom.boundingSphere!;
  const c = bs.center;
  const m = mesh.matrixWorld.elements;
  const x = m[0]! * c.x + m[4]! * c.y + m[8]! * c.z + m[12]!;
  const y = m[1]! * c.x + m[5]! * c.y + m[9]! * c.z + m[13]!;
  const z = m[2]! * c.x + m[6]! * c.y + m[10]! * c.z + m[14]!;
  const sx = m[0]! * m[0]! + m[1]! * m[1]! + m[2]! * m[2]!;
  const sy = m[4]! * m[4]! + m[5]! * m[5]! + m[6]! * m[6]!;
  const sz = m[8]! * m[8]! + m[9]! * m[9]! + m[10]! * m[10]!;
  const r = bs.radius * Math.sqrt(Math.max(sx, sy, sz));
  for (let i = 0; i < 6; i++) {
    const p = frustum.planes[i]!;
    if (p.normal.x * x + p.normal.y * y + p.normal.z * z + p.constant < -r) return false;
  }
  return true;
}
