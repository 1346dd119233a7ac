/**
 * `vla run "pick up the red ball"`: one episode driven by a policy (default: the shipped models/default), a GIF of
 * it and a PNG of where the policy looked for each word of the command.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { Environment } from '../../../sim/env/Environment.js';
import { readingAs, resolveDriver, runEpisode } from '../../eval/index.js';
import { loadScene, resolveScenePath } from '../../../sim/scene/index.js';
import { averageHeads, cameraSlice, type VlaPolicy } from '../../policy/index.js';
import { selectBackend } from '../../tf/backend.js';
import { DEFAULT_EXECUTION } from '../../policy/ChunkExecutor.js';
import { renderAttentionOverlayPng } from '../../viz/attentionOverlay.js';
import { nonNegativeInt, execution, imageSide, seedOption } from '../options.js';
import { ensureWritableDir, ensureWritableFileDir } from '../../io/files.js';
import { EpisodeRecorder } from '../../interop/mcap/EpisodeRecorder.js';
import { alignToTokens, policyReading, readsKorean, resetWithCommand, type Understood } from '../../language/index.js';
import type { Observation } from '../../../sim/types.js';

type PolicyWordsReading = ReturnType<typeof policyReading>;

export const DEFAULT_POLICY_DIR = 'models/default';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description(
      'Run one episode of a command with a trained policy (default: models/default): writes a GIF of the episode and ' +
        'a PNG of the cross-attention maps of the command\'s words over the first camera frame, and says whether it succeeded.',
    )
    .argument('<command>', 'what to do, in English or Korean, e.g. "pick up the red ball", "could you put the red ball in the blue bowl?", "빨간 공을 집어라" (see vla parse)')
    .option('--seed <n>', 'seed of the random tabletop (0 to 2147483647)', seedOption, 0)
    .option('--scene <file>', 'a scene file or name in scenes/ (default: a seeded random tabletop with what the command names)')
    .option('--policy <dir>', 'policy folder, or "expert" for the scripted expert', DEFAULT_POLICY_DIR)
    .option('--out <dir>', 'output folder', 'out/run')
    .option('--size <px>', 'GIF frame size (16 to 1024)', imageSide, 256)
    .option('--head <h>', 'attention head to show in the maps: a number from 0, or "avg" for the mean over heads', 'avg')
    .option('--layer <l>', 'fusion layer to show, from 0; default the last', (v) => nonNegativeInt(v))
    .addOption(
      new Option('--execution <mode>', 'how a policy\'s action chunks are executed: ensemble[:DECAY] (ACT temporal ensembling) or receding:N')
        .argParser(execution)
        .default(DEFAULT_EXECUTION, 'ensemble'),
    )
    .option('--json', 'print the outcome as one JSON object on the last line (field success)', false)
    .option('--mcap <file>', 'also log the episode as MCAP for Foxglove: camera, per-word attention, joints, poses, commands, outcome (docs/interop.md)')
    .action(async (text: string, opts, cmd: Command) => {
      if (opts.policy !== 'expert') await selectBackend({ flag: cmd.optsWithGlobals().backend });
      const driver = resolveDriver(opts.policy, opts.execution);
      const scene = opts.scene ? loadScene(resolveScenePath(opts.scene)) : undefined;
      const env = new Environment({ cameras: driver.cameras });
      // Read the user's words, and reset once to check them against the scene and to take the first frame for the maps.
      const { understood, observation: first } = resetWithCommand(env, text, opts.seed, scene);
      // The outputs' folders are made once the command is known to be one to carry out.
      ensureWritableDir(opts.out, '--out');
      if (opts.mcap) ensureWritableFileDir(opts.mcap, '--mcap');
      const command = understood.command;
      if (command !== text) console.log(`read "${text}" as "${command}"${understood.reading.ignored.length ? ` (ignored: ${understood.reading.ignored.join(', ')})` : ''}${understood.reading.unknown.length ? ` (not known: ${understood.reading.unknown.join(', ')})` : ''}`);
      // A policy that reads Korean is given a Korean command's Korean words.
      const reads = policyReading(understood, driver.policy ? readsKorean(driver.policy.tokenizer) : false);
      if (reads.words) console.log(`the policy reads "${reads.text}"`);
      let mapsPath: string | null = null;
      let unknown: string[] = [];
      if (driver.policy) ({ path: mapsPath, unknown } = writeWordMaps(driver.policy, first, understood, reads, { text, out: opts.out, head: opts.head, layer: opts.layer }));
      const recorder = opts.mcap ? await EpisodeRecorder.create(opts.mcap) : null;
      const episode = { command, seed: opts.seed, task: env.info.task, driver: driver.label };
      recorder?.beginEpisode(episode);
      const inner = driver.make(opts.seed);
      const recorded = recorder ? recorder.wrap(inner, driver.policy) : inner;
      // Outermost, so that the recorder's attention maps are those of the words the policy reads.
      const r = await runEpisode({ seed: opts.seed, command, scene, env, driver: reads.words ? readingAs(recorded, reads.text) : recorded, record: { size: opts.size } });
      if (recorder) {
        recorder.endEpisode(episode, r);
        await recorder.close();
      }
      const gif = join(opts.out, 'episode.gif');
      writeFileSync(gif, r.gif!);
      console.log(`"${r.command}" with ${driver.label}: ${r.success ? 'success' : `failure (${r.reason})`} after ${r.steps} steps`);
      if (unknown.length) console.log(`words the policy does not know: ${unknown.join(', ')}`);
      console.log(`wrote ${[gif, mapsPath, opts.mcap].filter(Boolean).join(', ')}`);
      if (opts.json) {
        console.log(JSON.stringify({ success: r.success, reason: r.reason, steps: r.steps, command: r.command, gif, attention: mapsPath }));
      }
      if (!r.success) process.exitCode = 2;
    });
}

/**
 * The PNG of where each word looked on the first frame (fusion layer `layer`, head `head` or "avg"): the user's own
 * words when they differ from the policy's, each with the attention of the tokens that fill the same part of the
 * command (ignored words get none). Returns its path and the words the policy does not know.
 */
