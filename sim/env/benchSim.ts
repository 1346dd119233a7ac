/**
 * `vla bench sim`: physics steps per second, camera frames per second (64x64, 128x128, and 64x64 supersampled 4 x 4
 * per pixel as a recipe with `"supersampling": 4` collects them) and the real-time
 * factor of whole episode steps (physics + control + one 64x64 camera frame per control step) on the default
 * scene with the scripted expert driving. Medians over `runs` repetitions.
 */
import { median } from '../util/median.js';
import { loadScene, resolveScenePath } from '../scene/index.js';
import { CONTROL_HZ, PHYSICS_HZ } from '../types.js';
import { Environment } from './Environment.js';
import { expertDriver } from './Driver.js';

export interface SimBenchResult {
  runs: number;
  physicsStepsPerSec: number;
  cameraFps64: number;
  cameraFps128: number;
  cameraMs64: number;
  cameraMs128: number;
  /** 64x64 with supersampling 4 (rendered at 256x256 and box-filtered). */
  cameraMs64x4: number;
  /** Simulated seconds per wall-clock second for whole control steps. */
  realTimeFactor: number;
  controlStepMs: number;
}

export async function benchSim(o: { runs: number }): Promise<SimBenchResult> {
  const scene = loadScene(resolveScenePath('default'));
  const command = 'pick up the red ball';
  const env = new Environment();
  const physicsRates: number[] = [];
  const cam64: number[] = [];
  const cam128: number[] = [];
  const cam64x4: number[] = [];
  const rtf: number[] = [];
  const stepMs: number[] = [];
  for (let run = 0; run < o.runs; run++) {
    // Whole control steps with the expert driving.
    let obs = env.reset({ seed: run, scene, command });
    const driver = expertDriver(run);
    driver.reset(env);
    // Time spent inside physics steps while the arm works (objects wake when touched).
    const physics = env.physicsWorld;
    const step = physics.step.bind(physics);
    let physicsMs = 0;
    let physicsSteps = 0;
    physics.step = () => {
      const p0 = performance.now();
      step();
      physicsMs += performance.now() - p0;
      physicsSteps++;
    };
    let steps = 0;
    const t0 = performance.now();
    for (let i = 0; i < 100; i++) {
      const r = env.step(driver.act(obs, env));
      obs = r.observation;
      steps++;
      if (r.done) break;
    }
    const wall = (performance.now() - t0) / 1000;
    rtf.push(steps / CONTROL_HZ / wall);
    stepMs.push((wall * 1000) / steps);

    physicsRates.push(physicsSteps / (physicsMs / 1000));

    // Camera frames alone.
    for (const [size, supersampling, out] of [[64, 1, cam64], [128, 1, cam128], [64, 4, cam64x4]] as const) {
      env.render('scene', size, size, { supersampling });
      const frames = 50;
      const c0 = performance.now();
      for (let i = 0; i < frames; i++) env.render('scene', size, size, { supersampling });
      out.push((performance.now() - c0) / frames);
    }
  }
  const cameraMs64 = median(cam64);
  const cameraMs128 = median(cam128);
  return {
    runs: o.runs,
    physicsStepsPerSec: median(physicsRates),
    cameraFps64: 1000 / cameraMs64,
    cameraFps128: 1000 / cameraMs128,
    cameraMs64,
    cameraMs128,
    cameraMs64x4: median(cam64x4),
    realTimeFactor: median(rtf),
    controlStepMs: median(stepMs),
  };
}

export function formatSimBench(r: SimBenchResult): string {
  return [
    `default scene, medians of ${r.runs} runs (one process, one core)`,
    `  physics:         ${r.physicsStepsPerSec.toFixed(0)} steps/s while the arm works (${PHYSICS_HZ} Hz step: ${(r.physicsStepsPerSec / PHYSICS_HZ).toFixed(1)}x real time)`,
    `  camera 64x64:    ${r.cameraMs64.toFixed(3)} ms/frame (${r.cameraFps64.toFixed(0)} fps)`,
    `  camera 128x128:  ${r.cameraMs128.toFixed(3)} ms/frame (${r.cameraFps128.toFixed(0)} fps)`,
    `  camera 64x64, supersampling 4: ${r.cameraMs64x4.toFixed(3)} ms/frame (${(1000 / r.cameraMs64x4).toFixed(0)} fps)`,
    `  control step:    ${r.controlStepMs.toFixed(3)} ms (${PHYSICS_HZ / CONTROL_HZ} physics steps + IK + one 64x64 frame)`,
    `  real-time factor ${r.realTimeFactor.toFixed(1)}x`,
  ].join('\n');
}
