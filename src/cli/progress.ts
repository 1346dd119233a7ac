/** Progress on the terminal for long jobs: a bar on a TTY, a line now and then otherwise (logs, CI). */
import cliProgress from 'cli-progress';
import type { TrainProgress } from '../train/train.js';

export function progressBar(format: string): cliProgress.SingleBar | null {
  return process.stderr.isTTY ? new cliProgress.SingleBar({ format }, cliProgress.Presets.shades_classic) : null;
}

/** Progress of one training: a bar on a terminal, a line every 100 steps otherwise. */
export function trainReporter(label: string): { update: (p: TrainProgress) => void; stop: () => void } {
  const bar = progressBar(`${label} [{bar}] {value}/{total} steps | loss {loss} | val {val} | {sps} samples/s | ETA {eta_formatted}`);
  let started = false;
  return {
    update: (p) => {
      if (bar) {
        if (!started) bar.start(p.steps, p.step - 1, { loss: '-', val: '-', sps: '-' });
        started = true;
        bar.update(p.step, { loss: p.loss.toFixed(4), val: p.valLoss?.toFixed(4) ?? '-', sps: p.samplesPerSec.toFixed(0) });
      } else if (p.step % 100 === 0 || p.step === p.steps) {
        process.stderr.write(`[${label}] step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)} val ${p.valLoss?.toFixed(4) ?? '-'} ${p.samplesPerSec.toFixed(0)} samples/s ETA ${Math.round(p.etaSec)} s\n`);
      }
    },
    stop: () => bar?.stop(),
  };
}
