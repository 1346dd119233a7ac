/**
 * Physical properties of every object kind for the physics and the scene graph. Heights and footprints come from
 * sim/scene/geometry.ts (the one place for object dimensions); this adds what only the physics needs.
 *
 *   ball      sphere of diameter size
 *   cube      cube of edge size
 *   cylinder  upright cylinder of diameter size, CYLINDER_HEIGHT tall
 *   bowl      open bowl of outer diameter size, BOWL_HEIGHT tall, walls BOWL_WALL thick (static)
 *   plate     disc of diameter size, PLATE_HEIGHT thick (static)
 */
import { objectHeight } from '../scene/geometry.js';
import type { ObjectKind } from '../types.js';

export { PLATE_HEIGHT as PLATE_THICKNESS } from '../scene/geometry.js';

export interface ObjectDims {
  /** Half the width on the table (round objects: radius; cube: half the edge), metres. */
  radius: number;
  /** Height standing on the table, metres. */
  height: number;
  /** Mass, kg; 0 = fixed to the table (receptacles). */
  mass: number;
}

export const BOWL_WALL = 0.006;

/** A density that gives plausible masses: a 4 cm cube weighs 45 g, a 4.5 cm ball 33 g. */
const DENSITY = 700; // kg/m^3

export function objectDims(kind: ObjectKind, size: number): ObjectDims {
  const r = size / 2;
  const height = objectHeight({ kind, size });
  switch (kind) {
    case 'ball':
      return { radius: r, height, mass: DENSITY * (4 / 3) * Math.PI * r ** 3 };
    case 'cube':
      return { radius: r, height, mass: DENSITY * size ** 3 };
    case 'cylinder':
      return { radius: r, height, mass: DENSITY * Math.PI * r * r * height };
    case 'bowl':
    case 'plate':
      return { radius: r, height, mass: 0 };
  }
}

export const isReceptacle = (kind: ObjectKind): kind is 'bowl' | 'plate' => kind === 'bowl' || kind === 'plate';
