import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT, renderEngineWasmModule } from '../../../../assembly/build.mjs';
import { createGemmEngine, type GemmArgs, type GemmEngine, gemmJs } from './index.ts';
import { partitionColumns, WasmGemmEngine } from './wasm-engine.ts';

function rng(seed: number): () => number {
  // mulberry32, values in [-1, 1)
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 2 ** 31) * 1 - 1;
  };
}

interface Case {
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  /** 'strided': each operand has its own stride with padding; 'a0'/'b0': that operand is shared (stride 0). */
  layout?: 'strided' | 'a0' | 'b0';
}

function makeArgs(c: Case, seed: number): GemmArgs {
  const next = rng(seed);
  const aSize = c.m * c.k;
  const bSize = c.k * c.n;
  const aOffset = 3;
  const bOffset = 5;
  const aBatchStride = c.layout === 'a0' ? 0 : aSize + (c.layout === 'strided' ? 7 : 0);
  const bBatchStride = c.layout === 'b0' ? 0 : bSize + (c.layout === 'strided' ? 2 : 0);
  const a = Float32Array.from({ length: aOffset + (c.batch - 1) * aBatchStride + aSize + 4 }, next);
  const b = Float32Array.from({ length: bOffset + (c.batch - 1) * bBatchStride + bSize + 4 }, next);
  const out = new Float32Array(2 + c.batch * c.m * c.n + 3).fill(Number.NaN);
  return { ...c, a, aOffset, aBatchStride, b, bOffset, bBatchStride, out, outOffset: 2 };
}

/** float64 naive product and, per element, the sum of |terms| (the scale of the rounding error). */
function reference(g: GemmArgs): { value: Float64Array; scale: Float64Array } {
  const { batch, m, n, k } = g;
  const value = new Float64Array(batch * m * n);
  const scale = new Float64Array(batch * m * n);
  for (let e = 0; e < batch; e++) {
    const ao = g.aOffset + e * g.aBatchStride;
    const bo = g.bOffset + e * g.bBatchStride;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        let abs = 0;
        for (let p = 0; p < k; p++) {
          const x = g.a[ao + (g.transA ? p * m + i : i * k + p)]!;
          const y = g.b[bo + (g.transB ? j * k + p : p * n + j)]!;
          s += x * y;
          abs += Math.abs(x * y);
        }
        value[(e * m + i) * n + j] = s;
        scale[(e * m + i) * n + j] = abs;
      }
    }
  }
  return { value, scale };
}

function check(g: GemmArgs, run: (g: GemmArgs) => void): void {
  const ref = reference(g);
  run(g);
  const tol = 1e-5 * Math.sqrt(Math.max(1, g.k));
  const size = g.batch * g.m * g.n;
  let bad = 0;
  let first = '';
  for (let i = 0; i < size; i++) {
    const got = g.out[g.outOffset + i]!;
    const want = ref.value[i]!;
    if (!(Math.abs(got - want) <= tol * Math.max(1e-3, ref.scale[i]!))) {
      if (bad++ === 0) first = `element ${i}: got ${got}, want ${want}`;
    }
  }
  expect(bad, first).toBe(0);
  // Outside [outOffset, outOffset + size) nothing is written.
  expect(Number.isNaN(g.out[0]!) && Number.isNaN(g.out[1]!)).toBe(true);
  expect(Array.from(g.out.subarray(g.outOffset + size)).every(Number.isNaN)).toBe(true);
}

const SIZES = [1, 3, 7, 17, 33, 65, 129];
const TRANSPOSES: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];
const tag = (t: [boolean, boolean]): string => (t[0] ? 'T' : 'N') + (t[1] ? 'T' : 'N');

// Odd sizes: every (m, n, k) from a spread of the list, in every transpose variant.
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 3],
  [3, 1, 17],
  [7, 17, 1],
  [17, 33, 7],
  [33, 7, 65],
  [65, 129, 33],
  [129, 65, 129],
  [4, 8, 16],
  [5, 9, 4],
  [12, 24, 385], // k split into two blocks
  [100, 200, 50],
];
const BATCHED: Case[] = [
  { batch: 3, m: 17, n: 33, k: 7, transA: false, transB: false, layout: 'strided' },
  { batch: 4, m: 33, n: 17, k: 65, transA: true, transB: true, layout: 'strided' },
  { batch: 5, m: 7, n: 65, k: 33, transA: false, transB: true, layout: 'a0' },
  { batch: 2, m: 65, n: 7, k: 129, transA: true, transB: false, layout: 'b0' },
  { batch: 6, m: 1, n: 3, k: 17, transA: false, transB: false, layout: 'b0' },
  { batch: 3, m: 129, n: 33, k: 17, transA: false, transB: true, layout: 'a0' },
];

