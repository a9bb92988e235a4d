import { isGradEnabled } from '../autograd.ts';
import { broadcastShapes, fmt, sizeOf } from '../shape.ts';
import { makeTensor, type Tensor } from '../tensor.ts';
import { add as addBias } from './binary.ts';
import { checkFloat, checkSameBackend } from './helpers.ts';
import { sumToShape } from './reduce.ts';
import { expand, reshape } from './shape-ops.ts';

export interface MatmulOptions {
  /** use a's last two axes transposed (a is stored [..., k, m]) */
  transA?: boolean;
  /** use b's last two axes transposed (b is stored [..., n, k]); how Linear computes x·Wᵀ */
  transB?: boolean;
  /**
   * Use only the first `bRows` stored rows of each of b's matrices (n = bRows with transB, else k = bRows): a
   * preallocated buffer read up to its filled length, as attention reads a KV cache. No gradient reaches b.
   */
  bRows?: number;
}

/**
 * Matrix product over the last two axes with NumPy broadcasting of the leading (batch) axes. Transposed
 * operands are read in place by the kernel, never copied: attention's q·kᵀ and every backward product use this.
 * 1-D operands are not promoted; use reshape.
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  checkFloat('matmul', a);
  checkFloat('matmul', b);
  checkSameBackend('matmul', a, b);
  const label = `${fmt(a.shape)}${transA ? 'ᵀ' : ''} × ${fmt(b.shape)}${transB ? 'ᵀ' : ''}`;
  if (a.rank < 2 || b.rank < 2) throw new Error(`matmul: both operands need at least 2 dims, got ${label}`);
  const [a0, a1] = a.shape.slice(-2) as [number, number];
  const [stored0, b1] = b.shape.slice(-2) as [number, number];
  const bRows = options.bRows ?? stored0;
  if (!Number.isInteger(bRows) || bRows < 0 || bRows > stored0) {
    throw new Error(`matmul: bRows ${options.bRows} is outside b's ${stored0} stored rows, ${label}`);
  }
  if (bRows !== stored0 && b.requiresGrad && isGradEnabled()) {
    throw new Error(`matmul: bRows reads part of b, which gets no gradient; call it under noGrad, ${label}`);
  }
  const b0 = bRows;
  const m = transA ? a1 : a0;
  const k = transA ? a0 : a1;
  const kb = transB ? b1 : b0;
  const n = transB ? b0 : b1;
  if (k !== kb) throw new Error(`matmul: inner dims differ (${k} vs ${kb}), ${label}`);
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  let batchShape: number[];
  try {
    batchShape = broadcastShapes('matmul', aBatch, bBatch);
  } catch {
    throw new Error(`matmul: batch dims cannot be broadcast, ${label}`);
  }
  const batch = sizeOf(batchShape);
  const outShape = [...batchShape, m, n];

  // each operand either covers the whole batch, or is one matrix shared by all entries (stride 0);
  // a partially broadcast operand is expanded first
  const batched = (t: Tensor, own: readonly number[], rows: number, cols: number): [Tensor, number] => {
    const count = sizeOf(own);
    if (count === batch) return [t, rows * cols];
    if (count === 1) return [t, 0];
    return [expand(t, [...batchShape, rows, cols]), rows * cols];
  };
  let [ea, aStride] = batched(a, aBatch, a0, a1);
  let [eb, bStride] = batched(b, bBatch, stored0, b1);
  let info = { batch, m, n, k, transA, transB, aBatchStride: aStride, bBatchStride: bStride };
  // [B..., m, k] · [k, n]: one tall product instead of B small ones
  if (!transA && bStride === 0 && batch > 1 && aStride !== 0) {
    info = { ...info, batch: 1, m: m * batch, aBatchStride: 0 };
  }
  const storage = a.backend.matmul(ea.storage, eb.storage, info);
  if (ea !== a) ea.dispose();
  if (eb !== b) eb.dispose();
  ea = a;
  eb = b;
  return makeTensor(a.backend, storage, outShape, 'float32', () => ({
    op: 'matmul',
    inputs: [a, b],
    backward: (g) => {
      let ga: Tensor | null = null;
      let gb: Tensor | null = null;
      if (a.requiresGrad) {
        // C = op(A)·op(B): dA = dC·op(B)ᵀ, or (dC·op(B)ᵀ)ᵀ = op(B)·dCᵀ when A is stored transposed
        // (a prefix of b's rows is the same prefix of op(B)ᵀ's stored rows when A is not transposed)
        if (transA && bRows !== stored0)
          throw new Error(`matmul: no gradient for a transposed a with bRows, ${label}`);
        const full = transA
          ? matmul(b, g, { transA: transB, transB: true })
          : matmul(g, b, { transB: !transB, bRows });
        ga = sumToShape(full, a.shape);
      }
      if (b.requiresGrad && bRows === stored0) {
        // dB = op(A)ᵀ·dC, or dCᵀ·op(A) when B is stored transposed
        const full = transB
          ? matmul(g, a, { transA: true, transB: transA })
          : matmul(a, g, { transA: !transA });
        gb = sumToShape(full, b.shape);
      }
      return [ga, gb];
    },
  }));
}

/** x·Wᵀ + b with W stored [out, in], as torch.nn.functional.linear. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (x.shape[x.rank - 1] !== weight.shape[1]) {
    throw new Error(`linear: input ${fmt(x.shape)} does not match weight ${fmt(weight.shape)} ([out, in])`);
  }
  const lead = x.shape.slice(0, -1);
  const flat = x.rank === 2 ? x : reshape(x, [-1, x.shape[x.rank - 1]!]);
  let y = matmul(flat, weight, { transB: true });
  if (bias) y = addBias(y, bias);
  return x.rank === 2 ? y : reshape(y, [...lead, weight.shape[0]!]);
}
