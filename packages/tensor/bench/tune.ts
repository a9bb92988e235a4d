// Tuning sweep for the GEMM engine's blocking (not part of `pnpm bench`):
//   npx tsx --conditions=@tsformer/source bench/tune.ts [threads] [aBlock,nc,kc ...]
import { WasmGemmEngine } from '../src/backends/cpu/gemm/wasm-engine.ts';
import { timeMedian } from './harness.ts';

const threads = Number(process.argv[2] ?? 2);
const configs = process.argv.slice(3).map((s) => s.split(',').map(Number) as [number, number, number]);
if (configs.length === 0) configs.push([96 * 384, 2048, 384]);
const cases: [number, number, number, number, boolean, boolean][] = [
  [1, 4096, 1536, 384, false, false],
  [1, 4096, 1536, 384, false, true],
  [1, 4096, 1536, 384, true, false],
  [1, 4096, 1536, 384, true, true],
  [1, 1024, 1024, 1024, false, false],
  [48, 256, 256, 64, false, false],
];
for (const [aBlock, nc, kc] of configs) {
  const engine = new WasmGemmEngine({ threads, blocking: { aBlock, nc, kc } });
  await engine.ready;
  const row: string[] = [];
  for (const [batch, m, n, k, transA, transB] of cases) {
    const a = new Float32Array(batch * m * k).map(() => Math.random());
    const b = new Float32Array(batch * k * n).map(() => Math.random());
    const out = new Float32Array(batch * m * n);
    const args = {
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
      out,
      outOffset: 0,
    };
    const ms = timeMedian(() => engine.gemm(args), { warmup: 3, runs: 9 });
    row.push(((2 * batch * m * n * k) / ms / 1e6).toFixed(1));
  }
  console.log(`aBlock=${aBlock} nc=${nc} kc=${kc} threads=${threads}: ${row.join('  ')}`);
  engine.dispose();
}
