import { describe, expect, it } from 'vitest';
import { createCanvas } from '@napi-rs/canvas';
import {
  compressedSize,
  decodeCompressedImage,
  decodeRawImage,
  fitImage,
  jointTrajectoryMsg,
  parseCompressedImage,
  parseImage,
  parseJointCommand,
  parseJointState,
  parseRosbridgeMessage,
  parseTime,
  MESSAGE_TYPES,
} from '../../src/ros/index.js';

const LIMITS = { maxWidth: 1000, maxHeight: 1000 };

function png(w: number, h: number, colour: string, type: 'image/png' | 'image/jpeg' = 'image/png'): Uint8Array {
  const c = createCanvas(w, h);
  const ctx = c.getContext('2d');
  ctx.fillStyle = colour;
  ctx.fillRect(0, 0, w, h);
  return new Uint8Array(c.toBuffer(type as 'image/png'));
}

describe('rosbridge protocol parsing', () => {
  it('accepts the ops it speaks and refuses the rest with a reason', () => {
    expect(parseRosbridgeMessage('{"op":"publish","topic":"/a","msg":{}}').ok).toBe(true);
    expect(parseRosbridgeMessage('{"op":"advertise","topic":"/a","type":"std_msgs/String"}').ok).toBe(true);
    const cases: [string, string][] = [
      ['nope', 'not JSON'],
      ['[1]', 'not a JSON object'],
      ['{"topic":"/a"}', 'no "op"'],
      ['{"op":"fly"}', 'unsupported op "fly"'],
      ['{"op":"advertise","topic":"/a"}', 'needs a string "type"'],
      ['{"op":"publish","topic":"/a"}', 'needs "msg"'],
      ['{"op":"service_response","service":"/s"}', 'boolean "result"'],
    ];
    for (const [raw, reason] of cases) {
      const r = parseRosbridgeMessage(raw);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toContain(reason);
    }
  });
});

describe('ROS message parsing', () => {
  it('reads JointState and refuses wrong types and mismatched lengths', () => {
    const ok = parseJointState({ header: { stamp: { sec: 3, nanosec: 5e8 } }, name: ['a', 'b'], position: [0.1, 0.2], velocity: [] });
    expect(ok).toEqual({ ok: true, value: { names: ['a', 'b'], positions: [0.1, 0.2], velocities: [], stamp: 3.5 } });
    expect(parseJointState({ name: ['a'], position: ['0.1'] })).toMatchObject({ ok: false, reason: expect.stringContaining('not a number') });
    expect(parseJointState({ name: ['a', 'b'], position: [1] })).toMatchObject({ ok: false, reason: expect.stringContaining('2 names but 1 positions') });
    expect(parseJointState({ position: [1] })).toMatchObject({ ok: false, reason: expect.stringContaining('"name"') });
    expect(parseJointState(null)).toMatchObject({ ok: false });
  });

  it('reads ROS 1 and ROS 2 times', () => {
    expect(parseTime({ secs: 2, nsecs: 250_000_000 })).toBe(2.25);
    expect(parseTime({ sec: 2, nanosec: 250_000_000 })).toBe(2.25);
    expect(parseTime({ s: 1 })).toBeNaN();
  });

  it('refuses an image whose base64 data is over the byte limit before decoding it', () => {
    const data = 'A'.repeat(4000);
    const r = parseImage({ width: 10, height: 10, encoding: 'rgb8', step: 30, data }, 1000);
    expect(r).toMatchObject({ ok: false, reason: expect.stringContaining('more than the limit of 1000') });
    expect(parseImage({ width: 10, height: 10, encoding: 'rgb8', step: 30, data: '!!!' }, 1000)).toMatchObject({ ok: false, reason: expect.stringContaining('base64') });
    expect(parseImage({ width: -1, height: 10, encoding: 'rgb8', step: 30, data: '' }, 1000)).toMatchObject({ ok: false, reason: expect.stringContaining('positive integers') });
  });

  it('builds a JointTrajectory that parses back to the same names and positions', () => {
    const msg = jointTrajectoryMsg(['j1', 'j2'], [0.5, -0.25], 0.1, 2);
    expect(msg.points).toEqual([expect.objectContaining({ positions: [0.5, -0.25], time_from_start: { sec: 0, nanosec: 100_000_000 } })]);
    expect(parseJointCommand(msg, MESSAGE_TYPES.jointTrajectory)).toEqual({ ok: true, value: { names: ['j1', 'j2'], positions: [0.5, -0.25], stamp: 0, timeFromStart: 0.1 } });
    expect(jointTrajectoryMsg(['j'], [0], 1.5, 1).points).toEqual([expect.objectContaining({ time_from_start: { secs: 1, nsecs: 500_000_000 } })]);
  });
});

