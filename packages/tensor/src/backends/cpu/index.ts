import type {
  Backend,
  BinaryOp,
  MatmulInfo,
  ReduceOp,
  Storage,
  StridedInput,
  UnaryOp,
} from '../../backend.ts';
import { arrayFor, type DType, dtypeOfArray, type TypedArray } from '../../dtype.ts';
import { normalFromWords, philoxWords, uniformFromWords } from '../../random.ts';
import { type Shape, sizeOf } from '../../shape.ts';
import { createGemmEngine, type GemmEngine } from './gemm/index.ts';
import { WasmGemmEngine } from './gemm/wasm-engine.ts';
import { erf } from './kernels/erf.ts';
import { createCpuFused } from './kernels/fused.ts';
import { type Alloc, BufferPool } from './kernels/pool.ts';
import { coalesce, forEachRow } from './kernels/strided.ts';
import { type BinaryMode, createWasmFused, type WasmKernels } from './kernels/wasm-kernels.ts';
import type { EngineMemory } from './memory.ts';

export interface CpuBackendOptions {
  /** worker threads for large matrix products (default: all cores; 1 = none) */
  threads?: number;
  /** false forces the pure TypeScript kernels (no WebAssembly) */
  wasm?: boolean;
  /** false leaves out the fused kernels, so ops compose primitives (the reference path other backends take) */
  fused?: boolean;
  /**
   * false keeps tensors on the JavaScript heap, copied into the engine's memory for each kernel call (what
   * happens anyway where SharedArrayBuffer is unavailable); default: tensors live in the engine's memory
   */
  resident?: boolean;
  /** elementwise and row kernels from this many elements run split across the threads (default 2^15) */
  parallelElements?: number;
  /**
   * The most the engine's memory may hold, in bytes (default and most: 4 GiB). Tensors past it live on the
   * JavaScript heap and are copied in per call, or, where even that finds no room, run in TypeScript.
   */
  maxMemoryBytes?: number;
}

export interface CpuBackend extends Backend {
  readonly name: 'cpu';
  /** how matrix products run: 'wasm-simd' or 'js', and on how many threads */
  readonly gemm: GemmEngine;
  /** resolves when the worker threads are up (products run on the calling thread until then) */
  readonly ready: Promise<void>;
  /**
   * The WebAssembly memory tensors live in, with its allocator (`stats()` says how much is used), or null for
   * the pure TypeScript backend. Where it is not shared (`memory.shared` false), tensors stay on the heap.
   */
  readonly memory: EngineMemory | null;
}

type A = TypedArray;

const UNARY: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  tanh: Math.tanh,
  erf,
  relu: (x) => Math.max(x, 0),
  abs: Math.abs,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  reciprocal: (x) => 1 / x,
  square: (x) => x * x,
  step: (x) => (x > 0 ? 1 : 0),
};

const BINARY: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  maximum: (a, b) => (a > b || Number.isNaN(a) ? a : b),
  minimum: (a, b) => (a < b || Number.isNaN(a) ? a : b),
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
};

function unaryKernel(op: UnaryOp, x: A, out: A): void {
  const n = x.length;
  // the hot ones get their own loops (a shared loop calling a per-op function would not inline)
  switch (op) {
    case 'exp':
      for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]!);
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]!);
      return;
    case 'neg':
      for (let i = 0; i < n; i++) out[i] = -x[i]!;
      return;
    case 'erf':
      for (let i = 0; i < n; i++) out[i] = erf(x[i]!);
      return;
    default: {
      const f = UNARY[op];
      for (let i = 0; i < n; i++) out[i] = f(x[i]!);
    }
  }
}

