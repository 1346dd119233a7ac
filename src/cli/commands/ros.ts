/** `vla ros`, `vla ros-sim`, `vla bench ros`: the policy on a ROS arm through rosbridge, and the simulator as one. */
import { existsSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { TASK_NAMES, type TaskName } from '../../../sim/tasks/index.js';
import { ARM_BASE } from '../../../sim/types.js';
import { formatRate, wilsonInterval } from '../../../sim/util/wilson.js';
import { DEFAULT_POLICY_CONFIG, loadPolicy } from '../../policy/index.js';
import { selectBackend } from '../../tf/backend.js';
import {
  MESSAGE_TYPES,
  RosController,
  RosSimRobot,
  RosbridgeTestServer,
  RoslibTransport,
  benchRos,
  checkRosbridgeUrl,
  formatRosBench,
  formatRosEpisodes,
  resolveRosVersion,
  runRosEpisodes,
  type EpisodeRecord,
  type RosConfig,
  loadRobotArm,
  loadRosConfig,
  parseRosConfig,
  policyActor,
  simRosConfigInput,
  waitConnected,
} from '../../ros/index.js';
import { imageSide, positiveDecimal, positiveInt, nonNegativeInt, supersamplingFactor, taskList } from '../options.js';
import { DEFAULT_POLICY_DIR } from './run.js';
import { commandWithoutScene } from '../../language/index.js';
import { openRosRecording } from './rosMcap.js';

const positiveNumber = positiveDecimal;

/** Node's timers hold at most 2^31 - 1 ms; a longer one fires at once, so cap --duration below it (about 24 days). */
const MAX_DURATION_S = 2_147_483;

function durationSeconds(value: string): number {
  const n = positiveNumber(value);
  if (n > MAX_DURATION_S) throw new InvalidArgumentError(`at most ${MAX_DURATION_S} seconds (about 24 days; leave it out to run until Ctrl-C), got "${value}"`);
  return n;
}

function rateList(value: string): number[] {
  return value.split(',').map((v) => positiveNumber(v.trim()));
}

function loadActorPolicy(dir: string) {
  if (dir === 'expert') throw new Error('--policy expert needs the simulator\'s privileged state; give a policy folder (from vla train)');
  if (!existsSync(dir)) throw new Error(`--policy: ${dir} not found; give a policy folder (from vla train)`);
  return loadPolicy(dir);
}

/** Resolves after `seconds` (if given), when `until` resolves, or on SIGINT/SIGTERM. */
function runUntilStopped(seconds: number | undefined, until?: Promise<unknown>): Promise<void> {
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      if (timer) clearTimeout(timer);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (seconds !== undefined) timer = setTimeout(done, seconds * 1000);
    until?.then(done, done);
  });
}

const ROS_VERSIONS = ['auto', '1', '2'] as const;

/** The parsed options of the three commands (commander's; see their .option() lists). */
interface RosCliOptions {
  url: string;
  policy: string;
  config?: string;
  command?: string;
  episodes?: number;
  rosVersion?: string;
  lockstep: boolean;
  duration?: number;
  json: boolean;
  mcap?: string;
}
interface RosSimCliOptions {
  url: string;
  broker: boolean;
  imageSize: number;
  supersampling: number;
  compressed: boolean;
  commandType: string;
  seed: number;
  maxSteps: number;
  task?: TaskName[];
  episodes?: number;
  lockstep: boolean;
  rosVersion: string;
  duration?: number;
  json: boolean;
}
interface BenchRosCliOptions {
  policy: string;
  rates: number[];
  seconds: number;
  cameraHz: number;
  cameraSize: string;
  streamHz: number;
  streamSeconds: number;
  episodes: number;
  task: TaskName[];
  seed: number;
  json: boolean;
}

function rosVersionSetting(v: string): 1 | 2 | 'auto' {
  return v === '1' ? 1 : v === '2' ? 2 : 'auto';
}

