// Loaded by ../../vitest.gpu.config.ts before each test file: registers the gpu backend for `describeBackends`
// when TSFORMER_GPU names a gpu.js mode (headlessgl under xvfb-run in Node).
import { createGpuBackend, type GpuMode } from '../../src/backends/gpu/index.ts';
import { registerTestBackend } from '../../src/testing/describe-backends.ts';

const mode = process.env.TSFORMER_GPU as GpuMode | 'auto' | undefined;
if (mode) {
  let backend: ReturnType<typeof createGpuBackend> | null = null;
  registerTestBackend('gpu', () => {
    backend ??= createGpuBackend({ mode });
    return backend;
  });
}
