/**
 * A small rosbridge v2 broker for tests and benchmarks (and `vla ros-sim --broker` without a ROS install): a ws
 * server on 127.0.0.1 speaking the JSON protocol. Clients advertise, publish, subscribe and unsubscribe; it routes
 * each publish to the topic's subscribers, answers call_service for rosapi/get_param (from `params`) and
 * rosapi/topics, and rosapi/get_time (in the fields of its `rosVersion`), and replies to bad input with a status
 * message, like rosbridge_server. Publishing to a topic the client has not advertised is an error, as in rosbridge.
 * Time fields are converted as the real rosbridge of that version converts them: a ROS 1 rosbridge reads only
 * {secs, nsecs} (a ROS 2 {sec, nanosec} arrives as 0 s), a ROS 2 one only {sec, nanosec}.
 *
 * Everything clients send can be recorded (`log`) so tests can check what went over the wire and when.
 */
import { WebSocketServer, type WebSocket } from 'ws';
import { parseRosbridgeMessage, type RosbridgeMessage } from './protocol.js';

export interface RosbridgeTestServerOptions {
  /** Default 0: any free port. */
  port?: number;
  host?: string;
  /** ROS parameters served by rosapi/get_param, by name (e.g. "/robot_description"). */
  params?: Record<string, unknown>;
  /** Record every message clients send in `log`. Default true. */
  record?: boolean;
  /** A subscriber with more than this many bytes unsent gets no more messages until it catches up. Default 8 MB. */
  maxBuffered?: number;
  /** The ROS version it plays (time fields of get_time and of routed messages). Default 2. */
  rosVersion?: 1 | 2;
}

export interface LoggedMessage {
  /** performance.now() at arrival, ms. */
  at: number;
  client: number;
  message: RosbridgeMessage;
}

interface Client {
  id: number;
  ws: WebSocket;
  advertised: Map<string, string>;
  subscribed: Set<string>;
}

type PublishListener = (msg: unknown, client: number) => void;

export class RosbridgeTestServer {
  readonly params: Map<string, unknown>;
  readonly log: LoggedMessage[] = [];
  /** Reasons for refused client messages, in order. */
  readonly errors: string[] = [];
  /** Messages not delivered because a subscriber was too far behind. */
  dropped = 0;
  private wss: WebSocketServer | null = null;
  private readonly clients = new Set<Client>();
  private readonly listeners = new Map<string, Set<PublishListener>>();
  private readonly types = new Map<string, string>();
  private nextId = 1;
  private portValue: number;
  private readonly host: string;
  private readonly record: boolean;
  private readonly maxBuffered: number;
  readonly rosVersion: 1 | 2;

  private constructor(options: RosbridgeTestServerOptions) {
    this.portValue = options.port ?? 0;
    this.host = options.host ?? '127.0.0.1';
    this.params = new Map(Object.entries(options.params ?? {}));
    this.record = options.record ?? true;
    this.maxBuffered = options.maxBuffered ?? 8 * 1024 * 1024;
    this.rosVersion = options.rosVersion ?? 2;
  }

  static async start(options: RosbridgeTestServerOptions = {}): Promise<RosbridgeTestServer> {
    const s = new RosbridgeTestServer(options);
    await s.listen();
    return s;
  }

  get port(): number {
    return this.portValue;
  }

