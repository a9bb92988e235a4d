import type { GemmArgs } from './types.ts';

/**
 * Plain TypeScript GEMM: the reference and the fallback where WebAssembly SIMD is unavailable.
 * i-k-j loop order (the inner loop runs along contiguous rows of B and C); a transposed B is first
 * transposed into a scratch array so that the inner loop stays contiguous.
 */
export function gemmJs(args: GemmArgs): void {
  const {
    batch,
    m,
    n,
    k,
    a,
    aOffset,
    aBatchStride,
    transA,
    b,
    bOffset,
    bBatchStride,
    transB,
    out,
    outOffset,
  } = args;
  checkGemmArgs(args);
  const size = m * n;
  if (k === 0) {
    out.fill(0, outOffset, outOffset + batch * size);
    return;
  }
  // A(i, p) = a[ai + i * sai + p * sap]
  const sai = transA ? 1 : k;
  const sap = transA ? m : 1;
  let bt: Float32Array | undefined;
  let btFor = -1;
  for (let e = 0; e < batch; e++) {
    const ai = aOffset + e * aBatchStride;
    let bi = bOffset + e * bBatchStride;
    let src = b;
    if (transB) {
      // B stored [n, k]: make a row-major [k, n] copy (once when the batch stride is 0).
      if (bt === undefined) bt = new Float32Array(k * n);
      if (btFor !== bi) {
        for (let j = 0; j < n; j++) {
          const row = bi + j * k;
          for (let p = 0; p < k; p++) bt[p * n + j] = b[row + p]!;
        }
        btFor = bi;
      }
      src = bt;
      bi = 0;
    }
    const co = outOffset + e * size;
    out.fill(0, co, co + size);
    for (let i = 0; i < m; i++) {
      const ci = co + i * n;
      const arow = ai + i * sai;
      for (let p = 0; p < k; p++) {
        const aip = a[arow + p * sap]!;
        if (aip === 0) continue;
        const br = bi + p * n;
        for (let j = 0; j < n; j++) out[ci + j]! += aip * src[br + j]!;
      }
    }
  }
}

/** Throws a RangeError when the arguments do not describe valid operands. */
export function checkGemmArgs(args: GemmArgs): void {
  const { batch, m, n, k } = args;
  for (const [name, v] of [
    ['batch', batch],
    ['m', m],
    ['n', n],
    ['k', k],
  ] as const) {
    if (!Number.isInteger(v) || v < 0)
      throw new RangeError(`gemm: ${name} must be a non-negative integer, got ${v}`);
  }
  if (batch === 0 || m === 0 || n === 0) return;
  const span = (offset: number, stride: number, size: number): number => offset + (batch - 1) * stride + size;
  if (k > 0 && span(args.aOffset, args.aBatchStride, m * k) > args.a.length)
    throw new RangeError(
      `gemm: A (${args.a.length} elements) is too short for batch ${batch} × [${m}, ${k}]`,
    );
  if (k > 0 && span(args.bOffset, args.bBatchStride, k * n) > args.b.length)
    throw new RangeError(
      `gemm: B (${args.b.length} elements) is too short for batch ${batch} × [${k}, ${n}]`,
    );
  if (args.outOffset + batch * m * n > args.out.length)
    throw new RangeError(`gemm: out (${args.out.length} elements) is too short for [${batch}, ${m}, ${n}]`);
}
