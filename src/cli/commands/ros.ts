/** `vla ros`, `vla ros-sim`, `vla bench ros`: the policy on a ROS arm through rosbridge, and the simulator as one. */
import { existsSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ARM_BASE } from '../../../sim/types.js';
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
  loadRobotArm,
  loadRosConfig,
  parseRosConfig,
  policyActor,
  simRosConfigInput,
  waitConnected,
} from '../../ros/index.js';
import { positiveInt, nonNegativeInt, supersamplingFactor } from '../options.js';
import { DEFAULT_POLICY_DIR } from './run.js';

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number, got "${value}"`);
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

/** Resolves after `seconds` (if given) or on SIGINT/SIGTERM. */
function runUntilStopped(seconds: number | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (seconds !== undefined) setTimeout(done, seconds * 1000);
  });
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
    .option('--duration <s>', 'stop after this many seconds (default: run until Ctrl-C)', positiveNumber)
    .option('--json', 'print a summary as one JSON object on the last line', false)
    .action(async (opts, cmd: Command) => {
      const config = opts.config ? loadRosConfig(opts.config) : parseRosConfig(simRosConfigInput(), 'built-in vla ros-sim config');
      await selectBackend({ flag: cmd.optsWithGlobals().backend });
      const policy = loadActorPolicy(opts.policy);
      const transport = new RoslibTransport(opts.url, {
        reconnectInitialDelay: config.safety.reconnectInitialDelay,
        reconnectMaxDelay: config.safety.reconnectMaxDelay,
      });
      let arm;
      if (typeof config.robot.urdf !== 'string') {
        transport.start();
        await waitConnected(transport, opts.url, 10_000);
        arm = await loadRobotArm(config, transport);
      } else arm = await loadRobotArm(config, null);
      const actor = policyActor(policy, arm, config.robot.basePose, opts.policy);
      if (actor.note) console.error(`[vla ros] note: ${actor.note}`);
      const controller = new RosController({ config, transport, arm, actor });
      console.error(
        `[vla ros] ${arm.name} (${arm.armDof} joints: ${arm.armJointNames.join(', ')}) at ${config.control.rateHz} Hz via ${opts.url}; ` +
          `commands on ${config.topics.command}, joint commands to ${config.topics.jointCommand.name} (${config.topics.jointCommand.type}), e-stop ${config.topics.estop}`,
      );
      controller.start();
      if (opts.command) {
        // Published like any command, so the robot side (e.g. vla ros-sim) starts its episode too.
        transport.advertise(config.topics.command, MESSAGE_TYPES.string);
        await waitConnected(transport, opts.url, 10_000);
        transport.publish(config.topics.command, { data: opts.command });
      }
      await runUntilStopped(opts.duration);
      controller.stop();
      const summary = { ticks: controller.ticks, published: controller.published, jointStates: controller.jointStatesReceived, images: controller.imagesReceived, interventions: controller.counts, state: controller.state, outcome: controller.status().outcome };
      console.log(`vla ros: ${summary.ticks} ticks, ${summary.published} joint commands published, state ${summary.state}${summary.outcome ? `, last episode ${summary.outcome.success ? 'success' : `failure (${summary.outcome.reason})`}` : ''}`);
      const nonzero = Object.entries(controller.counts).filter(([, n]) => n > 0);
      if (nonzero.length) console.log(`interventions: ${nonzero.map(([k, n]) => `${k} ${n}`).join(', ')}`);
      if (opts.json) console.log(JSON.stringify(summary));
    });

  program
    .command('ros-sim')
    .description(
      'Serve the simulated arm through rosbridge as a ROS robot: publishes joint states and camera images, obeys joint ' +
        'commands, starts an episode per command; test a ROS setup (or vla ros) without hardware',
    )
    .requiredOption('--url <ws-url>', 'rosbridge websocket to connect to, e.g. ws://127.0.0.1:9090', checkRosbridgeUrl)
    .option('--broker', 'also start a minimal rosbridge-protocol broker at --url (no ROS install needed)', false)
    .option('--image-size <px>', 'camera frame width and height (default: what the default policy reads)', positiveInt, DEFAULT_POLICY_CONFIG.imageSize)
    .option('--supersampling <k>', 'render each pixel as the mean of k x k samples (anti-aliasing: a real camera\'s pixels average light; default: as the default policy was trained)', supersamplingFactor, DEFAULT_POLICY_CONFIG.supersampling)
    .option('--compressed', 'publish sensor_msgs/CompressedImage (PNG) instead of sensor_msgs/Image', false)
    .addOption(new Option('--command-type <type>', 'joint command message type').choices(['trajectory', 'float64']).default('trajectory'))
    .option('--seed <n>', 'seed of the first episode', nonNegativeInt, 0)
    .option('--max-steps <n>', 'control steps (20 Hz) before an episode times out', positiveInt, 400)
    .addOption(new Option('--ros-version <v>', 'time fields on the wire').choices(['1', '2']).default('2'))
    .option('--duration <s>', 'stop after this many seconds (default: run until Ctrl-C)', positiveNumber)
    .action(async (opts) => {
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
        rosVersion: opts.rosVersion === '1' ? 1 : 2,
        topics: { jointCommandType: opts.commandType === 'float64' ? MESSAGE_TYPES.float64MultiArray : MESSAGE_TYPES.jointTrajectory },
      });
      sim.start();
      const t = sim.topics;
      console.error(
        `[vla ros-sim] simulated arm (${sim.env.arm.armJointNames.join(', ')}) via ${opts.url}: joint states on ${t.jointStates}, camera on ${t.camera}, ` +
          `joint commands from ${t.jointCommand}, commands from ${t.command}, episode results on ${t.episodeResult}`,
      );
      await runUntilStopped(opts.duration);
      sim.stop();
      await server?.stop();
      console.log(`vla ros-sim: ${sim.episodes} episodes, ${sim.commandsApplied} joint commands obeyed, ${sim.commandsRefused} refused`);
    });

  bench
    .command('ros')
    .description(
      'vla ros end to end over websockets on 127.0.0.1: latency from a camera message in to the joint command out ' +
        '(median, p99) at each control rate, and lag and memory under a fast joint-state stream',
    )
    .option('--policy <dir>', 'policy folder', DEFAULT_POLICY_DIR)
    .option('--rates <hz>', 'control rates, comma-separated', rateList, [10, 30])
    .option('--seconds <s>', 'measured seconds per rate', positiveInt, 10)
    .option('--camera-hz <hz>', 'camera frame rate', positiveNumber, 30)
    .option('--camera-size <WxH>', 'camera frame size (rgb8)', '320x240')
    .option('--stream-hz <hz>', 'joint-state rate of the stress phase', positiveNumber, 500)
    .option('--stream-seconds <s>', 'length of the stress phase', positiveInt, 20)
    .option('--json', 'print the result as one JSON object on the last line', false)
    .action(async (opts, cmd: Command) => {
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
      if (opts.json) console.log(JSON.stringify(r));
    });
}
