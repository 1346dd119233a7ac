/**
 * `vla serve`: an HTTP server for the page and its scripts, and a websocket at /ws through which every browser
 * watches the one ViewerSession and sends it commands. Every incoming message is validated (protocol.ts); a bad
 * one gets an error message back and changes nothing. Bound to 127.0.0.1 unless told otherwise.
 *
 * One page cannot freeze the others: each connection's run and reset requests go through a slot of one, newest
 * wins, taken at most once every CONTROL_INTERVAL_MS (a burst of 1000 starts at most two episodes, not 1000 resets
 * each broadcast to every viewer). Requests whose Host header is a DNS name other than localhost (or one given in
 * allowedHosts) are refused: a page on another site whose name was rebound to this address (DNS rebinding) sends
 * its own name as both Origin and Host, which the same-origin check alone would accept.
 */
import { createReadStream } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { MAX_CLIENT_MESSAGE_BYTES, parseClientMessage, type ClientMessage, type ErrorMessage, type StatsMessage } from './protocol.js';
import { resolveStatic } from './staticFiles.js';
import { ViewerClient } from './ViewerClient.js';
import type { ViewerSession } from './ViewerSession.js';

export interface ViewerServerOptions {
  session: ViewerSession;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8080; 0 = any free port. */
  port?: number;
  /** DNS names the viewer may be reached by besides localhost and IP addresses (e.g. this machine's name). */
  allowedHosts?: readonly string[];
  /** Least time between two run/reset requests of one connection that are acted on; default CONTROL_INTERVAL_MS. */
  controlIntervalMs?: number;
}

/** Least time between two run/reset requests of one connection that are acted on (later ones wait, newest wins). */
export const CONTROL_INTERVAL_MS = 250;

/** A connection's run/reset requests: the one waiting (newest wins) and when one was last acted on. */
interface ControlSlot {
  pending: ClientMessage | null;
  last: number;
  timer: NodeJS.Timeout | null;
}

export class ViewerServer {
  readonly session: ViewerSession;
  readonly host: string;
  private readonly requestedPort: number;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<ViewerClient>();
  private readonly controls = new Map<ViewerClient, ControlSlot>();
  private readonly allowedHosts: ReadonlySet<string>;
  private readonly controlIntervalMs: number;
  /** Counters of clients that have gone, so stats stay cumulative. */
  private goneSent = 0;
  private goneDropped = 0;

  constructor(options: ViewerServerOptions) {
    this.session = options.session;
    this.host = options.host ?? '127.0.0.1';
    this.requestedPort = options.port ?? 8080;
    this.allowedHosts = new Set([...(options.allowedHosts ?? []), this.host].map((h) => h.toLowerCase()));
    this.controlIntervalMs = options.controlIntervalMs ?? CONTROL_INTERVAL_MS;
    this.http = createServer((req, res) => {
      if (!allowedHost(req.headers.host, this.allowedHosts)) {
        res.writeHead(403, { 'Content-Type': 'text/plain' }).end('forbidden: unknown Host\n');
        return;
      }
      this.serveFile(req, res);
    });
    this.wss = new WebSocketServer({
      server: this.http,
      path: '/ws',
      maxPayload: MAX_CLIENT_MESSAGE_BYTES,
      verifyClient: ({ origin, req }: { origin?: string; req: IncomingMessage }) =>
        allowedHost(req.headers.host, this.allowedHosts) && sameOrigin(origin, req.headers.host),
    });
    this.wss.on('connection', (ws) => this.connect(ws));
    this.wss.on('error', () => {}); // the http server reports listen errors
    this.session.setEmitter((json, droppable) => {
      for (const c of this.clients) c.send(json, droppable);
    });
  }

  /** Starts listening; resolves to the page's address. Rejects with a clear Error if the port is taken. */
  listen(): Promise<string> {
    return new Promise((resolvePromise, reject) => {
      const onError = (e: NodeJS.ErrnoException) => {
        reject(
          new Error(
            e.code === 'EADDRINUSE'
              ? `port ${this.requestedPort} on ${this.host} is in use; give another with --port`
              : `cannot listen on ${this.host}:${this.requestedPort}: ${e.message}`,
          ),
        );
      };
      this.http.once('error', onError);
      this.http.listen(this.requestedPort, this.host, () => {
        this.http.off('error', onError);
        resolvePromise(this.url);
      });
    });
  }

  get port(): number {
    return (this.http.address() as AddressInfo | null)?.port ?? this.requestedPort;
  }

