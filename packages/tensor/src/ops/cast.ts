import type { DType } from '../dtype.ts';
import { makeTensor, type Tensor } from '../tensor.ts';

/** Converts to `dtype` (float32 → int32 truncates toward zero, like PyTorch). */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (x.dtype === dtype) return x;
  const storage = x.backend.cast(x.storage, x.dtype, dtype, x.size);
  return makeTensor(x.backend, storage, x.shape, dtype);
}

/** A copy with its own storage (and the same graph position). */
export function clone(x: Tensor): Tensor {
  const storage = x.backend.copyStrided({ storage: x.storage, dtype: x.dtype, offset: 0, strides: [1] }, [
    x.size,
  ]);
  return makeTensor(x.backend, storage, x.shape, x.dtype, () => ({
    op: 'clone',
    inputs: [x],
    backward: (g) => [g],
  }));
}
