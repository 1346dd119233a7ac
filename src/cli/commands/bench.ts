/** `vla bench ...`: benchmarks that print figures (medians over several runs). */
import { existsSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Command, Option } from 'commander';
import { benchAttention, formatAttentionBench } from '../../bench/attentionBench.js';
import { benchTrain } from '../../bench/trainBench.js';
import { TORCH_CONFIG_FIELDS, benchPolicy, benchTorchStep, checkTorch, isReferenceBlas, torchPython, type TorchStepResult } from '../../policy/bench.js';
import { DEFAULT_POLICY_CONFIG, resolvePolicyConfig, type PolicyConfig } from '../../policy/config.js';
import { readPolicyConfig } from '../../policy/configFile.js';
import { readCheckpointConfig } from '../../policy/checkpoint.js';
import { selectBackend } from '../../tf/backend.js';
import { positiveInt } from '../options.js';

function intList(value: string): number[] {
  if (value.trim() === '' || value === 'none') return [];
  return value.split(',').map((v) => positiveInt(v.trim()));
}

export function registerBenchCommands(program: Command): Command {
  const bench = program.command('bench').description('Benchmarks: print timings (medians over several runs)');
  registerBenchAttention(bench);
  registerBenchPolicy(bench);
  registerBenchTrain(bench);
  return bench;
}

/** `vla bench attention`: one attention layer on the active backend and on cpu, and chunked against plain. */
function registerBenchAttention(bench: Command): void {
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
    .addOption(new Option('--long <list>', 'sequence lengths for chunked vs plain ("none" to skip)').argParser(intList).default([1024, 4096], '1024,4096'))
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
}

/** `vla bench policy`: the default policy's parameters, inference latency and training step, optionally against PyTorch. */
function registerBenchPolicy(bench: Command): void {
  bench
    .command('policy')
    .description(
      'The default VLA policy on the active backend: parameter count, inference latency at batch 1 (median of ' +
        'many calls of act()) and one training step (forward + backward + Adam) at batch 32; with --torch also the ' +
        'same architecture and training step in PyTorch on the CPU (src/bench/torch_policy_step.py), as a ratio',
    )
    .option('--json', 'print the result as one JSON object on the last line (inferenceMs, trainStepMs)', false)
    .option('--calls <n>', 'timed act() calls', positiveInt, 200)
    .option('--train-batch <n>', 'batch size of the timed training step', positiveInt, 32)
    .option('--train-steps <n>', 'timed TF.js training steps after one warm-up step (default 5; 10 with --torch)', positiveInt)
    .option('--config <file>', 'a policy config JSON (fields of PolicyConfig) instead of the default')
    .option(
      '--torch',
      'after the TF.js measurement, time the same training step in PyTorch on the CPU (env PYTHON, default /usr/bin/python3; ' +
        'needs apt-get install python3-torch); the TF.js step is then timed as train.ts runs it (grounding loss, clip, Adam)',
      false,
    )
    .addOption(new Option('--torch-threads <list>', 'torch.set_num_threads for the PyTorch runs, comma-separated (e.g. 1,2)').argParser(intList).default([1], '1'))
    .option('--torch-steps <n>', 'timed PyTorch steps (after --torch-warmup untimed ones)', positiveInt, 20)
    .option('--torch-warmup <n>', 'untimed PyTorch warm-up steps', positiveInt, 3)
    .action(benchPolicyAction);
}

interface BenchPolicyOptions {
  json: boolean;
  calls: number;
  trainBatch: number;
  trainSteps?: number;
  config?: string;
  torch: boolean;
  torchThreads: number[];
  torchSteps: number;
  torchWarmup: number;
}

