import { arange, cast, lt, mul, ne, reshape, sub, type Tensor, tensor } from '@tsformer/tensor';

/**
 * The value added to the scores of keys a query must not see: float32's most negative finite number, as
 * Hugging Face uses (`torch.finfo(torch.float32).min`). It is finite, so a row whose keys are all masked
 * (a padded query in a left-padded causal batch) gives a uniform softmax instead of NaN, exactly like HF.
 */
export const MASK_MIN = -3.4028234663852886e38;

/**
 * "May attend" masks are 0/1 int32 tensors (1 = the key is visible). Additive masks are float32 tensors of 0 and
 * `MASK_MIN`, added to the scores before the softmax. Every helper here returns a tensor that broadcasts to
 * [B,H,Tq,Tk].
 */

/**
 * [1,1,Tq,Tk] 0/1 causal mask: key j is visible to query i iff j <= i + (Tk - Tq), i.e. the queries are the
 * last Tq positions of the Tk keys (a KV cache holds the first Tk - Tq).
 */
export function causalMask(queryLength: number, keyLength: number = queryLength): Tensor {
  if (keyLength < queryLength) {
    throw new Error(`causalMask: keyLength ${keyLength} is shorter than queryLength ${queryLength}`);
  }
  const offset = keyLength - queryLength;
  const data = new Int32Array(queryLength * keyLength);
  for (let i = 0; i < queryLength; i++) {
    for (let j = 0; j <= i + offset; j++) data[i * keyLength + j] = 1;
  }
  return tensor(data, [1, 1, queryLength, keyLength]);
}

/**
 * [B,1,1,Tk] 0/1 mask from an attention mask [B,Tk] (1 = attend, 0 = padding), the `attention_mask` of
 * Hugging Face tokenizers. Any dtype is accepted; non-zero means visible. Returns int32 0/1.
 */
export function paddingMask(attentionMask: Tensor): Tensor {
  if (attentionMask.rank !== 2) {
    throw new Error(`paddingMask: attentionMask must be [B,T], got [${attentionMask.shape.join(',')}]`);
  }
  const [b, t] = attentionMask.shape as [number, number];
  const visible =
    attentionMask.dtype === 'int32' ? ne(attentionMask, 0) : cast(ne(attentionMask, 0), 'int32');
  return reshape(visible, [b, 1, 1, t]); // [B,T] → [B,1,1,T]
}

/**
 * 0/1 mask from valid lengths (the `valid_lens` of the classic d2l BERT code): key j is visible iff
 * j < validLens. `validLens` is [B] (one length per sequence → [B,1,1,Tk]) or [B,Tq] (one per query →
 * [B,1,Tq,Tk]).
 */
export function validLengthMask(validLens: Tensor, keyLength: number): Tensor {
  const lens = validLens.dtype === 'int32' ? validLens : cast(validLens, 'int32');
  const positions = arange(keyLength);
  if (validLens.rank === 1) {
    return lt(positions, reshape(lens, [lens.size, 1, 1, 1])); // [B] → [B,1,1,Tk]
  }
  if (validLens.rank === 2) {
    const [b, tq] = validLens.shape as [number, number];
    return lt(positions, reshape(lens, [b, 1, tq, 1])); // [B,Tq] → [B,1,Tq,Tk]
  }
  throw new Error(`validLengthMask: validLens must be [B] or [B,Tq], got [${validLens.shape.join(',')}]`);
}

/** 0 where the 0/1 mask `visible` is 1, `MASK_MIN` where it is 0 (float32, same shape). */
export function toAdditiveMask(visible: Tensor): Tensor {
  const v = visible.dtype === 'float32' ? visible : cast(visible, 'float32');
  // (1 - v) · MIN: a scalar MIN next to an int tensor would be taken as an int32, so stay in float32
  return mul(sub(1, v), MASK_MIN);
}

/** The product of several 0/1 masks (a key is visible only if every mask allows it), broadcast together. */
export function combineMasks(...masks: (Tensor | null | undefined)[]): Tensor | null {
  let out: Tensor | null = null;
  for (const m of masks) {
    if (!m) continue;
    const f = m.dtype === 'int32' ? m : cast(ne(m, 0), 'int32');
    out = out === null ? f : mul(out, f);
  }
  return out;
}

/**
 * The additive mask a decoder layer needs: causal over Tq queries and Tk keys, times the padding of an
 * attention mask [B,Tk] when one is given. Returns [B|1,1,Tq,Tk] of 0 / `MASK_MIN`.
 */
export function causalAttentionMask(options: {
  queryLength: number;
  keyLength?: number;
  attentionMask?: Tensor | null;
}): Tensor {
  const tq = options.queryLength;
  const tk = options.keyLength ?? tq;
  const causal = causalMask(tq, tk);
  const visible = options.attentionMask ? combineMasks(causal, paddingMask(options.attentionMask))! : causal;
  return toAdditiveMask(visible);
}
