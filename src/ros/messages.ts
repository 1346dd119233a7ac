/**
 * ROS messages as rosbridge JSON carries them, and their conversion to and from this project's camelCase types.
 * Every parser takes `unknown` (whatever arrived on the wire) and returns a value or a reason; none throws.
 *
 * ROS 1 and ROS 2 differ on the wire only in time fields ({secs, nsecs} vs {sec, nanosec}) and the header's seq;
 * parsers accept both, builders write the configured one. uint8[] fields (image data) arrive base64-encoded.
 */

export type RosVersion = 1 | 2;
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export const MESSAGE_TYPES = {
  jointState: 'sensor_msgs/JointState',
  image: 'sensor_msgs/Image',
  compressedImage: 'sensor_msgs/CompressedImage',
  string: 'std_msgs/String',
  bool: 'std_msgs/Bool',
  jointTrajectory: 'trajectory_msgs/JointTrajectory',
  float64MultiArray: 'std_msgs/Float64MultiArray',
} as const;

export interface JointStateSample {
  names: string[];
  positions: number[];
  /** Empty when the publisher sent none. */
  velocities: number[];
  /** Header stamp, seconds (0 when absent). */
  stamp: number;
}

export interface RawImage {
  width: number;
  height: number;
  encoding: string;
  /** Bytes per row. */
  step: number;
  data: Uint8Array;
  stamp: number;
}

export interface CompressedFrame {
  format: string;
  data: Uint8Array;
  stamp: number;
}

/** A joint command as a robot reads it: names (null for Float64MultiArray, which carries none) and positions. */
export interface JointCommand {
  names: string[] | null;
  positions: number[];
  /** JointTrajectory: header stamp (s; 0 = start now) and the first point's time_from_start (s); else 0 and NaN. */
  stamp: number;
  timeFromStart: number;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(reason: string): Parsed<T> => ({ ok: false, reason });

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Seconds from a ROS 1 or ROS 2 time object; NaN if it is neither. */
export function parseTime(t: unknown): number {
  if (!isObject(t)) return NaN;
  const s = t.sec ?? t.secs;
  const ns = t.nanosec ?? t.nsecs ?? 0;
  if (typeof s !== 'number' || typeof ns !== 'number') return NaN;
  return s + ns * 1e-9;
}

export function rosTime(seconds: number, version: RosVersion): Record<string, number> {
  const sec = Math.floor(seconds);
  const nanosec = Math.min(999_999_999, Math.round((seconds - sec) * 1e9));
  return version === 1 ? { secs: sec, nsecs: nanosec } : { sec, nanosec };
}

export function header(stamp: number, frameId: string, version: RosVersion): Record<string, unknown> {
  return version === 1 ? { seq: 0, stamp: rosTime(stamp, 1), frame_id: frameId } : { stamp: rosTime(stamp, 2), frame_id: frameId };
}

function stampOf(msg: Record<string, unknown>): number {
  const t = isObject(msg.header) ? parseTime(msg.header.stamp) : NaN;
  return Number.isFinite(t) ? t : 0;
}

function numberArray(v: unknown, what: string): Parsed<number[]> {
  if (!Array.isArray(v)) return bad(`${what} is not an array`);
  for (let i = 0; i < v.length; i++) {
    if (typeof v[i] !== 'number') return bad(`${what}[${i}] is ${JSON.stringify(v[i])}, not a number`);
  }
  return ok(v as number[]);
}

/** uint8[] as rosbridge sends it (base64 string; a plain array also accepted), refusing more than maxBytes. */
export function decodeBytes(v: unknown, what: string, maxBytes: number): Parsed<Uint8Array> {
  if (typeof v === 'string') {
    const approx = Math.floor((v.length * 3) / 4);
    if (approx > maxBytes) return bad(`${what} is ${approx} bytes, more than the limit of ${maxBytes}`);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v)) return bad(`${what} is not valid base64`);
    const buf = Buffer.from(v, 'base64');
    return ok(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  }
  if (Array.isArray(v)) {
    if (v.length > maxBytes) return bad(`${what} is ${v.length} bytes, more than the limit of ${maxBytes}`);
    const out = new Uint8Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const b = v[i];
      if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 255) return bad(`${what}[${i}] is not a byte`);
      out[i] = b;
    }
    return ok(out);
  }
  return bad(`${what} is neither a base64 string nor a byte array`);
}

export function parseJointState(msg: unknown): Parsed<JointStateSample> {
  if (!isObject(msg)) return bad('JointState: not an object');
  if (!Array.isArray(msg.name) || !msg.name.every((n) => typeof n === 'string')) return bad('JointState: "name" must be an array of strings');
  const pos = numberArray(msg.position, 'JointState: "position"');
  if (!pos.ok) return pos;
  if (pos.value.length !== msg.name.length) {
    return bad(`JointState: ${msg.name.length} names but ${pos.value.length} positions`);
  }
  let velocities: number[] = [];
  if (msg.velocity !== undefined && msg.velocity !== null) {
    const vel = numberArray(msg.velocity, 'JointState: "velocity"');
    if (!vel.ok) return vel;
    if (vel.value.length !== 0 && vel.value.length !== msg.name.length) return bad(`JointState: ${msg.name.length} names but ${vel.value.length} velocities`);
    velocities = vel.value;
  }
  return ok({ names: msg.name as string[], positions: pos.value, velocities, stamp: stampOf(msg) });
}

