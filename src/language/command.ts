/**
 * One entry for every place a user's command comes in (`vla run`, `vla parse`, the viewer, `vla ros`): read the
 * text, ground it, and give the simulator and the policy a command in the templates' words. A command that already
 * is one of the templates is passed on as typed.
 */
import type { Environment } from '../../sim/env/Environment.js';
import { CommandError, parseCommand, type ParsedCommand } from '../../sim/tasks/language.js';
import type { Observation, Scene } from '../../sim/types.js';
import { canonicalCommand, checkReading, completeReading, groundReading, isComplete } from './ground.js';
import type { Reading } from './types.js';
import { readCommand } from './understand.js';

export interface Understood {
  reading: Reading;
  /** What the simulator and the policy are given. */
  command: string;
  parsed: ParsedCommand;
  /** Whether the user's words were enough without a scene (else a scene must confirm the choice). */
  complete: boolean;
}

/** Reads `text` and, with a scene, grounds it there; without one, fills open colours and kinds by `seed`. */
export function understandCommand(text: string, options: { scene?: Scene; seed?: number } = {}): Understood {
  const reading = readCommand(text);
  const asTyped = templateCommand(text);
  if (asTyped) return { reading, command: text, parsed: asTyped, complete: true };
  checkReading(reading);
  const complete = isComplete(reading);
  const parsed = options.scene ? groundReading(reading, options.scene) : completeReading(reading, options.seed ?? 0);
  return { reading, command: canonicalCommand(parsed), parsed, complete };
}

/** A command only where the text is a template command; null otherwise (no throw). */
function templateCommand(text: string): ParsedCommand | null {
  try {
    return parseCommand(text);
  } catch (e) {
    if (e instanceof CommandError) return null;
    throw e;
  }
}

/** Resets `env` on what `text` asks for; throws a CommandError if the scene leaves it absent or ambiguous. */
export function resetWithCommand(env: Environment, text: string, seed: number, scene?: Scene): { understood: Understood; observation: Observation } {
  const understood = understandCommand(text, { seed, ...(scene ? { scene } : {}) });
  const observation = env.reset({ seed, command: understood.command, ...(scene ? { scene } : {}) });
  // Without a scene, what the user left open was chosen for the random scene; it must still be the only match.
  if (!scene && !understood.complete) groundReading(understood.reading, env.info.scene);
  return { understood, observation };
}

/**
 * The command for a robot whose scene is not known here (`vla ros`): the user's words must name every colour and
 * kind, since nothing can choose among the objects in front of it.
 */
export function commandWithoutScene(text: string): Understood {
  const understood = understandCommand(text);
  if (!understood.complete) {
    const r = understood.reading;
    const open = [r.target, r.destination].filter((m) => m !== null && (m.colour === null || m.kind === null));
    const what = open.map((m) => (m!.colour === null ? `the colour of the ${m!.kind ?? 'object'}` : `what the ${m!.colour} one is`)).join(' and ');
    throw new CommandError(`"${text}": say ${what}; with no scene to look in, the command must name it`);
  }
  return understood;
}

/** Words that stop the current episode rather than start one. */
export const STOP_WORDS: readonly string[] = ['', 'stop', '멈춰', '멈춰라', '정지', '그만'];