const engines: [string, () => GemmEngine][] = [
  ['js', () => createGemmEngine({ wasm: false })],
  ['wasm, 1 thread', () => createGemmEngine({ threads: 1 })],
  // parallelThreshold 0: even the smallest products are split across the two threads.
  ['wasm, 2 threads', () => new WasmGemmEngine({ threads: 2, parallelThreshold: 0 })],
  [
    'wasm, 3 threads, small blocks',
    () => new WasmGemmEngine({ threads: 3, parallelThreshold: 0, blocking: { aBlock: 40, nc: 16, kc: 5 } }),
  ],
];

describe.each(engines)('gemm (%s)', (_name, make) => {
  let engine: GemmEngine;
  beforeAll(async () => {
    engine = make();
    await engine.ready;
  });
  afterAll(() => engine.dispose());

  for (const t of TRANSPOSES) {
    it(`odd shapes ${tag(t)}`, () => {
      let seed = 1;
      for (const [m, n, k] of SHAPES) {
        check(makeArgs({ batch: 1, m, n, k, transA: t[0], transB: t[1] }, seed++), (g) => engine.gemm(g));
      }
    });
  }

  it('all sizes from 1 to 129 (NN and TT)', () => {
    let seed = 100;
    for (const m of SIZES) {
      for (const n of SIZES) {
        const k = SIZES[(m + n) % SIZES.length]!;
        check(makeArgs({ batch: 1, m, n, k, transA: false, transB: false }, seed++), (g) => engine.gemm(g));
        check(makeArgs({ batch: 1, m, n, k, transA: true, transB: true }, seed++), (g) => engine.gemm(g));
      }
    }
  });

  it.each(BATCHED)('batched $batch×[$m,$k]·[$k,$n] transA=$transA transB=$transB $layout', (c) => {
    check(makeArgs(c, 7), (g) => engine.gemm(g));
  });

  it('k = 0 writes zeros; empty products write nothing', () => {
    const g = makeArgs({ batch: 2, m: 3, n: 4, k: 0, transA: false, transB: false }, 1);
    engine.gemm(g);
    expect(Array.from(g.out.subarray(2, 2 + 24))).toEqual(new Array(24).fill(0));
    const e = makeArgs({ batch: 1, m: 0, n: 4, k: 3, transA: false, transB: false }, 1);
    engine.gemm(e);
    expect(Array.from(e.out).every(Number.isNaN)).toBe(true);
  });

  it('rejects operands that are too short', () => {
    const g = makeArgs({ batch: 2, m: 3, n: 4, k: 5, transA: false, transB: false }, 1);
    expect(() => engine.gemm({ ...g, a: g.a.subarray(0, 20) })).toThrow(RangeError);
    expect(() => engine.gemm({ ...g, out: new Float32Array(10) })).toThrow(RangeError);
  });

  it('reuses its memory across calls of different sizes', () => {
    check(makeArgs({ batch: 1, m: 129, n: 129, k: 129, transA: false, transB: true }, 3), (g) =>
      engine.gemm(g),
    );
    check(makeArgs({ batch: 1, m: 3, n: 5, k: 7, transA: true, transB: false }, 4), (g) => engine.gemm(g));
    check(makeArgs({ batch: 2, m: 65, n: 33, k: 17, transA: false, transB: false }, 5), (g) =>
      engine.gemm(g),
    );
  });
});

describe('threads', () => {
  it('a default two-thread engine splits a large product and agrees with the reference', async () => {
    const engine = createGemmEngine({ threads: 2 });
    expect(engine.kind).toBe('wasm-simd');
    expect(engine.threads).toBe(2);
    // Before the pool is up, gemm runs on the calling thread.
    check(makeArgs({ batch: 1, m: 96, n: 80, k: 64, transA: false, transB: false }, 11), (g) =>
      engine.gemm(g),
    );
    await engine.ready;
    for (const t of TRANSPOSES) {
      check(makeArgs({ batch: 1, m: 161, n: 150, k: 97, transA: t[0], transB: t[1] }, 12), (g) =>
        engine.gemm(g),
      );
    }
    check(
      makeArgs({ batch: 8, m: 33, n: 40, k: 64, transA: false, transB: true, layout: 'strided' }, 13),
      (g) => engine.gemm(g),
    );
    engine.dispose();
    expect(() =>
      engine.gemm(makeArgs({ batch: 1, m: 1, n: 1, k: 1, transA: false, transB: false }, 1)),
    ).toThrow();
  });

  it('splits products with few rows by columns', async () => {
    const engine = new WasmGemmEngine({ threads: 2, parallelThreshold: 0 });
    await engine.ready;
    for (const t of TRANSPOSES) {
      check(makeArgs({ batch: 1, m: 3, n: 1001, k: 37, transA: t[0], transB: t[1] }, 31), (g) =>
        engine.gemm(g),
      );
      check(makeArgs({ batch: 2, m: 5, n: 77, k: 9, transA: t[0], transB: t[1], layout: 'b0' }, 32), (g) =>
        engine.gemm(g),
      );
    }
    engine.dispose();
  });

  it('partitionColumns covers C exactly once', () => {
    for (const [batch, m, n, threads] of [
      [1, 3, 1000, 4],
      [2, 5, 77, 2],
      [1, 1, 9, 3],
    ] as const) {
      const seen = new Uint8Array(batch * m * n);
      for (const [b0, b1, m0, m1, n0, n1] of partitionColumns(batch, m, n, threads)) {
        for (let e = b0; e < b1; e++)
          for (let i = m0; i < m1; i++) for (let j = n0; j < n1; j++) seen[(e * m + i) * n + j]!++;
      }
      expect(seen.every((v) => v === 1)).toBe(true);
    }
  });
});

