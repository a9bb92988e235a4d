import type { FusedKernels, Storage } from '../../../backend.ts';
import type { EngineExports, ParallelKernel } from '../gemm/wasm-engine.ts';
import { type EngineMemory, MemoryFullError } from '../memory.ts';
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
  /**
   * a op b as `mode` lays them out (see BinaryMode); inputs are read from the given element offsets. Null where
   * heap operands have no room in the engine's memory (the caller's JavaScript loop runs instead).
   */
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
  ): Float32Array | null;
  /** Σ over the middle axis of x viewed as [outer, len, inner], float64 accumulation (as the JavaScript kernel) */
  sumMiddleF32(x: Float32Array, outer: number, len: number, inner: number): Float32Array | null;
}

const f32 = (s: Storage): Float32Array => s as Float32Array;

/** What the kernels run on: the engine's memory and the module instantiated on it (WasmGemmEngine has both). */
export interface KernelHost {
  readonly memory: EngineMemory;
  readonly exports: EngineExports;
  /** threads a kernel over `elements` elements is split across (absent: 1) */
  threadsFor?(elements: number): number;
  /** runs a kernel once per share, the shares side by side on the worker pool */
  parallel?(kernel: ParallelKernel, shares: readonly (readonly number[])[]): void;
}

/** Splits [0, n) into `parts` ranges whose starts are multiples of `step`; the non-empty ones. */
function ranges(n: number, parts: number, step = 1): [number, number][] {
  const per = Math.ceil(n / parts / step) * step;
  const out: [number, number][] = [];
  for (let i = 0; i < n; i += per) out.push([i, Math.min(n, i + per)]);
  return out;
}

