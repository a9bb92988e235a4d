import { checkGemmArgs } from './gemm-js.ts';
import { GEMM_WASM_SHARED, GEMM_WASM_SINGLE } from './generated/gemm-wasm.ts';
import type { GemmArgs, GemmEngine } from './types.ts';

// Memory layout (bytes). The first page holds the control block and the parameter block;
// operands, the result and the per-thread packing areas follow from HEAP.
const CTRL = 1024; // Int32 slots shared with the workers (see worker source)
const PENDING = CTRL / 4; // workers still running the current job
const JOB = PENDING + 8; // JOB + tid: 1 = job posted, 2 = claimed by the worker, 0 = idle, -1 = quit
const PARAMS = 2048; // parameter block read by `gemm` (layout in assembly/gemm.ts)
const P_RANGES = 128;
const HEAP = 65536;
const PAGE = 65536;
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

export interface WasmGemmOptions {
  /** Threads including the calling one; 1 creates no workers. */
  threads: number;
  blocking?: Partial<GemmBlocking>;
  parallelThreshold?: number;
}

type WorkerLike = { terminate(): unknown };

// Runs in each worker: instantiates the module on the shared memory, reports ready, then waits on the
// control block for jobs. Given as a string so that no worker file has to be resolved (runs from .ts
// sources under vitest/tsx, from dist when published, and from a Blob URL in browsers).
const WORKER_SOURCE = `'use strict';
function start(d, post) {
  const gemm = new WebAssembly.Instance(d.module, { env: { memory: d.memory } }).exports.gemm;
  const ctrl = new Int32Array(d.memory.buffer, 0, ${PARAMS / 4});
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
    gemm(${PARAMS}, d.tid);
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

/** The compiled single-threaded module, or null where WebAssembly SIMD is unavailable. */
export function gemmModule(shared: boolean): WebAssembly.Module | null {
  if (shared) {
    if (sharedModule === undefined) sharedModule = compile(GEMM_WASM_SHARED);
    return sharedModule;
  }
  if (singleModule === undefined) singleModule = compile(GEMM_WASM_SINGLE);
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

/** True where this runtime can run the SIMD GEMM module. */
export function wasmSimdSupported(): boolean {
  return gemmModule(false) !== null;
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

function createSharedMemory(pages: number): WebAssembly.Memory | null {
  for (const maximum of [65536, 32768, 16384, 4096]) {
    try {
      return new WebAssembly.Memory({ initial: Math.min(pages, maximum), maximum, shared: true });
    } catch {}
  }
  return null;
}

const align = (x: number, to: number): number => Math.ceil(x / to) * to;

/**
 * The WebAssembly SIMD GEMM engine. Operands are copied into the engine's memory, packed and multiplied
 * there (split across a worker pool for large products), and the result is copied out.
 */
export class WasmGemmEngine implements GemmEngine {
  readonly kind = 'wasm-simd' as const;
  readonly threads: number;
  readonly ready: Promise<void>;
  private readonly blocking: GemmBlocking;
  private readonly parallelThreshold: number;
  private memory: WebAssembly.Memory;
  private run: (params: number, tid: number) => void;
  private runTask: (params: number, tid: number) => number;
  private f32: Float32Array;
  private i32: Int32Array;
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
    let threads = Math.max(1, Math.min(MAX_THREADS, Math.floor(options.threads)));
    const memory = threads > 1 && gemmModule(true) && canBlock() ? createSharedMemory(16) : null;
    if (memory === null) threads = 1;
    const module = threads > 1 ? gemmModule(true) : gemmModule(false);
    if (module === null) throw new Error('gemm: WebAssembly SIMD is not available');
    this.memory = memory ?? new WebAssembly.Memory({ initial: 16 });
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.run = instance.exports.gemm as (params: number, tid: number) => void;
    this.runTask = instance.exports.gemmTask as (params: number, tid: number) => number;
    this.f32 = new Float32Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
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
      try {
        const wt = nodeBuiltin<typeof import('node:worker_threads')>('node:worker_threads');
        for (let tid = 1; tid <= count; tid++) {
          if (wt) {
            const w = new wt.Worker(WORKER_SOURCE, {
              eval: true,
              workerData: { module, memory: this.memory, tid },
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
            w.postMessage({ module, memory: this.memory, tid });
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
      Atomics.store(this.i32, JOB + tid, -1);
      Atomics.notify(this.i32, JOB + tid);
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
    // Drop the (possibly large) memory; a later gemm call fails loudly instead of growing it again.
    this.memory = new WebAssembly.Memory({ initial: 1 });
    this.f32 = new Float32Array(0);
    this.i32 = new Int32Array(0);
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) {
      this.memory.grow(Math.ceil((bytes - have) / PAGE));
    }
    if (this.f32.buffer.byteLength !== this.memory.buffer.byteLength) {
      this.f32 = new Float32Array(this.memory.buffer);
      this.i32 = new Int32Array(this.memory.buffer);
    }
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
    // Threads, and how C is split across them: row-block tasks taken dynamically (mode 0), or, for
    // products with too few rows, a static range of columns per thread (mode 1).
    let nt = this.poolUp && batch * m * n * k >= this.parallelThreshold ? this.threads : 1;
    const kBlocks = Math.ceil(k / this.blocking.kc);
    const kc = Math.ceil(k / kBlocks);
    // Rows per task: the A block, smaller when needed to give every thread a few tasks.
    const mc = Math.min(
      Math.max(MR, Math.floor(this.blocking.aBlock / kc / MR) * MR),
      Math.max(16, align(Math.ceil(m / Math.ceil((4 * nt) / batch)), MR)),
    );
    let ranges: Range[] = [];
    if (nt > 1 && batch * Math.ceil(m / mc) < 2 * nt) {
      if (n >= 16 * nt) ranges = partitionColumns(batch, m, n, nt);
      else nt = 1;
    }
    const mode = ranges.length > 0 ? 1 : 0;
    if (mode === 1) nt = ranges.length;
    const nPad = align(n, NR);
    const nc = Math.min(this.blocking.nc, nPad);

    // Layout: A copies, B copies, C, task flags, then one packing area per thread (64 bytes of state
    // first; see assembly/gemm.ts).
    const blocks = Math.ceil(m / mc);
    const tasks = mode === 0 ? batch * blocks : 0;
    const aCopies = args.aBatchStride === 0 ? 1 : batch;
    const bCopies = args.bBatchStride === 0 ? 1 : batch;
    const aAddr = HEAP;
    const bAddr = align(aAddr + aCopies * m * k * 4, 64);
    const cAddr = align(bAddr + bCopies * k * n * 4, 64);
    const doneAddr = align(cAddr + batch * m * n * 4, 64);
    const packAddr = align(doneAddr + tasks * 4, 64);
    const packStride = align(64 + (mc * kc + (mode === 0 ? k * nPad : nc * kc) + MR * NR) * 4, 64);
    this.ensure(packAddr + nt * packStride);

    const f32 = this.f32;
    for (let e = 0; e < aCopies; e++) {
      const src = args.aOffset + e * args.aBatchStride;
      f32.set(args.a.subarray(src, src + m * k), aAddr / 4 + e * m * k);
    }
    for (let e = 0; e < bCopies; e++) {
      const src = args.bOffset + e * args.bBatchStride;
      f32.set(args.b.subarray(src, src + k * n), bAddr / 4 + e * k * n);
    }

    const p = this.i32;
    const q = PARAMS / 4;
    p[q] = m;
    p[q + 1] = n;
    p[q + 2] = k;
    p[q + 3] = aAddr;
    p[q + 4] = aCopies === 1 ? 0 : m * k * 4;
    p[q + 5] = args.transA ? 1 : 0;
    p[q + 6] = bAddr;
    p[q + 7] = bCopies === 1 ? 0 : k * n * 4;
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
    for (let t = 0; t < nt; t++) p[(packAddr + t * packStride) / 4] = -1; // no B packed yet

    if (nt > 1) {
      // Each worker has its own job slot, so a worker can never see a job twice or one not meant for it.
      Atomics.store(p, PENDING, nt - 1);
      for (let tid = 1; tid < nt; tid++) {
        Atomics.store(p, JOB + tid, 1);
        Atomics.notify(p, JOB + tid);
      }
    }
    const out = args.out;
    const c0 = cAddr / 4;
    if (mode === 1) {
      this.run(PARAMS, 0);
      // A worker that has not woken up yet (busy core, slow wake-up) has its range run here instead.
      for (let tid = 1; tid < nt; tid++) if (this.reclaim(tid)) this.run(PARAMS, tid);
      this.join(nt, () => {});
      out.set(f32.subarray(c0, c0 + batch * m * n), args.outOffset);
      return;
    }
    // Dynamic mode: the calling thread runs one task at a time and, in between and while it waits for
    // the workers, copies out every finished prefix of tasks (tasks are contiguous rows of C, in order),
    // so most of the copy overlaps the workers' computing and reads rows still in cache.
    const done = doneAddr / 4;
    let copied = 0;
    const copyOut = (): void => {
      let t = copied;
      while (t < tasks && Atomics.load(p, done + t) !== 0) t++;
      if (t === copied) return;
      const rowOf = (task: number): number =>
        Math.floor(task / blocks) * m + Math.min(m, (task % blocks) * mc);
      const from = rowOf(copied) * n;
      const to = (t === tasks ? batch * m : rowOf(t - 1) + Math.min(mc, m - ((t - 1) % blocks) * mc)) * n;
      out.set(f32.subarray(c0 + from, c0 + to), args.outOffset + from);
      copied = t;
    };
    while (this.runTask(PARAMS, 0) >= 0) copyOut();
    // Every task is taken: a worker that has not woken up yet has nothing left to do.
    for (let tid = 1; tid < nt; tid++) this.reclaim(tid);
    this.join(nt, copyOut);
    copyOut();
  }

  /** Takes back worker `tid`'s share of the current job if it has not claimed it yet. */
  private reclaim(tid: number): boolean {
    if (Atomics.compareExchange(this.i32, JOB + tid, 1, 0) !== 1) return false;
    Atomics.sub(this.i32, PENDING, 1);
    return true;
  }

  /** Waits until the workers of the current job are done, calling `poll` while it spins. */
  private join(nt: number, poll: () => void): void {
    if (nt === 1) return;
    const p = this.i32;
    for (let i = 0; Atomics.load(p, PENDING) !== 0; i++) {
      poll();
      if (i > 1 << 14) {
        const left = Atomics.load(p, PENDING);
        if (left !== 0) Atomics.wait(p, PENDING, left, 1);
      }
    }
  }
}

type Range = [b0: number, b1: number, m0: number, m1: number, n0: number, n1: number];

/** Splits C's columns across threads in multiples of the micro-kernel's 8; returns the non-empty ranges. */
export function partitionColumns(batch: number, m: number, n: number, threads: number): Range[] {
  const ranges: Range[] = [];
  const cols = align(Math.ceil(n / threads), NR);
  for (let n0 = 0; n0 < n; n0 += cols) ranges.push([0, batch, 0, m, n0, Math.min(n, n0 + cols)]);
  return ranges;
}
