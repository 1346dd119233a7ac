import * as THREE from 'three';
import { describe, expect, it } from 'vitest';
import {
  CAMERA_NAMES,
  CAMERA_PRESETS,
  WRIST_CAMERA,
  applyCameraPreset,
  makeCamera,
  makeWristCamera,
  updateWristCamera,
} from '../../../sim/render/cameras.js';

describe('camera presets', () => {
  it('"scene" sees the whole object region (full object width, 8 cm above the table) at aspect 1', () => {
    const cam = makeCamera(CAMERA_PRESETS.scene, 1);
    for (const x of [-0.17, 0.27]) {
      for (const y of [-0.27, 0.27]) {
        for (const z of [0, 0.08]) {
          const ndc = new THREE.Vector3(x, y, z).project(cam);
          expect(Math.abs(ndc.x)).toBeLessThan(0.99);
          expect(Math.abs(ndc.y)).toBeLessThan(0.99);
          expect(ndc.z).toBeLessThan(1); // in front of the far plane, behind the near one
          expect(ndc.z).toBeGreaterThan(-1);
        }
      }
    }
  });

  it('"scene" faces the arm from across the table (the arm\'s left on the image\'s right); "top" has image left = +y', () => {
    const side = (name: 'scene' | 'top') => {
      const cam = makeCamera(CAMERA_PRESETS[name], 1);
      return new THREE.Vector3(0.05, 0.2, 0).project(cam).x - new THREE.Vector3(0.05, -0.2, 0).project(cam).x;
    };
    expect(side('top')).toBeLessThan(0);
    expect(side('scene')).toBeGreaterThan(0);
    const cam = makeCamera(CAMERA_PRESETS.scene, 1);
    const dir = cam.getWorldDirection(new THREE.Vector3());
    expect(dir.x).toBeLessThan(0);
    expect(dir.z).toBeLessThan(-0.8); // steep: the arm reaching in from the far side hides little
    expect(Math.abs(dir.y)).toBeLessThan(1e-9);
    expect(cam.position.x).toBeGreaterThan(0.25);
  });

  it('every preset is plain data and builds a camera with its fov, near and far', () => {
    expect(CAMERA_NAMES).toEqual(['scene', 'top', 'side']);
    for (const name of CAMERA_NAMES) {
      const p = CAMERA_PRESETS[name];
      const cam = makeCamera(p, 4 / 3);
      expect([cam.fov, cam.near, cam.far, cam.aspect]).toEqual([p.fov, p.near, p.far, 4 / 3]);
      expect(cam.position.toArray()).toEqual([...p.position]);
      expect(JSON.parse(JSON.stringify(p))).toEqual(p);
      // The target projects to the image centre.
      const c = new THREE.Vector3(...p.target).project(cam);
      expect(Math.hypot(c.x, c.y)).toBeLessThan(1e-9);
    }
    const reused = applyCameraPreset(new THREE.PerspectiveCamera(), CAMERA_PRESETS.top, 2);
    expect(reused.aspect).toBe(2);
  });

  it('the wrist camera rides on the tool frame and looks along its +z', () => {
    // Tool pointing down (+z_tool = -z_world) at (0.1, 0.05, 0.3), rotated 90 degrees about world z.
    const tool = new THREE.Matrix4().compose(
      new THREE.Vector3(0.1, 0.05, 0.3),
      new THREE.Quaternion().setFromEuler(new THREE.Euler(Math.PI, 0, Math.PI / 2, 'ZYX')),
      new THREE.Vector3(1, 1, 1),
    );
    const cam = makeWristCamera(tool, 1);
    const dir = cam.getWorldDirection(new THREE.Vector3());
    const toolZ = new THREE.Vector3(0, 0, 1).transformDirection(tool);
    expect(dir.distanceTo(toolZ)).toBeLessThan(1e-9);
    expect(toolZ.z).toBeCloseTo(-1, 9);
    const expected = new THREE.Vector3(...WRIST_CAMERA.offset).applyMatrix4(tool);
    expect(cam.position.distanceTo(expected)).toBeLessThan(1e-9);
    // A point straight ahead of the tool, below it, is in view; the fingertip region is in the lower half.
    const ahead = new THREE.Vector3(0, 0, 0.2).applyMatrix4(tool).project(cam);
    expect(Math.abs(ahead.x)).toBeLessThan(1);
    expect(ahead.y).toBeLessThan(0);
    // Updating in place moves the same camera.
    tool.setPosition(0, 0, 0.5);
    expect(updateWristCamera(cam, tool)).toBe(cam);
    expect(cam.position.distanceTo(new THREE.Vector3(...WRIST_CAMERA.offset).applyMatrix4(tool))).toBeLessThan(1e-9);
  });
});
