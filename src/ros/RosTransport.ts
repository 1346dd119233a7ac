/**
 * What the ROS side of the project needs from a rosbridge connection. RoslibTransport implements it with roslib;
 * tests may pass anything else that does. Names are camelCase; the wire's snake_case stays in the implementation.
 */
export type TransportEvent = 'connection' | 'close' | 'error';

export interface SubscribeOptions {
  /** Messages rosbridge keeps for us when we are slow (rosbridge queue_length); default 1: only the latest. */
  queueLength?: number;
}

export interface RosTransport {
  /** True while the websocket is open. */
  readonly connected: boolean;
  /** Starts connecting, and keeps reconnecting with backoff after every drop until close(). */
  start(): void;
  /** Closes for good. */
  close(): void;
  /** Subscriptions and advertisements persist across reconnects. */
  subscribe(topic: string, type: string, handler: (msg: unknown) => void, options?: SubscribeOptions): void;
  advertise(topic: string, type: string): void;
  /**
   * Sends now if connected; otherwise drops the message and returns false. Never queues: a command queued while
   * disconnected would reach the robot stale.
   */
  publish(topic: string, msg: unknown): boolean;
  /** Calls a ROS service; rejects on failure, on timeout or when not connected. */
  callService(service: string, type: string, args: Record<string, unknown>, timeoutMs?: number): Promise<unknown>;
  on(event: TransportEvent, listener: (detail?: unknown) => void): void;
}
