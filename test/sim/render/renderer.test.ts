import v8 from 'node:v8';
import * as THREE from 'three';
import { describe, expect, it } from 'vitest';
import { CAMERA_PRESETS, makeCamera, type CameraPreset } from '../../../sim/render/cameras.js';
import { createCameraImage } from '../../../sim/render/imageIO.js';
import { buildBenchScene } from '../../../sim/render/bench.js';
import { SoftwareRenderer } from '../../../sim/render/SoftwareRenderer.js';
import { COLOUR_RGB } from '../../../sim/types.js';
import { litScene, maskStats, pixel, projectToPixel, srgb } from './helpers.js';

const image = (w: number, h: number) => createCameraImage(w, h, { depth: true, segmentation: true });

describe('SoftwareRenderer agrees with three.js projection', () => {
  const poses: Array<[string, CameraPreset]> = [
    ['scene', CAMERA_PRESETS.scene],
    ['top', CAMERA_PRESETS.top],
    ['side', CAMERA_PRESETS.side],
    ['oblique', { position: [0.6, 0.5, 0.4], target: [0, 0, 0.05], up: [0, 0, 1], fov: 55, near: 0.05, far: 4 }],
    ['rolled', { position: [-0.5, -0.4, 0.6], target: [0.05, 0, 0], up: [0.4, 0.2, 1], fov: 45, near: 0.05, far: 4 }],
  ];
  const sizes: Array<[number, number]> = [
    [64, 64],
    [96, 128],
    [128, 96],
    [128, 128],
  ];
  const centres = [
    new THREE.Vector3(0.1, 0.12, 0.025),
    new THREE.Vector3(-0.12, -0.15, 0.025),
    new THREE.Vector3(0.2, 0.15, 0.1),
    new THREE.Vector3(0, 0, 0.025),
  ];
  const sphere = new THREE.Mesh(new THREE.SphereGeometry(0.025, 16, 12), new THREE.MeshLambertMaterial({ color: 0xff0000 }));
  sphere.userData['segmentationId'] = 7;
  const table = new THREE.Mesh(new THREE.BoxGeometry(1, 1, 0.02), new THREE.MeshLambertMaterial({ color: 0x886644 }));
  table.position.z = -0.01;
  const scene = litScene(table, sphere);
  const renderer = new SoftwareRenderer();

  for (const [name, preset] of poses) {
    for (const [w, h] of sizes) {
      it(`${name} camera, ${w}x${h}: sphere mask centroid within 1 px of Vector3.project`, () => {
        const camera = makeCamera(preset, w / h);
        const out = image(w, h);
        for (const c of centres) {
          sphere.position.copy(c);
          renderer.render(scene, camera, out);
          const m = maskStats(out, 7);
          expect(m.count).toBeGreaterThan(4);
          expect(m.touchesBorder).toBe(false);
          const [px, py] = projectToPixel(c, camera, w, h);
          expect(Math.hypot(m.cx - px, m.cy - py)).toBeLessThan(1);
        }
      });
    }
  }

  it('sets the camera aspect from the output size', () => {
    const camera = makeCamera(CAMERA_PRESETS.scene, 1);
    renderer.render(scene, camera, image(96, 48));
    expect(camera.aspect).toBe(2);
  });
});

