import { arrayFor, type DType, type TypedArray } from '../../../dtype.ts';

/** Allocates an output array of `size` elements; its contents are unspecified (kernels overwrite all of it). */
export type Alloc = (dtype: DType, size: number) => TypedArray;

/** Below this many elements arrays are left to the garbage collector (cheap, and not worth a map lookup). */
const MIN_POOLED = 1024;

/**
 * The size class of an array of `n` elements: `n` rounded up to eighths of its power of two, so at most 12.5 %
 * is wasted and sizes that differ a little (the varying sequence lengths of BERT's batches) share buffers.
 */
export function sizeClass(n: number): number {
  const step = classStep(n);
  return Math.ceil(n / step) * step;
}

/** The largest size class that is ≤ `n` (the requests a buffer of `n` elements can serve). */
function floorClass(n: number): number {
  const step = classStep(n);
  return Math.floor(n / step) * step;
}

/** The spacing of size classes around `n`: an eighth of its power of two. */
function classStep(n: number): number {
  return 2 ** Math.max(0, Math.floor(Math.log2(n)) - 3);
}

function view(dtype: DType, buffer: ArrayBuffer, size: number): TypedArray {
  return dtype === 'float32' ? new Float32Array(buffer, 0, size) : new Int32Array(buffer, 0, size);
}

/**
 * Buffers freed by disposed tensors, kept for reuse by the next kernel that needs about the same size: a
 * training step inside `tidy` frees what it made, so the next step allocates (and page-faults) almost nothing,
 * even when its shapes differ a little from the last step's. Buffers are kept by size class (`sizeClass`) and
 * handed out as views of the requested length at offset 0. Bounded in bytes; buffers beyond the bound are left
 * to the garbage collector.
 */
export class BufferPool {
  /** size class (elements) → free buffers of at least that many 4-byte elements */
  private readonly free = new Map<number, ArrayBuffer[]>();
  /** buffers this pool allocated: views of them (offset 0, shorter than the buffer) may come back */
  private readonly owned = new WeakSet<ArrayBuffer>();
  private bytes = 0;
  readonly maxBytes: number;

  constructor(maxBytes: number = 1 << 30) {
    this.maxBytes = maxBytes;
  }

  readonly alloc: Alloc = (dtype: DType, size: number): TypedArray => {
    if (size < MIN_POOLED) return arrayFor(dtype, size);
    const cls = sizeClass(size);
    const reused = this.free.get(cls)?.pop();
    if (reused !== undefined) {
      this.bytes -= reused.byteLength;
      return view(dtype, reused, size);
    }
    const buffer = new ArrayBuffer(4 * cls);
    this.owned.add(buffer);
    return view(dtype, buffer, size);
  };

  put(array: TypedArray): void {
    if (array.length < MIN_POOLED || array.byteOffset !== 0) return;
    const buffer = array.buffer as ArrayBuffer;
    // only buffers no other array may still use: the pool's own, or an array that is its whole buffer
    if (!this.owned.has(buffer) && buffer.byteLength !== array.byteLength) return;
    if (this.bytes + buffer.byteLength > this.maxBytes) return;
    const cls = floorClass(buffer.byteLength / 4);
    let list = this.free.get(cls);
    if (list === undefined) this.free.set(cls, (list = []));
    list.push(buffer);
    this.bytes += buffer.byteLength;
  }

  /** Bytes held for reuse. */
  get held(): number {
    return this.bytes;
  }

  clear(): void {
    this.free.clear();
    this.bytes = 0;
  }
}