/** out[o..o+n) = a[ia + j·sa] op b[ib + j·sb] */
function binaryRow(
  op: BinaryOp,
  a: A,
  ia: number,
  sa: number,
  b: A,
  ib: number,
  sb: number,
  out: A,
  o: number,
  n: number,
): void {
  switch (op) {
    case 'add':
      if (sa === 1 && sb === 1) for (let j = 0; j < n; j++) out[o + j] = a[ia + j]! + b[ib + j]!;
      else if (sa === 1 && sb === 0) {
        const y = b[ib]!;
        for (let j = 0; j < n; j++) out[o + j] = a[ia + j]! + y;
      } else for (let j = 0; j < n; j++) out[o + j] = a[ia + j * sa]! + b[ib + j * sb]!;
      return;
    case 'sub':
      if (sa === 1 && sb === 1) for (let j = 0; j < n; j++) out[o + j] = a[ia + j]! - b[ib + j]!;
      else if (sa === 1 && sb === 0) {
        const y = b[ib]!;
        for (let j = 0; j < n; j++) out[o + j] = a[ia + j]! - y;
      } else for (let j = 0; j < n; j++) out[o + j] = a[ia + j * sa]! - b[ib + j * sb]!;
      return;
    case 'mul':
      if (sa === 1 && sb === 1) for (let j = 0; j < n; j++) out[o + j] = a[ia + j]! * b[ib + j]!;
      else if (sa === 1 && sb === 0) {
        const y = b[ib]!;
        for (let j = 0; j < n; j++) out[o + j] = a[ia + j]! * y;
      } else for (let j = 0; j < n; j++) out[o + j] = a[ia + j * sa]! * b[ib + j * sb]!;
      return;
    case 'div':
      if (sa === 1 && sb === 1) for (let j = 0; j < n; j++) out[o + j] = a[ia + j]! / b[ib + j]!;
      else if (sa === 1 && sb === 0) {
        const y = b[ib]!;
        for (let j = 0; j < n; j++) out[o + j] = a[ia + j]! / y;
      } else for (let j = 0; j < n; j++) out[o + j] = a[ia + j * sa]! / b[ib + j * sb]!;
      return;
    default: {
      const f = BINARY[op];
      for (let j = 0; j < n; j++) out[o + j] = f(a[ia + j * sa]!, b[ib + j * sb]!);
    }
  }
}

/**
 * binaryRow for float32 operands and result only: a separate copy, so that its element accesses stay
 * monomorphic (binaryRow also sees Int32Array and runs several times slower on float32 once it has).
 */
function binaryRowF32(
  op: BinaryOp,
  a: Float32Array,
  ia: number,
  sa: number,
  b: Float32Array,
  ib: number,
  sb: number,
  out: Float32Array,
  o: number,
  n: number,
): void {
  switch (op) {
    case 'add':
      if (sa === 1 && sb === 1) for (let j = 0; j < n; j++) out[o + j] = a[ia + j]! + b[ib + j]!;
      else if (sa === 1 && sb === 0) {
        const y = b[ib]!;
        for (let j = 0; j < n; j++) out[o + j] = a[ia + j]! + y;
      } else for (let j = 0; j < n; j++) out[o + j] = a[ia + j * sa]! + b[ib + j * sb]!;
      return;
    case 'sub':
      if (sa === 1 && sb === 1) for (let j = 0; j < n; j++) out[o + j] = a[ia + j]! - b[ib + j]!;
      else if (sa === 1 && sb === 0) {
        const y = b[ib]!;
        for (let j = 0; j < n; j++) out[o + j] = a[ia + j]! - y;
      } else for (let j = 0; j < n; j++) out[o + j] = a[ia + j * sa]! - b[ib + j * sb]!;
      return;
    case 'mul':
      if (sa === 1 && sb === 1) for (let j = 0; j < n; j++) out[o + j] = a[ia + j]! * b[ib + j]!;
      else if (sa === 1 && sb === 0) {
        const y = b[ib]!;
        for (let j = 0; j < n; j++) out[o + j] = a[ia + j]! * y;
      } else for (let j = 0; j < n; j++) out[o + j] = a[ia + j * sa]! * b[ib + j * sb]!;
      return;
    case 'div':
      if (sa === 1 && sb === 1) for (let j = 0; j < n; j++) out[o + j] = a[ia + j]! / b[ib + j]!;
      else if (sa === 1 && sb === 0) {
        const y = b[ib]!;
        for (let j = 0; j < n; j++) out[o + j] = a[ia + j]! / y;
      } else for (let j = 0; j < n; j++) out[o + j] = a[ia + j * sa]! / b[ib + j * sb]!;
      return;
    default: {
      const f = BINARY[op];
      for (let j = 0; j < n; j++) out[o + j] = f(a[ia + j * sa]!, b[ib + j * sb]!);
    }
  }
}

