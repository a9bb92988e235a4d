import { ENGINE_WASM_SHARED, ENGINE_WASM_SINGLE } from '../generated/engine-wasm.ts';
import { EngineMemory, HEAP_BASE, MemoryFullError } from '../memory.ts';
import { checkGemmArgs, gemmJs } from './gemm-js.ts';
import type { GemmArgs, GemmEngine } from './types.ts';

// Memory layout (bytes). The first page holds the control block and the parameter block, then the module's
// static data (from 16 KiB); tensors, scratch operands and packing areas are blocks of EngineMemory above
// HEAP_BASE.
const CTRL = 1024; // Int32 slots shared with the workers (see worker source)
const PENDING = CTRL / 4; // workers still running the current job
const JOB = PENDING + 8; // JOB + tid: 1 = job posted, 2 = claimed by the worker, 0 = idle, -1 = quit
const PARAMS = 2048; // parameter block read by `gemm` (layout in assembly/gemm.ts)
const P_RANGES = 128;
const KIND = PENDING + 84; // the posted job's kind: 0 = gemm (PARAMS), 1 = a kernel call (CALLS)
const CALLS = 4352; // per thread 16 float64: the kernel's index in KERNELS, its argument count, its arguments
const CALL_SLOT = 16;

/** The kernels a worker can run for `parallel` (indices into this list travel in the call block). */
export const PARALLEL_KERNELS = [
  'softmax',
  'softmaxBackward',
  'gelu',
  'geluBackward',
  'dropout',
  'binaryAdd',
  'binarySub',
  'binaryMul',
  'binaryDiv',
  'layerNorm',
  'layerNormBackward',
  'adamw',
] as const;
export type ParallelKernel = (typeof PARALLEL_KERNELS)[number];
// Milliseconds a worker polls its job slot before it sleeps in Atomics.wait: products come back to back
// in a training step, and waking a sleeping thread costs tens of microseconds (and the woken worker may
// first be scheduled on the caller's core, stalling the caller).
const SPIN_MS = 1;

/** Most threads the parameter block has room for. */
export const MAX_THREADS = 64;
const MR = 4;
const NR = 8;

/** Cache blocking of the packed panels (see assembly/gemm.ts); exposed for the benchmark's tuning runs. */
export interface GemmBlocking {
  /**
   * Floats in a packed A block (mc × kc, meant for L2): mc = aBlock / kc rows (a multiple of 4), so short
   * products get tall blocks (fewer tasks, fewer repacks of B) and deep ones short blocks.
   */
  aBlock: number;
  /** Columns of B per packed block (rounded to a multiple of 8). */
  nc: number;
  /** Most depth per packed block; k is split into equal blocks no deeper than this. */
  kc: number;
}

export const DEFAULT_BLOCKING: GemmBlocking = { aBlock: 96 * 384, nc: 2048, kc: 384 };

/** Products with fewer multiply-adds than this run on the calling thread (dispatch costs more). */
export const PARALLEL_THRESHOLD: number = 1 << 20;

/** Elementwise and row kernels smaller than this (elements) run on the calling thread. */
export const PARALLEL_ELEMENTS: number = 1 << 15;

export interface WasmGemmOptions {
  /** Threads including the calling one; 1 creates no workers. */
  threads: number;
  blocking?: Partial<GemmBlocking>;
  parallelThreshold?: number;
  /** elementwise and row kernels from this many elements are split across the threads (default 2^15) */
  parallelElements?: number;
  /** the memory to run on (default: a new one, shared where the runtime allows) */
  memory?: EngineMemory;
  /** false: an ordinary memory even where a shared one is possible (tensors then stay on the heap) */
  shared?: boolean;
  /** the most the new memory may grow to, in 64 KiB pages (default and most: 65536, 4 GiB) */
  maximumPages?: number;
}

type WorkerLike = { terminate(): unknown };

