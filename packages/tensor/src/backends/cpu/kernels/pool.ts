import { arrayFor, type DType, type TypedArray } from '../../../dtype.ts';

/** Allocates an output array of `size` elements; its contents are unspecified (kernels overwrite all of it). */
export type Alloc = (dtype: DType, size: number) => TypedArray;

/**
 * Typed arrays freed by disposed tensors, kept for reuse by the next kernel that needs the same size: a
 * training step inside `tidy` frees what it made, so the next step allocates (and page-faults) almost nothing.
 * Bounded in bytes; arrays beyond the bound are left to the garbage collector.
 */
export class BufferPool {
  private readonly free = new Map<string, TypedArray[]>();
  private bytes = 0;
  readonly maxBytes: number;

  constructor(maxBytes: number = 1 << 30) {
    this.maxBytes = maxBytes;
  }

  readonly alloc: Alloc = (dtype: DType, size: number): TypedArray => {
    if (size < 1024) return arrayFor(dtype, size);
    const list = this.free.get(`${dtype}:${size}`);
    const reused = list?.pop();
    if (reused !== undefined) {
      this.bytes -= reused.byteLength;
      return reused;
    }
    return arrayFor(dtype, size);
  };

  put(array: TypedArray): void {
    if (array.length < 1024 || this.bytes + array.byteLength > this.maxBytes) return;
    // only whole arrays that own their buffer can be handed out again
    if (array.byteOffset !== 0 || array.buffer.byteLength !== array.byteLength) return;
    const key = `${array instanceof Float32Array ? 'float32' : 'int32'}:${array.length}`;
    let list = this.free.get(key);
    if (list === undefined) this.free.set(key, (list = []));
    list.push(array);
    this.bytes += array.byteLength;
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
