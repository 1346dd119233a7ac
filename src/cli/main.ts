/**
 * The `vla` command: a thin layer over the modules. Each subcommand lives in src/cli/commands/ and registers
 * itself here; every one has its own --help.
 */
import { Command, CommanderError } from 'commander';
import { registerAttentionCommands } from './commands/attention.js';
import { registerBenchCommands } from './commands/bench.js';
import { registerSimCommands } from './commands/sim.js';
import { registerCollectCommand } from './commands/collect.js';
import { registerTrainCommand } from './commands/train.js';
import { registerExperimentCommands } from './commands/experiment.js';
import { registerProbeCommand } from './commands/probe.js';
import { registerAverageCommand } from './commands/average.js';
import { registerRunCommand } from './commands/run.js';
import { registerRosCommands } from './commands/ros.js';
import { registerServeCommand } from './commands/serve.js';
import { registerExportCommand } from './commands/export.js';
import { registerParseCommand } from './commands/parse.js';
import { BACKEND_NAMES } from '../tf/backend.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('vla')
    .description(
      'Vision-language-action robot control in simulation: a camera image and a command meet in attention and become arm actions.',
    )
    .version('0.1.0')
    .option(
      '--backend <name>',
      `TensorFlow.js backend: ${[...BACKEND_NAMES, 'auto'].join(', ')} (default: env VLA_BACKEND, else auto = the first of node-gpu, node, wasm, cpu that loads)`,
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerAttentionCommands(program);
  const bench = registerBenchCommands(program);
  registerSimCommands(program, bench);
  registerCollectCommand(program);
  registerTrainCommand(program);
  registerExperimentCommands(program);
  registerProbeCommand(program);
  registerAverageCommand(program);
  registerParseCommand(program);
  registerRunCommand(program);
  registerRosCommands(program, bench);
  registerServeCommand(program, bench);
  registerExportCommand(program);
  return program;
}

/** Runs the CLI and returns the exit code. Errors are printed as one clear line, not a stack trace. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    // A command that finished but did not succeed (an episode failed, a command could not be read) says so here.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version end here too; commander already printed what it had to say. Help shown because a
      // subcommand is missing (`vla export`) is an error: commander gives it exit code 1, asked-for help 0.
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help'
        ? err.exitCode
        : err.exitCode || 1;
    }
    const e = err as Error;
    process.stderr.write(`vla: ${capMessage(e?.message ?? String(err))}\n`);
    if (process.env.VLA_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
    return 1;
  }
}

/** Error messages longer than this many lines or characters are cut, saying how much was left out. */
export const MAX_ERROR_LINES = 12;
export const MAX_ERROR_CHARS = 3000;

/**
 * The last guard against an error that floods the terminal (every problem of a big file, a huge input echoed
 * back): the first lines and characters, then how many lines were left out.
 */
export function capMessage(message: string): string {
  const lines = message.split('\n');
  let kept = lines.slice(0, MAX_ERROR_LINES).join('\n');
  if (kept.length > MAX_ERROR_CHARS) kept = `${kept.slice(0, MAX_ERROR_CHARS)}...`;
  const left = lines.length - Math.min(lines.length, MAX_ERROR_LINES);
  return left > 0 ? `${kept}\n... (${left} more line${left > 1 ? 's' : ''})` : kept;
}
