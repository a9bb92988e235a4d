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
  heapBase(): number;
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
 * The fused kernels with softmax, GELU and dropout in WebAssembly SIMD (assembly/kernels.ts); layerNorm and
 * AdamW stay in TypeScript, where they are already memory-bound. Operands are copied into the module's memory
 * for each call (a bump allocator reset per call) and the result copied out.
 */
export function createWasmFused(alloc: Alloc = (_dtype, size) => new Float32Array(size)): FusedKernels {
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
  const put = (ptr: number, data: Float32Array): void => {
    new Float32Array(memory.buffer, ptr, data.length).set(data);
  };
  const take = (ptr: number, n: number): Float32Array => {
    const out = alloc('float32', n) as Float32Array;
    out.set(new Float32Array(memory.buffer, ptr, n));
    return out;
  };

  return {
    ...createCpuFused(alloc),
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
