/** Shared by the viewer tests: a server on a free port and a websocket viewer that can wait for messages. */
import WebSocket from 'ws';
import { VlaPolicy } from '../../src/policy/index.js';
import { selectBackend } from '../../src/tf/backend.js';
import { ViewerServer, ViewerSession, type ServerMessage } from '../../src/viewer/index.js';

/** A small untrained policy: its attention maps are real cross-attention, just not meaningful. */
export async function tinyPolicy(): Promise<VlaPolicy> {
  await selectBackend({ flag: 'wasm', log: null });
  return new VlaPolicy({ width: 16, heads: 2, visionLayers: 1, stemChannels: 4, chunk: 4 });
}

export async function startServer(o: { policy: VlaPolicy | null; stepsPerSecond?: number }): Promise<ViewerServer> {
  const session = new ViewerSession({ policy: o.policy, policyLabel: 'tiny', stepsPerSecond: o.stepsPerSecond ?? 0 });
  const server = new ViewerServer({ session, port: 0 });
  await server.listen();
  return server;
}

/** A websocket viewer that keeps every message and can wait for one that matches. */
export class TestViewer {
  readonly messages: ServerMessage[] = [];
  private waiters: { test: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = [];
  closed = false;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as ServerMessage;
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (!w.test(m)) return true;
        w.resolve(m);
        return false;
      });
    });
    ws.on('close', () => (this.closed = true));
  }

  /** Connects and waits for the greeting (hello, the current scene and its latest frame). */
  static async connect(server: ViewerServer): Promise<TestViewer> {
    const ws = new WebSocket(server.url.replace(/^http/, 'ws') + 'ws');
    const v = await new Promise<TestViewer>((resolve, reject) => {
      const viewer = new TestViewer(ws);
      ws.once('open', () => resolve(viewer));
      ws.once('error', reject);
    });
    await v.next('frame', () => true, 0);
    return v;
  }

  send(value: unknown): void {
    this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  /** The next message (from now on, or already received after index `from`) that passes `test`. */
  next<T extends ServerMessage['type']>(type: T, test: (m: Extract<ServerMessage, { type: T }>) => boolean = () => true, from = this.messages.length): Promise<Extract<ServerMessage, { type: T }>> {
    const ok = (m: ServerMessage) => m.type === type && test(m as Extract<ServerMessage, { type: T }>);
    const seen = this.messages.slice(from).find(ok);
    if (seen) return Promise.resolve(seen as Extract<ServerMessage, { type: T }>);
    return new Promise((resolve) => this.waiters.push({ test: ok, resolve: resolve as (m: ServerMessage) => void }));
  }

  close(): void {
    this.ws.close();
  }
}
