import type { FusedKernels, Storage } from '../../../backend.ts';
import type { EngineExports } from '../gemm/wasm-engine.ts';
import type { EngineMemory } from '../memory.ts';
import { createCpuFused } from './fused.ts';
import type { Alloc } from './pool.ts';

interface Exports {
  softmax(x: number, out: number, rows: number, cols: number, log: number): void;
  softmaxBackward(y: number, dy: number, out: number, rows: number, cols: number, log: number): void;
  gelu(kind: number, x: number, out: number, n: number): void;
  geluBackward(kind: number, x: number, dy: number, out: number, n: number): void;
  dropout(
    x: number,
    out: number,
    n: number,
    p: number,
    k0: number,
    k1: number,
    offLo: number,
    offHi: number,
  ): void;
  binaryAdd(a: number, b: number, out: number, rows: number, cols: number, mode: number, group: number): void;
  binarySub(a: number, b: number, out: number, rows: number, cols: number, mode: number, group: number): void;
  binaryMul(a: number, b: number, out: number, rows: number, cols: number, mode: number, group: number): void;
  binaryDiv(a: number, b: number, out: number, rows: number, cols: number, mode: number, group: number): void;
  layerNorm(
    x: number,
    w: number,
    b: number,
    y: number,
    mean: number,
    rstd: number,
    rows: number,
    cols: number,
    eps: number,
    hasW: number,
    hasB: number,
  ): void;
  layerNormBackward(
    dy: number,
    x: number,
    w: number,
    mean: number,
    rstd: number,
    dx: number,
    dw: number,
    db: number,
    acc: number,
    rows: number,
    cols: number,
    hasW: number,
  ): void;
  sumMiddle(x: number, out: number, acc: number, outer: number, len: number, inner: number): void;
  heapBase(): number;
}

/**
 * How the second operand of `binaryF32` is laid out against the first, [rows, cols]: 0 the same; 1 rows of
 * [cols], row r/group for row r (group = rows: one row for all); 2 a scalar; 3: the first operand is the
 * scalar and the second is [rows, cols].
 */
export type BinaryMode = 0 | 1 | 2 | 3;

/** The WebAssembly fused kernels, plus float32 add/sub/mul/div for the backend's `binary`. */
export interface WasmKernels extends FusedKernels {
  /** a op b as `mode` lays them out (see BinaryMode); inputs are read from the given element offsets */
  binaryF32(
    op: 'add' | 'sub' | 'mul' | 'div',
    a: Float32Array,
    aOffset: number,
    b: Float32Array,
    bOffset: number,
    rows: number,
    cols: number,
    mode: BinaryMode,
    group: number,
  ): Float32Array;
  /** Σ over the middle axis of x viewed as [outer, len, inner], float64 accumulation (as the JavaScript kernel) */
  sumMiddleF32(x: Float32Array, outer: number, len: number, inner: number): Float32Array;
}

const f32 = (s: Storage): Float32Array => s as Float32Array;

/** What the kernels run on: the engine's memory and the module instantiated on it (WasmGemmEngine has both). */
export interface KernelHost {
  readonly memory: EngineMemory;
  readonly exports: EngineExports;
}

/**
 * The fused kernels with softmax, GELU, dropout, layerNorm and float32 add/sub/mul/div in WebAssembly SIMD
 * (assembly/kernels.ts); AdamW stays in TypeScript, in place. Operands that live in the engine's memory are read
 * in place and results are written straight into new tensors there; an operand on the JavaScript heap is
 * copied into a scratch block for the call (and a result copied out), which is what every call did before
 * tensors lived in the engine's memory.
 */
