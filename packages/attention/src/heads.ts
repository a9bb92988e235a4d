import { permute, reshape, type Tensor } from '@tsformer/tensor';

/** [B,T,C] → [B,H,T,D] with D = C/H (head h = channels h·D … (h+1)·D-1, as `view(B,T,H,D)` in PyTorch). */
export function splitHeads(x: Tensor, nHead: number): Tensor {
  if (x.rank !== 3) throw new Error(`splitHeads: expected [B,T,C], got [${x.shape.join(',')}]`);
  const [b, t, c] = x.shape as [number, number, number];
  if (c % nHead !== 0) {
    throw new Error(`splitHeads: ${c} channels of [${x.shape.join(',')}] do not divide into ${nHead} heads`);
  }
  const heads = reshape(x, [b, t, nHead, c / nHead]); // [B,T,C] → [B,T,H,D]
  return permute(heads, [0, 2, 1, 3]); // [B,T,H,D] → [B,H,T,D]
}

/** [B,H,T,D] → [B,T,C] with C = H·D, the inverse of `splitHeads`. */
export function mergeHeads(x: Tensor): Tensor {
  if (x.rank !== 4) throw new Error(`mergeHeads: expected [B,H,T,D], got [${x.shape.join(',')}]`);
  const [b, h, t, d] = x.shape as [number, number, number, number];
  const y = permute(x, [0, 2, 1, 3]); // [B,H,T,D] → [B,T,H,D]
  return reshape(y, [b, t, h * d]); // [B,T,H,D] → [B,T,C]
}
