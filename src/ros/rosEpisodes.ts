/**
 * Task success through ROS, in one process: a rosbridge-protocol broker (or a given rosbridge), `vla ros-sim`
 * running `vla eval`'s episodes (RosSimRobot with tasks) and `vla ros` (RosController) driving it, both over
 * websockets with roslib as against a real rosbridge. Lockstep by default, so the outcome does not depend on how
 * fast the machine is. Used by `vla bench ros` and the end-to-end tests.
 */
import type { TaskName } from '../../sim/tasks/index.js';
import { CONTROL_HZ } from '../../sim/types.js';
import { formatRate, wilsonInterval } from '../../sim/util/wilson.js';
import { parseRosConfig, simRosConfigInput } from './config.js';
import type { Actor } from './policyActor.js';
import { RosController } from './RosController.js';
import { RosbridgeTestServer } from './RosbridgeTestServer.js';
import { RosSimRobot, type SimEpisodeResult } from './RosSimRobot.js';
import { RoslibTransport } from './RoslibTransport.js';
import { loadRobotArm } from './robotArm.js';
import type { InterventionKind } from './SafetyFilter.js';

export interface RosEpisodesOptions {
  makeActor: (arm: Awaited<ReturnType<typeof loadRobotArm>>) => Actor;
  tasks: TaskName[];
  /** Episodes in all (tasks in turn). */
  episodes: number;
  seed: number;
  /** A running rosbridge to use; default an in-process broker. */
  url?: string;
  /** Default true. */
  lockstep?: boolean;
  /** Camera frame side and supersampling of the simulator (the policy's). */
  imageSize: number;
  supersampling: number;
  /** Steps before the simulator times an episode out; default 200, as `vla eval`. */
  maxSteps?: number;
  log?: (line: string) => void;
}

export interface RosEpisodesResult {
  results: SimEpisodeResult[];
  successes: number;
  episodes: number;
  successRate: number;
  ci95: [number, number];
  /** The controller's safety interventions over the run, by kind (non-zero only). */
  interventions: Partial<Record<InterventionKind, number>>;
  seconds: number;
}

export async function runRosEpisodes(o: RosEpisodesOptions): Promise<RosEpisodesResult> {
  const t0 = performance.now();
  const log = o.log ?? (() => {});
  const server = o.url ? null : await RosbridgeTestServer.start({ record: false });
  const url = o.url ?? server!.url;
  const lockstep = o.lockstep ?? true;
  const config = parseRosConfig({ ...simRosConfigInput(), control: { rateHz: CONTROL_HZ, lockstep } });
  const arm = await loadRobotArm(config, null);
  const sim = new RosSimRobot({
    transport: new RoslibTransport(url),
    imageWidth: o.imageSize,
    imageHeight: o.imageSize,
    supersampling: o.supersampling,
    seed: o.seed,
    lockstep,
    tasks: o.tasks,
    episodes: o.episodes,
    maxSteps: o.maxSteps ?? 200,
    log: (l) => log(l),
  });
  const controller = new RosController({ config, transport: new RoslibTransport(url), arm, actor: o.makeActor(arm), log: (l) => log(l) });
  try {
    controller.start();
    sim.start();
    await sim.done();
  } finally {
    controller.stop();
    sim.stop();
    await server?.stop();
  }
  const successes = sim.results.filter((r) => r.success).length;
  const n = sim.results.length;
  const ci = wilsonInterval(successes, n);
  const interventions = Object.fromEntries(Object.entries(controller.counts).filter(([, k]) => k > 0));
  return { results: sim.results, successes, episodes: n, successRate: n ? successes / n : 0, ci95: [ci.low, ci.high], interventions, seconds: (performance.now() - t0) / 1000 };
}

export function formatRosEpisodes(r: RosEpisodesResult): string {
  const lines = [`task success through ROS: ${formatRate(r.successes, r.episodes)} in ${r.seconds.toFixed(0)} s`];
  for (const e of r.results) lines.push(`  ${e.task.padEnd(5)} seed ${String(e.seed).padStart(10)} "${e.command}": ${e.success ? 'success' : `failure (${e.reason})`} after ${e.steps} steps`);
  const iv = Object.entries(r.interventions).map(([k, n]) => `${k} ${n}`).join(', ');
  lines.push(`  safety interventions: ${iv || 'none'}`);
  return lines.join('\n');
}
