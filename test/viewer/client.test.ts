/** Back-pressure of one viewer connection, with a stand-in socket whose send buffer the test controls. */
import { describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { VIEWER_BUFFER_LIMITS, ViewerClient } from '../../src/viewer/index.js';

function fakeSocket() {
  const sent: string[] = [];
  const s = {
    readyState: WebSocket.OPEN as number,
    bufferedAmount: 0,
    terminated: false,
    send: (data: string) => sent.push(data),
    terminate: () => {
      s.terminated = true;
      s.readyState = WebSocket.CLOSED;
    },
  };
  return { s, sent, client: new ViewerClient(s as unknown as WebSocket) };
}

describe('ViewerClient', () => {
  it('sends frames while the buffer is low', () => {
    const { sent, client } = fakeSocket();
    client.send('f1', true);
    client.send('f2', true);
    expect(sent).toEqual(['f1', 'f2']);
    expect(client.framesSent).toBe(2);
  });

  it('holds only the newest frame while the buffer is full, and sends it once it drains', () => {
    vi.useFakeTimers();
    try {
      const { s, sent, client } = fakeSocket();
      s.bufferedAmount = VIEWER_BUFFER_LIMITS.soft + 1;
      client.send('f1', true);
      client.send('f2', true);
      client.send('f3', true);
      expect(sent).toEqual([]);
      expect(client.framesDropped).toBe(2);
      vi.advanceTimersByTime(200);
      expect(sent).toEqual([]); // still full
      s.bufferedAmount = 0;
      vi.advanceTimersByTime(200);
      expect(sent).toEqual(['f3']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('always queues messages that must arrive, and they supersede a pending frame', () => {
    vi.useFakeTimers();
    try {
      const { s, sent, client } = fakeSocket();
      s.bufferedAmount = VIEWER_BUFFER_LIMITS.soft + 1;
      client.send('frame', true);
      client.send('scene', false);
      expect(sent).toEqual(['scene']);
      s.bufferedAmount = 0;
      vi.advanceTimersByTime(500);
      expect(sent).toEqual(['scene']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('closes a connection that has stopped reading altogether, and sends nothing to a closed one', () => {
    const { s, sent, client } = fakeSocket();
    s.bufferedAmount = VIEWER_BUFFER_LIMITS.hard + 1;
    client.send('scene', false);
    expect(s.terminated).toBe(true);
    client.send('frame', true);
    expect(sent).toEqual([]);
  });
});
