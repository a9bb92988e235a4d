import { noGrad } from '../../autograd.ts';
import { normalizeAxis } from '../../shape.ts';
import type { Tensor } from '../../tensor.ts';
import { div, sub } from '../binary.ts';
import { max, sum } from '../reduce.ts';
import { exp, log } from '../unary.ts';

// The max is subtracted for stability; softmax is invariant to it, so it is taken without a gradient.
function shifted(x: Tensor, axis: number): Tensor {
  const a = normalizeAxis('softmax', axis, x.rank);
  const m = noGrad(() => max(x, { axis: a, keepDims: true }));
  return sub(x, m);
}

/** exp(x) / sum(exp(x)) along `axis`. */
export function softmax(x: Tensor, axis = -1): Tensor {
  const e = exp(shifted(x, axis));
  return div(e, sum(e, { axis, keepDims: true }));
}

/** x - log(sum(exp(x))) along `axis`, computed stably. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const z = shifted(x, axis);
  return sub(z, log(sum(exp(z), { axis, keepDims: true })));
}
