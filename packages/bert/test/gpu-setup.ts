// Loaded by vitest.gpu.config.ts: makes the gpu.js backend current before the suite runs.
import { getBackend, setBackend } from '@tsformer/tensor';
import { createGpuBackend, type GpuMode } from '@tsformer/tensor/gpu';

setBackend(createGpuBackend({ mode: (process.env.TSFORMER_GPU ?? 'headlessgl') as GpuMode }));
if (!getBackend().name.startsWith('gpu'))
  throw new Error(`gpu-setup: backend is ${getBackend().name}, not gpu`);
