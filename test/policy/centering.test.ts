/** imageCentering: each image's mean colour is removed, so a uniform colour cast does not change the actions. */
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/tf/backend.js';
import { VlaPolicy } from '../../src/policy/index.js';
import { syntheticObservation } from '../../src/policy/bench.js';

beforeAll(async () => {
  await selectBackend({ flag: 'wasm', log: null });
});

describe('imageCentering', () => {
  it('makes actions invariant to adding a constant to every pixel, and only then', () => {
    const tiny = { width: 16, heads: 2, visionLayers: 1, stemChannels: 4, chunk: 2 };
    const obs = syntheticObservation({ imageSize: 64, cameras: ['scene'] });
    // Squeeze the image into 0..200 so that adding 20 never clips.
    const rgb = obs.images.scene!.rgb.map((v) => Math.round((v * 200) / 255));
    const base = { ...obs, images: { scene: { ...obs.images.scene!, rgb } } };
    const cast = { ...obs, images: { scene: { ...obs.images.scene!, rgb: rgb.map((v) => v + 20) } } };
    const centred = new VlaPolicy({ ...tiny, imageCentering: true });
    const plain = new VlaPolicy({ ...tiny, imageCentering: false });
    const diff = (p: VlaPolicy) => {
      const a = p.act(base)[0]!;
      const b = p.act(cast)[0]!;
      return Math.abs(a.dx - b.dx) + Math.abs(a.dy - b.dy) + Math.abs(a.dz - b.dz);
    };
    expect(diff(centred)).toBeLessThan(1e-5);
    expect(diff(plain)).toBeGreaterThan(1e-5);
    centred.dispose();
    plain.dispose();
  });
});
