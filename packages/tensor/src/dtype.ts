/** Element types a tensor can hold. int64 data is accepted when loading and narrowed to int32. */
export type DType = 'float32' | 'int32';

export type TypedArray = Float32Array | Int32Array;

export function arrayFor(dtype: DType, size: number): TypedArray {
  return dtype === 'float32' ? new Float32Array(size) : new Int32Array(size);
}

/** The result type of a binary op: float32 wins, as in PyTorch's type promotion for these two types. */
export function promote(a: DType, b: DType): DType {
  return a === 'float32' || b === 'float32' ? 'float32' : 'int32';
}

export function dtypeOfArray(data: TypedArray): DType {
  return data instanceof Float32Array ? 'float32' : 'int32';
}
