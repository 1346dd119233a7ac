/** The rosbridge-protocol test broker itself, with a raw websocket client (no roslib). */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RosbridgeTestServer } from '../../src/ros/index.js';

const open: { ws: WebSocket; server: RosbridgeTestServer }[] = [];
afterEach(async () => {
  for (const { ws, server } of open.splice(0)) {
    ws.close();
    await server.stop();
  }
});

async function client(params: Record<string, unknown> = {}) {
  const server = await RosbridgeTestServer.start({ params });
  const ws = new WebSocket(server.url);
  await new Promise((r) => ws.once('open', r));
  const inbox: Record<string, unknown>[] = [];
  ws.on('message', (d) => inbox.push(JSON.parse(d.toString())));
  open.push({ ws, server });
  const send = (m: unknown) => ws.send(typeof m === 'string' ? m : JSON.stringify(m));
  const next = async (n: number) => {
    await server.waitFor(() => inbox.length >= n, 2000, `${n} messages`);
    return inbox;
  };
  return { server, send, next, inbox };
}

describe('RosbridgeTestServer', () => {
  it('routes a publish to the subscribers of the topic only, and records it', async () => {
    const c = await client();
    c.send({ op: 'subscribe', topic: '/a', type: 'std_msgs/String' });
    c.send({ op: 'advertise', topic: '/a', type: 'std_msgs/String' });
    c.send({ op: 'advertise', topic: '/b', type: 'std_msgs/String' });
    c.send({ op: 'publish', topic: '/b', msg: { data: 'not for us' } });
    c.send({ op: 'publish', topic: '/a', msg: { data: 'hello' } });
    const inbox = await c.next(1);
    expect(inbox[0]).toEqual({ op: 'publish', topic: '/a', msg: { data: 'hello' } });
    expect(c.server.published('/a')).toHaveLength(1);
    c.send({ op: 'unsubscribe', topic: '/a' });
    await c.server.waitFor(() => c.server.subscriberCount('/a') === 0);
    c.server.publish('/a', 'std_msgs/String', { data: 'gone' });
    await new Promise((r) => setTimeout(r, 50));
    expect(c.inbox).toHaveLength(1);
  });

  it('answers rosapi/get_param and refuses unknown services', async () => {
    const c = await client({ '/robot_description': '<robot name="x"/>' });
    c.send({ op: 'call_service', id: 'q1', service: '/rosapi/get_param', args: { name: '/robot_description' } });
    c.send({ op: 'call_service', id: 'q2', service: '/rosapi/get_param', args: { name: '/missing' } });
    c.send({ op: 'call_service', id: 'q3', service: '/nope' });
    const inbox = await c.next(3);
    expect(inbox[0]).toEqual({ op: 'service_response', id: 'q1', service: '/rosapi/get_param', result: true, values: { value: '"<robot name=\\"x\\"/>"' } });
    expect(inbox[1]).toMatchObject({ id: 'q2', result: false });
    expect(inbox[2]).toMatchObject({ id: 'q3', result: false, values: 'service /nope does not exist' });
  });

  it('replies to bad input with a status message, as rosbridge does', async () => {
    const c = await client();
    c.send('{oops');
    c.send({ op: 'teleport' });
    c.send({ op: 'publish', topic: '/x', msg: {} }); // not advertised
    c.send({ op: 'advertise', topic: '/t', type: 'std_msgs/String' });
    c.send({ op: 'advertise', topic: '/t', type: 'std_msgs/Bool' }); // another type
    const inbox = await c.next(4);
    expect(inbox.every((m) => m.op === 'status' && m.level === 'error')).toBe(true);
    expect(inbox.map((m) => m.msg)).toEqual([
      'refused message: not JSON',
      'refused message: unsupported op "teleport"',
      'publish to /x, which this client has not advertised',
      '/t already has type std_msgs/String, cannot advertise it as std_msgs/Bool',
    ]);
  });
});