/** The same operands, copied into views of the engine's memory (how tensors live there), sentinels included. */
function placed(engine: WasmGemmEngine, g: GemmArgs): GemmArgs {
  const put = (x: Float32Array): Float32Array => {
    const v = engine.memory.alloc('float32', x.length) as Float32Array;
    v.set(x);
    expect(engine.memory.isResident(v)).toBe(true);
    return v;
  };
  return { ...g, a: put(g.a), b: put(g.b), out: put(g.out) };
}

describe('operands in the engine memory, and the matrix-vector path (m ≤ 4)', () => {
  const GEMV_N = [1, 5, 16, 17, 100, 1030, 2049];
  const GEMV_K = [1, 3, 4, 15, 16, 17, 64, 385];
  for (const threads of [1, 2]) {
    it(`m = 1..4, odd n and k, both B layouts, in place (${threads} thread${threads > 1 ? 's' : ''})`, async () => {
      const engine = new WasmGemmEngine({ threads, parallelThreshold: 0 });
      await engine.ready;
      let seed = 500;
      for (let m = 1; m <= 4; m++) {
        for (const n of GEMV_N) {
          const k = GEMV_K[(m + n) % GEMV_K.length]!;
          for (const transB of [false, true]) {
            check(placed(engine, makeArgs({ batch: 1, m, n, k, transA: false, transB }, seed++)), (g) =>
              engine.gemm(g),
            );
          }
        }
      }
      for (const c of [
        { batch: 12, m: 1, n: 37, k: 64, transA: false, transB: true, layout: 'strided' },
        { batch: 12, m: 1, n: 64, k: 37, transA: false, transB: false, layout: 'strided' },
        { batch: 3, m: 2, n: 1030, k: 17, transA: false, transB: false, layout: 'b0' },
        { batch: 2, m: 4, n: 33, k: 385, transA: false, transB: true, layout: 'a0' },
      ] as Case[]) {
        check(placed(engine, makeArgs(c, seed++)), (g) => engine.gemm(g));
        // heap operands take the same path through scratch copies
        check(makeArgs(c, seed++), (g) => engine.gemm(g));
      }
      engine.dispose();
    });
  }

  it('the matrix-vector path agrees with the packed kernel', () => {
    const engine = new WasmGemmEngine({ threads: 1 });
    for (const [m, n, k] of [
      [1, 2049, 385],
      [3, 1030, 17],
      [4, 77, 1025],
    ] as const) {
      for (const transB of [false, true]) {
        const g = makeArgs({ batch: 1, m, n, k, transA: false, transB }, m * n + k);
        engine.gemm(g);
        // the same A stored transposed goes through packing and the 4×8 micro-kernel
        const at = new Float32Array(g.aOffset + m * k);
        for (let i = 0; i < m; i++)
          for (let p = 0; p < k; p++) at[g.aOffset + p * m + i] = g.a[g.aOffset + i * k + p]!;
        const h = { ...g, a: at, transA: true, out: new Float32Array(g.out.length) };
        engine.gemm(h);
        let worst = 0;
        for (let i = 0; i < m * n; i++)
          worst = Math.max(worst, Math.abs(g.out[g.outOffset + i]! - h.out[h.outOffset + i]!));
        expect(worst).toBeLessThan(1e-4);
      }
    }
    engine.dispose();
  });
});

describe('gemmJs', () => {
  it('is the fallback engine', () => {
    const engine = createGemmEngine({ wasm: false });
    expect(engine.kind).toBe('js');
    expect(engine.threads).toBe(1);
    check(makeArgs({ batch: 2, m: 5, n: 6, k: 7, transA: true, transB: true, layout: 'b0' }, 21), gemmJs);
  });
});

describe('generated WebAssembly', () => {
  it('is current: recompiling assembly/*.ts reproduces generated/engine-wasm.ts', async () => {
    const [committed, rebuilt] = await Promise.all([readFile(OUTPUT, 'utf8'), renderEngineWasmModule()]);
    expect(rebuilt === committed, 'stale: run `pnpm --filter @tsformer/tensor build:wasm`').toBe(true);
  });
});
