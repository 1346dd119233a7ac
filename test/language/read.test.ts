import { describe, expect, it } from 'vitest';
import { readCommand, understandCommand, groundReading, commandWithoutScene, resetWithCommand } from '../../src/language/index.js';
import { CommandError, TEMPLATES, targetsFor } from '../../sim/tasks/language.js';
import { Environment } from '../../sim/env/Environment.js';
import type { Scene } from '../../sim/types.js';

const slots = (text: string) => {
  const r = readCommand(text);
  return { task: r.task, target: r.target, destination: r.destination, direction: r.direction, problems: r.problems };
};

const obj = (id: string, kind: string, colour: string, x: number, y: number) => ({ id, kind, colour, position: { x, y }, yaw: 0, size: kind === 'bowl' || kind === 'plate' ? 0.12 : 0.04 });
const scene = (...objects: ReturnType<typeof obj>[]): Scene => ({ name: 'test', objects }) as Scene;

describe('reading English in everyday words', () => {
  it('reads politeness, questions, case, punctuation and synonyms to the same request', () => {
    const want = { task: 'pick', target: { kind: 'ball', colour: 'red' }, destination: null, direction: null, problems: [] };
    for (const text of [
      'could you lift the red ball',
      'grab the red sphere please',
      'Would you mind picking up the crimson orb?',
      'PICK UP THE RED BALL!!',
      'hey robot, can you pick the red ball up for me now? thanks',
      'I want you to grasp the scarlet ball',
      'please fetch the red ball',
    ]) expect(slots(text), text).toEqual(want);
  });

  it('reads "X and put it in Y", destinations and directions', () => {
    expect(slots('Pick up the green cube and put it in the blue bowl.')).toMatchObject({ task: 'place', target: { kind: 'cube', colour: 'green' }, destination: { kind: 'bowl', colour: 'blue' } });
    expect(slots('set the yellow can down on top of the purple plate')).toMatchObject({ task: 'place', target: { kind: 'cylinder', colour: 'yellow' }, destination: { kind: 'plate', colour: 'purple' } });
    expect(slots('move the orange block to the red bowl')).toMatchObject({ task: 'place', destination: { kind: 'bowl', colour: 'red' } });
    expect(slots('slide the blue cylinder to the left, thanks')).toMatchObject({ task: 'push', direction: 'left' });
    expect(slots('nudge the blue ball away from you')).toMatchObject({ task: 'push', direction: 'forward' });
    expect(slots('roll the violet ball backwards')).toMatchObject({ task: 'push', target: { colour: 'purple' }, direction: 'backward' });
  });

  it('keeps what the user left open open, for the scene to decide', () => {
    expect(slots('pick up the ball')).toMatchObject({ task: 'pick', target: { kind: 'ball', colour: null } });
    expect(slots('put the red one on the plate')).toMatchObject({ task: 'place', target: { kind: null, colour: 'red' }, destination: { kind: 'plate', colour: null } });
  });

  it('says what is missing or contradictory instead of guessing', () => {
    expect(slots('push the red ball').problems.join()).toMatch(/which way\? say left, right, forward or backward/);
    expect(slots('put the red ball').problems.join()).toMatch(/where\? name a bowl or a plate/);
    expect(slots('pick up').problems.join()).toMatch(/which object\?/);
    expect(slots("don't pick up the red ball").problems.join()).toMatch(/what to do rather than what not to do/);
    expect(slots('pick up the red ball and the blue cube').problems.join()).toMatch(/one object at a time: the command names red ball and blue cube/);
    expect(slots('lift the red ball to the left').problems.join()).toMatch(/"lift" does not go left/);
    expect(slots('push the red ball into the blue bowl').problems.join()).toMatch(/say "put"/);
    expect(slots('put the red ball on the blue cube').problems.join()).toMatch(/in a bowl or on a plate, not on the blue cube/);
  });

  it('lists the words it ignored and the words it did not know, and goes on without the latter', () => {
    const r = readCommand('could you quietly lift the red ball');
    expect(r.ignored).toEqual(['could', 'you', 'the']);
    expect(r.unknown).toEqual(['quietly']);
    expect(r.task).toBe('pick');
    expect(r.problems).toEqual([]);
  });

  it('reads every template command of every split as the template parser does', () => {
    for (const tpl of TEMPLATES) {
      for (const target of targetsFor('seen').slice(0, 3)) {
        const text = tpl.text
          .replace('{target}', `${target.colour} ${target.kind}`)
          .replace('{in}', 'in')
          .replace('{dest}', 'green bowl')
          .replace('{dir}', 'to the right');
        const u = understandCommand(text);
        const r = readCommand(text);
        expect({ task: r.task, kind: r.target?.kind, colour: r.target?.colour }, text).toEqual({ task: u.parsed.task, kind: u.parsed.target.kind, colour: u.parsed.target.colour });
      }
    }
  });
});

