// Matrix-product GFLOP/s on the gpu.js backend beside the cpu backend, through the `matmul` op on both, in the same
// run and on the same inputs. The gpu backend needs a GPU path: in Node, gpu.js headless-gl (run `xvfb-run -a pnpm
// bench` where there is no display; under Xvfb it is Mesa on the CPU, so these figures measure conformance
// machinery, not a GPU). TSFORMER_GPU picks the mode (default auto). Each gpu time includes reading the result
// back, which is what makes the GL queue finish.
import { createCpuBackend } from '../src/backends/cpu/index.ts';
import { createGpuBackend, type GpuMode } from '../src/backends/gpu/index.ts';
import { matmul, rand, setBackend, type Tensor, tidy } from '../src/index.ts';
import { type BenchResult, type BenchSection, round, timeMedian } from './harness.ts';

const SHAPES: [name: string, batch: number, m: number, k: number, n: number][] = [
  ['matmul 256x256x256 NN', 1, 256, 256, 256],
  ['matmul 512x512x512 NN', 1, 512, 512, 512],
  ['matmul 48x[256x64]x[64x256] NN', 48, 256, 64, 256],
];

export const gpuBench: BenchSection = async (log) => {
  let gpu: ReturnType<typeof createGpuBackend>;
  try {
    gpu = createGpuBackend({ mode: (process.env.TSFORMER_GPU as GpuMode | undefined) ?? 'auto' });
    await gpu.ready;
  } catch (e) {
    log(`gpu: skipped (${(e as Error).message})`);
    return [];
  }
  const cpu = createCpuBackend();
  await cpu.ready;
  const rows: BenchResult[] = [];
  for (const [name, batch, m, k, n] of SHAPES) {
    const flops = 2 * batch * m * n * k;
    const time = (backend: typeof cpu | typeof gpu): number => {
      setBackend(backend);
      const a = rand(batch > 1 ? [batch, m, k] : [m, k], { seed: 1 });
      const b = rand(batch > 1 ? [batch, k, n] : [k, n], { seed: 2 });
      const run = (): void =>
        tidy(() => {
          const c: Tensor = matmul(a, b);
          if (backend === gpu && !gpu.syncReads) throw new Error('gpu bench needs a GL mode');
          c.dataSync();
        });
      const ms = timeMedian(run, { warmup: 1, runs: 5, budgetMs: 5000 });
      a.dispose();
      b.dispose();
      return flops / ms / 1e6;
    };
    const c = time(cpu);
    const g = time(gpu);
    log(`${name}: cpu ${c.toFixed(2)} GFLOP/s, gpu (${gpu.mode}) ${g.toFixed(2)} GFLOP/s`);
    rows.push(
      { name, impl: 'tsformer', backend: 'cpu', unit: 'GFLOP/s', value: round(c) },
      { name, impl: 'tsformer', backend: `gpu-${gpu.mode}`, unit: 'GFLOP/s', value: round(g) },
      { name, impl: 'tsformer-gpu/tsformer-cpu', unit: 'ratio', value: round(g / c, 3) },
    );
  }
  cpu.dispose?.();
  gpu.dispose?.();
  return rows;
};