/** "success rate 90.0% (9/10, 95% CI 59.6-98.2%)", or "" without episodes. */
function rateLine(successes: number, n: number): string {
  return n ? `success rate ${formatRate(successes, n)}` : '';
}

/** The config of `vla ros`: the file or the simulator's, with the command-line settings applied. */
function rosConfig(opts: { config?: string; rosVersion?: string; lockstep: boolean }): RosConfig {
  const config = opts.config ? loadRosConfig(opts.config) : parseRosConfig(simRosConfigInput(), 'built-in vla ros-sim config');
  if (opts.rosVersion) config.rosVersion = rosVersionSetting(opts.rosVersion);
  if (opts.lockstep) config.control.lockstep = true;
  return config;
}

export function registerRosCommands(program: Command, bench: Command): void {
  program
    .command('ros')
    .description(
      'Drive an arm through rosbridge with a VLA policy: subscribes to joint states, a camera and a command topic, ' +
        'runs the policy at a fixed rate and publishes joint commands through an always-on safety filter (see docs/ros.md)',
    )
    .requiredOption('--url <ws-url>', 'rosbridge websocket, e.g. ws://127.0.0.1:9090', checkRosbridgeUrl)
    .option('--policy <dir>', 'policy folder', DEFAULT_POLICY_DIR)
    .option('--config <file>', 'topics, joint names, rates, image handling and safety limits (default: the simulator\'s arm, as served by vla ros-sim; see examples/ros-6dof.json)')
    .option('--command <text>', 'publish this command on the command topic once connected (otherwise wait for one there)')
    .option('--episodes <n>', 'stop after this many episodes have ended and report the success rate (with --command: publish it for each)', positiveInt)
    .addOption(new Option('--ros-version <v>', 'time fields on the wire: ROS 1 {secs, nsecs} or ROS 2 {sec, nanosec}; auto asks rosbridge (default: the config\'s rosVersion, auto)').choices(ROS_VERSIONS))
    .option('--lockstep', 'simulated time, with vla ros-sim --lockstep: one control step per observation, commands stamped with it', false)
    .option('--duration <s>', 'stop after this many seconds (default: run until Ctrl-C)', durationSeconds)
    .option('--json', 'print a summary as one JSON object on the last line', false)
    .option('--mcap <file>', 'record the session as MCAP for Foxglove: camera, per-word attention, joints, end-effector pose, the policy\'s actions, commands and outcomes (docs/interop.md)')
    .action((opts: RosCliOptions, cmd: Command) => runRos(opts, cmd));

  program
    .command('ros-sim')
    .description(
      'Serve the simulated arm through rosbridge as a ROS robot: publishes joint states and camera images, obeys joint ' +
        'commands, starts an episode per command (or runs vla eval\'s episodes with --task, reporting the success rate); ' +
        'test a ROS setup (or vla ros) without hardware',
    )
    .requiredOption('--url <ws-url>', 'rosbridge websocket to connect to, e.g. ws://127.0.0.1:9090', checkRosbridgeUrl)
    .option('--broker', 'also start a minimal rosbridge-protocol broker at --url (no ROS install needed)', false)
    .option('--image-size <px>', 'camera frame width and height (default: what the default policy reads)', imageSide, DEFAULT_POLICY_CONFIG.imageSize)
    .option('--supersampling <k>', 'render each pixel as the mean of k x k samples (anti-aliasing: a real camera\'s pixels average light; default: as the default policy was trained)', supersamplingFactor, DEFAULT_POLICY_CONFIG.supersampling)
    .option('--compressed', 'publish sensor_msgs/CompressedImage (PNG) instead of sensor_msgs/Image', false)
    .addOption(new Option('--command-type <type>', 'joint command message type').choices(['trajectory', 'float64']).default('trajectory'))
    .option('--seed <n>', 'seed of the first episode (episode k, from 0, uses seed + k; with --task, vla eval\'s seeds from this one)', nonNegativeInt, 0)
    .option('--max-steps <n>', 'control steps (20 Hz) before an episode times out (vla eval\'s 200 by default)', positiveInt, 200)
    .option('--task <list>', `run vla eval's episodes of these tasks (comma-separated: ${TASK_NAMES.join(', ')}; in turn) and publish their commands, instead of waiting for commands`, taskList)
    .option('--episodes <n>', 'stop after this many episodes and report the success rate', positiveInt)
    .option('--lockstep', 'simulated time: step once per joint command answering the current observation (with vla ros --lockstep)', false)
    .addOption(new Option('--ros-version <v>', 'time fields on the wire; auto asks rosbridge').choices(ROS_VERSIONS).default('auto'))
    .option('--duration <s>', 'stop after this many seconds (default: run until Ctrl-C)', durationSeconds)
    .option('--json', 'print the episodes and the success rate as one JSON object on the last line', false)
    .action((opts: RosSimCliOptions) => runRosSim(opts));

  bench
    .command('ros')
    .description(
      'vla ros end to end over websockets on 127.0.0.1: latency from a camera message in to the joint command out ' +
        '(median, p99) at each control rate, lag and memory under a fast joint-state stream, and task success through ROS ' +
        '(vla ros-sim running vla eval\'s episodes in lockstep, vla ros driving it)',
    )
    .option('--policy <dir>', 'policy folder', DEFAULT_POLICY_DIR)
    .addOption(new Option('--rates <hz>', 'control rates, comma-separated').argParser(rateList).default([10, 30], '10,30'))
    .option('--seconds <s>', 'measured seconds per rate', positiveInt, 10)
    .option('--camera-hz <hz>', 'camera frame rate', positiveNumber, 30)
    .option('--camera-size <WxH>', 'camera frame size (rgb8)', '320x240')
    .option('--stream-hz <hz>', 'joint-state rate of the stress phase', positiveNumber, 500)
    .option('--stream-seconds <s>', 'length of the stress phase', positiveInt, 20)
    .option('--episodes <n>', 'episodes of the task-success phase (tasks in turn; 0 = skip)', nonNegativeInt, 9)
    .addOption(
      new Option('--task <list>', `tasks of the task-success phase (comma-separated: ${TASK_NAMES.join(', ')})`)
        .argParser(taskList)
        .default([...TASK_NAMES] as TaskName[], TASK_NAMES.join(',')),
    )
    .option('--seed <n>', 'first seed of the task-success phase (vla eval\'s seeds)', nonNegativeInt, 0)
    .option('--json', 'print the result as one JSON object on the last line', false)
    .action((opts: BenchRosCliOptions, cmd: Command) => runBenchRos(opts, cmd));
}

