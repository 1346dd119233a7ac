/** ROS through rosbridge: `vla ros` (policy -> safety filter -> arm), `vla ros-sim`, the test broker, the bench. */
export { ROSBRIDGE_OPS, parseRosbridgeMessage, type RosbridgeMessage, type RosbridgeOp, type StatusLevel } from './protocol.js';
export {
  MESSAGE_TYPES,
  compressedImageMsg,
  decodeBytes,
  float64MultiArrayMsg,
  header,
  imageMsg,
  jointStateMsg,
  jointTrajectoryMsg,
  parseBoolMsg,
  parseCompressedImage,
  parseImage,
  parseJointCommand,
  parseJointState,
  parseStringMsg,
  parseTime,
  rosTime,
  type CompressedFrame,
  type JointCommand,
  type JointCommandType,
  type JointStateSample,
  type Parsed,
  type RawImage,
  type RosVersion,
} from './messages.js';
export {
  IMAGE_FIT_MODES,
  RAW_ENCODINGS,
  compressedSize,
  decodeCompressedImage,
  decodeRawImage,
  fitImage,
  type ImageFitMode,
  type ImageLimits,
} from './images.js';
export {
  RosConfigError,
  loadRosConfig,
  parseRosConfig,
  rosConfigSchema,
  simRosConfigInput,
  type RosConfig,
  type RosConfigInput,
} from './config.js';
export {
  INTERVENTION_KINDS,
  SafetyFilter,
  type FilterResult,
  type Intervention,
  type InterventionKind,
  type SafeJointCommand,
  type SafetyOptions,
} from './SafetyFilter.js';
export { Watchdog, type Staleness } from './Watchdog.js';
export type { RosTransport, SubscribeOptions, TransportEvent } from './RosTransport.js';
export { RoslibTransport, checkRosbridgeUrl, type RoslibTransportOptions } from './RoslibTransport.js';
export { RosbridgeTestServer, type LoggedMessage, type RosbridgeTestServerOptions } from './RosbridgeTestServer.js';
export { fetchUrdfParam, loadRobotArm, waitConnected } from './robotArm.js';
export { policyActor, type Actor } from './policyActor.js';
export {
  CONTROLLER_STATES,
  RosController,
  type CommandEvent,
  type ControllerState,
  type ControllerStatus,
  type EpisodeOutcome,
  type EpisodeRecord,
  type RosControllerOptions,
} from './RosController.js';
export { RateLimitedLog } from './RateLimitedLog.js';
export { ROS_SIM_TOPICS, RosSimRobot, type RosSimOptions, type RosSimTopics, type SimEpisodeResult } from './RosSimRobot.js';
export { benchRos, formatRosBench, type LatencyFigures, type RosBenchOptions, type RosBenchResult, type StreamFigures } from './benchRos.js';
export { formatRosEpisodes, runRosEpisodes, type RosEpisodesOptions, type RosEpisodesResult } from './rosEpisodes.js';
export { detectRosVersion, resolveRosVersion } from './rosVersion.js';
export { ArmState, STALL_SPEED } from './ArmState.js';
