import { describe, expect, it } from 'vitest';
import { parseClientMessage } from '../../src/viewer/index.js';

const parse = (v: unknown) => parseClientMessage(typeof v === 'string' ? v : JSON.stringify(v));

describe('viewer protocol: every browser message is checked before anything acts on it', () => {
  it('accepts the four ops with their fields', () => {
    expect(parse({ op: 'run', command: 'pick up the red ball', driver: 'expert', seed: 3 })).toEqual({
      ok: true,
      message: { op: 'run', command: 'pick up the red ball', driver: 'expert', seed: 3 },
    });
    expect(parse({ op: 'run', command: ' push the cube left ', driver: 'policy', seed: 0, scene: 'default' }).ok).toBe(true);
    expect(parse({ op: 'reset', seed: 7, scene: null, command: null }).ok).toBe(true);
    expect(parse({ op: 'stop' }).ok).toBe(true);
    expect(parse({ op: 'stats' }).ok).toBe(true);
  });

  it('refuses what is not a JSON object, with a reason', () => {
    expect(parse('{"op": "run", ')).toEqual({ ok: false, error: 'malformed message: not JSON' });
    expect(parse('[1,2]')).toEqual({ ok: false, error: 'malformed message: expected a JSON object with an "op"' });
    expect(parse('null')).toEqual({ ok: false, error: 'malformed message: expected a JSON object with an "op"' });
  });

  it('names an unknown or missing op', () => {
    expect(parse({ op: 'explode' })).toEqual({ ok: false, error: 'unknown op "explode": expected one of run, reset, stop, stats' });
    expect(parse({ command: 'x' })).toEqual({ ok: false, error: 'unknown op null: expected one of run, reset, stop, stats' });
  });

  it('names the field that has the wrong type or value', () => {
    const bad = (v: unknown, field: RegExp) => {
      const r = parse(v);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(field);
    };
    bad({ op: 'run', command: 42, driver: 'expert', seed: 1 }, /^bad "run" message: command: /);
    bad({ op: 'run', command: 'pick up the red ball', driver: 'robot', seed: 1 }, /driver: /);
    bad({ op: 'run', command: 'pick up the red ball', driver: 'expert', seed: -1 }, /seed: /);
    bad({ op: 'run', command: 'pick up the red ball', driver: 'expert', seed: 1.5 }, /seed: /);
    bad({ op: 'run', command: '   ', driver: 'expert', seed: 1 }, /command: the command is empty/);
    bad({ op: 'run', command: 'x'.repeat(201), driver: 'expert', seed: 1 }, /command: /);
    bad({ op: 'run', command: 'pick up the red ball', driver: 'expert', seed: 1, scene: '../../etc/passwd' }, /scene: expected a scene name/);
    bad({ op: 'stop', extra: true }, /^bad "stop" message: /);
    bad({ op: 'reset' }, /seed: /);
  });
});
