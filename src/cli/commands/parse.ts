/**
 * `vla parse "could you lift the red ball?"`: how a command is read (task, target, destination, direction), which
 * words were ignored or not known, and the command the policy is given; with --scene, grounded in that scene.
 */
import { Command } from 'commander';
import { loadScene, resolveScenePath } from '../../../sim/scene/index.js';
import { CommandError } from '../../../sim/tasks/language.js';
import { describeReading, readCommand, understandCommand } from '../../language/index.js';

export function registerParseCommand(program: Command): void {
  program
    .command('parse')
    .description('Show how a command is read, in English or Korean: task, target, destination, direction, the words ignored or not known, and the command the policy is given. Exit code 1 if it cannot be carried out.')
    .argument('<command>', 'the command, e.g. "could you lift the red ball?" or "빨간 공을 집어라"')
    .option('--scene <file>', 'also ground it in this scene (a file, or a name in scenes/): which objects it names, or why not')
    .option('--json', 'print the reading as one JSON object', false)
    .action((text: string, opts: { scene?: string; json: boolean }) => {
      const scene = opts.scene ? loadScene(resolveScenePath(opts.scene)) : undefined;
      const reading = readCommand(text);
      let command: string | null = null;
      let problem: string | null = null;
      try {
        const u = understandCommand(text, scene ? { scene } : {});
        // Without a scene, open colours and kinds stay open: there is no command to show yet.
        command = scene || u.complete ? u.command : null;
      } catch (e) {
        if (!(e instanceof CommandError)) throw e;
        problem = e.message;
      }
      if (opts.json) {
        const { words, ...slots } = reading;
        console.log(JSON.stringify({ ...slots, words: words.map((w) => ({ text: w.text, ...w.tag, ...(w.marksDestination ? { marksDestination: true } : {}) })), command, error: problem }));
      } else {
        for (const line of describeReading(reading, command)) console.log(line);
        if (problem && reading.problems.length === 0) console.log(`  problem      ${problem}`);
        if (!problem && command === null) console.log('  command      (decided by the scene: vla run picks the seeded tabletop and checks the reading is not ambiguous there)');
      }
      if (problem) process.exitCode = 1;
    });
}
