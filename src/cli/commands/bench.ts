/** `vla bench ...`: benchmarks that print figures (medians over several runs). */
import { Command, Option } from 'commander';
import { benchAttention, formatAttentionBench } from '../../bench/attentionBench.js';
import { benchPolicy } from '../../policy/bench.js';
import { readPolicyConfig } from '../../policy/configFile.js';
import { selectBackend } from '../../tf/backend.js';
import { positiveInt } from '../options.js';

function intList(value: string): number[] {
  if (value.trim() === '' || value === 'none') return [];
  return value.split(',').map((v) => positiveInt(v.trim()));
}

export function registerBenchCommands(program: Command): Command {
  const bench = program.command('bench').description('Benchmarks: print timings (medians over several runs)');

  bench
    .command('attention')
    .description(
      'Forward and forward+backward time of one multi-head attention layer (B=32, T=80, E=128, 4 heads) on the active ' +
        'backend and on cpu, and memory-lean chunked attention against the plain one on long sequences',
    )
    .option('--json', 'print the result as one JSON object on the last line', false)
    .option('--runs <n>', 'timed runs per measurement (the median is reported)', positiveInt, 20)
    .option('--cpu-runs <n>', 'timed runs on the cpu backend', positiveInt, 5)
    .option('--no-cpu', 'skip the cpu-backend comparison')
    .option('--batch <n>', 'batch size B', positiveInt, 32)
    .option('--seq-len <n>', 'sequence length T', positiveInt, 80)
    .option('--embed-dim <n>', 'model width E', positiveInt, 128)
    .option('--heads <n>', 'number of heads', positiveInt, 4)
    .addOption(new Option('--score <kind>', 'score kind').choices(['dot', 'additive']).default('dot'))
    .option('--long <list>', 'sequence lengths for chunked vs plain ("none" to skip)', intList, [1024, 4096])
    .option('--chunk <n>', 'keys per chunk in the chunked variant', positiveInt, 256)
    .action(async (opts, cmd: Command) => {
      await selectBackend({ flag: cmd.optsWithGlobals().backend });
      const result = await benchAttention({
        batch: opts.batch,
        seqLen: opts.seqLen,
        embedDim: opts.embedDim,
        numHeads: opts.heads,
        scoreKind: opts.score,
        runs: opts.runs,
        cpuRuns: opts.cpuRuns,
        compareCpu: opts.cpu,
        longSeqLens: opts.long,
        chunkSize: opts.chunk,
        progress: (line) => process.stderr.write(`[bench] ${line}\n`),
      });
      console.log(formatAttentionBench(result));
      if (opts.json) {
        const r = result;
        console.log(
          JSON.stringify({
            backend: r.active.backend,
            ...r.config,
            forwardMs: r.active.forwardMs,
            forwardBackwardMs: r.active.forwardBackwardMs,
            cpuForwardMs: r.cpu?.forwardMs ?? null,
            cpuForwardBackwardMs: r.cpu?.forwardBackwardMs ?? null,
            speedupVsCpu: r.speedupVsCpu,
            chunked: r.chunked,
          }),
        );
      }
    });
  bench
    .command('policy')
    .description(
      'The default VLA policy on the active backend: parameter count, inference latency at batch 1 (median of ' +
        'many calls of act()) and one training step (forward + backward + Adam) at batch 32',
    )
    .option('--json', 'print the result as one JSON object on the last line (inferenceMs, trainStepMs)', false)
    .option('--calls <n>', 'timed act() calls', positiveInt, 200)
    .option('--train-batch <n>', 'batch size of the timed training step', positiveInt, 32)
    .option('--config <file>', 'a policy config JSON (fields of PolicyConfig) instead of the default')
    .action(async (opts, cmd: Command) => {
      await selectBackend({ flag: cmd.optsWithGlobals().backend });
      const config = opts.config ? readPolicyConfig(opts.config) : {};
      const r = await benchPolicy({ config, actCalls: opts.calls, trainBatch: opts.trainBatch });
      console.log(`VLA policy on ${r.backend}: ${r.parameterCount} parameters`);
      console.log(`  inference, batch 1:  median ${r.actMedianMs.toFixed(2)} ms, p90 ${r.actP90Ms.toFixed(2)} ms over ${opts.calls} calls (${r.kernelCount} kernels per call)`);
      console.log(`  training step, batch ${r.trainBatch} (forward + backward + Adam): median ${r.trainStepMs.toFixed(0)} ms`);
      console.log('  kernels of one inference by time:');
      for (const k of r.kernels.slice(0, 8)) console.log(`    ${k.name.padEnd(20)} x${String(k.count).padStart(3)}  ${k.ms.toFixed(3)} ms`);
      if (opts.json) {
        console.log(JSON.stringify({ backend: r.backend, parameters: r.parameterCount, inferenceMs: r.actMedianMs, inferenceP90Ms: r.actP90Ms, trainStepMs: r.trainStepMs, trainBatch: r.trainBatch }));
      }
    });

  return bench;
}
