import { arrayFor, type DType, type TypedArray } from '../../dtype.ts';
import { BufferPool, sizeClass } from './kernels/pool.ts';

/** Bytes below this address are the engine's own: the control and parameter blocks, the module's static data. */
export const HEAP_BASE = 65536;
const PAGE = 65536;
/** Blocks start on cache lines, so SIMD loads never straddle one at a block's start and threads share none. */
const ALIGN = 64;

/** The free-list bin of a block of `size` bytes (a multiple of 64): ⌊log2(size / 64)⌋. */
function binOf(size: number): number {
  return 31 - Math.clz32(size / ALIGN);
}

/** What the engine's memory holds, in bytes. */
export interface MemoryStats {
  /** bytes of live blocks (tensors, and the scratch of a kernel call under way) */
  inUse: number;
  /** the most bytes in use at once so far */
  peakInUse: number;
  /** bytes of freed blocks kept for reuse */
  free: number;
  /** the WebAssembly memory's size */
  committed: number;
  /** live tensors that did not fit the memory and live on the JavaScript heap instead */
  heapFallbacks: number;
}

/** Thrown when the engine's memory cannot hold a kernel's scratch; callers fall back to a path that needs none. */
export class MemoryFullError extends RangeError {
  constructor(what: string, bytes: number) {
    super(`${what}: the engine's WebAssembly memory cannot grow by ${bytes} bytes (4 GiB at most)`);
    this.name = 'MemoryFullError';
  }
}

interface Block {
  address: number;
  /** bytes */
  cls: number;
}

/** The largest memory a wasm32 module can address: 65536 pages of 64 KiB. */
const MAX_PAGES = 65536;

function tryCreateShared(maximum: number): WebAssembly.Memory | null {
  if (typeof SharedArrayBuffer === 'undefined') return null;
  // the largest maximum the runtime grants (a shared memory reserves its maximum's address space up front)
  for (const pages of [maximum, 32768, 16384, 4096].filter((p) => p <= maximum)) {
    try {
      return new WebAssembly.Memory({ initial: Math.min(32, pages), maximum: pages, shared: true });
    } catch {}
  }
  return null;
}

/**
 * The CPU engine's WebAssembly memory and its allocator. Where the runtime has `SharedArrayBuffer` (Node;
 * cross-origin-isolated pages) the memory is shared, and tensors live in it: `alloc` returns typed-array views
 * of the memory, the kernels (on the calling thread and on the workers, which share it) read and write them in
 * place, and nothing is copied in or out of a kernel call. A shared memory never moves when it grows (its old
 * `SharedArrayBuffer`s stay valid, each at its old length), so a view made before a `grow` stays valid after it;
 * the engine's own whole-memory views are re-derived (`views()`). Where it has not, the memory is an ordinary
 * one that moves when it grows: tensors then stay on the JavaScript heap and each kernel call copies its
 * operands into scratch blocks (`isResident` is false for them).
 *
 * Blocks are sized in eighths of a power of two (at most 12.5 % waste), and a freed block merges with free
 * neighbours (a free run at the top lowers it); a request takes the smallest free block that holds it, split. So
 * the steady state of a training step or of decoding reuses the blocks of the last one and allocates nothing,
 * and memory freed by one workload (a model's forward pass) serves another of other sizes (a training step). A
 * tensor that is garbage-collected without being disposed has its block returned too (a finalization
 * registry), but only once the event loop turns: call `dispose`, or run steps inside `tidy`. When the memory
 * cannot grow (4 GiB, or the runtime's limit) new tensors go to the JavaScript heap and everything still works,
 * with copies.
 */
