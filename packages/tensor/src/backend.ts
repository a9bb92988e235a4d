import type { DType, TypedArray } from './dtype.ts';
import type { Shape } from './shape.ts';

/** A backend's handle to a tensor's elements (a typed array on the CPU, a texture on a GPU). Opaque to ops. */
export type Storage = object;

export type UnaryOp =
  | 'neg'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'rsqrt'
  | 'tanh'
  | 'erf'
  | 'relu'
  | 'abs'
  | 'sign'
  | 'sigmoid'
  | 'reciprocal'
  | 'square'
  /** 1 where x > 0, else 0 (relu's derivative) */
  | 'step';

export type BinaryOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'maximum'
  | 'minimum'
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge';

export type ReduceOp = 'sum' | 'max' | 'min' | 'argmax';

/** An input read through strides (0 = broadcast along that output axis) from an element offset. */
export interface StridedInput {
  storage: Storage;
  dtype: DType;
  offset: number;
  strides: readonly number[];
}

export interface MatmulInfo {
  batch: number;
  m: number;
  n: number;
  k: number;
  /** A is [m,k] per batch entry, or stored [k,m] when transA */
  transA: boolean;
  /** B is [k,n] per batch entry, or stored [n,k] when transB */
  transB: boolean;
  /** elements between batch entries; 0 = the operand is shared by every entry */
  aBatchStride: number;
  bBatchStride: number;
}

/**
 * The primitive kernels. CPU and GPU backends implement exactly this list; every op in `ops/` is built on it.
 * Kernels never modify their inputs and return new storage; shapes are checked by the ops before the call.
 */
export interface Backend {
  readonly name: string;
  /** Takes ownership of `data` (the backend may keep it as its storage). */
  upload(data: TypedArray): Storage;
  /**
   * Optional: an array (contents unspecified) for the caller to fill and then pass to `upload`, which takes it
   * as its storage without a copy: the CPU backend's lives in its engine memory, so a file read into it (a
   * model's weights) is where the kernels read it. `hostArray` falls back to a plain typed array.
   */
  allocHost?(dtype: DType, size: number): TypedArray;
  fill(dtype: DType, size: number, value: number): Storage;
  /** Synchronous read; a GPU backend throws and points to `read`. */
  readSync(storage: Storage, dtype: DType, size: number): TypedArray;
  read(storage: Storage, dtype: DType, size: number): Promise<TypedArray>;
  /**
   * For backends whose reads are asynchronous (gpu.js WebGPU): reads the storage now and keeps a host copy, so
   * that `readSync` works on it until it is freed. Absent where `readSync` always works.
   */
  prefetch?(storage: Storage, dtype: DType, size: number): Promise<void>;
  free(storage: Storage): void;

  unary(op: UnaryOp, x: Storage, dtype: DType, size: number): Storage;
  /** out[i] = a[i] op b[i] over `outShape`, each input read through its strides; `outDtype` is the result type. */
  binary(op: BinaryOp, a: StridedInput, b: StridedInput, outShape: Shape, outDtype: DType): Storage;
  /** out = cond != 0 ? a : b, all three strided over `outShape`. */
  where(cond: StridedInput, a: StridedInput, b: StridedInput, outShape: Shape, dtype: DType): Storage;
  /** Reduces the middle axis of x viewed as [outer, len, inner]; argmax returns int32. */
  reduce(op: ReduceOp, x: Storage, dtype: DType, outer: number, len: number, inner: number): Storage;
  matmul(a: Storage, b: Storage, info: MatmulInfo): Storage;
  /** out[i, :] = table[indices[i], :] for a table of `numRows` rows of `rowLen`; an index out of range throws. */
  gather(
    table: Storage,
    dtype: DType,
    numRows: number,
    rowLen: number,
    indices: Storage,
    numIndices: number,
  ): Storage;
  /** out = zeros[numRows, rowLen]; out[indices[i], :] += src[i, :], skipping rows whose index is `skipIndex`. */
  scatterAdd(
    src: Storage,
    indices: Storage,
    numIndices: number,
    numRows: number,
    rowLen: number,
    skipIndex: number | null,
  ): Storage;
  /** A contiguous copy of x read through offset + strides over `outShape` (permute, slice, expand). */
  copyStrided(x: StridedInput, outShape: Shape): Storage;
  /**
   * Optional, and the one kernel that writes into an existing storage: src, read through its strides over
   * `shape`, is written into `dst` at `dstOffset` through `dstStrides` (a KV cache appending in place). Backends
   * without it leave the caller to build a new tensor instead.
   */
  writeInto?(
    dst: Storage,
    dstOffset: number,
    dstStrides: readonly number[],
    src: StridedInput,
    shape: Shape,
  ): void;
  /** Each part viewed as [outer, inner_p]; the result is [outer, sum(inner_p)]. */
  concat(parts: readonly { storage: Storage; inner: number }[], outer: number, dtype: DType): Storage;
  /** Philox uniform [0,1) or standard normal values: element i from counter offset + floor(i/4), lane i%4. */
  random(kind: 'uniform' | 'normal', seed: number, offset: number, size: number): Storage;
  cast(x: Storage, from: DType, to: DType, size: number): Storage;
  /** Optional: releases workers and memory. */
  dispose?(): void;

  /**
   * Optional fused kernels. Each op that has one uses it when the backend provides it and otherwise composes
   * the primitives above, with the same result up to float32 rounding, so a new backend can start without them.
   */
  fused?: FusedKernels;
}

/** Fused forward/backward kernels for the ops that dominate a training step. All float32, row-major. */
export interface FusedKernels {
  /** softmax (or log-softmax) over the last axis of x viewed as [rows, cols] */
  softmax(x: Storage, rows: number, cols: number, log: boolean): Storage;
  /** dx from y = softmax(x) (or log-softmax) and dy */
  softmaxBackward(y: Storage, dy: Storage, rows: number, cols: number, log: boolean): Storage;
  /** y = (x − mean)·rstd·w + b over the last axis; also returns mean and rstd per row for the backward */
  layerNorm(
    x: Storage,
    weight: Storage | null,
    bias: Storage | null,
    rows: number,
    cols: number,
    eps: number,
  ): { y: Storage; mean: Storage; rstd: Storage };
  layerNormBackward(
    dy: Storage,
    x: Storage,
    weight: Storage | null,
    mean: Storage,
    rstd: Storage,
    rows: number,
    cols: number,
  ): { dx: Storage; dWeight: Storage; dBias: Storage };
  /** GELU: 'erf' = exact, 'tanh' = GPT-2's gelu_new */
  gelu(kind: 'erf' | 'tanh', x: Storage, size: number): Storage;
  geluBackward(kind: 'erf' | 'tanh', x: Storage, dy: Storage, size: number): Storage;
  /**
   * out[i] = u[i] ≥ p ? x[i]/(1−p) : 0 with u the Philox uniform stream of (seed, offset): the same call on dy
   * is the backward, so no mask is stored.
   */
  dropout(x: Storage, size: number, p: number, seed: number, offset: number): Storage;
  /** One AdamW step in place on p, m, v (torch.optim.AdamW's arithmetic). */
  adamw(p: Storage, grad: Storage, m: Storage, v: Storage, size: number, h: AdamWHyper): void;
}

export interface AdamWHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1 − beta1^step */
  biasCorrection1: number;
  /** sqrt(1 − beta2^step) */
  biasCorrection2Sqrt: number;
}
