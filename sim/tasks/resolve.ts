/**
 * From words to ids: which objects of a scene a command names. `resolveCommand('pick up the purple ball', scene)`
 * throws `there is no purple ball on the table` when the scene has none (likewise for a missing destination) and
 * reports ambiguity when it has several.
 */
import type { Scene } from '../types.js';
import { parseCommand, type DestinationRef, type ParsedCommand, type TargetRef } from './language.js';
import type { TaskGoal } from './types.js';

export interface ResolvedCommand extends TaskGoal {
  parsed: ParsedCommand;
}

/** A command that parses but does not fit the scene (absent or ambiguous objects). */
export class ResolveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResolveError';
  }
}

const plural = (kind: string) => (kind.endsWith('s') ? `${kind}es` : `${kind}s`);

/** Parses (if given text) and finds the target and destination ids in `scene`; throws CommandError or ResolveError. */
export function resolveCommand(command: string | ParsedCommand, scene: Scene): ResolvedCommand {
  const parsed = typeof command === 'string' ? parseCommand(command) : command;
  const missing: string[] = [];
  const lookup = (ref: TargetRef | DestinationRef): string | undefined => {
    const found = scene.objects.filter((o) => o.kind === ref.kind && o.colour === ref.colour);
    if (found.length === 0) {
      missing.push(`${ref.colour} ${ref.kind}`);
      return undefined;
    }
    if (found.length > 1) {
      const ids = found.map((o) => JSON.stringify(o.id)).join(', ');
      throw new ResolveError(`there are ${found.length} ${ref.colour} ${plural(ref.kind)} on the table (${ids}): the command is ambiguous`);
    }
    return found[0]?.id;
  };
  const targetId = lookup(parsed.target);
  const destinationId = parsed.destination ? lookup(parsed.destination) : undefined;
  if (missing.length > 0 || targetId === undefined) {
    throw new ResolveError(`there is no ${missing.join(' and no ')} on the table`);
  }
  const out: ResolvedCommand = { parsed, task: parsed.task, targetId };
  if (destinationId !== undefined) out.destinationId = destinationId;
  if (parsed.direction !== undefined) out.direction = parsed.direction;
  return out;
}
