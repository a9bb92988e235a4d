import { promote } from '../dtype.ts';
import { broadcastShapes, broadcastStrides } from '../shape.ts';
import { makeTensor, type Tensor } from '../tensor.ts';
import { asTensor, checkSameBackend } from './helpers.ts';
import { sumToShape } from './reduce.ts';

/** cond != 0 ? a : b, with broadcasting over all three. */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  const ta = asTensor(a, typeof b === 'number' ? cond : b);
  const tb = asTensor(b, ta);
  const dtype = typeof a === 'number' && typeof b !== 'number' ? tb.dtype : promote(ta.dtype, tb.dtype);
  checkSameBackend('where', cond, ta, tb);
  const outShape = broadcastShapes('where', broadcastShapes('where', cond.shape, ta.shape), tb.shape);
  const view = (t: Tensor) => ({
    storage: t.storage,
    dtype: t.dtype,
    offset: 0,
    strides: broadcastStrides(t.shape, outShape),
  });
  const storage = cond.backend.where(view(cond), view(ta), view(tb), outShape, dtype);
  return makeTensor(cond.backend, storage, outShape, dtype, () => ({
    op: 'where',
    inputs: [cond, ta, tb],
    backward: (g) => [
      null,
      ta.requiresGrad ? sumToShape(where(cond, g, 0), ta.shape) : null,
      tb.requiresGrad ? sumToShape(where(cond, 0, g), tb.shape) : null,
    ],
  }));
}

/** x with `value` where mask != 0 (mask broadcast to x), like torch.masked_fill. */
export function maskedFill(x: Tensor, mask: Tensor, value: number): Tensor {
  return where(mask, value, x);
}