async function benchPolicyAction(opts: BenchPolicyOptions, cmd: Command): Promise<void> {
  const config = opts.config ? readPolicyConfig(opts.config) : {};
  const resolved = resolvePolicyConfig(config);
  if (opts.torch) {
    // src/bench/torch_policy_step.py mirrors DEFAULT_POLICY_CONFIG with these three fields free.
    const free = new Set<string>(TORCH_CONFIG_FIELDS);
    const differs = (k: keyof typeof DEFAULT_POLICY_CONFIG) => JSON.stringify(resolved[k]) !== JSON.stringify(DEFAULT_POLICY_CONFIG[k]);
    const other = (Object.keys(DEFAULT_POLICY_CONFIG) as Array<keyof typeof DEFAULT_POLICY_CONFIG>).filter((k) => !free.has(k) && differs(k));
    if (other.length > 0) {
      throw new Error(`--torch: ${opts.config} changes ${other.join(', ')}; the PyTorch mirror (src/bench/torch_policy_step.py) follows the default policy and can change only ${TORCH_CONFIG_FIELDS.join(', ')}`);
    }
  }
  if (opts.torch && opts.torchThreads.length === 0) throw new Error('--torch-threads needs at least one thread count, e.g. 1 or 1,2');
  // Before the TF.js measurement, so that a missing torch fails at once with the install hint.
  const torchVersion = opts.torch ? checkTorch() : null;
  await selectBackend({ flag: cmd.optsWithGlobals().backend });
  const trainSteps: number = opts.trainSteps ?? (opts.torch ? 10 : 5);
  const r = await benchPolicy({ config, actCalls: opts.calls, trainBatch: opts.trainBatch, trainSteps, trainStep: opts.torch ? 'train' : 'minimize' });
  const stepWhat = r.trainStep === 'train' ? 'forward + backward + clip + Adam, as train.ts' : 'forward + backward + Adam';
  console.log(`VLA policy on ${r.backend}: ${r.parameterCount} parameters`);
  console.log(`  inference, batch 1:  median ${r.actMedianMs.toFixed(2)} ms, p90 ${r.actP90Ms.toFixed(2)} ms over ${opts.calls} calls (${r.kernelCount} kernels per call)`);
  console.log(`  training step, batch ${r.trainBatch} (${stepWhat}): median ${r.trainStepMs.toFixed(0)} ms over ${r.trainSteps} steps`);
  console.log('  kernels of one inference by time:');
  for (const k of r.kernels.slice(0, 8)) console.log(`    ${k.name.padEnd(20)} x${String(k.count).padStart(3)}  ${k.ms.toFixed(3)} ms`);

  const torchRuns: Array<TorchStepResult & { ratio: number }> = [];
  if (opts.torch) {
    console.log(`PyTorch ${torchVersion} on the CPU (${torchPython()}), same architecture and step, batch ${r.trainBatch}:`);
    for (const threads of opts.torchThreads) {
      process.stderr.write(`[bench] PyTorch, ${threads} thread(s): ${opts.torchWarmup} warm-up + ${opts.torchSteps} timed steps\n`);
      const t = benchTorchStep({ batch: r.trainBatch, steps: opts.torchSteps, warmup: opts.torchWarmup, threads, vocab: r.vocabSize, config: resolved, patchLabels: resolved.patchLabels });
      if (t.parameters !== r.parameterCount) {
        throw new Error(`--torch: the PyTorch model has ${t.parameters} parameters, the TF.js one ${r.parameterCount}: src/bench/torch_policy_step.py no longer mirrors the policy`);
      }
      const ratio = t.trainStepMs / r.trainStepMs;
      torchRuns.push({ ...t, ratio });
      const faster = ratio >= 1 ? `TF.js ${r.backend} is ${ratio.toFixed(2)}x faster` : `PyTorch is ${(1 / ratio).toFixed(2)}x faster`;
      console.log(
        `  ${t.threads} thread(s), BLAS ${t.blasLibrary ? basename(t.blasLibrary) : t.blas}${isReferenceBlas(t) ? ' (reference)' : ''}: ${t.parameters} parameters; training step median ${t.trainStepMs.toFixed(0)} ms over ${t.stepTimesMs.length} steps; ` +
          `PyTorch / TF.js = ${t.trainStepMs.toFixed(0)} / ${r.trainStepMs.toFixed(0)} = ${ratio.toFixed(2)} (${faster})`,
      );
    }
    if (torchRuns.some(isReferenceBlas)) {
      console.log(
        '  note: this torch multiplies matrices with the reference (netlib) BLAS, where most of its step goes; an optimised ' +
          'libblas.so.3 (apt-get install libopenblas0-pthread) makes its figures several times smaller',
      );
    }
  }
  if (opts.json) {
    console.log(
      JSON.stringify({
        backend: r.backend,
        parameters: r.parameterCount,
        inferenceMs: r.actMedianMs,
        inferenceP90Ms: r.actP90Ms,
        trainStepMs: r.trainStepMs,
        trainBatch: r.trainBatch,
        trainStep: r.trainStep,
        ...(opts.torch
          ? { torch: torchRuns.map((t) => ({ threads: t.threads, trainStepMs: t.trainStepMs, parameters: t.parameters, blas: t.blas, blasLibrary: t.blasLibrary, version: t.torch, ratio: t.ratio })) }
          : {}),
      }),
    );
  }
}

/** The shipped model's policy config (models/default/config.json), the default when it is absent. */
const SHIPPED_CONFIG = 'models/default/config.json';

/**
 * `vla bench train`: samples/s of the training step as `vla train` runs it, with 1 and 2 workers
 * (src/bench/trainBench.ts), and with --torch the same step in PyTorch (src/bench/torch_policy_step.py, 2 threads)
 * and the ratio of the step times.
 */
