import { fmt } from '../../shape.ts';
import type { Tensor } from '../../tensor.ts';
import { add, mul, sub } from '../binary.ts';
import { mean } from '../reduce.ts';
import { rsqrt } from '../unary.ts';

/**
 * Layer normalisation over the last axis: (x - mean) / sqrt(var + eps) · weight + bias, with the biased
 * variance, as torch.nn.functional.layer_norm.
 */
export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  const c = x.shape[x.rank - 1]!;
  for (const p of [weight, bias]) {
    if (p && (p.rank !== 1 || p.shape[0] !== c)) {
      throw new Error(`layerNorm: parameter ${fmt(p.shape)} does not match the last axis of ${fmt(x.shape)}`);
    }
  }
  const centered = sub(x, mean(x, { axis: -1, keepDims: true }));
  const variance = mean(mul(centered, centered), { axis: -1, keepDims: true });
  let y = mul(centered, rsqrt(add(variance, eps)));
  if (weight) y = mul(y, weight);
  if (bias) y = add(y, bias);
  return y;
}
