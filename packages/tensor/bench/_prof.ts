import { WasmGemmEngine } from '../src/backends/cpu/gemm/wasm-engine.ts';

const [batch, m, n, k] = (process.argv[2] ?? '48,256,256,64').split(',').map(Number) as [
  number,
  number,
  number,
  number,
];
const engine = new WasmGemmEngine({ threads: 1 });
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
  transA: false,
  b,
  bOffset: 0,
  bBatchStride: k * n,
  transB: false,
  out,
  outOffset: 0,
};
for (let i = 0; i < 10; i++) engine.gemm(args);
const t0 = performance.now();
for (let i = 0; i < 50; i++) engine.gemm(args);
const ms = (performance.now() - t0) / 50;
console.log(ms.toFixed(2), 'ms', ((2 * batch * m * n * k) / ms / 1e6).toFixed(1), 'GFLOP/s');
