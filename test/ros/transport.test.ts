/** RoslibTransport's reconnection and the Watchdog, without timing asserts. */
import { describe, expect, it } from 'vitest';
import { RosbridgeTestServer, RoslibTransport, Watchdog, waitConnected } from '../../src/ros/index.js';

describe('RoslibTransport', () => {
  it('reconnects with exponential backoff up to the maximum, and starts again from the initial delay after a success', async () => {
    const server = await RosbridgeTestServer.start();
    await server.stop(); // nothing listens on the port now
    const t = new RoslibTransport(server.url, { reconnectInitialDelay: 0.01, reconnectMaxDelay: 0.04 });
    const closes: number[] = [];
    t.on('close', () => closes.push(1));
    t.start();
    try {
      await server.waitFor(() => t.delays.length >= 5, 5000, 'five failed attempts');
      expect(t.delays.slice(0, 5)).toEqual([0.01, 0.02, 0.04, 0.04, 0.04]);
      expect(t.connected).toBe(false);
      await server.restart();
      await waitConnected(t, server.url, 5000);
      const before = t.delays.length;
      server.dropClients();
      await server.waitFor(() => t.delays.length > before, 5000, 'a reconnect after the drop');
      expect(t.delays[before]).toBe(0.01);
      await server.waitFor(() => t.connected, 5000, 'the reconnect');
      expect(closes.length).toBeGreaterThanOrEqual(6);
    } finally {
      t.close();
      await server.stop();
    }
  });

  it('refuses URLs that are not websockets, and service calls while disconnected', async () => {
    expect(() => new RoslibTransport('http://127.0.0.1:9090')).toThrow('must start with ws:// or wss://');
    expect(() => new RoslibTransport('not a url')).toThrow('is not a URL');
    const t = new RoslibTransport('ws://127.0.0.1:9');
    await expect(t.callService('/rosapi/get_param', 'rosapi/GetParam', {})).rejects.toThrow('not connected');
    expect(() => t.publish('/never/advertised', {})).toThrow('advertise /never/advertised first');
  });
});

describe('Watchdog', () => {
  it('calls data stale after its timeout or when none ever came, and forgets everything on reset', () => {
    let now = 100;
    const w = new Watchdog(0.1, 0.2, () => now);
    expect(w.check()).toMatchObject({ jointStates: true, image: true, jointStateAge: Infinity });
    w.jointStateArrived();
    w.imageArrived();
    now += 0.09;
    expect(w.check()).toMatchObject({ jointStates: false, image: false });
    now += 0.02;
    expect(w.check()).toMatchObject({ jointStates: true, image: false });
    now += 0.1;
    expect(w.check().image).toBe(true);
    w.jointStateArrived();
    w.reset();
    expect(w.check().jointStates).toBe(true);
  });
});
