/**
 * Object dimensions and the table layout rules every scene obeys: sizes per kind, heights, footprints, the
 * reachable region and the spacing between objects. The physics, the renderer and the task checks all read
 * heights and radii from here, so a cylinder is 6 cm tall everywhere.
 *
 * `size` (see SceneObject) is the ball's diameter, the cube's edge, and the cylinder's, bowl's and plate's
 * diameter. Heights: ball = size, cube = size, cylinder 0.06 m, bowl 0.04 m, plate 0.01 m (fixed, whatever the
 * diameter). Every object stands on the table (z = 0), so its resting centre is at z = height / 2.
 */
import type { ObjectKind, SceneObject } from '../types.js';

/** Cylinder height in metres (all cylinders). */
export const CYLINDER_HEIGHT = 0.06;
export const BOWL_HEIGHT = 0.04;
export const PLATE_HEIGHT = 0.01;

export interface KindSpec {
  /** The size randomScene uses (balls vary in [min, max]). */
  readonly nominalSize: number;
  /** Sizes a scene file may give, inclusive. */
  readonly minSize: number;
  readonly maxSize: number;
  /** Fixed height in metres, or null when the height equals the size (ball, cube). */
  readonly fixedHeight: number | null;
}

export const KIND_SPECS: Readonly<Record<ObjectKind, KindSpec>> = {
  ball: { nominalSize: 0.045, minSize: 0.04, maxSize: 0.05, fixedHeight: null },
  cube: { nominalSize: 0.04, minSize: 0.035, maxSize: 0.045, fixedHeight: null },
  cylinder: { nominalSize: 0.04, minSize: 0.035, maxSize: 0.045, fixedHeight: CYLINDER_HEIGHT },
  bowl: { nominalSize: 0.12, minSize: 0.1, maxSize: 0.14, fixedHeight: BOWL_HEIGHT },
  plate: { nominalSize: 0.14, minSize: 0.12, maxSize: 0.16, fixedHeight: PLATE_HEIGHT },
};

/** Object centres must lie in this rectangle (metres, world frame): what the arm at ARM_BASE reaches well. */
export const REACHABLE_REGION = { xMin: -0.15, xMax: 0.25, yMin: -0.25, yMax: 0.25 } as const;

/** The table top: z = 0, x and y in [-0.5, 0.5] (see sim/types.ts). */
export const TABLE_EXTENT = { xMin: -0.5, xMax: 0.5, yMin: -0.5, yMax: 0.5 } as const;

/** Free space required between two footprints, metres. */
export const OVERLAP_MARGIN = 0.01;

/** Small tolerance for float comparisons of distances (metres). */
export const GEOMETRY_EPS = 1e-9;

type Sized = Pick<SceneObject, 'kind' | 'size'>;

export function objectHeight(o: Sized): number {
  return KIND_SPECS[o.kind].fixedHeight ?? o.size;
}

/** Centre height of the object standing on the table. */
export function restingCentreZ(o: Sized): number {
  return objectHeight(o) / 2;
}

/**
 * Radius of a circle that contains the object's footprint whatever its yaw: size / 2 for round things, half the
 * diagonal (size * sqrt(2) / 2) for a cube.
 */
export function footprintRadius(o: Sized): number {
  return o.kind === 'cube' ? (o.size * Math.SQRT2) / 2 : o.size / 2;
}

/** Minimum centre distance of two objects that do not overlap: the radii plus OVERLAP_MARGIN. */
export function minCentreDistance(a: Sized, b: Sized): number {
  return footprintRadius(a) + footprintRadius(b) + OVERLAP_MARGIN;
}

export function isInReachableRegion(p: { x: number; y: number }): boolean {
  const r = REACHABLE_REGION;
  return p.x >= r.xMin && p.x <= r.xMax && p.y >= r.yMin && p.y <= r.yMax;
}

export function distanceXY(a: { x: number; y: number }, b: { x: number; y: number }): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}
