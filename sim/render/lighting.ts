/**
 * The lights of a three.js scene, reduced to what a diffuse (Lambert) surface needs: irradiance E at a point with
 * a given normal. Follows three.js's shader chunks (lights_pars_begin, r155+ physically based units, no legacy
 * x pi scaling):
 *
 *   AmbientLight      E += colour * intensity
 *   HemisphereLight   E += mix(ground, sky, 0.5 * n.d + 0.5) * intensity,  d = normalised light world position
 *   DirectionalLight  E += colour * intensity * max(0, n.l),  l = normalise(light world pos - target world pos)
 *   PointLight        E += colour * intensity * max(0, n.l) * 1 / max(dist^decay, 0.01) * window(dist, distance)
 *
 * and a surface then emits albedo / pi * E (BRDF_Lambert). Spot, rect-area and light probes are ignored.
 * As in three.js, a DirectionalLight's target counts where its matrixWorld says (add it to the scene to move it).
 * All colours are linear (three.js's working colour space).
 */
import * as THREE from 'three';

/** The rig used when the scene holds no light: ambient plus one directional light from above-front-left (Z up). */
export const DEFAULT_LIGHTS = {
  ambient: 1.0,
  directional: { intensity: 2.5, direction: [0.3, 0.35, 1] },
} as const;

/** Lights of each kind beyond this many are ignored. */
export const MAX_LIGHTS = 8;

const _p = new THREE.Vector3();
const _q = new THREE.Vector3();

export class LightRig {
  /** Ambient irradiance, linear rgb. */
  readonly ambient = new Float64Array(3);
  /** Per directional light: direction towards the light (unit, world) xyz, colour * intensity rgb. */
  readonly dirs = new Float64Array(MAX_LIGHTS * 6);
  /** Per hemisphere light: up direction xyz, sky rgb, ground rgb (times intensity). */
  readonly hemis = new Float64Array(MAX_LIGHTS * 9);
  /** Per point light: world position xyz, colour * intensity rgb, cut-off distance (0 = none), decay. */
  readonly points = new Float64Array(MAX_LIGHTS * 8);
  nDir = 0;
  nHemi = 0;
  nPoint = 0;
  /** Whether any light was added since reset(). */
  any = false;

  reset(): void {
    this.ambient.fill(0);
    this.nDir = this.nHemi = this.nPoint = 0;
    this.any = false;
  }

  /** Adds one light (its matrixWorld must be current). */
  add(light: THREE.Light): void {
    const c = light.color;
    const k = light.intensity;
    this.any = true;
    if ((light as THREE.AmbientLight).isAmbientLight) {
      this.ambient[0]! += c.r * k;
      this.ambient[1]! += c.g * k;
      this.ambient[2]! += c.b * k;
    } else if ((light as THREE.DirectionalLight).isDirectionalLight && this.nDir < MAX_LIGHTS) {
      _p.setFromMatrixPosition(light.matrixWorld);
      _q.setFromMatrixPosition((light as THREE.DirectionalLight).target.matrixWorld);
      _p.sub(_q).normalize();
      const o = 6 * this.nDir++;
      set3(this.dirs, o, _p.x, _p.y, _p.z);
      set3(this.dirs, o + 3, c.r * k, c.g * k, c.b * k);
    } else if ((light as THREE.HemisphereLight).isHemisphereLight && this.nHemi < MAX_LIGHTS) {
      const g = (light as THREE.HemisphereLight).groundColor;
      _p.setFromMatrixPosition(light.matrixWorld).normalize();
      const o = 9 * this.nHemi++;
      set3(this.hemis, o, _p.x, _p.y, _p.z);
      set3(this.hemis, o + 3, c.r * k, c.g * k, c.b * k);
      set3(this.hemis, o + 6, g.r * k, g.g * k, g.b * k);
    } else if ((light as THREE.PointLight).isPointLight && this.nPoint < MAX_LIGHTS) {
      const pl = light as THREE.PointLight;
      _p.setFromMatrixPosition(light.matrixWorld);
      const o = 8 * this.nPoint++;
      set3(this.points, o, _p.x, _p.y, _p.z);
      set3(this.points, o + 3, c.r * k, c.g * k, c.b * k);
      set3(this.points, o + 5, c.b * k, pl.distance, pl.decay);
    }
  }

  /** Replaces the rig by DEFAULT_LIGHTS. */
  useDefaults(): void {
    this.reset();
    this.ambient.fill(DEFAULT_LIGHTS.ambient);
    const [x, y, z] = DEFAULT_LIGHTS.directional.direction;
    const len = Math.hypot(x, y, z);
    const k = DEFAULT_LIGHTS.directional.intensity;
    set3(this.dirs, 0, x / len, y / len, z / len);
    set3(this.dirs, 3, k, k, k);
    this.nDir = 1;
  }

  /**
   * Irradiance (linear rgb) at the world point P[pi..pi+2] with unit normal sign * N[ni..ni+2], written to
   * out[o..o+2]. (Arrays and integer offsets rather than number arguments: V8 boxes doubles passed to a call
   * it does not inline, which would allocate per vertex.)
   */
  irradiance(N: Float64Array, ni: number, sign: number, P: Float64Array, pi: number, out: Float64Array, o: number): void {
    const nx = sign * N[ni]!;
    const ny = sign * N[ni + 1]!;
    const nz = sign * N[ni + 2]!;
    const px = P[pi]!;
    const py = P[pi + 1]!;
    const pz = P[pi + 2]!;
    let r = this.ambient[0]!;
    let g = this.ambient[1]!;
    let b = this.ambient[2]!;
    const d = this.dirs;
    for (let i = 0, j = 0; i < this.nDir; i++, j += 6) {
      const dot = nx * d[j]! + ny * d[j + 1]! + nz * d[j + 2]!;
      if (dot > 0) {
        r += dot * d[j + 3]!;
        g += dot * d[j + 4]!;
        b += dot * d[j + 5]!;
      }
    }
    const h = this.hemis;
    for (let i = 0, j = 0; i < this.nHemi; i++, j += 9) {
      const t = 0.5 * (nx * h[j]! + ny * h[j + 1]! + nz * h[j + 2]!) + 0.5;
      r += h[j + 6]! + (h[j + 3]! - h[j + 6]!) * t;
      g += h[j + 7]! + (h[j + 4]! - h[j + 7]!) * t;
      b += h[j + 8]! + (h[j + 5]! - h[j + 8]!) * t;
    }
    const L = this.points;
    for (let i = 0, j = 0; i < this.nPoint; i++, j += 8) {
      const lx = L[j]! - px;
      const ly = L[j + 1]! - py;
      const lz = L[j + 2]! - pz;
      const dist = Math.sqrt(lx * lx + ly * ly + lz * lz);
      const dot = dist > 0 ? (nx * lx + ny * ly + nz * lz) / dist : 0;
      if (dot <= 0) continue;
      // three.js getDistanceAttenuation (Frostbite 2014, eq. 26).
      let att = 1 / Math.max(Math.pow(dist, L[j + 7]!), 0.01);
      const cutoff = L[j + 6]!;
      if (cutoff > 0) {
        const q = Math.max(0, Math.min(1, 1 - Math.pow(dist / cutoff, 4)));
        att *= q * q;
      }
      r += dot * att * L[j + 3]!;
      g += dot * att * L[j + 4]!;
      b += dot * att * L[j + 5]!;
    }
    out[o] = r;
    out[o + 1] = g;
    out[o + 2] = b;
  }
}

function set3(a: Float64Array, o: number, x: number, y: number, z: number): void {
  a[o] = x;
  a[o + 1] = y;
  a[o + 2] = z;
}
