/**
 * `vla bench ros`: end-to-end latency of `vla ros` from a camera message in to the joint command out, at 10 and
 * 30 Hz control, and its behaviour under a 500 Hz joint-state stream (lag of the newest joint state at each
 * command, delivery, memory over time). Everything runs in this process over real websockets on 127.0.0.1: a
 * RosbridgeTestServer plays rosbridge and the robot (publishing camera frames and joint states), the controller
 * connects to it with roslib as it would to a real robot.
 *
 * Latency of one command = arrival of the command at the server - the moment the server sent the camera frame the
 * command was computed from. It includes the wait for the next control tick (up to one period), decoding and
 * resizing the frame, the policy, the safety filter and both websocket hops.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parseRosConfig, simRosConfigInput } from './config.js';
import { MESSAGE_TYPES, header, imageMsg, jointStateMsg } from './messages.js';
import type { Actor } from './policyActor.js';
import { RosController, type CommandEvent } from './RosController.js';
import { RosbridgeTestServer } from './RosbridgeTestServer.js';
import { RoslibTransport } from './RoslibTransport.js';
import { loadRobotArm } from './robotArm.js';

export interface RosBenchOptions {
  makeActor: (arm: Awaited<ReturnType<typeof loadRobotArm>>) => Actor;
  rates: number[];
  /** Seconds measured per rate (after 1 s of warm-up). */
  seconds: number;
  cameraHz: number;
  cameraWidth: number;
  cameraHeight: number;
  /** Joint-state stream of the stress phase. */
  streamHz: number;
  streamSeconds: number;
  streamRate: number;
  progress?: (line: string) => void;
}

export interface LatencyFigures {
  rateHz: number;
  commands: number;
  /** Camera message in -> joint command out, ms. */
  medianMs: number;
  p99Ms: number;
  /** Tick start -> command published (policy + filter + send), ms. */
  computeMedianMs: number;
  computeP99Ms: number;
  /** Achieved command rate, Hz. */
  achievedHz: number;
  /** Control ticks run, per second. */
  tickHz: number;
  /** Safety interventions during the measurement, by kind. */
  interventions: Record<string, number>;
}

export interface StreamFigures {
  streamHz: number;
  seconds: number;
  sent: number;
  received: number;
  /** Age of the newest joint state at each control tick, ms: median in each quarter of the run, and p99. */
  lagQuarterMedianMs: number[];
  lagP99Ms: number;
  /** Joint states sent but not yet taken, sampled each second: first, last and largest. */
  backlogFirst: number;
  backlogLast: number;
  backlogMax: number;
  /** Heap after a full GC, MB: at the start, the middle and the end of the run, and the largest sample. */
  heapStartMb: number;
  heapMidMb: number;
  heapEndMb: number;
  heapMaxMb: number;
  latency: LatencyFigures;
}

