// Training tokens/s on the gpu.js backend beside the CPU backend, in the same run, with the same model, weights
// and batch: one step is forward + backward + AdamW, and its loss is read back with `await data()` (what makes a
// GPU queue finish; it also works on WebGPU). Shapes: the trainer's default GPT, the models issue's GPT and GPT-2
// small's body (12 × 768, context 1024, vocabulary 4096). A GPU path that is slower than the CPU on the first shape is a software
// renderer (Mesa llvmpipe under Xvfb, SwiftShader): the larger shapes would take hours there, so only their CPU
// figure is taken, with the reason, unless BENCH_GPU_SHAPES names them (e.g. BENCH_GPU_SHAPES=gpt2 for GPT-2
// small alone). TSFORMER_GPU picks the gpu.js mode (default auto; TSFORMER_GPU=webgpu uses the `webgpu` package).
import {
  type Backend,
  getBackend,
  readAndDispose,
  setBackend,
  type Tensor,
  tensor,
  tidy,
} from '@tsformer/tensor';
import { AdamW } from '@tsformer/tensor/optim';
import { GPT2Config, GPT2LMHeadModel } from '../src/index.ts';
import type { BenchResult } from './harness.ts';

export interface Shape {
  key: string;
  name: string;
  nLayer: number;
  nEmbd: number;
  nHead: number;
  nPositions: number;
  vocabSize: number;
  batch: number;
}

export const GPU_SHAPES: readonly Shape[] = [
  // apps/trainer/configs/gpt.json
  {
    key: 'small',
    name: '4L/128/4H ctx128 V4096 B12',
    nLayer: 4,
    nEmbd: 128,
    nHead: 4,
    nPositions: 128,
    vocabSize: 4096,
    batch: 12,
  },
  // the models issue's training shape (this package's CPU training bench)
  {
    key: 'issue',
    name: '6L/384/6H ctx256 V4096 B8',
    nLayer: 6,
    nEmbd: 384,
    nHead: 6,
    nPositions: 256,
    vocabSize: 4096,
    batch: 8,
  },
  // GPT-2 small's body (the gpu.js issue's "12 layers, width 768, context 1024") with the trainer's vocabulary:
  // the gpu backend holds at most 2^24 elements per tensor, and GPT-2's 50257 × 768 embedding has 38.6M
  {
    key: 'gpt2',
    name: '12L/768/12H ctx1024 V4096 B1',
    nLayer: 12,
    nEmbd: 768,
    nHead: 12,
    nPositions: 1024,
    vocabSize: 4096,
    batch: 1,
  },
];

/**
 * Seconds per training step of `shape` on the current backend: one untimed warm-up step (shader compilation,
 * WebAssembly tier-up), then the mean of up to `steps` timed ones, fewer once `budgetS` seconds have gone.
 */
export async function stepSeconds(
  shape: Shape,
  steps: number,
  budgetS: number,
  log: (s: string) => void,
): Promise<number> {
  const { batch, nLayer, nEmbd, nHead, nPositions, vocabSize } = shape;
  const config = new GPT2Config({
    nLayer,
    nEmbd,
    nHead,
    nPositions,
    vocabSize,
    residPdrop: 0,
    embdPdrop: 0,
    attnPdrop: 0,
  });
  const model = new GPT2LMHeadModel(config, { seed: 0 });
  const t = nPositions;
  const ids = tensor(
    Int32Array.from({ length: batch * t }, (_, i) => (i * 7919 + 13) % vocabSize),
    [batch, t],
  );
  const opt = new AdamW(model.parameters(), { lr: 3e-4, weightDecay: 0.1 });
  const step = async (): Promise<number> => {
    opt.zeroGrad();
    const loss: Tensor = tidy(() => {
      const l = model.forward({ inputIds: ids, labels: ids }).loss!;
      l.backward();
      return l;
    });
    opt.step();
    return (await readAndDispose(loss))[0]!;
  };
  const times: number[] = [];
  try {
    for (let i = 0; i <= steps; i++) {
      const t0 = performance.now();
      const loss = await step();
      const s = (performance.now() - t0) / 1000;
      if (i > 0) times.push(s);
      log(
        `    ${i === 0 ? 'warm-up step' : `step ${i}/${steps}`}: ${s.toFixed(2)} s, loss ${loss.toFixed(4)}`,
      );
      if (times.length > 0 && times.reduce((a, b) => a + b, 0) > budgetS) break;
    }
  } finally {
    opt.zeroGrad();
    for (const s of opt.state.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    for (const p of model.parameters()) p.dispose();
    ids.dispose();
  }
  return times.reduce((a, b) => a + b, 0) / times.length;
}

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
