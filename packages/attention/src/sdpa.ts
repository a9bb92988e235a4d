import { add, dropout, type Generator, matmul, maximum, mul, softmax, type Tensor } from '@tsformer/tensor';
import { causalMask, combineMasks, MASK_MIN, toAdditiveMask, validLengthMask } from './masks.ts';

export interface AttentionOptions {
  /**
   * A mask that broadcasts to [B,H,Tq,Tk]. float32 = additive (0 to attend, `MASK_MIN` to hide, as Hugging
   * Face builds it); int32 = 0/1 (1 = attend).
   */
  mask?: Tensor | null;
  /** hide keys after each query (queries are the last Tq of the Tk keys, as with a KV cache) */
  causal?: boolean;
  /** [B] or [B,Tq] int32: key j is visible iff j < validLens (the classic d2l `valid_lens` form) */
  validLens?: Tensor | null;
  /** dropout probability on the attention weights (applied only when `training` is true) */
  dropout?: number;
  training?: boolean;
  generator?: Generator;
  /** the factor on q·kᵀ (default 1/√D) */
  scale?: number;
  /**
   * Attend to the first `keyLength` positions of k and v only (default: all of them): k and v are buffers
   * filled up to there, as a preallocated KV cache returns them (`LayerKV.length`). Masks cover `keyLength`.
   */
  keyLength?: number;
}

function fmt(t: Tensor): string {
  return `[${t.shape.join(',')}]`;
}

function checkShapes(q: Tensor, k: Tensor, v: Tensor): void {
  const label = `q ${fmt(q)}, k ${fmt(k)}, v ${fmt(v)}`;
  if (q.rank < 2 || k.rank !== q.rank || v.rank !== q.rank) {
    throw new Error(`scaledDotProductAttention: q, k and v need the same rank ≥ 2 ([B,H,T,D]), got ${label}`);
  }
  const d = q.shape[q.rank - 1];
  if (k.shape[k.rank - 1] !== d) {
    throw new Error(`scaledDotProductAttention: q and k head dims differ, ${label}`);
  }
  if (k.shape[k.rank - 2] !== v.shape[v.rank - 2]) {
    throw new Error(`scaledDotProductAttention: k and v have different lengths, ${label}`);
  }
  for (let i = 0; i < q.rank - 2; i++) {
    const dims = [q.shape[i]!, k.shape[i]!, v.shape[i]!];
    const big = Math.max(...dims);
    if (dims.some((x) => x !== big && x !== 1)) {
      throw new Error(`scaledDotProductAttention: batch dims cannot be broadcast, ${label}`);
    }
  }
}

/**
 * softmax(q·kᵀ·scale + mask)·v for q [B,H,Tq,D], k [B,H,Tk,D], v [B,H,Tk,Dv], returning the output
 * [B,H,Tq,Dv] and the attention weights [B,H,Tq,Tk] (after dropout, as Hugging Face returns them). The
 * masks given (additive, 0/1, causal, valid lengths) are combined into one before it is added, so a key
 * hidden twice is still hidden by exactly `MASK_MIN`.
 */
export function scaledDotProductAttentionWithWeights(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: AttentionOptions = {},
): { output: Tensor; weights: Tensor } {
  checkShapes(q, k, v);
  const tq = q.shape[q.rank - 2]!;
  const stored = k.shape[k.rank - 2]!;
  const tk = options.keyLength ?? stored;
  if (!Number.isInteger(tk) || tk < 0 || tk > stored) {
    throw new Error(`scaledDotProductAttention: keyLength ${tk} exceeds the ${stored} positions of k and v`);
  }
  const bRows = tk === stored ? undefined : tk;
  const scale = options.scale ?? 1 / Math.sqrt(q.shape[q.rank - 1]!);
  // the scale is applied to q ([B,H,Tq,D]) rather than to the scores ([B,H,Tq,Tk]): the same product, fewer elements
  let scores = matmul(mul(q, scale), k, { transB: true, bRows }); // [B,H,Tq,D]·[B,H,Tk,D]ᵀ → [B,H,Tq,Tk]

  const userMask = options.mask ?? null;
  const visible = combineMasks(
    options.causal ? causalMask(tq, tk) : null,
    options.validLens ? validLengthMask(options.validLens, tk) : null,
    userMask && userMask.dtype !== 'float32' ? userMask : null,
  );
  let additive: Tensor | null = visible ? toAdditiveMask(visible) : null;
  if (userMask && userMask.dtype === 'float32') {
    // an additive mask plus another hidden entry must not reach -inf: keep the sum at MASK_MIN at most
    additive = additive ? maximum(add(additive, userMask), MASK_MIN) : userMask;
  }
  if (additive) scores = add(scores, additive);

  let weights = softmax(scores, -1);
  const p = options.dropout ?? 0;
  if (p > 0 && options.training)
    weights = dropout(weights, p, { training: true, generator: options.generator });
  const output = matmul(weights, v, { bRows }); // [B,H,Tq,Tk]·[B,H,Tk,Dv] → [B,H,Tq,Dv]
  return { output, weights };
}

/** softmax(q·kᵀ/√D + mask)·v: [B,H,Tq,D] → [B,H,Tq,Dv]. See `scaledDotProductAttentionWithWeights`. */
export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: AttentionOptions = {},
): Tensor {
  return scaledDotProductAttentionWithWeights(q, k, v, options).output;
}
