/**
 * One browser connection, with back-pressure: a frame is sent only while the socket's send buffer is below
 * SOFT_LIMIT; otherwise it waits as the one pending frame, replaced by any newer frame (coalescing), and goes out
 * when the buffer has drained. Messages that must arrive (scene, final frame, errors) are always queued; a
 * connection whose buffer passes HARD_LIMIT has stopped reading and is closed. Nothing here ever blocks or awaits.
 */
import { WebSocket } from 'ws';

export const VIEWER_BUFFER_LIMITS = { soft: 256 * 1024, hard: 16 * 1024 * 1024 } as const;

export class ViewerClient {
  framesSent = 0;
  framesDropped = 0;
  private pending: string | null = null;
  private drainTimer: NodeJS.Timeout | null = null;

  constructor(readonly socket: WebSocket) {}

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  send(json: string, droppable: boolean): void {
    if (!this.open) return;
    if (this.socket.bufferedAmount > VIEWER_BUFFER_LIMITS.hard) {
      this.socket.terminate();
      return;
    }
    if (!droppable) {
      this.pending = null; // whatever was pending is older than this message
      this.write(json);
      return;
    }
    if (this.socket.bufferedAmount > VIEWER_BUFFER_LIMITS.soft) {
      if (this.pending !== null) this.framesDropped++;
      this.pending = json;
      this.drainSoon();
      return;
    }
    this.framesSent++;
    this.write(json);
  }

  close(): void {
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = null;
    this.pending = null;
  }

  private write(json: string): void {
    this.socket.send(json, (err) => {
      if (err) this.close();
    });
  }

  /** Retries the pending frame a little later (ws has no 'drain' event of its own). */
  private drainSoon(): void {
    if (this.drainTimer) return;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = null;
      const p = this.pending;
      if (p === null || !this.open) return;
      if (this.socket.bufferedAmount > VIEWER_BUFFER_LIMITS.soft) return this.drainSoon();
      this.pending = null;
      this.framesSent++;
      this.write(p);
    }, 50);
    this.drainTimer.unref();
  }
}
