import { divmod, type KernelSpec, kernel, TEX } from './common.ts';

/**
 * Batched C[b,i,j] = Σ_k A[b,i,k]·B[b,k,j], one thread per output element. Each operand is read through two
 * strides (row/column and along k), so the transposed layouts need no copy, and a batch stride of 0 shares an
 * operand across the batch. The k loop is unrolled by 4.
 */
export const matmulSpec: KernelSpec = kernel(
  [
    ['a', TEX],
    ['b', TEX],
    ['m', 'Float'],
    ['n', 'Float'],
    ['k', 'Float'],
    ['aBatch', 'Float'],
    ['aRow', 'Float'],
    ['aK', 'Float'],
    ['bBatch', 'Float'],
    ['bCol', 'Float'],
    ['bK', 'Float'],
  ],
  `let t = this.thread.x * 1.0;
  let mn = m * n;
  ${divmod('bi', 'rem', 't', 'mn')}${divmod('i', 'j', 'rem', 'n')}let ai = bi * aBatch + i * aRow;
  let bj = bi * bBatch + j * bCol;
  let k4 = Math.floor(k / 4.0) * 4.0;
  let acc = 0.0;
  for (let p = 0.0; p < k4; p = p + 4.0) {
    acc = acc + a[ai + p * aK] * b[bj + p * bK]
      + a[ai + (p + 1.0) * aK] * b[bj + (p + 1.0) * bK]
      + a[ai + (p + 2.0) * aK] * b[bj + (p + 2.0) * bK]
      + a[ai + (p + 3.0) * aK] * b[bj + (p + 3.0) * bK];
  }
  for (let q = k4; q < k; q = q + 1.0) {
    acc = acc + a[ai + q * aK] * b[bj + q * bK];
  }
  return acc;`,
);