function asArray(s: Storage): A {
  return s as A;
}

function intDiv(op: BinaryOp, dtype: DType): boolean {
  return dtype === 'int32' && op === 'div';
}

/**
 * The CPU backend: storage is ordinary typed arrays on the JavaScript heap (garbage-collected, so `dispose` is
 * optional here); matrix products run in WebAssembly SIMD across worker threads; other kernels are tight
 * TypeScript loops over coalesced strides.
 */
export function createCpuBackend(options: CpuBackendOptions = {}): CpuBackend {
  const gemm = createGemmEngine({
    threads: options.threads,
    wasm: options.wasm,
    parallelElements: options.parallelElements,
    maximumPages:
      options.maxMemoryBytes === undefined
        ? undefined
        : Math.max(1, Math.floor(options.maxMemoryBytes / 65536)),
    // one thread with tensors on the heap: an ordinary memory, as a page without SharedArrayBuffer has
    shared: options.resident === false && options.threads === 1 ? false : undefined,
  });
  // the WebAssembly engine also runs the fused kernels, on the memory tensors live in
  const engine = gemm instanceof WasmGemmEngine ? gemm : null;
  const pool = new BufferPool();
  const memory = engine?.memory ?? null;
  // tensors in the engine's memory where it is shared (see EngineMemory), else pooled heap arrays
  const home = memory?.shared && options.resident !== false ? memory : null;
  const alloc: Alloc = home ? (dtype, size) => home.alloc(dtype, size) : pool.alloc;
  const wasmKernels: WasmKernels | null = engine ? createWasmFused(engine, alloc) : null;
  return {
    name: 'cpu',
    gemm,
    ready: gemm.ready,
    memory,
    upload(data) {
      // an array from allocHost is in the engine's memory already, and becomes the storage as it is
      if (!home || home.isResident(data)) return data;
      // written into the engine's memory once (a model's weights when it is built or loaded)
      const out = alloc(dtypeOfArray(data), data.length);
      out.set(data);
      return out;
    },
    allocHost: home ? (dtype, size) => home.alloc(dtype, size) : undefined,
    fill(dtype, size, value) {
      if (home) return value === 0 ? home.zeros(dtype, size) : home.alloc(dtype, size).fill(value);
      // a fresh typed array is zeroed lazily by the OS: zeros cost nothing until written
      return value === 0 ? arrayFor(dtype, size) : alloc(dtype, size).fill(value);
    },
    readSync: (s) => asArray(s).slice(),
    read: (s) => Promise.resolve(asArray(s).slice()),
    free(s) {
      if (home) home.free(asArray(s));
      // garbage-collected; disposed arrays are kept for reuse
      else pool.put(asArray(s));
    },
    unary(op, x, dtype, size) {
      const out = alloc(dtype, size);
      unaryKernel(op, asArray(x), out);
      return out;
    },
    binary(op, a, b, outShape, outDtype) {
      const size = sizeOf(outShape);
      const { shape, strides } = coalesce(outShape, [a.strides, b.strides]);
      const av = asArray(a.storage);
      const bv = asArray(b.storage);
      const last = shape.length - 1;
      const sa = strides[0]![last]!;
      const sb = strides[1]![last]!;
      if (
        wasmKernels !== null &&
        size >= WASM_BINARY_MIN &&
        outDtype === 'float32' &&
        (op === 'add' || op === 'sub' || op === 'mul' || op === 'div') &&
        av instanceof Float32Array &&
        bv instanceof Float32Array
      ) {
        // the elementwise ops of a training step (bias and residual adds, gradient sums, scaling) in
        // WebAssembly SIMD, in place on tensors in the engine's memory; null: no room to copy heap operands in
        const l = binaryLayout(shape, strides);
        if (l !== null && !(l.swap && (op === 'sub' || op === 'div'))) {
          const out = l.swap
            ? wasmKernels.binaryF32(op, bv, b.offset, av, a.offset, l.rows, l.cols, l.mode, l.group)
            : wasmKernels.binaryF32(op, av, a.offset, bv, b.offset, l.rows, l.cols, l.mode, l.group);
          if (out !== null) return out;
        }
      }
      const out = alloc(outDtype, size);
      if (av instanceof Float32Array && bv instanceof Float32Array && out instanceof Float32Array) {
        // the float32 path (every op of a training step): monomorphic, and 2-D walks (a bias or a
        // residual over rows) without the per-row callback
        const n = shape[last]!;
        if (shape.length === 1) binaryRowF32(op, av, a.offset, sa, bv, b.offset, sb, out, 0, n);
        else if (shape.length === 2) {
          const ra = strides[0]![0]!;
          const rb = strides[1]![0]!;
          for (let r = 0, ia = a.offset, ib = b.offset; r < shape[0]!; r++, ia += ra, ib += rb)
            binaryRowF32(op, av, ia, sa, bv, ib, sb, out, r * n, n);
        } else {
          forEachRow(shape, strides, [a.offset, b.offset], (o, offs, n) =>
            binaryRowF32(op, av, offs[0]!, sa, bv, offs[1]!, sb, out, o, n),
          );
        }
      } else if (shape.length === 1) binaryRow(op, av, a.offset, sa, bv, b.offset, sb, out, 0, shape[0]!);
      else {
        forEachRow(shape, strides, [a.offset, b.offset], (o, offs, n) =>
          binaryRow(op, av, offs[0]!, sa, bv, offs[1]!, sb, out, o, n),
        );
      }
      if (intDiv(op, outDtype)) for (let i = 0; i < out.length; i++) out[i] = Math.trunc(out[i]!);
      return out;
    },
    where(cond, a, b, outShape, dtype) {
      const out = alloc(dtype, sizeOf(outShape));
      const { shape, strides } = coalesce(outShape, [cond.strides, a.strides, b.strides]);
      const c = asArray(cond.storage);
      const av = asArray(a.storage);
      const bv = asArray(b.storage);
      const last = shape.length - 1;
      const [sc, sa, sb] = [strides[0]![last]!, strides[1]![last]!, strides[2]![last]!];
      forEachRow(shape, strides, [cond.offset, a.offset, b.offset], (o, offs, n) => {
        const ic = offs[0]!;
        const ia = offs[1]!;
        const ib = offs[2]!;
        for (let j = 0; j < n; j++) out[o + j] = c[ic + j * sc]! !== 0 ? av[ia + j * sa]! : bv[ib + j * sb]!;
      });
      return out;
    },
    reduce(op, x, dtype, outer, len, inner) {
      const xa = asArray(x);
      // bias gradients (a sum over the rows of [N, C]): the same float64 sums, in WebAssembly SIMD
      if (
        wasmKernels !== null &&
        op === 'sum' &&
        xa instanceof Float32Array &&
        inner >= 4 &&
        xa.length >= 4096
      ) {
        const out = wasmKernels.sumMiddleF32(xa, outer, len, inner);
        if (out !== null) return out;
      }
      return reduceKernel(alloc, op, xa, dtype, outer, len, inner);
    },
    matmul(a, b, info) {
      return matmulKernel(alloc, gemm, asArray(a) as Float32Array, asArray(b) as Float32Array, info);
    },
    gather(table, dtype, numRows, rowLen, indices, numIndices) {
      const t = asArray(table);
      const idx = asArray(indices);
      const out = alloc(dtype, numIndices * rowLen);
      for (let i = 0; i < numIndices; i++) {
        const r = idx[i]!;
        if (r < 0 || r >= numRows) {
          throw new Error(`indexSelect: index ${r} at position ${i} is out of range for ${numRows} rows`);
        }
        if (rowLen === 1) out[i] = t[r]!;
        else out.set(t.subarray(r * rowLen, (r + 1) * rowLen), i * rowLen);
      }
      return out;
    },
    scatterAdd(src, indices, numIndices, numRows, rowLen, skipIndex) {
      const s = asArray(src);
      const idx = asArray(indices);
      // a pooled array zeroed here: a fresh one page-faults on every page it touches, each step
      const out = (alloc('float32', numRows * rowLen) as Float32Array).fill(0);
      for (let i = 0; i < numIndices; i++) {
        const r = idx[i]!;
        if (r === skipIndex) continue;
        const o = r * rowLen;
        const p = i * rowLen;
        for (let j = 0; j < rowLen; j++) out[o + j]! += s[p + j]!;
      }
      return out;
    },
    copyStrided(x, outShape) {
      return copyStridedKernel(alloc, x, outShape);
    },
    writeInto(dst, dstOffset, dstStrides, src, shape) {
      const d = asArray(dst);
      const s = asArray(src.storage);
      const { shape: cs, strides } = coalesce(shape, [dstStrides, src.strides]);
      const last = cs.length - 1;
      const sd = strides[0]![last]!;
      const ss = strides[1]![last]!;
      forEachRow(cs, strides, [dstOffset, src.offset], (_o, offs, n) => {
        const i0 = offs[0]!;
        const j0 = offs[1]!;
        if (sd === 1 && ss === 1) d.set(s.subarray(j0, j0 + n), i0);
        else for (let j = 0; j < n; j++) d[i0 + j * sd] = s[j0 + j * ss]!;
      });
    },
    concat(parts, outer, dtype) {
      const total = parts.reduce((n, p) => n + p.inner, 0);
      const out = alloc(dtype, outer * total);
      let col = 0;
      for (const p of parts) {
        const src = asArray(p.storage);
        for (let o = 0; o < outer; o++)
          out.set(src.subarray(o * p.inner, (o + 1) * p.inner), o * total + col);
        col += p.inner;
      }
      return out;
    },
    random(kind, seed, offset, size) {
      const words = new Uint32Array(size + (size % 4 === 0 ? 0 : 4 - (size % 4)));
      philoxWords(seed, offset, words);
      const out = alloc('float32', size) as Float32Array;
      if (kind === 'uniform') uniformFromWords(words.subarray(0, size), out);
      else normalFromWords(words, out);
      return out;
    },
    cast(x, _from, to, size) {
      const src = asArray(x);
      const out = alloc(to, size);
      if (to === 'int32') for (let i = 0; i < size; i++) out[i] = Math.trunc(src[i]!);
      else out.set(src);
      return out;
    },
    dispose() {
      gemm.dispose();
      pool.clear();
    },
    fused: options.fused === false ? undefined : (wasmKernels ?? createCpuFused(alloc)),
  };
}