  get url(): string {
    return `ws://${this.host}:${this.portValue}`;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  subscriberCount(topic: string): number {
    let n = 0;
    for (const c of this.clients) if (c.subscribed.has(topic)) n++;
    return n;
  }

  /** Publishes as a ROS node would (no advertise needed); delivered to every subscriber of the topic. */
  publish(topic: string, type: string, msg: unknown): void {
    this.types.set(topic, type);
    this.route(topic, msg, 0);
  }

  /** Calls fn for every message published on the topic (by clients or by publish()); returns an unsubscriber. */
  onPublish(topic: string, fn: PublishListener): () => void {
    let set = this.listeners.get(topic);
    if (!set) this.listeners.set(topic, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  /** Messages clients published on a topic, in order (needs record). */
  published(topic: string): LoggedMessage[] {
    return this.log.filter((l) => l.message.op === 'publish' && l.message.topic === topic);
  }

  /** Resolves when the predicate holds (checked every 5 ms); rejects after timeoutMs. */
  async waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    const t0 = Date.now();
    while (!predicate()) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`RosbridgeTestServer: timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Sends a raw text frame to every client (tests of corrupt input). */
  sendRaw(text: string): void {
    for (const c of this.clients) if (c.ws.readyState === c.ws.OPEN) c.ws.send(text);
  }

  /** Cuts every client connection (as a network drop or a rosbridge restart would); the server keeps listening. */
  dropClients(): void {
    for (const c of this.clients) c.ws.terminate();
    this.clients.clear();
  }

  /** Stops listening and drops every client. */
  async stop(): Promise<void> {
    this.dropClients();
    const wss = this.wss;
    this.wss = null;
    if (wss) await new Promise<void>((r) => wss.close(() => r()));
  }

  /** Listens again on the same port after stop(). */
  async restart(): Promise<void> {
    if (!this.wss) await this.listen();
  }

  private async listen(): Promise<void> {
    const wss = new WebSocketServer({ host: this.host, port: this.portValue, maxPayload: 256 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', reject);
    });
    this.portValue = (wss.address() as { port: number }).port;
    this.wss = wss;
    wss.on('connection', (ws) => {
      const client: Client = { id: this.nextId++, ws, advertised: new Map(), subscribed: new Set() };
      this.clients.add(client);
      ws.on('message', (data, isBinary) => this.handle(client, isBinary ? '' : data.toString()));
      ws.on('close', () => this.clients.delete(client));
      ws.on('error', () => this.clients.delete(client));
    });
  }

  private status(client: Client, msg: string, id?: string): void {
    this.errors.push(msg);
    this.send(client, { op: 'status', level: 'error', msg, ...(id ? { id } : {}) });
  }

  private send(client: Client, m: RosbridgeMessage): boolean {
    if (client.ws.readyState !== client.ws.OPEN) return false;
    if (client.ws.bufferedAmount > this.maxBuffered) {
      this.dropped++;
      return false;
    }
    client.ws.send(JSON.stringify(m));
    return true;
  }

  private handle(client: Client, raw: string): void {
    const parsed = parseRosbridgeMessage(raw);
    if (!parsed.ok) return this.status(client, `refused message: ${parsed.reason}`);
    const m = parsed.message;
    if (this.record) this.log.push({ at: performance.now(), client: client.id, message: m });
    switch (m.op) {
      case 'advertise': {
        const known = this.types.get(m.topic);
        if (known && normaliseType(known) !== normaliseType(m.type)) {
          return this.status(client, `${m.topic} already has type ${known}, cannot advertise it as ${m.type}`, m.id);
        }
        this.types.set(m.topic, m.type);
        client.advertised.set(m.topic, m.type);
        return;
      }
      case 'unadvertise':
        client.advertised.delete(m.topic);
        return;
      case 'subscribe':
        if (m.type && !this.types.has(m.topic)) this.types.set(m.topic, m.type);
        client.subscribed.add(m.topic);
        return;
      case 'unsubscribe':
        client.subscribed.delete(m.topic);
        return;
      case 'publish':
        if (!client.advertised.has(m.topic)) return this.status(client, `publish to ${m.topic}, which this client has not advertised`, m.id);
        return this.route(m.topic, m.msg, client.id);
      case 'call_service':
        return this.callService(client, m);
      default:
        return; // status and service_response from clients need no action
    }
  }

  private route(topic: string, raw: unknown, from: number): void {
    const msg = convertTimes(raw, this.rosVersion);
    const out: RosbridgeMessage = { op: 'publish', topic, msg };
    for (const c of this.clients) if (c.subscribed.has(topic)) this.send(c, out);
    const set = this.listeners.get(topic);
    if (set) for (const fn of set) fn(msg, from);
  }

  private callService(client: Client, m: Extract<RosbridgeMessage, { op: 'call_service' }>): void {
    const service = m.service.replace(/^\//, '');
    const args = (m.args ?? {}) as Record<string, unknown>;
    const reply = (result: boolean, values: unknown) =>
      this.send(client, { op: 'service_response', service: m.service, result, values, ...(m.id ? { id: m.id } : {}) });
    if (service === 'rosapi/get_param') {
      const name = typeof args.name === 'string' ? args.name : '';
      if (!this.params.has(name)) return void reply(false, `parameter ${name || '(no name)'} is not set`);
      return void reply(true, { value: JSON.stringify(this.params.get(name)) });
    }
    if (service === 'rosapi/get_time') {
      const now = Date.now() / 1000;
      const sec = Math.floor(now);
      const nsec = Math.round((now - sec) * 1e9) % 1e9;
      return void reply(true, { time: this.rosVersion === 1 ? { secs: sec, nsecs: nsec } : { sec, nanosec: nsec } });
    }
    if (service === 'rosapi/topics') {
      const topics = [...this.types.keys()];
      return void reply(true, { topics, types: topics.map((t) => this.types.get(t)!) });
    }
    reply(false, `service ${m.service} does not exist`);
  }
}

const TIME_KEYS = new Set(['sec', 'nanosec', 'secs', 'nsecs']);

/**
 * Rewrites every time-like object (keys among sec, nanosec, secs, nsecs) as rosbridge of `version` would after
 * reading it into a ROS message: only its own version's fields count, the others are dropped (so they read as 0).
 */
function convertTimes(v: unknown, version: 1 | 2): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.some((x) => x !== null && typeof x === 'object') ? v.map((x) => convertTimes(x, version)) : v;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length > 0 && keys.every((k) => TIME_KEYS.has(k))) {
    const num = (x: unknown) => (typeof x === 'number' ? x : 0);
    return version === 1 ? { secs: num(o.secs), nsecs: num(o.nsecs) } : { sec: num(o.sec), nanosec: num(o.nanosec) };
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = convertTimes(o[k], version);
  return out;
}

/** "sensor_msgs/msg/Image" and "sensor_msgs/Image" name the same type. */
function normaliseType(t: string): string {
  return t.replace('/msg/', '/');
}
