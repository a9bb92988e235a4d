import { noGrad } from '../autograd.ts';
import { tidy } from '../engine.ts';
import { add, div, minimum, mul } from '../ops/binary.ts';
import { sum } from '../ops/reduce.ts';
import { sqrt } from '../ops/unary.ts';
import type { Tensor } from '../tensor.ts';

/**
 * Scales all gradients so their global L2 norm is at most `maxNorm`, as torch.nn.utils.clip_grad_norm_
 * (coefficient maxNorm / (norm + 1e-6), clamped to 1). Returns the norm before clipping as a scalar tensor;
 * nothing is read back, so it costs no synchronisation on a GPU.
 */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number): Tensor {
  return noGrad(() => {
    const grads = params.map((p) => p.grad).filter((g): g is Tensor => g !== null);
    const norm = tidy(() => {
      let total: Tensor | null = null;
      for (const g of grads) {
        const s = sum(mul(g, g));
        total = total === null ? s : add(total, s);
      }
      return sqrt(total ?? sum(mul(params[0]!, 0)));
    });
    tidy(() => {
      const coef = minimum(div(maxNorm, add(norm, 1e-6)), 1);
      for (const p of params) if (p.grad !== null) p.grad.assign(mul(p.grad, coef));
    });
    return norm;
  });
}