/** Outputs smaller than this stay in JavaScript (the call and copies cost more than they save). */
const WASM_BINARY_MIN = 2048;

/**
 * The layouts the WebAssembly binary kernel runs, from the coalesced shape and strides: both contiguous
 * (mode 0); one operand rows of [cols] repeated over groups of rows (1: a bias [C] over [N,C], an attention
 * mask [B,1,1,T] over [B,H,T,T]; `swap` when it is the first operand that repeats, which only commutative ops
 * may use); or one operand a scalar (2 for the second, 3 for the first). Null: another layout (a transposed
 * operand, say), left to the JavaScript loops.
 */
function binaryLayout(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
): { mode: BinaryMode; rows: number; cols: number; group: number; swap: boolean } | null {
  const [sa, sb] = strides as [readonly number[], readonly number[]];
  if (shape.length === 1) {
    const n = shape[0]!;
    if (sa[0] === 1 && sb[0] === 1) return { mode: 0, rows: 1, cols: n, group: 1, swap: false };
    if (sa[0] === 1 && sb[0] === 0) return { mode: 2, rows: 1, cols: n, group: 1, swap: false };
    if (sa[0] === 0 && sb[0] === 1) return { mode: 3, rows: 1, cols: n, group: 1, swap: false };
    return null;
  }
  // [outer, mid, cols] (outer = 1 for rank 2): the full operand contiguous, the other [outer, 1, cols]
  const [outer, mid, cols] = (shape.length === 2 ? [1, ...shape] : shape) as [number, number, number];
  if (shape.length > 3) return null;
  const full = (s: readonly number[]) =>
    s[s.length - 1] === 1 && s[s.length - 2] === cols && (shape.length === 2 || s[0] === mid * cols);
  const rowwise = (s: readonly number[]) =>
    s[s.length - 1] === 1 && s[s.length - 2] === 0 && (shape.length === 2 || s[0] === cols);
  const rows = outer * mid;
  if (full(sa) && rowwise(sb)) return { mode: 1, rows, cols, group: mid, swap: false };
  if (rowwise(sa) && full(sb)) return { mode: 1, rows, cols, group: mid, swap: true };
  return null;
}