describe('SoftwareRenderer colours', () => {
  it('a red ball comes out red at its projected pixel (standard material, lit)', () => {
    const [r, g, b] = COLOUR_RGB.red;
    const ball = new THREE.Mesh(
      new THREE.SphereGeometry(0.03, 16, 12),
      new THREE.MeshStandardMaterial({ color: srgb(r, g, b), roughness: 0.8 }),
    );
    ball.position.set(0.05, 0.1, 0.03);
    const camera = makeCamera(CAMERA_PRESETS.scene, 1);
    // Lit by a sun and ambient light, then by the default rig (a scene without lights).
    for (const makeScene of [() => litScene(ball), () => new THREE.Scene().add(ball) as THREE.Scene]) {
      const scene = makeScene();
      const out = image(64, 64);
      new SoftwareRenderer().render(scene, camera, out);
      const [x, y] = projectToPixel(ball.position, camera, 64, 64);
      const [R, G, B] = pixel(out, x, y);
      expect(R).toBeGreaterThan(150);
      expect(G).toBeLessThan(70);
      expect(B).toBeLessThan(70);
    }
  });

  it('MeshBasicMaterial is unlit and its sRGB colour comes back as the same bytes; background from scene.background', () => {
    const quad = new THREE.Mesh(new THREE.PlaneGeometry(0.4, 0.4), new THREE.MeshBasicMaterial({ color: srgb(0.85, 0.12, 0.1) }));
    const scene = new THREE.Scene().add(quad) as THREE.Scene;
    scene.background = srgb(0.2, 0.4, 0.6);
    const camera = new THREE.PerspectiveCamera(50, 1, 0.1, 10);
    camera.position.set(0, 0, 1);
    const out = image(32, 32);
    new SoftwareRenderer().render(scene, camera, out);
    // sRGB (0.85, 0.12, 0.1) * 255 = (216.75, 30.6, 25.5): through linear and back, within one step.
    pixel(out, 16, 16).forEach((v, i) => expect(Math.abs(v - [216.75, 30.6, 25.5][i]!)).toBeLessThanOrEqual(0.6));
    expect(pixel(out, 0, 0)).toEqual([51, 102, 153]);
    expect(out.depth![0]).toBe(Infinity);
    expect(out.depth![16 * 32 + 16]).toBeCloseTo(1, 5);
  });

  it('a face turned to the light is brighter than one turned away; flat shading works', () => {
    const box = new THREE.Mesh(new THREE.BoxGeometry(0.3, 0.3, 0.3), new THREE.MeshLambertMaterial({ color: 0xffffff }));
    box.rotation.set(0.4, 0.5, 0);
    const scene = new THREE.Scene().add(box) as THREE.Scene;
    const sun = new THREE.DirectionalLight(0xffffff, 3);
    sun.position.set(0, 0, 5); // lights +z
    scene.add(sun);
    const camera = new THREE.PerspectiveCamera(50, 1, 0.1, 10);
    camera.position.set(0, 0, 1.5);
    const out = image(64, 64);
    const r = new SoftwareRenderer();
    r.render(scene, camera, out);
    const lit = pixel(out, 32, 32)[0];
    box.material.flatShading = true;
    const flat = image(64, 64);
    r.render(scene, camera, flat);
    expect(Math.abs(pixel(flat, 32, 32)[0] - lit)).toBeLessThanOrEqual(1);
    sun.position.set(0, 0, -5); // from behind, and no ambient light: black
    r.render(scene, camera, out);
    expect(pixel(out, 32, 32)[0]).toBe(0);
    expect(lit).toBeGreaterThan(150);
  });
});

describe('SoftwareRenderer visibility', () => {
  const camera = new THREE.PerspectiveCamera(50, 1, 0.1, 10);
  camera.position.set(0, 0, 1);
  camera.up.set(0, 1, 0);
  camera.lookAt(0, 0, 0);

  function pair(nearFirst: boolean) {
    const near = new THREE.Mesh(new THREE.BoxGeometry(0.2, 0.2, 0.2), new THREE.MeshBasicMaterial({ color: 0x00ff00 }));
    near.position.z = 0.4; // front face at z = 0.5: depth 0.5
    near.userData['segmentationId'] = 1;
    const far = new THREE.Mesh(new THREE.BoxGeometry(0.5, 0.5, 0.4), new THREE.MeshBasicMaterial({ color: 0xff0000 }));
    far.userData['segmentationId'] = 2; // front face at z = 0.2: depth 0.8
    const scene = new THREE.Scene();
    if (nearFirst) scene.add(near, far);
    else scene.add(far, near);
    return scene;
  }

  it('a nearer object hides a farther one, in either drawing order; depth is the near surface', () => {
    const outs = [true, false].map((nearFirst) => {
      const out = image(64, 64);
      new SoftwareRenderer().render(pair(nearFirst), camera, out);
      return out;
    });
    for (const out of outs) {
      const c = 32 * 64 + 32;
      expect(pixel(out, 32, 32)).toEqual([0, 255, 0]);
      expect(out.segmentation![c]).toBe(1);
      expect(Math.abs(out.depth![c]! - 0.5)).toBeLessThan(0.003);
      // Beside the near box, the far one shows, at its own depth.
      const [x] = projectToPixel(new THREE.Vector3(0.18, 0, 0.2), camera, 64, 64);
      const q = 32 * 64 + Math.floor(x);
      expect(out.segmentation![q]).toBe(2);
      expect(pixel(out, x, 32)).toEqual([255, 0, 0]);
      expect(Math.abs(out.depth![q]! - 0.8)).toBeLessThan(0.003);
    }
    expect(Buffer.from(outs[0]!.rgb).equals(Buffer.from(outs[1]!.rgb))).toBe(true);
  });

  it('skips invisible objects, objects on other layers and invisible materials', () => {
    const scene = pair(true);
    const near = scene.children[0] as THREE.Mesh;
    const r = new SoftwareRenderer();
    const out = image(64, 64);
    for (const hide of [
      () => (near.visible = false),
      () => near.layers.set(3),
      () => ((near.material as THREE.Material).visible = false),
    ]) {
      near.visible = true;
      near.layers.set(0);
      (near.material as THREE.Material).visible = true;
      hide();
      r.render(scene, camera, out);
      expect(out.segmentation![32 * 64 + 32]).toBe(2);
    }
  });

  it('indexed, non-indexed and instanced geometry draw the same pixels', () => {
    const mat = new THREE.MeshLambertMaterial({ color: 0x3366cc });
    const geo = new THREE.SphereGeometry(0.2, 16, 12);
    const a = new THREE.Mesh(geo, mat);
    const b = new THREE.Mesh(geo.toNonIndexed(), mat);
    const c = new THREE.InstancedMesh(geo, mat, 1);
    c.setMatrixAt(0, new THREE.Matrix4());
    const r = new SoftwareRenderer();
    const [ia, ib, ic] = [a, b, c].map((m) => r.render(litScene(m), camera, image(48, 48)));
    expect(Buffer.from(ib!.rgb).equals(Buffer.from(ia!.rgb))).toBe(true);
    expect(Buffer.from(ic!.rgb).equals(Buffer.from(ia!.rgb))).toBe(true);
  });

  it('draws each material group of a multi-material mesh in its own colour', () => {
    const mats = [0xff0000, 0x00ff00, 0x0000ff, 0xffff00, 0xff00ff, 0x00ffff].map(
      (c) => new THREE.MeshBasicMaterial({ color: c }),
    );
    const box = new THREE.Mesh(new THREE.BoxGeometry(0.3, 0.3, 0.3), mats);
    const out = new SoftwareRenderer().render(new THREE.Scene().add(box) as THREE.Scene, camera, image(32, 32));
    expect(pixel(out, 16, 16)).toEqual([255, 0, 255]); // +z face = group 4
  });
});

