/**
 * The rosbridge v2 JSON protocol on the wire (https://github.com/RobotWebTools/rosbridge_suite, ROSBRIDGE_PROTOCOL.md):
 * one JSON object per websocket text frame, keyed on `op`. Only the operations this project speaks are typed.
 * Field names are the protocol's own (snake_case); nothing here leaks into the public API, which converts at the
 * edge (RoslibTransport, RosbridgeTestServer).
 */

export type StatusLevel = 'error' | 'warning' | 'info' | 'none';

export type RosbridgeMessage =
  | { op: 'advertise'; id?: string; topic: string; type: string; latch?: boolean; queue_size?: number }
  | { op: 'unadvertise'; id?: string; topic: string }
  | { op: 'publish'; id?: string; topic: string; msg: unknown }
  | {
      op: 'subscribe';
      id?: string;
      topic: string;
      type?: string;
      throttle_rate?: number;
      queue_length?: number;
      compression?: string;
    }
  | { op: 'unsubscribe'; id?: string; topic: string }
  | { op: 'call_service'; id?: string; service: string; type?: string; args?: unknown }
  | { op: 'service_response'; id?: string; service: string; values?: unknown; result: boolean }
  | { op: 'status'; id?: string; level: StatusLevel; msg: string };

export type RosbridgeOp = RosbridgeMessage['op'];

export const ROSBRIDGE_OPS = [
  'advertise',
  'unadvertise',
  'publish',
  'subscribe',
  'unsubscribe',
  'call_service',
  'service_response',
  'status',
] as const satisfies readonly RosbridgeOp[];

/** What each op must carry as a string (the rest is optional or free-form). */
const REQUIRED_STRINGS: Record<RosbridgeOp, readonly string[]> = {
  advertise: ['topic', 'type'],
  unadvertise: ['topic'],
  publish: ['topic'],
  subscribe: ['topic'],
  unsubscribe: ['topic'],
  call_service: ['service'],
  service_response: ['service'],
  status: ['level', 'msg'],
};

/** Parses one websocket text frame; returns the message or a reason it is not one. Never throws. */
export function parseRosbridgeMessage(raw: string): { ok: true; message: RosbridgeMessage } | { ok: false; reason: string } {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { ok: false, reason: 'not a JSON object' };
  const o = v as Record<string, unknown>;
  if (typeof o.op !== 'string') return { ok: false, reason: 'no "op" field' };
  if (!(ROSBRIDGE_OPS as readonly string[]).includes(o.op)) return { ok: false, reason: `unsupported op "${o.op}"` };
  const op = o.op as RosbridgeOp;
  for (const k of REQUIRED_STRINGS[op]) {
    if (typeof o[k] !== 'string') return { ok: false, reason: `op "${op}" needs a string "${k}"` };
  }
  if (op === 'publish' && !('msg' in o)) return { ok: false, reason: 'op "publish" needs "msg"' };
  if (op === 'service_response' && typeof o.result !== 'boolean') return { ok: false, reason: 'op "service_response" needs a boolean "result"' };
  return { ok: true, message: o as unknown as RosbridgeMessage };
}
