/**
 * RosTransport over roslib 2.x (`Ros`, `Topic`, `Service`), with reconnection and without stale replays.
 *
 * roslib's Ros.callOnConnection sends at once when connected and otherwise queues the message until the next
 * 'connection' event; Topic.publish goes through it, so a publish made while disconnected would be sent on
 * reconnect, seconds late. publish() here therefore checks the connection first and drops the message when there
 * is none; only subscribe/advertise requests (which roslib re-sends on reconnect by itself, reconnect_on_close)
 * are ever queued. After a drop it reconnects with exponential backoff (initial delay doubling up to the max).
 */
import * as ROSLIB from 'roslib';
import type { RosTransport, SubscribeOptions, TransportEvent } from './RosTransport.js';

/*
 * roslib 2.1's declarations do not resolve under moduleResolution NodeNext (see sim/robot/parseUrdf.ts); these
 * are the parts of roslib/dist/src/core/{Ros,Topic,Service}.d.ts used here.
 */
interface RlRos {
  readonly isConnected: boolean;
  connect(url: string): Promise<void>;
  close(): void;
  on(event: string, fn: (e: unknown) => void): void;
}
interface RlTopic {
  subscribe(cb: (msg: unknown) => void): void;
  advertise(): void;
  publish(msg: unknown): void;
}
interface RlService {
  callService(req: unknown, cb: (res: unknown) => void, failed: (err: string) => void): void;
}
const RL = ROSLIB as unknown as {
  Ros: new (o: Record<string, never>) => RlRos;
  Topic: new (o: { ros: RlRos; name: string; messageType: string; queue_length?: number; queue_size?: number }) => RlTopic;
  Service: new (o: { ros: RlRos; name: string; serviceType: string }) => RlService;
};

export interface RoslibTransportOptions {
  /** Seconds before the first reconnect attempt; doubles per failure. Default 0.25. */
  reconnectInitialDelay?: number;
  /** Largest delay between attempts, seconds. Default 5. */
  reconnectMaxDelay?: number;
}

export function checkRosbridgeUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--url: "${url}" is not a URL; expected e.g. ws://127.0.0.1:9090`);
  }
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new Error(`--url: "${url}" must start with ws:// or wss://`);
  return url;
}

export class RoslibTransport implements RosTransport {
  readonly url: string;
  private readonly ros: RlRos;
  private readonly topics = new Map<string, RlTopic>();
  private readonly listeners: Record<TransportEvent, ((d?: unknown) => void)[]> = { connection: [], close: [], error: [] };
  private readonly initialDelay: number;
  private readonly maxDelay: number;
  private delay: number;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = true;
  /** Reconnect attempts since the last successful connection. */
  attempts = 0;
  /** Messages publish() refused because the connection was down. */
  dropped = 0;
  /** The waits (s) before the last reconnect attempts, oldest first (at most 20). */
  readonly delays: number[] = [];

  constructor(url: string, options: RoslibTransportOptions = {}) {
    this.url = checkRosbridgeUrl(url);
    this.initialDelay = options.reconnectInitialDelay ?? 0.25;
    this.maxDelay = options.reconnectMaxDelay ?? 5;
    this.delay = this.initialDelay;
    this.ros = new RL.Ros({});
    this.ros.on('connection', () => {
      this.delay = this.initialDelay;
      this.attempts = 0;
      this.emit('connection');
    });
    this.ros.on('close', () => {
      this.emit('close');
      this.schedule();
    });
    this.ros.on('error', (e) => this.emit('error', e));
  }

  get connected(): boolean {
    return this.ros.isConnected;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt();
  }

  close(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.ros.close();
  }

  subscribe(topic: string, type: string, handler: (msg: unknown) => void, options: SubscribeOptions = {}): void {
    const t = new RL.Topic({ ros: this.ros, name: topic, messageType: type, queue_length: options.queueLength ?? 1 });
    t.subscribe(handler);
  }

  advertise(topic: string, type: string): void {
    if (this.topics.has(topic)) return;
    const t = new RL.Topic({ ros: this.ros, name: topic, messageType: type, queue_size: 1 });
    t.advertise();
    this.topics.set(topic, t);
  }

  publish(topic: string, msg: unknown): boolean {
    const t = this.topics.get(topic);
    if (!t) throw new Error(`RoslibTransport.publish: advertise ${topic} first`);
    if (!this.ros.isConnected) {
      this.dropped++;
      return false;
    }
    t.publish(msg);
    return true;
  }

  callService(service: string, type: string, args: Record<string, unknown>, timeoutMs = 5000): Promise<unknown> {
    if (!this.ros.isConnected) return Promise.reject(new Error(`cannot call ${service}: not connected to ${this.url}`));
    const s = new RL.Service({ ros: this.ros, name: service, serviceType: type });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${service} did not answer within ${timeoutMs} ms`)), timeoutMs);
      s.callService(
        args,
        (res) => {
          clearTimeout(timer);
          resolve(res);
        },
        (err) => {
          clearTimeout(timer);
          reject(new Error(`${service} failed: ${err}`));
        },
      );
    });
  }

  on(event: TransportEvent, listener: (detail?: unknown) => void): void {
    this.listeners[event].push(listener);
  }

  private emit(event: TransportEvent, detail?: unknown): void {
    for (const l of this.listeners[event]) l(detail);
  }

  private attempt(): void {
    this.timer = null;
    if (this.stopped) return;
    this.attempts++;
    this.ros.connect(this.url).catch((e: unknown) => {
      this.emit('error', e);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    const wait = this.delay;
    this.delay = Math.min(this.maxDelay, this.delay * 2);
    this.delays.push(wait);
    if (this.delays.length > 20) this.delays.shift();
    this.timer = setTimeout(() => this.attempt(), wait * 1000);
  }
}