  get url(): string {
    const h = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `http://${h}:${this.port}/`;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  stats(): StatsMessage {
    const m = process.memoryUsage();
    let sent = this.goneSent;
    let dropped = this.goneDropped;
    for (const c of this.clients) {
      sent += c.framesSent;
      dropped += c.framesDropped;
    }
    return {
      type: 'stats',
      rss: m.rss,
      heapUsed: m.heapUsed,
      clients: this.clients.size,
      framesSent: sent,
      framesDropped: dropped,
      episodes: this.session.episodes,
      steps: this.session.steps,
    };
  }

  async close(): Promise<void> {
    this.session.close();
    for (const c of this.clients) c.socket.terminate();
    await new Promise<void>((r) => this.wss.close(() => r()));
    await new Promise<void>((r) => this.http.close(() => r()));
  }

  private connect(ws: WebSocket): void {
    const client = new ViewerClient(ws);
    this.clients.add(client);
    const gone = () => {
      if (!this.clients.delete(client)) return;
      const slot = this.controls.get(client);
      if (slot?.timer) clearTimeout(slot.timer);
      this.controls.delete(client);
      this.goneSent += client.framesSent;
      this.goneDropped += client.framesDropped;
      client.close();
    };
    ws.on('close', gone);
    ws.on('error', () => {
      gone();
      ws.terminate();
    });
    ws.on('message', (data, isBinary) => this.receive(client, data, isBinary));
    for (const json of this.session.welcome()) client.send(json, false);
  }

  private receive(client: ViewerClient, data: RawData, isBinary: boolean): void {
    const fail = (message: string, op: string | null) => {
      const e: ErrorMessage = { type: 'error', message, op };
      client.send(JSON.stringify(e), false);
    };
    if (isBinary) return fail('malformed message: expected JSON text, got binary data', null);
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    const parsed = parseClientMessage(text);
    if (!parsed.ok) return fail(parsed.error, null);
    if (parsed.message.op === 'run' || parsed.message.op === 'reset') return this.control(client, parsed.message);
    this.act(client, parsed.message);
  }

  /** Acts on one message; a failure goes back to its sender only. */
  private act(client: ViewerClient, m: ClientMessage): void {
    try {
      this.handle(client, m);
    } catch (e) {
      const err: ErrorMessage = { type: 'error', message: (e as Error).message, op: m.op };
      client.send(JSON.stringify(err), false);
    }
  }

  /** A run or reset: acted on now if this connection's last was long enough ago, else kept (newest wins) for then. */
  private control(client: ViewerClient, m: ClientMessage): void {
    let slot = this.controls.get(client);
    if (!slot) this.controls.set(client, (slot = { pending: null, last: -Infinity, timer: null }));
    slot.pending = m;
    if (slot.timer) return;
    const wait = slot.last + this.controlIntervalMs - performance.now();
    const take = () => {
      slot.timer = null;
      const next = slot.pending;
      slot.pending = null;
      if (!next || !this.clients.has(client)) return;
      slot.last = performance.now();
      this.act(client, next);
    };
    if (wait <= 0) take();
    else slot.timer = setTimeout(take, wait);
  }

  private handle(client: ViewerClient, m: ClientMessage): void {
    switch (m.op) {
      case 'run':
        return this.session.run(m);
      case 'reset':
        return this.session.reset(m);
      case 'stop':
        return this.session.stop();
      case 'stats':
        return client.send(JSON.stringify(this.stats()), false);
    }
  }

  private serveFile(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    const found = resolveStatic(req.url ?? '/');
    if (!found) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'Content-Type': found.type, 'Cache-Control': 'no-cache' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream(found.file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }
}

/**
 * Whether a request's Host header names this viewer: an IP address (a DNS rebinding attack needs a name), localhost,
 * or one of `allowed`. A request without a Host (HTTP/1.0 tools) is let through: a browser always sends one.
 */
export function allowedHost(host: string | undefined, allowed: ReadonlySet<string> = new Set()): boolean {
  if (host === undefined) return true;
  let name: string;
  try {
    name = new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (name.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(name)) return true;
  return name === 'localhost' || name.endsWith('.localhost') || allowed.has(name);
}

/**
 * Browsers send an Origin with every websocket handshake, and any web page may open a socket to 127.0.0.1: only the
 * viewer's own page (same host and port) may drive the simulation. Clients that send no Origin (scripts, tests,
 * `vla bench viewer`) are not browsers and may connect.
 */
export function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined || origin === '') return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