// Runs in each worker: instantiates the module on the shared memory, reports ready, then waits on the
// control block for jobs. Given as a string so that no worker file has to be resolved (runs from .ts
// sources under vitest/tsx, from dist when published, and from a Blob URL in browsers).
const WORKER_SOURCE = `'use strict';
function start(d, post) {
  const ex = new WebAssembly.Instance(d.module, { env: { memory: d.memory } }).exports;
  const gemm = ex.gemm;
  const kernels = d.kernels.map((name) => ex[name]);
  const ctrl = new Int32Array(d.memory.buffer, 0, ${PARAMS / 4});
  const call = new Float64Array(d.memory.buffer, ${CALLS} + d.tid * ${CALL_SLOT * 8}, ${CALL_SLOT});
  const slot = ${JOB} + d.tid;
  post('ready');
  for (;;) {
    // Spin briefly (back-to-back products), then sleep until the caller sets this worker's job slot.
    const until = performance.now() + ${SPIN_MS};
    while (Atomics.load(ctrl, slot) === 0) {
      let i = 0;
      while (i < 256 && Atomics.load(ctrl, slot) === 0) i++;
      if (i === 256 && performance.now() > until) break;
    }
    Atomics.wait(ctrl, slot, 0);
    const job = Atomics.load(ctrl, slot);
    if (job < 0) return;
    // Claim the job (1 -> 2); the caller may have taken it back (1 -> 0) and run this share itself.
    if (job !== 1 || Atomics.compareExchange(ctrl, slot, 1, 2) !== 1) continue;
    if (Atomics.load(ctrl, ${KIND}) === 0) gemm(${PARAMS}, d.tid);
    else kernels[call[0]](...call.subarray(2, 2 + call[1]));
    Atomics.store(ctrl, slot, 0);
    if (Atomics.sub(ctrl, ${PENDING}, 1) === 1) Atomics.notify(ctrl, ${PENDING});
  }
}
if (typeof require === 'function' && typeof process === 'object') {
  const wt = require('node:worker_threads');
  start(wt.workerData, (m) => wt.parentPort.postMessage(m));
} else {
  self.onmessage = (e) => {
    self.onmessage = null;
    start(e.data, (m) => self.postMessage(m));
  };
}
`;

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const s = atob(base64);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i);
  return bytes;
}

let singleModule: WebAssembly.Module | null | undefined;
let sharedModule: WebAssembly.Module | null | undefined;

/** The compiled engine module (matrix products and fused kernels), or null where WebAssembly SIMD is unavailable. */
export function engineModule(shared: boolean): WebAssembly.Module | null {
  if (shared) {
    if (sharedModule === undefined) sharedModule = compile(ENGINE_WASM_SHARED);
    return sharedModule;
  }
  if (singleModule === undefined) singleModule = compile(ENGINE_WASM_SINGLE);
  return singleModule;
}

function compile(base64: string): WebAssembly.Module | null {
  try {
    if (typeof WebAssembly !== 'object') return null;
    const bytes = decode(base64);
    // The module itself is the feature test: it uses SIMD (and, shared, the threads proposal's memory).
    if (!WebAssembly.validate(bytes)) return null;
    return new WebAssembly.Module(bytes);
  } catch {
    return null;
  }
}

/** True where this runtime can run the SIMD engine module. */
export function wasmSimdSupported(): boolean {
  return engineModule(false) !== null;
}

interface NodeLike {
  getBuiltinModule?: (id: string) => unknown;
}

function nodeBuiltin<T>(id: string): T | undefined {
  const proc = (globalThis as { process?: NodeLike }).process;
  return proc?.getBuiltinModule?.(id) as T | undefined;
}

/** Threads worth using here: all cores in Node; in a browser only when cross-origin isolated. */
export function defaultThreads(): number {
  const os = nodeBuiltin<{ availableParallelism?: () => number; cpus: () => unknown[] }>('node:os');
  if (os) return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  if (g.crossOriginIsolated === true) return Math.max(1, g.navigator?.hardwareConcurrency ?? 1);
  return 1;
}

function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

const align = (x: number, to: number): number => Math.ceil(x / to) * to;