describe('camera frames', () => {
  it('decodes rgb8, bgr8, mono8 and rgba8 with row padding', () => {
    // 2x1 image, step with 2 bytes of padding per row
    const rgb = decodeRawImage({ width: 2, height: 1, encoding: 'rgb8', step: 8, data: Uint8Array.from([1, 2, 3, 4, 5, 6, 0, 0]), stamp: 0 }, LIMITS);
    expect(rgb.ok && Array.from(rgb.value.rgb)).toEqual([1, 2, 3, 4, 5, 6]);
    const bgr = decodeRawImage({ width: 1, height: 1, encoding: 'bgr8', step: 3, data: Uint8Array.from([1, 2, 3]), stamp: 0 }, LIMITS);
    expect(bgr.ok && Array.from(bgr.value.rgb)).toEqual([3, 2, 1]);
    const mono = decodeRawImage({ width: 1, height: 1, encoding: 'mono8', step: 1, data: Uint8Array.from([9]), stamp: 0 }, LIMITS);
    expect(mono.ok && Array.from(mono.value.rgb)).toEqual([9, 9, 9]);
    const rgba = decodeRawImage({ width: 1, height: 1, encoding: 'rgba8', step: 4, data: Uint8Array.from([7, 8, 9, 255]), stamp: 0 }, LIMITS);
    expect(rgba.ok && Array.from(rgba.value.rgb)).toEqual([7, 8, 9]);
  });

  it('refuses unsupported encodings, short data and oversized frames with reasons', () => {
    expect(decodeRawImage({ width: 1, height: 1, encoding: '16UC1', step: 2, data: new Uint8Array(2), stamp: 0 }, LIMITS)).toMatchObject({ ok: false, reason: expect.stringContaining('not supported') });
    expect(decodeRawImage({ width: 4, height: 4, encoding: 'rgb8', step: 12, data: new Uint8Array(10), stamp: 0 }, LIMITS)).toMatchObject({ ok: false, reason: expect.stringContaining('needs 48 bytes, got 10') });
    expect(decodeRawImage({ width: 5000, height: 4, encoding: 'mono8', step: 5000, data: new Uint8Array(20000), stamp: 0 }, LIMITS)).toMatchObject({ ok: false, reason: expect.stringContaining('larger than the limit') });
  });

  it('decodes PNG and JPEG, and reads their size from the header', () => {
    const p = png(6, 4, 'rgb(200, 10, 20)');
    expect(compressedSize(p)).toEqual({ ok: true, value: { kind: 'png', width: 6, height: 4 } });
    const d = decodeCompressedImage({ format: 'png', data: p, stamp: 0 }, LIMITS);
    expect(d.ok && [d.value.width, d.value.height, ...d.value.rgb.slice(0, 3)]).toEqual([6, 4, 200, 10, 20]);
    const j = png(8, 8, 'rgb(0, 0, 255)', 'image/jpeg');
    expect(compressedSize(j)).toMatchObject({ ok: true, value: { kind: 'jpeg', width: 8, height: 8 } });
    const dj = decodeCompressedImage({ format: 'jpeg', data: j, stamp: 0 }, LIMITS);
    expect(dj.ok && dj.value.rgb[2]!).toBeGreaterThan(200);
  });

  it('refuses corrupt and decompression-bomb images without decoding them', () => {
    expect(decodeCompressedImage({ format: 'png', data: Uint8Array.from([1, 2, 3, 4]), stamp: 0 }, LIMITS)).toMatchObject({ ok: false, reason: expect.stringContaining('neither PNG nor JPEG') });
    const p = png(6, 4, 'red');
    const bomb = p.slice();
    new DataView(bomb.buffer).setUint32(16, 100_000); // header claims 100000 px wide
    expect(decodeCompressedImage({ format: 'png', data: bomb, stamp: 0 }, LIMITS)).toMatchObject({ ok: false, reason: expect.stringContaining('100000x4, larger than the limit') });
    const truncated = p.slice(0, 40);
    expect(decodeCompressedImage({ format: 'png', data: truncated, stamp: 0 }, LIMITS)).toMatchObject({ ok: false, reason: expect.stringContaining('corrupt png') });
    expect(parseCompressedImage({ format: 'png', data: 5 }, 100)).toMatchObject({ ok: false });
  });

  it('crops the centred square then box-filters to the model size', () => {
    // 4x2: left column pair red, right pair blue; the centred 2x2 square is columns 1..2 (one red, one blue)
    const rgb = new Uint8Array(4 * 2 * 3);
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 4; x++) rgb.set(x < 2 ? [255, 0, 0] : [0, 0, 255], (y * 4 + x) * 3);
    }
    const crop = fitImage({ width: 4, height: 2, rgb }, 1, 'crop');
    expect(Array.from(crop.rgb)).toEqual([128, 0, 128]);
    const stretch = fitImage({ width: 4, height: 2, rgb }, 2, 'stretch');
    expect(Array.from(stretch.rgb.slice(0, 6))).toEqual([255, 0, 0, 0, 0, 255]);
    const up = fitImage({ width: 1, height: 1, rgb: Uint8Array.from([1, 2, 3]) }, 3, 'crop');
    expect(Array.from(up.rgb)).toEqual(Array(9).fill([1, 2, 3]).flat());
  });
});