export function parseImage(msg: unknown, maxBytes: number): Parsed<RawImage> {
  if (!isObject(msg)) return bad('Image: not an object');
  const { width, height, encoding, step } = msg;
  if (typeof width !== 'number' || typeof height !== 'number' || !Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    return bad(`Image: width and height must be positive integers, got ${JSON.stringify(width)}x${JSON.stringify(height)}`);
  }
  if (typeof encoding !== 'string') return bad('Image: "encoding" must be a string');
  if (typeof step !== 'number' || !Number.isInteger(step) || step <= 0) return bad(`Image: "step" must be a positive integer, got ${JSON.stringify(step)}`);
  const data = decodeBytes(msg.data, 'Image: "data"', maxBytes);
  if (!data.ok) return data;
  return ok({ width, height, encoding, step, data: data.value, stamp: stampOf(msg) });
}

export function parseCompressedImage(msg: unknown, maxBytes: number): Parsed<CompressedFrame> {
  if (!isObject(msg)) return bad('CompressedImage: not an object');
  if (typeof msg.format !== 'string') return bad('CompressedImage: "format" must be a string');
  const data = decodeBytes(msg.data, 'CompressedImage: "data"', maxBytes);
  if (!data.ok) return data;
  return ok({ format: msg.format, data: data.value, stamp: stampOf(msg) });
}

export function parseStringMsg(msg: unknown): Parsed<string> {
  if (!isObject(msg) || typeof msg.data !== 'string') return bad('String: "data" must be a string');
  return ok(msg.data);
}

export function parseBoolMsg(msg: unknown): Parsed<boolean> {
  if (!isObject(msg) || typeof msg.data !== 'boolean') return bad('Bool: "data" must be true or false');
  return ok(msg.data);
}

/** A JointTrajectory (first point) or a Float64MultiArray, as a robot reads a command. */
export function parseJointCommand(msg: unknown, type: JointCommandType): Parsed<JointCommand> {
  if (!isObject(msg)) return bad(`${type}: not an object`);
  if (type === MESSAGE_TYPES.float64MultiArray) {
    const data = numberArray(msg.data, 'Float64MultiArray: "data"');
    return data.ok ? ok({ names: null, positions: data.value, stamp: 0, timeFromStart: NaN }) : data;
  }
  if (!Array.isArray(msg.joint_names) || !msg.joint_names.every((n) => typeof n === 'string')) {
    return bad('JointTrajectory: "joint_names" must be an array of strings');
  }
  if (!Array.isArray(msg.points) || msg.points.length === 0 || !isObject(msg.points[0])) return bad('JointTrajectory: no points');
  const pos = numberArray(msg.points[0].positions, 'JointTrajectory: points[0].positions');
  if (!pos.ok) return pos;
  if (pos.value.length !== msg.joint_names.length) return bad(`JointTrajectory: ${msg.joint_names.length} joint names but ${pos.value.length} positions`);
  const tfs = parseTime(msg.points[0].time_from_start);
  return ok({ names: msg.joint_names as string[], positions: pos.value, stamp: stampOf(msg), timeFromStart: Number.isFinite(tfs) ? tfs : 0 });
}

export type JointCommandType = typeof MESSAGE_TYPES.jointTrajectory | typeof MESSAGE_TYPES.float64MultiArray;

/**
 * One-point trajectory reaching `positions` after `duration` seconds. stamp 0 = start now; lockstep commands carry
 * the stamp of the observation they answer.
 */
export function jointTrajectoryMsg(names: readonly string[], positions: ArrayLike<number>, duration: number, version: RosVersion, stamp = 0): Record<string, unknown> {
  return {
    header: header(stamp, '', version),
    joint_names: [...names],
    points: [
      {
        positions: Array.from(positions),
        velocities: [],
        accelerations: [],
        effort: [],
        time_from_start: rosTime(duration, version),
      },
    ],
  };
}

export function float64MultiArrayMsg(values: ArrayLike<number>): Record<string, unknown> {
  return { layout: { dim: [], data_offset: 0 }, data: Array.from(values) };
}

export function jointStateMsg(
  names: readonly string[],
  positions: ArrayLike<number>,
  velocities: ArrayLike<number>,
  stamp: number,
  version: RosVersion,
): Record<string, unknown> {
  return { header: header(stamp, '', version), name: [...names], position: Array.from(positions), velocity: Array.from(velocities), effort: [] };
}

export function imageMsg(width: number, height: number, rgb: Uint8Array, stamp: number, frameId: string, version: RosVersion): Record<string, unknown> {
  return {
    header: header(stamp, frameId, version),
    height,
    width,
    encoding: 'rgb8',
    is_bigendian: 0,
    step: width * 3,
    data: Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength).toString('base64'),
  };
}

export function compressedImageMsg(format: string, bytes: Uint8Array, stamp: number, frameId: string, version: RosVersion): Record<string, unknown> {
  return { header: header(stamp, frameId, version), format, data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
}