describe('SoftwareRenderer determinism and memory', () => {
  it('renders the same bytes twice, reuses its buffers, and allocates (almost) nothing per frame', () => {
    const { scene } = buildBenchScene();
    const camera = makeCamera(CAMERA_PRESETS.scene, 1);
    const r = new SoftwareRenderer();
    const out = image(64, 64);
    r.render(scene, camera, out);
    const first = { rgb: Uint8Array.from(out.rgb), depth: Float32Array.from(out.depth!), seg: Uint8Array.from(out.segmentation!) };
    const refs = { rgb: out.rgb, depth: out.depth, seg: out.segmentation };
    const internals = () => {
      const v = r.vertices as unknown as Record<string, unknown>;
      const o = r as unknown as Record<string, unknown>;
      return [
        ...['local', 'lnorm', 'clip', 'screen', 'world', 'wnorm', 'irrF', 'irrB', 'outcodes'].map((k) => v[k]),
        ...['polyA', 'polyB', 'tri', 'vcol', 'segScratch'].map((k) => o[k]),
      ];
    };
    const before = internals();
    r.render(scene, camera, out);
    expect(out.rgb).toBe(refs.rgb);
    expect(out.depth).toBe(refs.depth);
    expect(out.segmentation).toBe(refs.seg);
    expect(internals()).toEqual(before);
    internals().forEach((buf, i) => expect(buf).toBe(before[i]));
    expect(Buffer.from(out.rgb).equals(Buffer.from(first.rgb))).toBe(true);
    expect(Buffer.from(out.depth!.buffer).equals(Buffer.from(first.depth.buffer))).toBe(true);
    expect(Buffer.from(out.segmentation!).equals(Buffer.from(first.seg))).toBe(true);
    expect(new SoftwareRenderer().render(scene, camera, image(64, 64)).rgb).toEqual(first.rgb);

    // Heap growth per frame once the JIT has settled (median of per-frame deltas, minus the probe's own cost).
    for (let i = 0; i < 3000; i++) r.render(scene, camera, out);
    const median = (f: () => void) => {
      const d: number[] = [];
      for (let i = 0; i < 101; i++) {
        const a = v8.getHeapStatistics().used_heap_size;
        f();
        d.push(v8.getHeapStatistics().used_heap_size - a);
      }
      return d.sort((x, y) => x - y)[50]!;
    };
    const perFrame = median(() => r.render(scene, camera, out)) - median(() => {});
    expect(perFrame).toBeLessThan(1024);
  });

  it('rejects an rgb buffer of the wrong size', () => {
    expect(() =>
      new SoftwareRenderer().render(new THREE.Scene(), new THREE.PerspectiveCamera(), {
        width: 4,
        height: 4,
        rgb: new Uint8Array(10),
      }),
    ).toThrow(/48 bytes/);
  });
});
