/** The web viewer: `vla serve`'s server, the simulation it shows, its websocket protocol and its load test. */
export { CONTROL_INTERVAL_MS, ViewerServer, allowedHost, sameOrigin, type ViewerServerOptions } from './ViewerServer.js';
export { ViewerSession, type Emit, type ViewerSessionOptions } from './ViewerSession.js';
export { ViewerClient, VIEWER_BUFFER_LIMITS } from './ViewerClient.js';
export { PUBLIC_DIR, resolveStatic } from './staticFiles.js';
export { sceneJson, type SceneJson } from './sceneJson.js';
export { formatViewerLoad, runViewerLoad, type ViewerLoadOptions, type ViewerLoadResult } from './viewerLoad.js';
export {
  CLIENT_OPS,
  DRIVERS,
  EPISODE_STATES,
  MAX_CLIENT_MESSAGE_BYTES,
  clientMessageSchema,
  parseClientMessage,
  type ClientMessage,
  type ClientOp,
  type DriverName,
  type EpisodeState,
  type ErrorMessage,
  type FrameMessage,
  type HelloMessage,
  type PolicyInfo,
  type RunMessage,
  type ResetMessage,
  type SceneMessage,
  type ServerMessage,
  type StatsMessage,
  type Status,
} from './protocol.js';
