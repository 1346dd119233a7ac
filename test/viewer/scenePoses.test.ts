/**
 * What the page draws is where the simulator is, every control step. The page's own pose code
 * (src/viewer/public/scenePoses.js, which SceneView.js uses) runs here in node on the messages a ViewerSession
 * sends for a scripted-expert episode; a second Environment replays the same episode (same seed, same expert) and
 * is the reference:
 *  - every arm primitive's mesh has the world position link pose x primitive offset of the simulator's kinematics
 *    (armPrimitives + ArmModel.linkTransforms), and every object mesh the physics body's position;
 *  - the page's scene, drawn by the simulator's software renderer from the 'side' camera, is the image the
 *    simulator renders itself (same meshes, offsets, colours and lights).
 * Before the fix (sceneJson serialised stale local matrices) the primitives sat at their link origins, e.g. the
 * upper-arm slab 0.22 m off, and the sun lit nothing.
 */
import * as THREE from 'three';
import { describe, expect, it } from 'vitest';
import { Environment } from '../../sim/env/Environment.js';
import { armPrimitives } from '../../sim/env/armPrimitives.js';
import { expertDriver } from '../../sim/env/Driver.js';
import { SoftwareRenderer } from '../../sim/render/SoftwareRenderer.js';
import { CAMERA_PRESETS, makeCamera } from '../../sim/render/cameras.js';
import type { CameraImage } from '../../sim/types.js';
import { ViewerSession, type FrameMessage, type SceneMessage, type ServerMessage } from '../../src/viewer/index.js';
import { applyFrame, loadScene } from '../../src/viewer/public/scenePoses.js';

const SEED = 0;
const COMMAND = 'pick up the red ball';
const SIZE = 96;

/** The episode as the page receives it: the run's scene message and its frames, in order. */
async function viewerEpisode(): Promise<{ scene: SceneMessage; frames: FrameMessage[] }> {
  const session = new ViewerSession({ policy: null, stepsPerSecond: 0 });
  const messages: ServerMessage[] = [];
  const done = new Promise<void>((resolve) =>
    session.setEmitter((json) => {
      const m = JSON.parse(json) as ServerMessage;
      messages.push(m);
      if (m.type === 'frame' && m.status.driver === 'expert' && m.status.state !== 'running') resolve();
    }),
  );
  session.run({ op: 'run', command: COMMAND, driver: 'expert', seed: SEED });
  await done;
  session.close();
  const scene = messages.find((m): m is SceneMessage => m.type === 'scene')!;
  const frames = messages.filter((m): m is FrameMessage => m.type === 'frame' && m.episode === scene.episode);
  return { scene, frames };
}

const worldPosition = (o: THREE.Object3D) => new THREE.Vector3().setFromMatrixPosition(o.matrixWorld);

function meanAbsDiff(a: CameraImage, b: CameraImage): number {
  let sum = 0;
  for (let i = 0; i < a.rgb.length; i++) sum += Math.abs(a.rgb[i]! - b.rgb[i]!);
  return sum / a.rgb.length;
}

describe('the page draws the pose the simulator has', () => {
  it('link primitives, objects and the rendered image match the simulator at every step of an expert episode', async () => {
    const { scene, frames } = await viewerEpisode();
    expect(frames[frames.length - 1]!.status.state).toBe('success');
    expect(frames.length).toBeGreaterThan(20);

    const page = loadScene(scene);
    const env = new Environment({ cameras: [] });
    let obs = env.reset({ seed: SEED, command: COMMAND });
    const expert = expertDriver(SEED);
    expert.reset(env);
    const arm = env.arm;
    const prims = armPrimitives(arm).primitives;
    const poses = arm.linkNames.map(() => new THREE.Matrix4());
    const renderer = new SoftwareRenderer();
    const camera = makeCamera(CAMERA_PRESETS.side, 1);
    const image = (): CameraImage => ({ width: SIZE, height: SIZE, rgb: new Uint8Array(SIZE * SIZE * 3) });
    let worstLink = 0;
    let worstObject = 0;
    const diffs: number[] = [];

    for (let k = 0; k < frames.length; k++) {
      const frame = frames[k]!;
      expect(frame.status.step).toBe(obs.step);
      applyFrame(page, frame);
      page.scene.updateMatrixWorld(true);

      // Every primitive of every link, in the order SceneGraph adds them to the link's group.
      arm.linkTransforms(obs.joints, obs.gripperOpening * arm.maxFingerOpening, poses);
      const seen = page.links.map(() => 0);
      for (const p of prims) {
        const mesh = page.links[p.link]!.children[seen[p.link]!++]!;
        const expected = new THREE.Vector3(...p.position).applyMatrix4(poses[p.link]!);
        worstLink = Math.max(worstLink, worldPosition(mesh).distanceTo(expected));
      }
      expect(seen).toEqual(page.links.map((g) => g!.children.length));
      expect(worstLink, `arm primitives at step ${obs.step}`).toBeLessThan(1e-4); // poses are rounded to 1e-5 on the wire
      env.snapshot().objects.forEach((o, i) => {
        const p = o.position;
        worstObject = Math.max(worstObject, worldPosition(page.objects[i]!).distanceTo(new THREE.Vector3(p.x, p.y, p.z)));
      });
      expect(worstObject, `objects at step ${obs.step}`).toBeLessThan(1e-4);

      // The whole picture, at the start, midway and at the end.
      if (k === 0 || k === frames.length >> 1 || k === frames.length - 1) {
        const mine = env.render('side', SIZE, SIZE);
        const theirs = renderer.render(page.scene, camera, image());
        // The page's colours went through 8-bit hex in the JSON: a byte or so; a displaced link is far more.
        diffs.push(meanAbsDiff(mine, theirs));
        expect(diffs[diffs.length - 1], `side camera image at step ${obs.step}`).toBeLessThan(0.5);
      }

      if (k < frames.length - 1) obs = env.step(expert.act(obs, env)).observation;
    }
    console.log(`largest offsets over ${frames.length} frames: arm primitives ${worstLink.toExponential(1)} m, objects ${worstObject.toExponential(1)} m; mean |image difference| ${diffs.map((d) => d.toFixed(3)).join(', ')} / 255`);
  }, 900_000);
});