function reduceKernel(
  alloc: Alloc,
  op: ReduceOp,
  x: A,
  dtype: DType,
  outer: number,
  len: number,
  inner: number,
): A {
  const out = alloc(op === 'argmax' ? 'int32' : dtype, outer * inner);
  if (op === 'sum' && dtype === 'float32') {
    // accumulate in float64, which is both faster here and closer to the exact sum than pairwise float32
    const acc = new Float64Array(inner);
    for (let o = 0; o < outer; o++) {
      const base = o * len * inner;
      if (inner === 1) {
        let s = 0;
        for (let j = 0; j < len; j++) s += x[base + j]!;
        out[o] = s;
        continue;
      }
      acc.fill(0);
      for (let j = 0; j < len; j++) {
        const row = base + j * inner;
        for (let i = 0; i < inner; i++) acc[i]! += x[row + i]!;
      }
      for (let i = 0; i < inner; i++) out[o * inner + i] = acc[i]!;
    }
    return out;
  }
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      if (op === 'sum') {
        let s = 0;
        for (let j = 0; j < len; j++) s += x[base + j * inner]!;
        out[o * inner + i] = s;
      } else {
        let best = x[base]!;
        let at = 0;
        for (let j = 1; j < len; j++) {
          const v = x[base + j * inner]!;
          if (Number.isNaN(best)) break;
          if (op === 'min' ? v < best || Number.isNaN(v) : v > best || Number.isNaN(v)) {
            best = v;
            at = j;
          }
        }
        out[o * inner + i] = op === 'argmax' ? at : best;
      }
    }
  }
  return out;
}