/** The exports of the engine module (assembly/gemm.ts and assembly/kernels.ts). */
export interface EngineExports {
  gemm(params: number, tid: number): void;
  gemmTask(params: number, tid: number): number;
  heapBase(): number;
  [kernel: string]: unknown;
}

/**
 * The WebAssembly SIMD engine: one module (matrix products and the fused kernels) instantiated on the engine's
 * memory (`EngineMemory`) on the calling thread and on each worker. Tensors that live in that memory are
 * multiplied in place; others are copied into scratch blocks for the call. Large products are split across the
 * worker pool; products of at most four rows (decoding) take the matrix-vector path, which reads each weight
 * once with no packing.
 */
export class WasmGemmEngine implements GemmEngine {
  readonly kind = 'wasm-simd' as const;
  readonly threads: number;
  readonly ready: Promise<void>;
  /** the memory tensors live in (see EngineMemory) */
  readonly memory: EngineMemory;
  /** the module's exports on the calling thread (the fused kernels run through these) */
  readonly exports: EngineExports;
  private readonly blocking: GemmBlocking;
  private readonly parallelThreshold: number;
  private readonly parallelElements: number;
  /** the control and parameter blocks (the first page: it never moves, so these views never go stale) */
  private readonly ctrl: Int32Array;
  /** the per-thread call block of `parallel` */
  private readonly calls: Float64Array;
  private workers: WorkerLike[] = [];
  private poolUp = false;
  private disposed = false;
  private settleReady: () => void = () => {};

  constructor(options: WasmGemmOptions) {
    const blocking = { ...DEFAULT_BLOCKING, ...options.blocking };
    this.blocking = {
      aBlock: Math.max(MR, Math.floor(blocking.aBlock)),
      nc: Math.max(NR, align(blocking.nc, NR)),
      kc: Math.max(1, Math.floor(blocking.kc)),
    };
    this.parallelThreshold = options.parallelThreshold ?? PARALLEL_THRESHOLD;
    this.parallelElements = options.parallelElements ?? PARALLEL_ELEMENTS;
    let threads = Math.max(1, Math.min(MAX_THREADS, Math.floor(options.threads)));
    const memory =
      options.memory ??
      new EngineMemory({
        shared: options.shared !== false && engineModule(true) !== null,
        maximumPages: options.maximumPages,
      });
    if (!memory.shared || !canBlock()) threads = 1;
    const module = engineModule(memory.shared);
    if (module === null) throw new Error('gemm: WebAssembly SIMD is not available');
    this.memory = memory;
    this.ctrl = new Int32Array(memory.memory.buffer, 0, HEAP_BASE / 4);
    this.calls = new Float64Array(memory.memory.buffer, CALLS, CALL_SLOT * MAX_THREADS);
    const instance = new WebAssembly.Instance(module, { env: { memory: memory.memory } });
    this.exports = instance.exports as unknown as EngineExports;
    if (this.exports.heapBase() > HEAP_BASE)
      throw new Error("gemm: the module's static data overlaps the heap");
    this.threads = threads;
    this.ready = threads > 1 ? this.startWorkers(module, threads - 1) : Promise.resolve();
  }

