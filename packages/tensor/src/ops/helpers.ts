import type { Backend } from '../backend.ts';
import type { DType } from '../dtype.ts';
import { fmt, stridesOf } from '../shape.ts';
import { makeTensor, type Tensor } from '../tensor.ts';

/** A number becomes a 0-d tensor of `dtype` on `backend`. */
export function scalarOn(backend: Backend, value: number, dtype: DType): Tensor {
  return makeTensor(backend, backend.fill(dtype, 1, value), [], dtype);
}

/**
 * Numbers in a binary op take the tensor's dtype when they are int32-representable integers, else float32
 * (like PyTorch, where `int_tensor + 1` stays int and `int_tensor + 1e10` or `+ 0.5` becomes float).
 */
export function asTensor(x: Tensor | number, like: Tensor): Tensor {
  if (typeof x !== 'number') return x;
  const fitsInt = Number.isInteger(x) && x >= -2147483648 && x <= 2147483647;
  return scalarOn(like.backend, x, fitsInt ? like.dtype : 'float32');
}

export function contiguousInput(t: Tensor): {
  storage: object;
  dtype: DType;
  offset: number;
  strides: number[];
} {
  return { storage: t.storage, dtype: t.dtype, offset: 0, strides: stridesOf(t.shape) };
}

export function checkFloat(op: string, t: Tensor): void {
  if (t.dtype !== 'float32')
    throw new Error(`${op}: expected a float32 tensor, got ${t.dtype} ${fmt(t.shape)}`);
}

export function checkSameBackend(op: string, ...ts: Tensor[]): void {
  const b = ts[0]!.backend;
  for (const t of ts) {
    if (t.backend !== b)
      throw new Error(`${op}: tensors live on different backends (${b.name}, ${t.backend.name})`);
  }
}