/** `vla ros`: the policy on an arm through rosbridge, until Ctrl-C, --duration or --episodes. */
async function runRos(opts: RosCliOptions, cmd: Command): Promise<void> {
  const config = rosConfig(opts);
  await selectBackend({ flag: cmd.optsWithGlobals().backend });
  const policy = loadActorPolicy(opts.policy);
  const transport = new RoslibTransport(opts.url, {
    reconnectInitialDelay: config.safety.reconnectInitialDelay,
    reconnectMaxDelay: config.safety.reconnectMaxDelay,
  });
  let rosVersion: 1 | 2 | undefined;
  let arm;
  if (typeof config.robot.urdf !== 'string') {
    // The URDF comes through rosapi, whose request shape depends on the ROS version.
    transport.start();
    await waitConnected(transport, opts.url, 10_000);
    rosVersion = await resolveRosVersion(transport, config.rosVersion);
    arm = await loadRobotArm(config, transport, rosVersion);
  } else arm = await loadRobotArm(config, null); // the controller asks rosbridge its version once connected
  const recording = await openRosRecording(opts.mcap, policyActor(policy, arm, config.robot.basePose, opts.policy), arm.armJointNames, policy);
  const actor = recording.actor;
  if (actor.note) console.error(`[vla ros] note: ${actor.note}`);
  let finished: () => void = () => {};
  const allDone = new Promise<void>((r) => (finished = r));
  const publishCommand = () => transport.publish(config.topics.command, { data: opts.command });
  // The episodes' command as the controller names it: --command read (English or Korean) in the templates' words.
  const givenCommand = opts.command ? commandWithoutScene(opts.command).command : null;
  const onEpisodeEnd = (r: EpisodeRecord) => {
    recording.episodeEnded(r);
    const n = controller.episodes.length;
    if (opts.episodes === undefined) return;
    if (n >= opts.episodes) return finished();
    if (opts.command && r.command === givenCommand) setTimeout(publishCommand, 200); // the next one
  };
  const controller = new RosController({ config, transport, arm, actor, rosVersion, onEpisodeEnd });
  console.error(
    `[vla ros] ${arm.name} (${arm.armDof} joints: ${arm.armJointNames.join(', ')}) at ${config.control.lockstep ? 'lockstep (one step per observation)' : `${config.control.rateHz} Hz`} via ${opts.url} (ROS ${rosVersion ?? config.rosVersion}); ` +
      `commands on ${config.topics.command}, joint commands to ${config.topics.jointCommand.name} (${config.topics.jointCommand.type}), e-stop ${config.topics.estop}`,
  );
  controller.start();
  if (opts.command) {
    // Published like any command, so the robot side (e.g. vla ros-sim) starts its episode too.
    transport.advertise(config.topics.command, MESSAGE_TYPES.string);
    await waitConnected(transport, opts.url, 10_000);
    await new Promise((r) => setTimeout(r, 500)); // rosbridge needs a moment to route a new publisher (ROS 1)
    publishCommand();
  }
  await runUntilStopped(opts.duration, opts.episodes !== undefined ? allDone : undefined);
  controller.stop();
  await recording.close();
  const eps = controller.episodes;
  const successes = eps.filter((e) => e.outcome.success).length;
  const ci = wilsonInterval(successes, eps.length);
  const summary = {
    ticks: controller.ticks,
    published: controller.published,
    jointStates: controller.jointStatesReceived,
    images: controller.imagesReceived,
    interventions: controller.counts,
    state: controller.state,
    outcome: controller.status().outcome,
    episodes: eps.length,
    successes,
    successRate: eps.length ? successes / eps.length : null,
    ci95: [ci.low, ci.high],
  };
  console.log(`vla ros: ${summary.ticks} ticks, ${summary.published} joint commands published, state ${summary.state}${summary.outcome ? `, last episode ${summary.outcome.success ? 'success' : `failure (${summary.outcome.reason})`}` : ''}`);
  if (eps.length) console.log(`${eps.length} episodes ended: ${rateLine(successes, eps.length)}`);
  const nonzero = Object.entries(controller.counts).filter(([, n]) => n > 0);
  if (nonzero.length) console.log(`interventions: ${nonzero.map(([k, n]) => `${k} ${n}`).join(', ')}`);
  if (opts.json) console.log(JSON.stringify(summary));
}