export class EngineMemory {
  readonly memory: WebAssembly.Memory;
  /** true when tensors live in the memory (a shared memory) */
  readonly shared: boolean;
  private top = HEAP_BASE;
  /** the highest top so far: memory above it has never been handed out */
  private highWater = HEAP_BASE;
  /** free blocks: start → size, end → start (for merging with neighbours), and starts binned by log2 size */
  private readonly freeStarts = new Map<number, number>();
  private readonly freeEnds = new Map<number, number>();
  private readonly bins: (Set<number> | undefined)[] = [];
  /** live blocks by address */
  private readonly live = new Map<number, Block>();
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  private readonly pool = new BufferPool();
  private readonly registry: FinalizationRegistry<Block> | null;
  private inUse = 0;
  /** whether the last block allocated came from never-used memory (all zeros) */
  private fresh = false;
  private peakInUse = 0;
  private freeBytes = 0;
  private heapFallbacks = 0;
  private f32View: Float32Array;
  private i32View: Int32Array;
  private u8View: Uint8Array;

  constructor(options: { shared?: boolean; maximumPages?: number } = {}) {
    const maximum = Math.min(MAX_PAGES, options.maximumPages ?? MAX_PAGES);
    const shared = options.shared === false ? null : tryCreateShared(maximum);
    this.shared = shared !== null;
    this.memory = shared ?? new WebAssembly.Memory({ initial: Math.min(32, maximum), maximum });
    this.registry =
      this.shared && typeof FinalizationRegistry === 'function'
        ? new FinalizationRegistry((block: Block) => {
            // only if the block is still the one that view had (a block freed explicitly may be reused)
            if (this.live.get(block.address) === block) this.freeBlock(block.address);
          })
        : null;
    this.f32View = new Float32Array(0);
    this.i32View = new Int32Array(0);
    this.u8View = new Uint8Array(0);
    this.views();
  }

  /** Whole-memory views, re-derived when the memory has grown since the last call. */
  views(): { f32: Float32Array; i32: Int32Array; u8: Uint8Array } {
    const buffer = this.memory.buffer;
    if (this.u8View.buffer !== buffer) {
      this.buffers.add(buffer);
      this.f32View = new Float32Array(buffer);
      this.i32View = new Int32Array(buffer);
      this.u8View = new Uint8Array(buffer);
    }
    return { f32: this.f32View, i32: this.i32View, u8: this.u8View };
  }

  /** True when `array` is a view of this memory (its `byteOffset` is its address there). */
  isResident(array: TypedArray): boolean {
    return this.buffers.has(array.buffer);
  }

  /**
   * A block of at least `bytes` bytes, 64-byte aligned; its contents are unspecified. Returns its address, or
   * -1 when the memory cannot grow to hold it. Give it back with `freeBlock`.
   */
  allocBlock(bytes: number): number {
    // sizes in eighths of a power of two, so that a block freed by one step fits the same request in the next
    const size = Math.max(ALIGN, Math.ceil(sizeClass(Math.max(1, bytes)) / ALIGN) * ALIGN);
    this.fresh = false;
    let address = this.takeFree(size);
    if (address < 0) address = this.bump(size);
    if (address < 0) return -1;
    this.live.set(address, { address, cls: size });
    this.inUse += size;
    if (this.inUse > this.peakInUse) this.peakInUse = this.inUse;
    return address;
  }

  /** Returns a block from `allocBlock` (or a tensor's, by its address), merged with free neighbours. */
  freeBlock(address: number): void {
    const block = this.live.get(address);
    if (block === undefined) return;
    this.live.delete(address);
    this.inUse -= block.cls;
    let start = address;
    let size = block.cls;
    const before = this.freeEnds.get(start);
    if (before !== undefined) {
      size += this.unlinkFree(before);
      start = before;
    }
    const after = this.freeStarts.get(start + size);
    if (after !== undefined) size += this.unlinkFree(start + size);
    if (start + size === this.top)
      this.top = start; // the free run at the top goes back to never-handed-out
    else this.linkFree(start, size);
  }

