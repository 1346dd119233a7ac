import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // tfjs kernels are CPU-bound; two workers match the two cores we plan for.
    pool: 'forks',
    maxWorkers: 2,
    // Timeouts bound hangs, not speed: they must hold on a 2-core machine whose cores are busy with other work (a
    // training, an evaluation), where a CLI process alone can take half a minute to start. No test asserts a speed.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