/** `vla ros-sim`: the simulated arm as a ROS robot (and, with --task, vla eval's episodes). */
async function runRosSim(opts: RosSimCliOptions): Promise<void> {
  const tasks = opts.task as TaskName[] | undefined;
  if (tasks && opts.episodes === undefined) throw new Error('--task needs --episodes (how many episodes to run)');
  let server: RosbridgeTestServer | null = null;
  if (opts.broker) {
    const u = new URL(opts.url);
    server = await RosbridgeTestServer.start({ host: u.hostname, port: Number(u.port || 9090), record: false });
    console.error(`[vla ros-sim] rosbridge-protocol broker listening on ${server.url}`);
  }
  const sim = new RosSimRobot({
    transport: new RoslibTransport(opts.url),
    imageWidth: opts.imageSize,
    imageHeight: opts.imageSize,
    supersampling: opts.supersampling,
    compressed: opts.compressed,
    seed: opts.seed,
    maxSteps: opts.maxSteps,
    lockstep: opts.lockstep,
    ...(tasks ? { tasks } : {}),
    ...(opts.episodes !== undefined ? { episodes: opts.episodes } : {}),
    rosVersion: rosVersionSetting(opts.rosVersion),
    topics: { jointCommandType: opts.commandType === 'float64' ? MESSAGE_TYPES.float64MultiArray : MESSAGE_TYPES.jointTrajectory },
  });
  sim.start();
  const t = sim.topics;
  console.error(
    `[vla ros-sim] simulated arm (${sim.env.arm.armJointNames.join(', ')}) via ${opts.url}${opts.lockstep ? ', lockstep' : ''}: joint states on ${t.jointStates}, camera on ${t.camera}, ` +
      `joint commands from ${t.jointCommand}, commands from ${t.command}, episode results on ${t.episodeResult}`,
  );
  let allDone = false;
  await runUntilStopped(opts.duration, opts.episodes !== undefined ? sim.done().then(() => (allDone = true)) : undefined);
  // The last episode's result is on its way to the controller: give it a moment before closing (and the broker).
  if (allDone) await new Promise((r) => setTimeout(r, 1000));
  sim.stop();
  await server?.stop();
  const res = sim.results;
  const successes = res.filter((r) => r.success).length;
  const tfs = Number.isFinite(sim.minTimeFromStart) ? `; smallest time_from_start ${sim.minTimeFromStart.toFixed(3)} s` : '';
  console.log(`vla ros-sim: ${sim.episodes} episodes, ${sim.commandsApplied} joint commands obeyed, ${sim.commandsRefused} refused${tfs}`);
  for (const r of res) console.log(`  ${r.task.padEnd(5)} seed ${r.seed} "${r.command}": ${r.success ? 'success' : `failure (${r.reason})`} after ${r.steps} steps`);
  if (res.length) console.log(`${res.length} episodes ended: ${rateLine(successes, res.length)}`);
  if (opts.json) {
    const ci = wilsonInterval(successes, res.length);
    console.log(JSON.stringify({ episodes: res, successes, successRate: res.length ? successes / res.length : null, ci95: [ci.low, ci.high], minTimeFromStart: sim.minTimeFromStart, commandsApplied: sim.commandsApplied, commandsRefused: sim.commandsRefused }));
  }
}

