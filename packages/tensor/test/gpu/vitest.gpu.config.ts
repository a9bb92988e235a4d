import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../../../vitest.shared.ts';

// The gpu conformance run (scripts/test-gpu.mjs): the shared config plus a setup file that registers the gpu
// backend for TSFORMER_GPU, one worker (one GL context), and only the `[gpu]` describe blocks.
export default mergeConfig(
  shared,
  defineConfig({
    test: {
      root: new URL('../..', import.meta.url).pathname,
      include: ['test/ops.test.ts', 'test/gpu/**/*.test.ts'],
      setupFiles: ['test/gpu/setup.ts'],
      fileParallelism: false,
      testNamePattern: /\[gpu\]/,
      testTimeout: 300_000,
    },
  }),
);
