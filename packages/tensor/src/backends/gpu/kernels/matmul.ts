import { type KernelSpec, kernel, TEX } from './common.ts';

// The output element's batch, row and column, and the operands' starting elements, as integer expressions (see
// common.ts: an element index may exceed 2^24, e.g. in GPT-2's 50257 × 768 embedding read as the LM head).
// The coordinates are small enough for float variables, computed once; only the products are integer expressions.
const A0 = '(toI(bi) * aBatch + toI(i) * aRow)';
const B0 = '(toI(bi) * bBatch + toI(j) * bCol)';

/**
 * Batched C[b,i,j] = Σ_k A[b,i,k]·B[b,k,j], one thread per output element. Each operand is read through two
 * strides (row/column and along k), so the transposed layouts need no copy, and a batch stride of 0 shares an
 * operand across the batch. The k loop is unrolled by 4: `k4` = ⌊k/4⌋ blocks, then `kTail` = k mod 4 steps from `kHead` = 4·k4.
 * (Loop counters start at 0 and step by one: gpu.js makes only such counters integers in WGSL.)
 */
export const matmulSpec: KernelSpec = kernel(
  [
    ['a', TEX],
    ['b', TEX],
    ['m', 'Integer'],
    ['n', 'Integer'],
    ['mn', 'Integer'],
    ['k4', 'Integer'],
    ['kHead', 'Integer'],
    ['kTail', 'Integer'],
    ['aBatch', 'Integer'],
    ['aRow', 'Integer'],
    ['aK', 'Integer'],
    ['bBatch', 'Integer'],
    ['bCol', 'Integer'],
    ['bK', 'Integer'],
  ],
  `let bi = idiv(this.thread.x, mn);
  let i = imod(idiv(this.thread.x, n), m);
  let j = imod(this.thread.x, n);
  let acc = 0.0;
  for (let g = 0; g < k4; g++) {
    acc = acc + a[${A0} + (4 * g) * aK] * b[${B0} + (4 * g) * bK]
      + a[${A0} + (4 * g + 1) * aK] * b[${B0} + (4 * g + 1) * bK]
      + a[${A0} + (4 * g + 2) * aK] * b[${B0} + (4 * g + 2) * bK]
      + a[${A0} + (4 * g + 3) * aK] * b[${B0} + (4 * g + 3) * bK];
  }
  for (let q = 0; q < kTail; q++) {
    acc = acc + a[${A0} + (kHead + q) * aK] * b[${B0} + (kHead + q) * bK];
  }
  return acc;`,
);
