import { defineConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

// The gpu conformance run (scripts/test-gpu.mjs): the shared config with only the suites that run on the gpu
// backend, a setup file that registers it for TSFORMER_GPU, one worker (one GL context), and only the `[gpu]`
// describe blocks.
export default defineConfig({
  ...shared,
  test: {
    ...shared.test,
    include: ['test/ops.test.ts', 'test/gpu/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    setupFiles: ['test/gpu/setup.ts'],
    fileParallelism: false,
    testNamePattern: /\[gpu\]/,
    testTimeout: 300_000,
  },
});