  private startWorkers(module: WebAssembly.Module, count: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.settleReady = resolve;
      let up = 0;
      const onReady = (): void => {
        if (++up < count) return;
        if (!this.disposed) {
          this.poolUp = true;
          // Referenced until up (so that awaiting `ready` keeps a Node process alive), then unreferenced
          // so that an idle pool never keeps one from exiting.
          for (const w of this.workers) (w as { unref?: () => void }).unref?.();
        }
        resolve();
      };
      const fail = (): void => {
        // A pool that cannot start leaves the engine single-threaded.
        this.poolUp = false;
        this.terminateWorkers();
        resolve();
      };
      const memory = this.memory.memory;
      try {
        const wt = nodeBuiltin<typeof import('node:worker_threads')>('node:worker_threads');
        for (let tid = 1; tid <= count; tid++) {
          if (wt) {
            const w = new wt.Worker(WORKER_SOURCE, {
              eval: true,
              workerData: { module, memory, tid, kernels: PARALLEL_KERNELS },
            });
            w.on('message', onReady);
            w.on('error', fail);
            this.workers.push(w);
          } else {
            const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
            const w = new Worker(url);
            URL.revokeObjectURL(url);
            w.onmessage = onReady;
            w.onerror = fail;
            w.postMessage({ module, memory, tid, kernels: PARALLEL_KERNELS });
            this.workers.push(w);
          }
        }
      } catch {
        fail();
      }
    });
  }

  private terminateWorkers(): void {
    for (let tid = 1; tid <= this.workers.length; tid++) {
      Atomics.store(this.ctrl, JOB + tid, -1);
      Atomics.notify(this.ctrl, JOB + tid);
    }
    for (const w of this.workers) void w.terminate();
    this.workers = [];
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.poolUp = false;
    this.terminateWorkers();
    this.settleReady();
  }

  /**
   * The byte address of `array[offset]` in the engine's memory: the array itself where it lives there, else
   * a scratch copy of `count` elements (pushed on `scratch` for freeing after the call).
   */
  private operand(array: Float32Array, offset: number, count: number, scratch: number[]): number {
    if (this.memory.isResident(array)) return array.byteOffset + offset * 4;
    const address = this.block(count * 4, scratch);
    this.memory.views().f32.set(array.subarray(offset, offset + count), address / 4);
    return address;
  }

  private block(bytes: number, scratch: number[]): number {
    const address = this.memory.allocBlock(bytes);
    if (address < 0) throw new MemoryFullError('gemm', bytes);
    scratch.push(address);
    return address;
  }

  gemm(args: GemmArgs): void {
    if (this.disposed) throw new Error('gemm: engine has been disposed');
    checkGemmArgs(args);
    const { batch, m, n, k } = args;
    if (batch === 0 || m === 0 || n === 0) return;
    if (k === 0) {
      args.out.fill(0, args.outOffset, args.outOffset + batch * m * n);
      return;
    }
    const scratch: number[] = [];
    try {
      this.run(args, scratch);
    } catch (e) {
      if (!(e instanceof MemoryFullError)) throw e;
      for (const address of scratch.splice(0)) this.memory.freeBlock(address);
      this.smaller(args);
    } finally {
      for (const address of scratch) this.memory.freeBlock(address);
    }
  }

  /**
   * A product whose operands (on the JavaScript heap: the memory was full) have no room to be copied in:
   * one batch entry at a time, then halves of the rows, each needing less scratch; the plain TypeScript product
   * where nothing can be split further.
   */
  private smaller(args: GemmArgs): void {
    const { batch, m, n, k } = args;
    if (batch > 1) {
      for (let e = 0; e < batch; e++) {
        this.gemm({
          ...args,
          batch: 1,
          aOffset: args.aOffset + e * args.aBatchStride,
          bOffset: args.bOffset + e * args.bBatchStride,
          outOffset: args.outOffset + e * m * n,
        });
      }
    } else if (m > 1 && !args.transA) {
      const half = Math.ceil(m / 2);
      this.gemm({ ...args, m: half });
      this.gemm({
        ...args,
        m: m - half,
        aOffset: args.aOffset + half * k,
        outOffset: args.outOffset + half * n,
      });
    } else gemmJs(args);
  }

  private run(args: GemmArgs, scratch: number[]): void {
    const { batch, m, n, k } = args;
    const work = batch * m * n * k;
    let nt = this.poolUp && work >= this.parallelThreshold ? this.threads : 1;
    // Operands: in place where they live in the engine's memory, else copied (a shared operand once).
    const span = (stride: number, size: number): number =>
      stride === 0 ? size : (batch - 1) * stride + size;
    const aAddr = this.operand(args.a, args.aOffset, span(args.aBatchStride, m * k), scratch);
    const bAddr = this.operand(args.b, args.bOffset, span(args.bBatchStride, k * n), scratch);
    const outResident = this.memory.isResident(args.out);
    const cAddr = outResident
      ? args.out.byteOffset + args.outOffset * 4
      : this.block(batch * m * n * 4, scratch);

    let mode: 0 | 1 | 2;
    let ranges: Range[] = [];
    let mc = MR;
    let kc = k;
    let nc = NR;
    if (!args.transA && m <= 4) {
      // matrix-vector path: static ranges of columns (or of batch entries), no packing
      mode = 2;
      if (nt > 1) {
        ranges = batch >= nt ? partitionBatch(batch, m, n, nt) : partitionColumns(batch, m, n, nt, 16);
        nt = ranges.length;
      } else ranges = [[0, batch, 0, m, 0, n]];
    } else {
      // Threads, and how C is split across them: row-block tasks taken dynamically (mode 0), or, for
      // products with too few rows, a static range of columns per thread (mode 1).
      const kBlocks = Math.ceil(k / this.blocking.kc);
      kc = Math.ceil(k / kBlocks);
      // Rows per task: the A block, smaller when needed to give every thread a few tasks.
      mc = Math.min(
        Math.max(MR, Math.floor(this.blocking.aBlock / kc / MR) * MR),
        Math.max(16, align(Math.ceil(m / Math.ceil((4 * nt) / batch)), MR)),
      );
      // by columns when there are too few row tasks, or when B is much wider than A is tall (one sequence through
      // a layer: 128 × 768 · 768 × 3072), where row tasks would have every thread pack all of B
      const wideB = batch === 1 && n > 4 * m;
      if (nt > 1 && (batch * Math.ceil(m / mc) < 2 * nt || wideB)) {
        if (n >= 16 * nt) ranges = partitionColumns(batch, m, n, nt);
        else nt = 1;
      }
      mode = ranges.length > 0 ? 1 : 0;
      if (mode === 1) nt = ranges.length;
      nc = Math.min(this.blocking.nc, align(n, NR));
    }
    const nPad = align(n, NR);
    const tasks = mode === 0 ? batch * Math.ceil(m / mc) : 0;
    const doneAddr = tasks > 0 ? this.block(tasks * 4, scratch) : 0;
    // one packing area per thread (64 bytes of state first; see assembly/gemm.ts)
    const packStride =
      mode === 2 ? 0 : align(64 + (mc * kc + (mode === 0 ? k * nPad : nc * kc) + MR * NR) * 4, 64);
    const packAddr = mode === 2 ? 0 : this.block(nt * packStride, scratch);

    const p = this.memory.views().i32;
    const q = PARAMS / 4;
    p[q] = m;
    p[q + 1] = n;
    p[q + 2] = k;
    p[q + 3] = aAddr;
    p[q + 4] = args.aBatchStride * 4;
    p[q + 5] = args.transA ? 1 : 0;
    p[q + 6] = bAddr;
    p[q + 7] = args.bBatchStride * 4;
    p[q + 8] = args.transB ? 1 : 0;
    p[q + 9] = cAddr;
    p[q + 10] = mc;
    p[q + 11] = nc;
    p[q + 12] = kc;
    p[q + 13] = packAddr;
    p[q + 14] = packStride;
    p[q + 15] = mode;
    p[q + 16] = batch;
    p[q + 17] = 0; // next task
    p[q + 18] = doneAddr;
    for (let t = 0; t < ranges.length; t++) p.set(ranges[t]!, q + P_RANGES / 4 + t * 8);
    p.fill(0, doneAddr / 4, doneAddr / 4 + tasks);
    if (mode !== 2) for (let t = 0; t < nt; t++) p[(packAddr + t * packStride) / 4] = -1; // no B packed yet

    if (nt > 1) this.post(0, nt);
    if (mode === 0) {
      while (this.exports.gemmTask(PARAMS, 0) >= 0);
      // Every task is taken: a worker that has not woken up yet has nothing left to do.
      for (let tid = 1; tid < nt; tid++) this.reclaim(tid);
    } else {
      this.exports.gemm(PARAMS, 0);
      // A worker that has not woken up yet (busy core, slow wake-up) has its range run here instead.
      for (let tid = 1; tid < nt; tid++) if (this.reclaim(tid)) this.exports.gemm(PARAMS, tid);
    }
    this.join(nt);
    if (!outResident) {
      const size = batch * m * n;
      args.out.set(this.memory.views().f32.subarray(cAddr / 4, cAddr / 4 + size), args.outOffset);
    }
  }

  /** Posts a job of `kind` to workers 1..nt-1 (their parameters are written). */
  private post(kind: 0 | 1, nt: number): void {
    const p = this.ctrl;
    p[KIND] = kind;
    // Each worker has its own job slot, so a worker can never see a job twice or one not meant for it.
    Atomics.store(p, PENDING, nt - 1);
    for (let tid = 1; tid < nt; tid++) {
      Atomics.store(p, JOB + tid, 1);
      Atomics.notify(p, JOB + tid);
    }
  }

  /** Threads a kernel of `elements` elements is split across (1 until the pool is up, or when it is small). */
  threadsFor(elements: number): number {
    return this.poolUp && elements >= this.parallelElements ? this.threads : 1;
  }

  /**
   * Runs `kernel` once per argument list, the first on the calling thread and the others on workers at the same
   * time (each list is one thread's share: its own rows or elements). Synchronous, like `gemm`.
   */
  parallel(kernel: ParallelKernel, shares: readonly (readonly number[])[]): void {
    if (this.disposed) throw new Error(`${kernel}: engine has been disposed`);
    const fn = this.exports[kernel] as (...args: number[]) => void;
    const nt = this.poolUp ? Math.min(shares.length, this.threads) : 1;
    if (nt > 1) {
      const f64 = this.calls;
      const index = PARALLEL_KERNELS.indexOf(kernel);
      for (let tid = 1; tid < nt; tid++) {
        const args = shares[tid]!;
        f64[tid * CALL_SLOT] = index;
        f64[tid * CALL_SLOT + 1] = args.length;
        f64.set(args, tid * CALL_SLOT + 2);
      }
      this.post(1, nt);
    }
    fn(...shares[0]!);
    for (let tid = 1; tid < nt; tid++) if (this.reclaim(tid)) fn(...shares[tid]!);
    this.join(nt);
    for (let t = nt; t < shares.length; t++) fn(...shares[t]!);
  }

  /** Takes back worker `tid`'s share of the current job if it has not claimed it yet. */
  private reclaim(tid: number): boolean {
    if (Atomics.compareExchange(this.ctrl, JOB + tid, 1, 0) !== 1) return false;
    Atomics.sub(this.ctrl, PENDING, 1);
    return true;
  }

  /** Waits until the workers of the current job are done. */
  private join(nt: number): void {
    if (nt === 1) return;
    const p = this.ctrl;
    for (let i = 0; Atomics.load(p, PENDING) !== 0; i++) {
      if (i > 1 << 14) {
        const left = Atomics.load(p, PENDING);
        if (left !== 0) Atomics.wait(p, PENDING, left, 1);
      }
    }
  }
}

type Range = [b0: number, b1: number, m0: number, m1: number, n0: number, n1: number];

/** Splits C's columns across threads in multiples of `multiple` (the micro-kernel's 8); returns the non-empty ranges. */
export function partitionColumns(
  batch: number,
  m: number,
  n: number,
  threads: number,
  multiple: number = NR,
): Range[] {
  const ranges: Range[] = [];
  const cols = align(Math.ceil(n / threads), multiple);
  for (let n0 = 0; n0 < n; n0 += cols) ranges.push([0, batch, 0, m, n0, Math.min(n, n0 + cols)]);
  return ranges;
}

/** Splits the batch entries across threads; returns the non-empty ranges. */
export function partitionBatch(batch: number, m: number, n: number, threads: number): Range[] {
  const ranges: Range[] = [];
  const per = Math.ceil(batch / threads);
  for (let b0 = 0; b0 < batch; b0 += per) ranges.push([b0, Math.min(batch, b0 + per), 0, m, 0, n]);
  return ranges;
}