function copyStridedKernel(alloc: Alloc, x: StridedInput, outShape: Shape): A {
  const src = asArray(x.storage);
  const size = sizeOf(outShape);
  const out = alloc(x.dtype, size);
  if (size === 0) return out;
  const { shape, strides } = coalesce(outShape, [x.strides]);
  const s = strides[0]![shape.length - 1]!;
  if (shape.length === 1 && s === 1) {
    out.set(src.subarray(x.offset, x.offset + size));
    return out;
  }
  forEachRow(shape, strides, [x.offset], (o, offs, n) => {
    const i0 = offs[0]!;
    if (s === 1) out.set(src.subarray(i0, i0 + n), o);
    else for (let j = 0; j < n; j++) out[o + j] = src[i0 + j * s]!;
  });
  return out;
}

function matmulKernel(
  alloc: Alloc,
  gemm: GemmEngine,
  a: Float32Array,
  b: Float32Array,
  info: MatmulInfo,
): Float32Array {
  const out = alloc('float32', info.batch * info.m * info.n) as Float32Array;
  if (out.length === 0) return out;
  if (info.k === 0) return out.fill(0);
  gemm.gemm({
    batch: info.batch,
    m: info.m,
    n: info.n,
    k: info.k,
    a,
    aOffset: 0,
    aBatchStride: info.aBatchStride,
    transA: info.transA,
    b,
    bOffset: 0,
    bBatchStride: info.bBatchStride,
    transB: info.transB,
    out,
    outOffset: 0,
  });
  return out;
}