function writeWordMaps(
  policy: VlaPolicy,
  first: Observation,
  understood: Understood,
  reads: PolicyWordsReading,
  o: { text: string; out: string; head: string; layer: number | undefined },
): { path: string; unknown: string[] } {
  const command = understood.command;
  const maps = policy.attentionMaps(reads.words ? { ...first, command: reads.text } : first);
  const layer = o.layer ?? maps.layers.length - 1;
  const heads = maps.layers[layer];
  if (!heads) throw new Error(`--layer: the policy has ${maps.layers.length} fusion layer(s); give 0..${maps.layers.length - 1}`);
  let last: Float32Array[]; // [word] over the patches
  if (o.head === 'avg') last = averageHeads([heads])[0]!;
  else {
    const h = /^\s*\d+\s*$/.test(o.head) ? Number(o.head) : NaN; // Number("") is 0
    if (!Number.isInteger(h) || !heads[h]) throw new Error(`--head: expected "avg" or a head number 0..${heads.length - 1}, got "${o.head}"`);
    last = heads[h]!;
  }
  const img = first.images[maps.cameras[0]!]!;
  const tokenPanel = (i: number) => cameraSlice(last[i]!, maps.grid, 0);
  const panels =
    command === o.text
      ? maps.words.map((w, i) => ({ label: maps.unknown.includes(w) ? `${w} (unknown)` : w, map: tokenPanel(i) }))
      : alignToTokens(understood, maps.words, reads.words).map((p) => ({
          label: p.tokens.length ? p.label : `${p.label} (ignored)`,
          map: p.tokens.length ? meanMaps(p.tokens.map(tokenPanel)) : new Float32Array(tokenPanel(0).length).fill(1 / tokenPanel(0).length),
        }));
  const path = join(o.out, 'attention.png');
  const title = `${command === o.text ? `"${o.text}"` : `"${o.text}" -> "${command}"`}: where each word looks (fusion layer ${layer}, ${o.head === 'avg' ? 'heads averaged' : `head ${o.head}`})`;
  writeFileSync(path, renderAttentionOverlayPng(img, panels, { grid: maps.grid, title }));
  return { path, unknown: maps.unknown };
}

/** The element-wise mean of attention maps of one size. */
function meanMaps(maps: Float32Array[]): Float32Array {
  const out = new Float32Array(maps[0]!.length);
  for (const m of maps) for (let k = 0; k < out.length; k++) out[k]! += m[k]! / maps.length;
  return out;
}