function registerBenchTrain(bench: Command): void {
  bench
    .command('train')
    .description(
      'Samples/s of the training step as vla train runs it (grounding and patch-label loss, clip, Adam; batch 32) at the ' +
        `shipped config (${SHIPPED_CONFIG}) with 1 and 2 workers; with --torch the same step in PyTorch on the CPU and the ratio`,
    )
    .option('--json', 'print one JSON object on the last line: {samplesPerSec: {"1": x, "2": y}, torch: {...}, ratio}', false)
    .addOption(
      new Option('--workers-list <list>', 'worker counts to time, comma-separated')
        .argParser((v: string) => intList(v).filter((n) => n > 0))
        .default([1, 2], '1,2'),
    )
    .option('--batch <n>', 'global batch size', positiveInt, 32)
    .option('--steps <n>', 'timed steps per worker count (after 2 warm-up steps)', positiveInt, 8)
    .option('--config <file>', `a policy config JSON instead of ${SHIPPED_CONFIG}`)
    .option('--torch', 'also time the same step in PyTorch (env PYTHON, default /usr/bin/python3; apt-get install python3-torch)', false)
    .option('--torch-threads <n>', 'torch.set_num_threads for the PyTorch run', positiveInt, 2)
    .option('--torch-steps <n>', 'timed PyTorch steps (after 3 warm-up steps)', positiveInt, 10)
    .action(async (opts, cmd: Command) => {
      const file: string | undefined = opts.config ?? (existsSync(SHIPPED_CONFIG) ? SHIPPED_CONFIG : undefined);
      // The shipped model's config.json is read as loadPolicy reads it (fields removed since it was written dropped).
      const config: Partial<PolicyConfig> = opts.config ? readPolicyConfig(opts.config) : file ? readCheckpointConfig(dirname(file)) : {};
      const torchVersion = opts.torch ? checkTorch() : null;
      await selectBackend({ flag: cmd.optsWithGlobals().backend });
      const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
      const r = await benchTrain({ config, workers: opts.workersList, batch: opts.batch, steps: opts.steps, log });
      console.log(`training step, batch ${r.batch}, ${r.parameters} parameters (${file ?? 'default config'}):`);
      for (const run of r.runs) console.log(`  ${run.workers} worker(s): median ${run.stepMs.toFixed(0)} ms per step, ${run.samplesPerSec.toFixed(1)} samples/s`);
      const best = r.runs.reduce((a, b) => (b.stepMs < a.stepMs ? b : a));
      let torch: (TorchStepResult & { samplesPerSec: number }) | null = null;
      if (opts.torch) {
        log(`PyTorch, ${opts.torchThreads} thread(s): 3 warm-up + ${opts.torchSteps} timed steps`);
        const resolved = resolvePolicyConfig(config);
        const t = benchTorchStep({ batch: r.batch, steps: opts.torchSteps, warmup: 3, threads: opts.torchThreads, vocab: r.vocabSize, config: resolved, patchLabels: resolved.patchLabels });
        if (t.parameters !== r.parameters) throw new Error(`--torch: the PyTorch model has ${t.parameters} parameters, the TF.js one ${r.parameters}: src/bench/torch_policy_step.py no longer mirrors the policy`);
        torch = { ...t, samplesPerSec: (t.batch * 1000) / t.trainStepMs };
        const blas = `${t.blasLibrary ? basename(t.blasLibrary) : t.blas}${isReferenceBlas(t) ? ' (reference)' : ''}`;
        console.log(`  PyTorch ${torchVersion} (${torchPython()}), ${t.threads} thread(s), BLAS ${blas}: median ${t.trainStepMs.toFixed(0)} ms per step, ${torch.samplesPerSec.toFixed(1)} samples/s`);
        console.log(`  TF.js with ${best.workers} worker(s) / PyTorch step time: ${(best.stepMs / t.trainStepMs).toFixed(2)}`);
      }
      if (opts.json) {
        console.log(
          JSON.stringify({
            batch: r.batch,
            parameters: r.parameters,
            config: file ?? null,
            samplesPerSec: Object.fromEntries(r.runs.map((x) => [String(x.workers), x.samplesPerSec])),
            stepMs: Object.fromEntries(r.runs.map((x) => [String(x.workers), x.stepMs])),
            torch: torch ? { threads: torch.threads, stepMs: torch.trainStepMs, samplesPerSec: torch.samplesPerSec, blasLibrary: torch.blasLibrary, version: torch.torch } : null,
            ratio: torch ? best.stepMs / torch.trainStepMs : null,
            ratioWorkers: best.workers,
          }),
        );
      }
    });
}
