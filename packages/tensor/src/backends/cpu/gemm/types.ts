/**
 * One (batched) matrix product: for every batch entry e, out[e] = op(A[e]) · op(B[e]).
 * A batch stride of 0 means that operand is shared by every batch entry (broadcast).
 */
export interface GemmArgs {
  batch: number;
  m: number;
  n: number;
  k: number;
  /** Per batch entry: A is [m, k] row-major, or stored [k, m] when transA. */
  a: Float32Array;
  aOffset: number;
  aBatchStride: number;
  transA: boolean;
  /** Per batch entry: B is [k, n] row-major, or stored [n, k] when transB. */
  b: Float32Array;
  bOffset: number;
  bBatchStride: number;
  transB: boolean;
  /** [batch, m, n] contiguous from outOffset; overwritten, not accumulated. */
  out: Float32Array;
  outOffset: number;
}

export interface GemmEngine {
  readonly kind: 'wasm-simd' | 'js';
  /** Threads a large product is split across once the pool is up (1: the calling thread only). */
  readonly threads: number;
  /** Synchronous; runs on the calling thread alone until `ready` has resolved. */
  gemm(args: GemmArgs): void;
  /** Resolves when the worker pool is up (at once for one thread). */
  ready: Promise<void>;
  /** Terminates the workers and drops the WebAssembly memory. */
  dispose(): void;
}