/**
 * The fused kernels with softmax, GELU, dropout, layerNorm, AdamW and float32 add/sub/mul/div in WebAssembly SIMD
 * (assembly/kernels.ts), large calls split across the worker pool. Operands that live in the engine's memory are read
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
    if (address < 0) throw new MemoryFullError('kernels', n * 4);
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
    made.push(array);
    if (mem.isResident(array)) return [array, array.byteOffset];
    const address = block(n);
    pending.push([array, address]);
    return [array, address];
  };
  let made: Float32Array[] = [];
  /** Frees the call's scratch blocks and forgets its pending copies (and, after a failure, its outputs). */
  const release = (failed: boolean): void => {
    if (failed) for (const array of made) mem.free(array);
    for (const address of scratch) mem.freeBlock(address);
    scratch = [];
    pending = [];
    made = [];
  };
  /**
   * Runs one kernel call: copies results that live on the heap out of their scratch blocks, frees the scratch.
   * Where the memory is full (operands on the heap with no room to copy them in), `fallback` runs instead.
   */
  const call = <T>(fn: () => T, fallback: () => T): T => {
    let result: T;
    try {
      result = fn();
    } catch (e) {
      release(true);
      if (!(e instanceof MemoryFullError)) throw e;
      return fallback();
    }
    const { f32: view } = mem.views();
    for (const [array, address] of pending) array.set(view.subarray(address / 4, address / 4 + array.length));
    release(false);
    return result;
  };
  const binaryNames = { add: 'binaryAdd', sub: 'binarySub', mul: 'binaryMul', div: 'binaryDiv' } as const;
  /** Threads for a kernel over `elements` elements. */
  const split = (elements: number): number => host.threadsFor?.(elements) ?? 1;
  /** Runs `kernel` over each share: on the pool where there is one, else one after another here. */
  const run = (kernel: ParallelKernel, shares: number[][]): void => {
    if (shares.length > 1 && host.parallel) host.parallel(kernel, shares);
    else
      for (const args of shares) (k as unknown as Record<string, (...a: number[]) => void>)[kernel]!(...args);
  };
  /** Row kernels: shares of whole rows (addresses advanced by each share's first row). */
  const byRows = (rows: number, cols: number, share: (r0: number, r1: number) => number[]): number[][] =>
    ranges(rows, Math.min(split(rows * cols), rows)).map(([r0, r1]) => share(r0, r1));
  /** Elementwise kernels over whole vectors of 4 (kernels round n up to one). */
  const byVectors = (n: number, share: (i0: number, i1: number) => number[]): number[][] =>
    ranges(n, split(n), 4).map(([i0, i1]) => share(i0, i1));

  const jsFused = createCpuFused(allocate);
  return {
    ...jsFused,
    binaryF32: (op, a, aOffset, b, bOffset, rows, cols, mode, group) =>
      call(
        () => {
          const n = rows * cols;
          const na = mode === 3 ? 1 : n;
          const nb = mode === 0 || mode === 3 ? n : mode === 1 ? (rows / group) * cols : 1;
          const pa = put(a, aOffset, na);
          const pb = put(b, bOffset, nb);
          const [o, po] = out(n);
          const name = binaryNames[op];
          if (rows === 1 || mode !== 1) {
            // elementwise over the flat n: a scalar operand stays where it is
            const sa = mode === 3 ? 0 : 4;
            const sb = mode === 2 ? 0 : 4;
            run(
              name,
              byVectors(n, (i0, i1) => [
                pa + i0 * sa,
                pb + i0 * sb,
                po + i0 * 4,
                1,
                i1 - i0,
                mode === 1 ? 0 : mode,
                1,
              ]),
            );
          } else {
            // rows of b repeat over groups of rows: shares start on a group (or share the one row of b)
            const step = group >= rows ? 1 : group;
            const parts = ranges(rows, Math.min(split(n), Math.ceil(rows / step)), step);
            run(
              name,
              parts.map(([r0, r1]) => [
                pa + r0 * cols * 4,
                pb + (group >= rows ? 0 : (r0 / group) * cols * 4),
                po + r0 * cols * 4,
                r1 - r0,
                cols,
                1,
                group >= rows ? r1 - r0 : group,
              ]),
            );
          }
          return o;
        },
        () => null,
      ),
    sumMiddleF32: (x, outer, len, inner) =>
      call(
        () => {
          const px = put(x, 0, outer * len * inner);
          const [o, po] = out(outer * inner);
          k.sumMiddle(px, po, block(2 * inner), outer, len, inner);
          return o;
        },
        () => null,
      ),
    layerNorm: (x, weight, bias, rows, cols, eps) =>
      call(
        () => {
          const n = rows * cols;
          const px = put(f32(x), 0, n);
          const pw = weight ? put(f32(weight), 0, cols) : 0;
          const pb = bias ? put(f32(bias), 0, cols) : 0;
          const [y, py] = out(n);
          const [mean, pm] = out(rows);
          const [rstd, pr] = out(rows);
          const [hw, hb] = [weight ? 1 : 0, bias ? 1 : 0];
          run(
            'layerNorm',
            byRows(rows, cols, (r0, r1) => {
              const [x0, m0] = [r0 * cols * 4, r0 * 4];
              return [px + x0, pw, pb, py + x0, pm + m0, pr + m0, r1 - r0, cols, eps, hw, hb];
            }),
          );
          return { y, mean, rstd };
        },
        () => jsFused.layerNorm(x, weight, bias, rows, cols, eps),
      ),
    layerNormBackward: (dy, x, weight, mean, rstd, rows, cols) =>
      call(
        () => {
          const n = rows * cols;
          const pg = put(f32(dy), 0, n);
          const px = put(f32(x), 0, n);
          const pw = weight ? put(f32(weight), 0, cols) : 0;
          const pm = put(f32(mean), 0, rows);
          const pr = put(f32(rstd), 0, rows);
          const [dx, pdx] = out(n);
          const [dWeight, pdw] = out(cols);
          const [dBias, pdb] = out(cols);
          // each share sums its rows' dweight and dbias into its own pair, added up here
          const shares = byRows(rows, cols, (r0, r1) => {
            const [x0, m0] = [r0 * cols * 4, r0 * 4];
            const [dw, db] = r0 === 0 ? [pdw, pdb] : [block(cols), block(cols)];
            return [
              pg + x0,
              px + x0,
              pw,
              pm + m0,
              pr + m0,
              pdx + x0,
              dw,
              db,
              block(4 * cols),
              r1 - r0,
              cols,
              weight ? 1 : 0,
            ];
          });
          run('layerNormBackward', shares);
          if (shares.length > 1) {
            const { f32: view } = mem.views();
            for (const [offset, target] of [
              [6, pdw],
              [7, pdb],
            ] as const) {
              const sum = view.subarray(target / 4, target / 4 + cols);
              for (const share of shares.slice(1)) {
                const part = view.subarray(share[offset]! / 4, share[offset]! / 4 + cols);
                for (let j = 0; j < cols; j++) sum[j]! += part[j]!;
              }
            }
          }
          return { dx, dWeight, dBias };
        },
        () => jsFused.layerNormBackward(dy, x, weight, mean, rstd, rows, cols),
      ),
    softmax: (x, rows, cols, log) =>
      call(
        () => {
          const n = rows * cols;
          const px = put(f32(x), 0, n);
          const [o, po] = out(n);
          run(
            'softmax',
            byRows(rows, cols, (r0, r1) => [
              px + r0 * cols * 4,
              po + r0 * cols * 4,
              r1 - r0,
              cols,
              log ? 1 : 0,
            ]),
          );
          return o;
        },
        () => jsFused.softmax(x, rows, cols, log),
      ),
    softmaxBackward: (y, dy, rows, cols, log) =>
      call(
        () => {
          const n = rows * cols;
          const py = put(f32(y), 0, n);
          const pg = put(f32(dy), 0, n);
          const [o, po] = out(n);
          run(
            'softmaxBackward',
            byRows(rows, cols, (r0, r1) => {
              const o = r0 * cols * 4;
              return [py + o, pg + o, po + o, r1 - r0, cols, log ? 1 : 0];
            }),
          );
          return o;
        },
        () => jsFused.softmaxBackward(y, dy, rows, cols, log),
      ),
    adamw(p, grad, m, v, size, h) {
      const arrays = [p, grad, m, v].map(f32);
      // in place: only where all four live in the engine's memory (else the TypeScript loop, same arithmetic)
      if (!arrays.every((a) => mem.isResident(a))) return jsFused.adamw(p, grad, m, v, size, h);
      const [pp, pg, pm, pv] = arrays.map((a) => a.byteOffset) as [number, number, number, number];
      const hyper = [
        1 - h.lr * h.weightDecay,
        h.lr / h.biasCorrection1,
        h.beta1,
        1 - h.beta1,
        h.beta2,
        1 - h.beta2,
        h.biasCorrection2Sqrt,
        h.eps,
      ];
      run(
        'adamw',
        ranges(size, split(size), 16).map(([i0, i1]) => {
          const o = i0 * 4;
          return [pp + o, pg + o, pm + o, pv + o, i1 - i0, ...hyper];
        }),
      );
    },
    // GELU and dropout run whole vectors: blocks are multiples of 64 bytes, so the last one's padding is ours
    gelu: (kind, x, size) =>
      call(
        () => {
          const px = put(f32(x), 0, size);
          const [o, po] = out(size);
          const kd = kind === 'erf' ? 0 : 1;
          run(
            'gelu',
            byVectors(size, (i0, i1) => [kd, px + i0 * 4, po + i0 * 4, Math.ceil((i1 - i0) / 4) * 4]),
          );
          return o;
        },
        () => jsFused.gelu(kind, x, size),
      ),
    geluBackward: (kind, x, dy, size) =>
      call(
        () => {
          const px = put(f32(x), 0, size);
          const pg = put(f32(dy), 0, size);
          const [o, po] = out(size);
          const kd = kind === 'erf' ? 0 : 1;
          run(
            'geluBackward',
            byVectors(size, (i0, i1) => [
              kd,
              px + i0 * 4,
              pg + i0 * 4,
              po + i0 * 4,
              Math.ceil((i1 - i0) / 4) * 4,
            ]),
          );
          return o;
        },
        () => jsFused.geluBackward(kind, x, dy, size),
      ),
    dropout: (x, size, p, seed, offset) =>
      call(
        () => {
          const px = put(f32(x), 0, size);
          const [o, po] = out(size);
          const s = Math.floor(Math.abs(seed));
          const [k0, k1] = [s >>> 0, Math.floor(s / 4294967296) >>> 0];
          run(
            'dropout',
            byVectors(size, (i0, i1) => {
              // element i draws from counter offset + ⌊i/4⌋: a share starting at i0 starts its counter i0/4 later
              const at = offset + i0 / 4;
              const n = Math.ceil((i1 - i0) / 4) * 4;
              return [px + i0 * 4, po + i0 * 4, n, p, k0, k1, at >>> 0, Math.floor(at / 4294967296) >>> 0];
            }),
          );
          return o;
        },
        () => jsFused.dropout(x, size, p, seed, offset),
      ),
  };
}