/** `vla bench ros`: latencies, the joint-state stream, and task success through ROS. */
async function runBenchRos(opts: BenchRosCliOptions, cmd: Command): Promise<void> {
  const m = /^(\d+)x(\d+)$/.exec(opts.cameraSize);
  if (!m) throw new Error(`--camera-size: expected WxH like 320x240, got "${opts.cameraSize}"`);
  await selectBackend({ flag: cmd.optsWithGlobals().backend });
  const policy = loadActorPolicy(opts.policy);
  const r = await benchRos({
    makeActor: (arm) => policyActor(policy, arm, { ...ARM_BASE, yaw: 0 }, opts.policy),
    rates: opts.rates,
    seconds: opts.seconds,
    cameraHz: opts.cameraHz,
    cameraWidth: Number(m[1]),
    cameraHeight: Number(m[2]),
    streamHz: opts.streamHz,
    streamSeconds: opts.streamSeconds,
    streamRate: 30,
    progress: (line) => process.stderr.write(`[bench] ${line}\n`),
  });
  console.log(formatRosBench(r));
  let success = null;
  if (opts.episodes > 0) {
    process.stderr.write(`[bench] task success through ROS: ${opts.episodes} episodes of ${opts.task.join(', ')} from seed ${opts.seed}, lockstep\n`);
    success = await runRosEpisodes({
      makeActor: (arm) => policyActor(policy, arm, { ...ARM_BASE, yaw: 0 }, opts.policy),
      tasks: opts.task,
      episodes: opts.episodes,
      seed: opts.seed,
      imageSize: policy.config.imageSize,
      supersampling: policy.config.supersampling,
    });
    console.log(formatRosEpisodes(success));
  }
  if (opts.json) console.log(JSON.stringify({ ...r, success }));
}
