import { defineConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

// The Hugging Face parity suite on the gpu.js backend (scripts/test-gpu.mjs runs it under xvfb-run with
// TSFORMER_GPU=headlessgl): the same tests and tolerances as on the CPU, every tensor on the GPU.
export default defineConfig({
  ...shared,
  test: {
    ...shared.test,
    include: ['test/hf-parity.test.ts'],
    exclude: ['**/node_modules/**'],
    setupFiles: ['test/gpu-setup.ts'],
    fileParallelism: false,
    testTimeout: 600_000,
  },
});
