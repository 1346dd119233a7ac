/**
 * `vla serve`: the web viewer (src/viewer). `vla bench viewer`: its load test, printing figures.
 */
import { existsSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { loadPolicy, type VlaPolicy } from '../../policy/index.js';
import { selectBackend } from '../../tf/backend.js';
import { ViewerServer, ViewerSession, formatViewerLoad, runViewerLoad } from '../../viewer/index.js';
import { commaList, positiveInt } from '../options.js';
import { DEFAULT_POLICY_DIR } from './run.js';

function port(value: string): number {
  const n = /^\s*\d{1,5}\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`expected a port number 0..65535, got "${value}"`);
  return n;
}

function speed(value: string): number {
  const n = value.trim() === '' ? NaN : Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1000) throw new InvalidArgumentError(`expected a number from 0 to 1000 (1 = real time, 0 = as fast as possible), got "${value}"`);
  return n;
}

/** The policy to show and drive with: the folder given, or models/default if it is there, or none. */
async function loadViewerPolicy(dir: string, explicit: boolean, backend: string | undefined): Promise<{ policy: VlaPolicy | null; note: string | null }> {
  if (dir === 'none') return { policy: null, note: 'no policy loaded (--policy none): only the scripted expert drives, and there are no attention maps' };
  if (!existsSync(dir)) {
    if (explicit) throw new Error(`--policy: ${dir} not found; give a policy folder (from vla train) or "none"`);
    return { policy: null, note: `no policy loaded (${dir} not found; give one with --policy): only the scripted expert drives, and there are no attention maps` };
  }
  await selectBackend({ flag: backend });
  return { policy: loadPolicy(dir), note: null };
}

/** Whether an address to bind serves this machine only. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

async function startViewer(opts: { policy: string; host: string; port: number; speed: number; allowHost?: string[] }, cmd: Command): Promise<ViewerServer> {
  const explicit = cmd.getOptionValueSource('policy') === 'cli';
  const { policy, note } = await loadViewerPolicy(opts.policy, explicit, cmd.optsWithGlobals().backend);
  const session = new ViewerSession({ policy, policyLabel: opts.policy, note, stepsPerSecond: opts.speed * 20 });
  const server = new ViewerServer({ session, host: opts.host, port: opts.port, ...(opts.allowHost ? { allowedHosts: opts.allowHost } : {}) });
  await server.listen();
  return server;
}

export function registerServeCommand(program: Command, bench: Command): void {
  program
    .command('serve')
    .description(
      'Start the web viewer: watch the arm in 3-D, type a command, run it with the policy or the scripted expert, and see ' +
        'where the policy looks for each word (per layer and head). Prints the address to open.',
    )
    .option('--port <n>', 'port to listen on (0 = any free port)', port, 8080)
    .option('--host <addr>', 'address to bind; the default serves this machine only', '127.0.0.1')
    .option('--policy <dir>', 'policy folder whose attention is shown and which can drive, or "none"', DEFAULT_POLICY_DIR)
    .option('--speed <x>', 'simulation speed: 1 = real time (20 control steps/s), 0 = as fast as possible', speed, 1)
    .option('--allow-host <names>', 'DNS names the page may be opened by besides localhost and IP addresses (comma-separated); other names are refused (DNS rebinding)', commaList)
    .action(async (opts, cmd: Command) => {
      if (!isLoopback(opts.host)) {
        process.stderr.write(
          `vla serve: warning: --host ${opts.host} serves the viewer beyond this machine, and it has no authentication: ` +
            'anyone who can reach this port can watch and drive the simulation. Use it only on a network you trust.\n',
        );
      }
      const server = await startViewer(opts, cmd);
      console.log(`vla viewer: open ${server.url} (policy: ${server.session.policy ? opts.policy : 'none'}; Ctrl-C stops)`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void server.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });

  bench
    .command('viewer')
    .description(
      'Load test of the web viewer: N websocket viewers watch episodes of the scripted expert for S seconds; prints ' +
        'messages/s, frames, dropped frames, errors and the server\'s RSS and heap at the start and the end',
    )
    .option('--clients <n>', 'concurrent viewers', positiveInt, 20)
    .option('--seconds <s>', 'how long to measure', positiveInt, 30)
    .option('--policy <dir>', 'policy folder for the attention maps in every frame, or "none"', DEFAULT_POLICY_DIR)
    .option('--speed <x>', 'simulation speed: 1 = real time, 0 = as fast as possible', speed, 1)
    .option('--json', 'print the result as one JSON object on the last line', false)
    .action(async (opts, cmd: Command) => {
      const server = await startViewer({ ...opts, host: '127.0.0.1', port: 0 }, cmd);
      console.log(`viewer on ${server.url}; ${opts.clients} viewers for ${opts.seconds} s (policy: ${server.session.policy ? opts.policy : 'none'})`);
      try {
        const r = await runViewerLoad({ server, clients: opts.clients, seconds: opts.seconds, onProgress: (l) => console.log(l) });
        console.log(formatViewerLoad(r));
        if (opts.json) console.log(JSON.stringify(r));
        if (r.errors.length) process.exitCode = 2;
      } finally {
        await server.close();
      }
    });
}
