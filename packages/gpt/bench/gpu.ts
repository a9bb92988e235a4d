// Training tokens/s on the gpu.js backend beside the CPU backend, in the same run, with the same model, weights
// and batch: one step is forward + backward + AdamW, and its loss is read back with `await data()` (what makes a
// GPU queue finish; it also works on WebGPU). Shapes: the trainer's default GPT, the models issue's GPT and GPT-2
// small's body (12 × 768, context 1024, vocabulary 4096). A GPU path that is slower than the CPU on the first shape is a software
// renderer (Mesa llvmpipe under Xvfb, SwiftShader): the larger shapes would take hours there, so only their CPU
// figure is taken, with the reason, unless BENCH_GPU_SHAPES names them (e.g. BENCH_GPU_SHAPES=gpt2 for GPT-2
// small alone). TSFORMER_GPU picks the gpu.js mode (default auto; TSFORMER_GPU=webgpu uses the `webgpu` package).
import { type Backend, getBackend, setBackend } from '@tsformer/tensor';
import type { BenchResult } from './harness.ts';
import { GPU_SHAPES, stepSeconds } from './train-step.ts';

export async function gpuTraining(
  results: BenchResult[],
  log: (s: string) => void,
  quick: boolean,
): Promise<void> {
  const cpu = getBackend();
  let gpu: Backend & { mode: string; ready: Promise<void> };
  try {
    const { createGpuBackend, installNodeWebGpu } = await import('@tsformer/tensor/gpu');
    const mode = (process.env.TSFORMER_GPU as 'auto' | 'webgpu' | undefined) ?? 'auto';
    // Node has no navigator.gpu of its own: the optional `webgpu` package (Dawn) gives one
    if (mode === 'webgpu') log(`  webgpu adapter: ${await installNodeWebGpu()}`);
    gpu = createGpuBackend({ mode });
    await gpu.ready;
  } catch (e) {
    log(`  gpu: skipped (${(e as Error).message})`);
    return;
  }
  const asked = process.env.BENCH_GPU_SHAPES?.split(',');
  const steps = quick ? 1 : 3;
  let software = false;
  try {
    for (const shape of GPU_SHAPES) {
      if (asked && !asked.includes(shape.key)) continue;
      const tokens = shape.batch * shape.nPositions;
      const name = `gpt train ${shape.name} (fwd+bwd+AdamW)`;
      log(`  ${shape.name} on cpu:`);
      const c = tokens / (await stepSeconds(shape, steps, quick ? 5 : 30, log));
      results.push({ name, impl: 'tsformer', backend: 'cpu', unit: 'tokens/s', value: Math.round(c) });
      // the CPU figure is measured anyway: it is what the GPU is compared with
      if (software && !asked) {
        log(
          `  ${shape.name} on gpu-${gpu.mode}: skipped (slower than the CPU on the small GPT: a software renderer, where this shape takes hours; BENCH_GPU_SHAPES=${shape.key} forces it)`,
        );
        continue;
      }
      setBackend(gpu);
      log(`  ${shape.name} on gpu-${gpu.mode}:`);
      // on a software renderer one step of the small GPT takes about a minute: the budget stops after one
      const g = tokens / (await stepSeconds(shape, steps, quick ? 5 : 30, log));
      setBackend(cpu);
      log(
        `  ${shape.name}: cpu ${c.toFixed(0)} tokens/s, gpu (${gpu.mode}) ${g.toFixed(1)} tokens/s, ratio ${(g / c).toFixed(3)}`,
      );
      results.push(
        {
          name,
          impl: 'tsformer',
          backend: `gpu-${gpu.mode}`,
          unit: 'tokens/s',
          value: Math.round(g * 10) / 10,
        },
        { name, impl: 'tsformer-gpu/tsformer-cpu', unit: 'ratio', value: Math.round((g / c) * 1000) / 1000 },
      );
      if (shape.key === 'small' && g < c) software = true;
    }
  } finally {
    setBackend(cpu);
    gpu.dispose?.();
  }
}