export function createWasmFused(
  host: KernelHost,
  allocate: Alloc = (dtype, size) => host.memory.alloc(dtype, size),
): WasmKernels {
  const mem = host.memory;
  const k = host.exports as unknown as Exports;
  const alloc = (n: number) => allocate('float32', n) as Float32Array;
  let scratch: number[] = [];
  let pending: [Float32Array, number][] = [];

  const block = (n: number): number => {
    const address = mem.allocBlock(Math.ceil(n / 4) * 16);
    if (address < 0) throw new RangeError(`kernels: the engine's memory cannot grow by ${n * 4} bytes`);
    scratch.push(address);
    return address;
  };
  /** The address of a[offset..offset+n): in place, or a scratch copy. */
  const put = (a: Float32Array, offset = 0, n = a.length - offset): number => {
    if (mem.isResident(a)) return a.byteOffset + offset * 4;
    const address = block(n);
    mem.views().f32.set(offset === 0 && n === a.length ? a : a.subarray(offset, offset + n), address / 4);
    return address;
  };
  /** A new tensor of n floats and the address a kernel writes it at. */
  const out = (n: number): [Float32Array, number] => {
    const array = alloc(n);
    if (mem.isResident(array)) return [array, array.byteOffset];
    const address = block(n);
    pending.push([array, address]);
    return [array, address];
  };
  /** Runs one kernel call: copies results that live on the heap out of their scratch blocks, frees the scratch. */
  const call = <T>(fn: () => T): T => {
    try {
      const result = fn();
      if (pending.length > 0) {
        const { f32: view } = mem.views();
        for (const [array, address] of pending)
          array.set(view.subarray(address / 4, address / 4 + array.length));
      }
      return result;
    } finally {
      for (const address of scratch) mem.freeBlock(address);
      scratch = [];
      pending = [];
    }
  };
  const binaryFns = { add: k.binaryAdd, sub: k.binarySub, mul: k.binaryMul, div: k.binaryDiv };

  return {
    ...createCpuFused(allocate),
    binaryF32: (op, a, aOffset, b, bOffset, rows, cols, mode, group) =>
      call(() => {
        const n = rows * cols;
        const na = mode === 3 ? 1 : n;
        const nb = mode === 0 || mode === 3 ? n : mode === 1 ? (rows / group) * cols : 1;
        const pa = put(a, aOffset, na);
        const pb = put(b, bOffset, nb);
        const [o, po] = out(n);
        binaryFns[op](pa, pb, po, rows, cols, mode, group);
        return o;
      }),
    sumMiddleF32: (x, outer, len, inner) =>
      call(() => {
        const px = put(x, 0, outer * len * inner);
        const [o, po] = out(outer * inner);
        k.sumMiddle(px, po, block(2 * inner), outer, len, inner);
        return o;
      }),
    layerNorm: (x, weight, bias, rows, cols, eps) =>
      call(() => {
        const n = rows * cols;
        const px = put(f32(x), 0, n);
        const pw = weight ? put(f32(weight), 0, cols) : 0;
        const pb = bias ? put(f32(bias), 0, cols) : 0;
        const [y, py] = out(n);
        const [mean, pm] = out(rows);
        const [rstd, pr] = out(rows);
        k.layerNorm(px, pw, pb, py, pm, pr, rows, cols, eps, weight ? 1 : 0, bias ? 1 : 0);
        return { y, mean, rstd };
      }),
    layerNormBackward: (dy, x, weight, mean, rstd, rows, cols) =>
      call(() => {
        const n = rows * cols;
        const pg = put(f32(dy), 0, n);
        const px = put(f32(x), 0, n);
        const pw = weight ? put(f32(weight), 0, cols) : 0;
        const pm = put(f32(mean), 0, rows);
        const pr = put(f32(rstd), 0, rows);
        const [dx, pdx] = out(n);
        const [dWeight, pdw] = out(cols);
        const [dBias, pdb] = out(cols);
        k.layerNormBackward(pg, px, pw, pm, pr, pdx, pdw, pdb, block(4 * cols), rows, cols, weight ? 1 : 0);
        return { dx, dWeight, dBias };
      }),
    softmax: (x, rows, cols, log) =>
      call(() => {
        const n = rows * cols;
        const px = put(f32(x), 0, n);
        const [o, po] = out(n);
        k.softmax(px, po, rows, cols, log ? 1 : 0);
        return o;
      }),
    softmaxBackward: (y, dy, rows, cols, log) =>
      call(() => {
        const n = rows * cols;
        const py = put(f32(y), 0, n);
        const pg = put(f32(dy), 0, n);
        const [o, po] = out(n);
        k.softmaxBackward(py, pg, po, rows, cols, log ? 1 : 0);
        return o;
      }),
    // GELU and dropout run whole vectors: blocks are multiples of 64 bytes, so the last one's padding is ours
    gelu: (kind, x, size) =>
      call(() => {
        const px = put(f32(x), 0, size);
        const [o, po] = out(size);
        k.gelu(kind === 'erf' ? 0 : 1, px, po, Math.ceil(size / 4) * 4);
        return o;
      }),
    geluBackward: (kind, x, dy, size) =>
      call(() => {
        const px = put(f32(x), 0, size);
        const pg = put(f32(dy), 0, size);
        const [o, po] = out(size);
        k.geluBackward(kind === 'erf' ? 0 : 1, px, pg, po, Math.ceil(size / 4) * 4);
        return o;
      }),
    dropout: (x, size, p, seed, offset) =>
      call(() => {
        const px = put(f32(x), 0, size);
        const [o, po] = out(size);
        const s = Math.floor(Math.abs(seed));
        k.dropout(
          px,
          po,
          Math.ceil(size / 4) * 4,
          p,
          s >>> 0,
          Math.floor(s / 4294967296) >>> 0,
          offset >>> 0,
          Math.floor(offset / 4294967296) >>> 0,
        );
        return o;
      }),
  };
}