export interface RosBenchResult {
  actor: string;
  camera: string;
  latency: LatencyFigures[];
  stream: StreamFigures;
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A full garbage collection, so heap samples show what is retained, not what is waiting to be collected. */
function collectGarbage(): void {
  setFlagsFromString('--expose_gc');
  (runInNewContext('gc') as () => void)();
}

interface Run {
  latencies: number[];
  compute: number[];
  lags: { at: number; ms: number }[];
  commands: number;
  sentJointStates: number;
  received: number;
  heap: number[];
  /** Joint states sent but not yet taken by the controller, sampled once a second. */
  backlog: number[];
  seconds: number;
  ticks: number;
  interventions: Record<string, number>;
}

async function runOnce(o: RosBenchOptions, rateHz: number, jointHz: number, seconds: number): Promise<Run> {
  const server = await RosbridgeTestServer.start({ record: false });
  const config = parseRosConfig({ ...simRosConfigInput(), control: { rateHz, maxSteps: 1_000_000 } });
  const arm = await loadRobotArm(config, null);
  const actor = o.makeActor(arm);
  const transport = new RoslibTransport(server.url);
  const sentAt = new Map<number, number>();
  const events: CommandEvent[] = [];
  const run: Run = { latencies: [], compute: [], lags: [], commands: 0, sentJointStates: 0, received: 0, heap: [], backlog: [], seconds, ticks: 0, interventions: {} };
  let measuring = false;
  let t0 = 0;
  const controller = new RosController({
    config,
    transport,
    arm,
    actor,
    log: () => {},
    onCommand: (e) => {
      events.push(e);
      // Nothing is received while a tick runs (one thread), so this is the newest joint state at the tick's start.
      if (measuring) run.lags.push({ at: e.tickAt - t0, ms: e.tickAt - controller.jointStateStamp * 1000 });
    },
  });
  server.onPublish(config.topics.jointCommand.name, () => {
    const e = events.shift();
    if (!e || !measuring) return;
    const sent = sentAt.get(e.imageStamp);
    if (sent !== undefined) run.latencies.push(performance.now() - sent);
    run.compute.push(e.publishedAt - e.tickAt);
    run.commands++;
  });
  controller.start();
  await server.waitFor(() => transport.connected && server.subscriberCount(config.topics.camera.name) > 0, 10_000, 'the controller to subscribe');

  const { cameraWidth: w, cameraHeight: h } = o;
  const rgb = new Uint8Array(w * h * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 31) & 255;
  const frame = imageMsg(w, h, rgb, 0, 'camera', 2);
  const q = arm.homeConfiguration();
  const names = [...arm.armJointNames, ...arm.fingerJointNames];
  const positions = [...q, ...arm.fingerJointNames.map(() => arm.maxFingerOpening)];
  let frameId = 0;
  const camTimer = setInterval(() => {
    frameId++;
    sentAt.set(frameId, performance.now());
    if (frameId > 200) sentAt.delete(frameId - 200);
    server.publish(config.topics.camera.name, MESSAGE_TYPES.image, { ...frame, header: header(frameId, 'camera', 2) });
  }, 1000 / o.cameraHz);
  // Joint states at jointHz: every 10 ms, the messages that are due (setInterval cannot tick every 2 ms).
  const jsStart = performance.now();
  const jsTimer = setInterval(() => {
    const due = Math.floor(((performance.now() - jsStart) / 1000) * jointHz);
    while (run.sentJointStates < due) {
      run.sentJointStates++;
      server.publish(config.topics.jointStates, MESSAGE_TYPES.jointState, jointStateMsg(names, positions, [], performance.now() / 1000, 2));
    }
  }, 10);
  controller.startEpisode('pick up the red ball');
  await sleep(1000); // warm-up
  const ticks0 = controller.ticks;
  const counts0 = { ...controller.counts };
  measuring = true;
  t0 = performance.now();
  for (let s = 0; s <= seconds; s++) {
    collectGarbage();
    run.heap.push(process.memoryUsage().heapUsed / 2 ** 20);
    run.backlog.push(run.sentJointStates - controller.jointStatesReceived);
    if (s < seconds) await sleep(1000);
  }
  measuring = false;
  run.ticks = controller.ticks - ticks0;
  for (const [k, n] of Object.entries(controller.counts)) if (n - counts0[k as keyof typeof counts0] > 0) run.interventions[k] = n - counts0[k as keyof typeof counts0];
  clearInterval(jsTimer);
  await sleep(300); // let what is in flight arrive: every joint state sent should be taken
  run.received = controller.jointStatesReceived;
  clearInterval(camTimer);
  controller.stop();
  await server.stop();
  return run;
}

function latencyOf(rateHz: number, r: Run): LatencyFigures {
  return {
    rateHz,
    commands: r.commands,
    medianMs: quantile(r.latencies, 0.5),
    p99Ms: quantile(r.latencies, 0.99),
    computeMedianMs: quantile(r.compute, 0.5),
    computeP99Ms: quantile(r.compute, 0.99),
    achievedHz: r.commands / r.seconds,
    tickHz: r.ticks / r.seconds,
    interventions: r.interventions,
  };
}

export async function benchRos(o: RosBenchOptions): Promise<RosBenchResult> {
  const say = o.progress ?? (() => {});
  const latency: LatencyFigures[] = [];
  let label = '';
  for (const rate of o.rates) {
    say(`${rate} Hz control, camera ${o.cameraWidth}x${o.cameraHeight} rgb8 at ${o.cameraHz} Hz, joint states at 100 Hz, ${o.seconds} s`);
    const r = await runOnce({ ...o, makeActor: (arm) => {
      const a = o.makeActor(arm);
      label = a.label;
      return a;
    } }, rate, 100, o.seconds);
    latency.push(latencyOf(rate, r));
  }
  say(`${o.streamRate} Hz control under a ${o.streamHz} Hz joint-state stream, ${o.streamSeconds} s`);
  const r = await runOnce(o, o.streamRate, o.streamHz, o.streamSeconds);
  const quarter = (r.seconds * 1000) / 4;
  const quarters = [0, 1, 2, 3].map((k) => quantile(r.lags.filter((l) => l.at >= k * quarter && l.at < (k + 1) * quarter).map((l) => l.ms), 0.5));
  return {
    actor: label,
    camera: `${o.cameraWidth}x${o.cameraHeight} rgb8 at ${o.cameraHz} Hz`,
    latency,
    stream: {
      streamHz: o.streamHz,
      seconds: r.seconds,
      sent: r.sentJointStates,
      received: r.received,
      lagQuarterMedianMs: quarters,
      backlogFirst: r.backlog[0] ?? NaN,
      backlogLast: r.backlog[r.backlog.length - 1] ?? NaN,
      backlogMax: Math.max(...r.backlog),
      lagP99Ms: quantile(r.lags.map((l) => l.ms), 0.99),
      heapStartMb: r.heap[0] ?? NaN,
      heapMidMb: r.heap[Math.floor(r.heap.length / 2)] ?? NaN,
      heapEndMb: r.heap[r.heap.length - 1] ?? NaN,
      heapMaxMb: Math.max(...r.heap),
      latency: latencyOf(o.streamRate, r),
    },
  };
}

export function formatRosBench(r: RosBenchResult): string {
  const f = (x: number) => x.toFixed(1);
  const lines = [`vla ros over rosbridge (in-process broker on 127.0.0.1), actor: ${r.actor}, camera ${r.camera}`];
  for (const l of r.latency) {
    lines.push(
      `  ${String(l.rateHz).padStart(2)} Hz control: camera in -> joint command out median ${f(l.medianMs)} ms, p99 ${f(l.p99Ms)} ms ` +
        `(compute median ${f(l.computeMedianMs)} ms, p99 ${f(l.computeP99Ms)} ms; ${l.commands} commands, ${f(l.achievedHz)} Hz achieved, ${f(l.tickHz)} ticks/s)`,
    );
    lines.push(`    interventions: ${Object.entries(l.interventions).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
  }
  const s = r.stream;
  lines.push(
    `  ${s.streamHz} Hz joint states for ${s.seconds} s at ${s.latency.rateHz} Hz control: ${s.received} of ${s.sent} taken (after warm-up and drain); ` +
      `age of the newest joint state at each tick, median per quarter of the run ${s.lagQuarterMedianMs.map(f).join(' / ')} ms, p99 ${f(s.lagP99Ms)} ms; ` +
      `backlog (sent, not yet taken) ${s.backlogFirst} at start, ${s.backlogLast} at end, max ${s.backlogMax}`,
  );
  lines.push(`    heap after GC ${f(s.heapStartMb)} MB at start, ${f(s.heapMidMb)} MB halfway, ${f(s.heapEndMb)} MB at end (max ${f(s.heapMaxMb)} MB); latency median ${f(s.latency.medianMs)} ms, p99 ${f(s.latency.p99Ms)} ms, ${f(s.latency.achievedHz)} Hz achieved`);
  return lines.join('\n');
}

