import { fmt } from '../../shape.ts';
import { makeTensor, type Tensor } from '../../tensor.ts';
import { add, mul, sub } from '../binary.ts';
import { checkFloat } from '../helpers.ts';
import { mean } from '../reduce.ts';
import { rsqrt } from '../unary.ts';

/**
 * Layer normalisation over the last axis: (x - mean) / sqrt(var + eps) · weight + bias, with the biased
 * variance, as torch.nn.functional.layer_norm.
 */
export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  checkFloat('layerNorm', x);
  const c = x.shape[x.rank - 1]!;
  for (const p of [weight, bias]) {
    if (p && (p.rank !== 1 || p.shape[0] !== c)) {
      throw new Error(`layerNorm: parameter ${fmt(p.shape)} does not match the last axis of ${fmt(x.shape)}`);
    }
  }
  const fused = x.backend.fused;
  if (fused && x.size > 0) {
    const rows = x.size / c;
    const {
      y,
      mean: mu,
      rstd,
    } = fused.layerNorm(x.storage, weight?.storage ?? null, bias?.storage ?? null, rows, c, eps);
    const inputs = [x, weight, bias].filter((t): t is Tensor => t !== null);
    return makeTensor(x.backend, y, x.shape, 'float32', () => ({
      op: 'layerNorm',
      inputs,
      backward: (g) => {
        const r = fused.layerNormBackward(g.storage, x.storage, weight?.storage ?? null, mu, rstd, rows, c);
        const out: Tensor[] = [makeTensor(x.backend, r.dx, x.shape, 'float32')];
        if (weight) out.push(makeTensor(x.backend, r.dWeight, [c], 'float32'));
        if (bias) out.push(makeTensor(x.backend, r.dBias, [c], 'float32'));
        return out;
      },
    }));
  }
  const centered = sub(x, mean(x, { axis: -1, keepDims: true }));
  const variance = mean(mul(centered, centered), { axis: -1, keepDims: true });
  let y = mul(centered, rsqrt(add(variance, eps)));
  if (weight) y = mul(y, weight);
  if (bias) y = add(y, bias);
  return y;
}
