import { noGrad } from '../../autograd.ts';
import { normalizeAxis } from '../../shape.ts';
import { makeTensor, type Tensor } from '../../tensor.ts';
import { div, sub } from '../binary.ts';
import { checkFloat } from '../helpers.ts';
import { max, sum } from '../reduce.ts';
import { exp, log } from '../unary.ts';

// The max is subtracted for stability; softmax is invariant to it, so it is taken without a gradient.
function shifted(x: Tensor, axis: number): Tensor {
  const m = noGrad(() => max(x, { axis, keepDims: true }));
  return sub(x, m);
}

/** The backend's fused kernel over the last axis (one pass forward, one backward). */
function fusedSoftmax(x: Tensor, logForm: boolean): Tensor {
  const fused = x.backend.fused!;
  const cols = x.shape[x.rank - 1]!;
  const rows = x.size / Math.max(cols, 1);
  const y: Tensor = makeTensor(
    x.backend,
    fused.softmax(x.storage, rows, cols, logForm),
    x.shape,
    'float32',
    () => ({
      op: logForm ? 'logSoftmax' : 'softmax',
      inputs: [x],
      backward: (g) => [
        makeTensor(
          x.backend,
          fused.softmaxBackward(y.storage, g.storage, rows, cols, logForm),
          x.shape,
          'float32',
        ),
      ],
    }),
  );
  return y;
}

/** exp(x) / sum(exp(x)) along `axis`. */
export function softmax(x: Tensor, axis = -1): Tensor {
  checkFloat('softmax', x);
  const a = normalizeAxis('softmax', axis, x.rank);
  if (x.backend.fused && a === x.rank - 1 && x.size > 0) return fusedSoftmax(x, false);
  const e = exp(shifted(x, a));
  return div(e, sum(e, { axis: a, keepDims: true }));
}

/** x - log(sum(exp(x))) along `axis`, computed stably. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  checkFloat('logSoftmax', x);
  const a = normalizeAxis('logSoftmax', axis, x.rank);
  if (x.backend.fused && a === x.rank - 1 && x.size > 0) return fusedSoftmax(x, true);
  const z = shifted(x, a);
  return sub(z, log(sum(exp(z), { axis: a, keepDims: true })));
}