describe('reading Korean', () => {
  it('reads the primer\'s example and its politer forms', () => {
    const want = { task: 'pick', target: { kind: 'ball', colour: 'red' }, destination: null, direction: null, problems: [] };
    for (const text of ['빨간 공을 집어라', '빨간 공을 집어 줘', '빨간 공 좀 집어 주세요', '빨간색 공을 잡아라', '빨간공을 들어 올려 주세요', '빨강 공을 주워 줘.']) {
      expect(slots(text), text).toEqual(want);
    }
  });

  it('reads particles that make a destination, and directions', () => {
    expect(slots('빨간 공을 파란 그릇에 넣어 주세요')).toMatchObject({ task: 'place', target: { kind: 'ball', colour: 'red' }, destination: { kind: 'bowl', colour: 'blue' } });
    expect(slots('노란 원기둥을 초록 접시 위에 올려놓아라')).toMatchObject({ task: 'place', target: { kind: 'cylinder', colour: 'yellow' }, destination: { kind: 'plate', colour: 'green' } });
    expect(slots('주황색 큐브를 보라색 그릇 안에 놓으세요')).toMatchObject({ task: 'place', target: { kind: 'cube', colour: 'orange' }, destination: { kind: 'bowl', colour: 'purple' } });
    expect(slots('파란 큐브를 왼쪽으로 밀어 줘')).toMatchObject({ task: 'push', target: { kind: 'cube', colour: 'blue' }, direction: 'left' });
    expect(slots('초록 원통을 뒤로 밀어라')).toMatchObject({ task: 'push', direction: 'backward' });
    expect(slots('빨간 공을 앞쪽으로 밀어')).toMatchObject({ task: 'push', direction: 'forward' });
    expect(slots('보라색 공을 오른쪽으로 옮겨 주세요')).toMatchObject({ task: 'push', direction: 'right' });
  });

  it('never calls Korean text empty, and names what it could not read', () => {
    const r = readCommand('파란 공을 먹어라');
    expect(r.problems.join()).not.toMatch(/empty/);
    expect(r.unknown).toEqual(['먹어라']);
    expect(r.problems.join()).toMatch(/what should I do with the blue ball/);
    expect(readCommand('빨간 공을 집지 마').problems.join()).toMatch(/what not to do/);
  });
});

describe('grounding in a scene', () => {
  const twoBalls = scene(obj('r', 'ball', 'red', 0.1, 0.1), obj('b', 'ball', 'blue', 0.1, -0.1), obj('g', 'cube', 'green', 0, 0), obj('y', 'bowl', 'yellow', 0.2, 0));

  it('asks which one when the words fit several objects, and names them', () => {
    expect(() => groundReading(readCommand('pick up the ball'), twoBalls)).toThrow(/which ball\? there are 2 on the table \(the red ball, the blue ball\); say which, e\.g\. "the red ball"/);
  });

  it('finds the one object the words fit, and says when none does', () => {
    expect(groundReading(readCommand('pick up the cube'), twoBalls).target).toEqual({ kind: 'cube', colour: 'green' });
    expect(groundReading(readCommand('put the green one in the bowl'), twoBalls)).toMatchObject({ task: 'place', target: { kind: 'cube', colour: 'green' }, destination: { kind: 'bowl', colour: 'yellow' } });
    expect(() => groundReading(readCommand('pick up the purple ball'), twoBalls)).toThrow(CommandError);
    expect(() => groundReading(readCommand('pick up the purple ball'), twoBalls)).toThrow(/there is no purple ball on the table \(there are: a red ball, a blue ball, a green cube\)/);
  });

  it('gives the policy the templates\' words, and passes template commands on as typed', () => {
    expect(understandCommand('could you put the red ball in the yellow bowl?', { scene: twoBalls }).command).toBe('put the red ball in the yellow bowl');
    expect(understandCommand('빨간 공을 노란 그릇에 넣어 주세요', { scene: twoBalls }).command).toBe('put the red ball in the yellow bowl');
    expect(understandCommand('파란 공을 왼쪽으로 밀어 줘').command).toBe('push the blue ball left');
    expect(understandCommand('Grab the red ball').command).toBe('Grab the red ball');
  });

  it('vla run without a scene: fills the open colour from the seed, then refuses if the tabletop makes it ambiguous', () => {
    const env = new Environment({ cameras: [] });
    let ok = 0;
    let ambiguous = 0;
    for (let seed = 0; seed < 12; seed++) {
      try {
        const { understood } = resetWithCommand(env, 'pick up the ball', seed);
        const balls = env.info.scene.objects.filter((o) => o.kind === 'ball');
        expect(balls.length).toBe(1);
        expect(understood.command).toBe(`pick up the ${balls[0]!.colour} ball`);
        ok++;
      } catch (e) {
        expect((e as Error).message).toMatch(/which ball\?/);
        ambiguous++;
      }
    }
    expect(ok).toBeGreaterThan(0);
    expect(ok + ambiguous).toBe(12);
  });

  it('a robot with no scene needs every colour and kind named', () => {
    expect(commandWithoutScene('빨간 공을 집어라').command).toBe('pick up the red ball');
    expect(() => commandWithoutScene('pick up the ball')).toThrow(/say the colour of the ball/);
  });
});

describe('the user\'s words against the policy\'s tokens', () => {
  it('gives each word the tokens that fill its part of the command; ignored words none', async () => {
    const { alignToTokens } = await import('../../src/language/index.js');
    const u = understandCommand('could you lift the crimson orb?');
    const tokens = ['pick', 'up', 'the', 'red', 'ball'];
    expect(alignToTokens(u, tokens)).toEqual([
      { label: 'could', tokens: [] },
      { label: 'you', tokens: [] },
      { label: 'lift', tokens: [0, 1] },
      { label: 'the', tokens: [] },
      { label: 'crimson', tokens: [3] },
      { label: 'orb', tokens: [4] },
    ]);
    const ko = understandCommand('빨간 공을 파란 그릇에 넣어 주세요');
    expect(ko.command).toBe('put the red ball in the blue bowl');
    expect(alignToTokens(ko, ['put', 'the', 'red', 'ball', 'in', 'the', 'blue', 'bowl'])).toEqual([
      { label: '빨간', tokens: [2] },
      { label: '공을', tokens: [3] },
      { label: '파란', tokens: [6] },
      { label: '그릇에', tokens: [7] },
      { label: '넣어', tokens: [0] },
      { label: '주세요', tokens: [] },
    ]);
  });
});
