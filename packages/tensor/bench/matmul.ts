// Matrix-product GFLOP/s: the tsformer GEMM engine (WebAssembly SIMD, all cores and one; operands in the
// engine's memory, where tensors live), TF.js's wasm backend (tf.matMul, threads as it gives them in Node) and a
// plain JS loop (gemmJs), on the same inputs in the same process, after the same warm-up. Matrix-vector rows
// (one row of A: decoding) also report GB/s of B read, the figure that bounds them.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { createGemmEngine, type GemmArgs, type GemmEngine, gemmJs } from '../src/backends/cpu/gemm/index.ts';
import type { WasmGemmEngine } from '../src/backends/cpu/gemm/wasm-engine.ts';
import { type BenchResult, type BenchSection, round, timeMedian } from './harness.ts';

interface Shape {
  name: string;
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
}

function shapes(): Shape[] {
  const list: Shape[] = [];
  const add = (batch: number, m: number, n: number, k: number, transA = false, transB = false): void => {
    const t = (transA ? 'T' : 'N') + (transB ? 'T' : 'N');
    const dims = batch > 1 ? `${batch}x[${m}x${k}]x[${k}x${n}]` : `${m}x${k}x${n}`;
    list.push({ name: `matmul ${dims} ${t}`, batch, m, n, k, transA, transB });
  };
  for (const s of [256, 512, 1024]) add(1, s, s, s);
  for (const [ta, tb] of [
    [false, false],
    [false, true],
    [true, false],
    [true, true],
  ] as const)
    add(1, 4096, 1536, 384, ta, tb);
  add(48, 256, 256, 64); // attention scores: [48, 256, 64] · [48, 64, 256]
  add(1, 1, 3072, 768); // decoding one token through GPT-2's MLP (Conv1D weight [768, 3072])
  add(1, 1, 50257, 768, false, true); // GPT-2's tied LM head on the last position: x·wteᵀ
  return list;
}

function random(length: number, seed: number): Float32Array {
  const x = new Float32Array(length);
  let s = seed >>> 0;
  for (let i = 0; i < length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 2 ** 31 - 1;
  }
  return x;
}

export const matmulBench: BenchSection = async (log) => {
  await tf.setBackend('wasm');
  await tf.ready();
  const tfThreads = getThreadsCount();
  const engine = createGemmEngine();
  const single = createGemmEngine({ threads: 1 });
  await Promise.all([engine.ready, single.ready]);

  // Inputs are made once per shape and shared by every implementation. Each implementation runs all
  // shapes back to back (ours first: they take seconds, the competitors minutes), so a burst of other
  // load on the machine skews one column rather than one row.
  const cases = shapes().map((s) => {
    const a = random(s.batch * s.m * s.k, 1);
    const b = random(s.batch * s.k * s.n, 2);
    const args: GemmArgs = {
      batch: s.batch,
      m: s.m,
      n: s.n,
      k: s.k,
      a,
      aOffset: 0,
      aBatchStride: s.batch > 1 ? s.m * s.k : 0,
      transA: s.transA,
      b,
      bOffset: 0,
      bBatchStride: s.batch > 1 ? s.k * s.n : 0,
      transB: s.transB,
      out: new Float32Array(s.batch * s.m * s.n),
      outOffset: 0,
    };
    const flop = 2 * s.batch * s.m * s.n * s.k;
    return { s, args, flop, gflops: (ms: number): number => flop / ms / 1e6 };
  });
  // our operands live in the engine's memory, as tensors do (the products read and write them in place)
  const resident = (e: GemmEngine, g: GemmArgs): GemmArgs => {
    const memory = (e as Partial<WasmGemmEngine>).memory;
    if (!memory?.shared) return g;
    const put = (x: Float32Array): Float32Array => {
      const v = memory.alloc('float32', x.length) as Float32Array;
      v.set(x);
      return v;
    };
    return { ...g, a: put(g.a), b: put(g.b), out: put(g.out) };
  };
  const ours = (e: GemmEngine): number[] =>
    cases.map((c) => {
      const args = resident(e, c.args);
      return c.gflops(timeMedian(() => e.gemm(args), { warmup: 3, runs: 9 }));
    });
  const tsformer = ours(engine);
  const tsformer1 = ours(single);
  const tfjs = cases.map(({ s, args, gflops }) => {
    const lead = s.batch > 1 ? [s.batch] : [];
    const ta = tf.tensor(args.a, [...lead, ...(s.transA ? [s.k, s.m] : [s.m, s.k])]);
    const tb = tf.tensor(args.b, [...lead, ...(s.transB ? [s.n, s.k] : [s.k, s.n])]);
    const ms = timeMedian(
      () => {
        const c = tf.matMul(ta, tb, s.transA, s.transB);
        c.dataSync();
        c.dispose();
      },
      { warmup: 1, runs: 5, budgetMs: 3000 },
    );
    tf.dispose([ta, tb]);
    return gflops(ms);
  });
  // The plain loop: one timed run for the big shapes.
  const js = cases.map(({ args, flop, gflops }) =>
    gflops(timeMedian(() => gemmJs(args), flop > 1e9 ? { warmup: 0, runs: 1 } : { warmup: 1, runs: 3 })),
  );

  const results: BenchResult[] = [];
  cases.forEach(({ s }, i) => {
    const [ours2, ours1, theirs, loop] = [tsformer[i]!, tsformer1[i]!, tfjs[i]!, js[i]!];
    // ours at all threads and at one, TF.js: in GFLOP/s, and for matrix-vector products also in GB/s of B read
    // (GFLOP/s = 2·k·n / time, so GB/s = 4·k·n / time)
    const measured = (unit: string, f: (gflops: number) => number): BenchResult[] => [
      { name: s.name, impl: 'tsformer', backend: 'cpu', threads: engine.threads, unit, value: f(ours2) },
      { name: s.name, impl: 'tsformer', backend: 'cpu', threads: 1, unit, value: f(ours1) },
      { name: s.name, impl: 'tfjs-wasm', threads: tfThreads, unit, value: f(theirs) },
    ];
    results.push(
      ...measured('GFLOP/s', round),
      { name: s.name, impl: 'js', threads: 1, unit: 'GFLOP/s', value: round(loop) },
      { name: s.name, impl: 'tsformer/tfjs-wasm', unit: 'ratio', value: round(ours2 / theirs) },
      { name: s.name, impl: 'tsformer/js', unit: 'ratio', value: round(ours2 / loop) },
    );
    if (s.m === 1) results.push(...measured('GB/s', (g) => round(g * 2)));
    log(
      `${s.name.padEnd(34)}${ours2.toFixed(1).padStart(12)}${ours1.toFixed(1).padStart(12)}` +
        `${theirs.toFixed(1).padStart(13)}${loop.toFixed(2).padStart(8)}${(ours2 / theirs).toFixed(1).padStart(8)}×` +
        `${(ours2 / loop).toFixed(0).padStart(7)}×`,
    );
  });
  engine.dispose();
  single.dispose();
  return results;
};
