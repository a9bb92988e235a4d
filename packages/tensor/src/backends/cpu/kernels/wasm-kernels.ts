import type { FusedKernels, Storage } from '../../../backend.ts';
import { createCpuFused } from './fused.ts';
import { KERNELS_WASM } from './generated/kernels-wasm.ts';
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

function decode(b64: string): Uint8Array<ArrayBuffer> {
  if (typeof Buffer !== 'undefined') return new Uint8Array(Buffer.from(b64, 'base64'));
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * The fused kernels with softmax, GELU, dropout and layerNorm in WebAssembly SIMD (assembly/kernels.ts); AdamW
 * stays in TypeScript. Operands are copied into the module's memory for each call (a bump allocator reset per
 * call) and the result copied out: the copies run at memory speed, several times faster than the same
 * elementwise loop in JavaScript.
 */
export function createWasmFused(alloc: Alloc = (_dtype, size) => new Float32Array(size)): WasmKernels {
  const memory = new WebAssembly.Memory({ initial: 1 });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(decode(KERNELS_WASM)), {
    env: { memory },
  });
  const k = instance.exports as unknown as Exports;
  // operands go above the module's static data (Math.log's tables), 16-byte aligned
  const base = Math.ceil(k.heapBase() / 16) * 16;
  let top = base;

  /** Reserves `n` floats (rounded up to whole vectors), 16-byte aligned. */
  const reserve = (n: number): number => {
    const ptr = top;
    top += Math.ceil(n / 4) * 16;
    return ptr;
  };
  const begin = (...sizes: number[]): number[] => {
    top = base;
    const ptrs = sizes.map(reserve);
    const need = top - memory.buffer.byteLength;
    if (need > 0) memory.grow(Math.ceil(need / 65536));
    return ptrs;
  };
  const put = (ptr: number, data: Float32Array, offset = 0, n = data.length - offset): void => {
    new Float32Array(memory.buffer, ptr, n).set(
      offset === 0 && n === data.length ? data : data.subarray(offset, offset + n),
    );
  };
  const binaryFns = { add: k.binaryAdd, sub: k.binarySub, mul: k.binaryMul, div: k.binaryDiv };
  const take = (ptr: number, n: number): Float32Array => {
    const out = alloc('float32', n) as Float32Array;
    out.set(new Float32Array(memory.buffer, ptr, n));
    return out;
  };

  return {
    ...createCpuFused(alloc),
    binaryF32(op, a, aOffset, b, bOffset, rows, cols, mode, group) {
      const n = rows * cols;
      const na = mode === 3 ? 1 : n;
      const nb = mode === 0 || mode === 3 ? n : mode === 1 ? (rows / group) * cols : 1;
      const [pa, pb, po] = begin(na, nb, n) as [number, number, number];
      put(pa, a, aOffset, na);
      put(pb, b, bOffset, nb);
      binaryFns[op](pa, pb, po, rows, cols, mode, group);
      return take(po, n);
    },
    sumMiddleF32(x, outer, len, inner) {
      const [px, po, pa] = begin(outer * len * inner, outer * inner, 2 * inner) as [number, number, number];
      put(px, x);
      k.sumMiddle(px, po, pa, outer, len, inner);
      return take(po, outer * inner);
    },
    layerNorm(x, weight, bias, rows, cols, eps) {
      const n = rows * cols;
      const [px, pw, pb, py, pm, pr] = begin(n, cols, cols, n, rows, rows) as [
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      put(px, f32(x));
      if (weight) put(pw, f32(weight));
      if (bias) put(pb, f32(bias));
      k.layerNorm(px, pw, pb, py, pm, pr, rows, cols, eps, weight ? 1 : 0, bias ? 1 : 0);
      return { y: take(py, n), mean: take(pm, rows), rstd: take(pr, rows) };
    },
    layerNormBackward(dy, x, weight, mean, rstd, rows, cols) {
      const n = rows * cols;
      const [pg, px, pw, pm, pr, pdx, pdw, pdb, pacc] = begin(
        n,
        n,
        cols,
        rows,
        rows,
        n,
        cols,
        cols,
        4 * cols,
      );
      put(pg!, f32(dy));
      put(px!, f32(x));
      if (weight) put(pw!, f32(weight));
      put(pm!, f32(mean));
      put(pr!, f32(rstd));
      k.layerNormBackward(pg!, px!, pw!, pm!, pr!, pdx!, pdw!, pdb!, pacc!, rows, cols, weight ? 1 : 0);
      return { dx: take(pdx!, n), dWeight: take(pdw!, cols), dBias: take(pdb!, cols) };
    },
    softmax(x, rows, cols, log) {
      const n = rows * cols;
      const [px, po] = begin(n, n) as [number, number];
      put(px, f32(x));
      k.softmax(px, po, rows, cols, log ? 1 : 0);
      return take(po, n);
    },
    softmaxBackward(y, dy, rows, cols, log) {
      const n = rows * cols;
      const [py, pg, po] = begin(n, n, n) as [number, number, number];
      put(py, f32(y));
      put(pg, f32(dy));
      k.softmaxBackward(py, pg, po, rows, cols, log ? 1 : 0);
      return take(po, n);
    },
    gelu(kind, x, size) {
      const [px, po] = begin(size, size) as [number, number];
      put(px, f32(x));
      k.gelu(kind === 'erf' ? 0 : 1, px, po, Math.ceil(size / 4) * 4);
      return take(po, size);
    },
    geluBackward(kind, x, dy, size) {
      const [px, pg, po] = begin(size, size, size) as [number, number, number];
      put(px, f32(x));
      put(pg, f32(dy));
      k.geluBackward(kind === 'erf' ? 0 : 1, px, pg, po, Math.ceil(size / 4) * 4);
      return take(po, size);
    },
    dropout(x, size, p, seed, offset) {
      const [px, po] = begin(size, size) as [number, number];
      put(px, f32(x));
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
      return take(po, size);
    },
  };
}
