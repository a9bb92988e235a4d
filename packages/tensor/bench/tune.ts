// Tuning runs for the GEMM engine (not part of `pnpm bench`):
//   npx tsx --conditions=@tsformer/source bench/tune.ts blocking [threads] [aBlock,nc,kc ...]
//   npx tsx --conditions=@tsformer/source bench/tune.ts dispatch      (1 vs 2 threads on small products)
import type { GemmArgs } from '../src/backends/cpu/gemm/index.ts';
import { DEFAULT_BLOCKING, WasmGemmEngine } from '../src/backends/cpu/gemm/wasm-engine.ts';
import { timeMedian } from './harness.ts';

function args(batch: number, m: number, n: number, k: number, transA = false, transB = false): GemmArgs {
  const a = new Float32Array(batch * m * k).map(() => Math.random());
  const b = new Float32Array(batch * k * n).map(() => Math.random());
  return {
    batch,
    m,
    n,
    k,
    a,
    aOffset: 0,
    aBatchStride: m * k,
    transA,
    b,
    bOffset: 0,
    bBatchStride: k * n,
    transB,
    out: new Float32Array(batch * m * n),
    outOffset: 0,
  };
}

async function blocking(threads: number, configs: number[][]): Promise<void> {
  const { aBlock, nc, kc } = DEFAULT_BLOCKING;
  if (configs.length === 0) configs.push([aBlock, nc, kc]);
  const cases = [
    args(1, 4096, 1536, 384),
    args(1, 4096, 1536, 384, false, true),
    args(1, 4096, 1536, 384, true, false),
    args(1, 4096, 1536, 384, true, true),
    args(1, 1024, 1024, 1024),
    args(48, 256, 256, 64),
  ];
  for (const [aBlock, nc, kc] of configs) {
    const engine = new WasmGemmEngine({ threads, blocking: { aBlock, nc, kc } });
    await engine.ready;
    const row = cases.map((g) => {
      const ms = timeMedian(() => engine.gemm(g), { warmup: 3, runs: 9 });
      return ((2 * g.batch * g.m * g.n * g.k) / ms / 1e6).toFixed(1);
    });
    console.log(`aBlock=${aBlock} nc=${nc} kc=${kc} threads=${threads}: ${row.join('  ')} GFLOP/s`);
    engine.dispose();
  }
}

async function dispatch(): Promise<void> {
  const one = new WasmGemmEngine({ threads: 1 });
  const two = new WasmGemmEngine({ threads: 2, parallelThreshold: 0 });
  await two.ready;
  for (const [m, n, k] of [
    [32, 32, 64],
    [64, 64, 64],
    [64, 128, 64],
    [128, 128, 64],
    [128, 128, 128],
    [256, 256, 64],
    [256, 256, 256],
  ] as const) {
    const g = args(1, m, n, k);
    const t1 = timeMedian(() => one.gemm(g), { warmup: 200, runs: 201 });
    const t2 = timeMedian(() => two.gemm(g), { warmup: 200, runs: 201 });
    const size = `${m}x${k}x${n} (2^${Math.log2(m * n * k).toFixed(0)})`;
    console.log(`${size}: 1 thread ${(t1 * 1e3).toFixed(1)} µs, 2 threads ${(t2 * 1e3).toFixed(1)} µs`);
  }
  one.dispose();
  two.dispose();
}

const [mode = 'blocking', threads = '2', ...rest] = process.argv.slice(2);
if (mode === 'dispatch') await dispatch();
else
  await blocking(
    Number(threads),
    rest.map((s) => s.split(',').map(Number)),
  );