  /** The smallest free block that holds `size` (split, the rest staying free), or -1. */
  private takeFree(size: number): number {
    for (let bin = binOf(size); bin < this.bins.length; bin++) {
      const set = this.bins[bin];
      if (set === undefined || set.size === 0) continue;
      let best = -1;
      let bestSize = Number.POSITIVE_INFINITY;
      let seen = 0;
      for (const a of set) {
        const n = this.freeStarts.get(a)!;
        if (n >= size && n < bestSize) {
          best = a;
          bestSize = n;
          if (n === size) break;
        }
        // a bin of many blocks: the first that fits, after a bounded look for a closer one
        if (++seen >= 64 && best >= 0) break;
      }
      if (best < 0) continue;
      this.unlinkFree(best);
      if (bestSize > size) this.linkFree(best + size, bestSize - size);
      return best;
    }
    return -1;
  }

  private linkFree(start: number, size: number): void {
    this.freeStarts.set(start, size);
    this.freeEnds.set(start + size, start);
    const bin = binOf(size);
    let set = this.bins[bin];
    if (set === undefined) this.bins[bin] = set = new Set();
    set.add(start);
    this.freeBytes += size;
  }

  /** Removes the free block at `start`; returns its size. */
  private unlinkFree(start: number): number {
    const size = this.freeStarts.get(start)!;
    this.freeStarts.delete(start);
    this.freeEnds.delete(start + size);
    this.bins[binOf(size)]!.delete(start);
    this.freeBytes -= size;
    return size;
  }

  private bump(bytes: number): number {
    const address = this.top;
    const end = address + bytes;
    if (end > this.memory.buffer.byteLength && !this.grow(end)) return -1;
    this.top = end;
    // memory above the high-water mark has never been written (a WebAssembly memory grows zeroed); below it,
    // freed blocks at the top lowered the top over memory that was used
    this.fresh = address >= this.highWater;
    this.highWater = Math.max(this.highWater, end);
    return address;
  }

  private grow(end: number): boolean {
    const have = this.memory.buffer.byteLength;
    const need = Math.ceil((end - have) / PAGE);
    // grow by at least an eighth of what is there, so that a growing workload does not grow page by page
    for (const pages of [Math.max(need, Math.ceil(have / PAGE / 8)), need]) {
      try {
        this.memory.grow(pages);
        return true;
      } catch {}
    }
    return false;
  }

  /**
   * A tensor's storage of `size` elements: a view of this memory when tensors live here, else (or when the
   * memory is full) a typed array on the JavaScript heap. Contents unspecified.
   */
  alloc(dtype: DType, size: number): TypedArray {
    if (this.shared) {
      const address = this.allocBlock(size * 4);
      if (address >= 0) {
        const buffer = this.views().u8.buffer; // the current buffer, known to `isResident`
        const view =
          dtype === 'float32'
            ? new Float32Array(buffer, address, size)
            : new Int32Array(buffer, address, size);
        this.registry?.register(view, this.live.get(address)!, view);
        return view;
      }
      this.heapFallbacks++;
    }
    return this.pool.alloc(dtype, size);
  }

  /** A tensor's storage filled with zeros. */
  zeros(dtype: DType, size: number): TypedArray {
    if (!this.shared) return arrayFor(dtype, size); // zeroed lazily by the OS
    const array = this.alloc(dtype, size);
    // a block from never-used memory is zeros already (and its pages are not touched until written)
    return this.fresh && this.isResident(array) ? array : array.fill(0);
  }

  /** Frees a storage from `alloc`; views of anything else are ignored (the garbage collector has them). */
  free(array: TypedArray): void {
    if (this.isResident(array)) {
      if (this.live.has(array.byteOffset)) {
        this.registry?.unregister(array);
        this.freeBlock(array.byteOffset);
      }
    } else this.pool.put(array);
  }

  stats(): MemoryStats {
    return {
      inUse: this.inUse,
      peakInUse: this.peakInUse,
      free: this.freeBytes,
      committed: this.memory.buffer.byteLength,
      heapFallbacks: this.heapFallbacks,
    };
  }
}
