import type { Backend } from '../backend.ts';
import { arrayFor, type DType, dtypeOfArray, type TypedArray } from '../dtype.ts';
import { getBackend } from '../engine.ts';
import { type Generator, getDefaultGenerator } from '../random.ts';
import { checkShape, fmt, type Shape, sizeOf } from '../shape.ts';
import { makeTensor, type Tensor } from '../tensor.ts';

export interface CreateOptions {
  dtype?: DType;
  requiresGrad?: boolean;
  backend?: Backend;
  /** false hands a typed array's memory to the tensor instead of copying it (the caller must not write to it) */
  copy?: boolean;
}

type NestedInput = number | readonly NestedInput[];

function inferShape(data: NestedInput): number[] {
  const shape: number[] = [];
  let d: NestedInput = data;
  while (Array.isArray(d)) {
    shape.push(d.length);
    d = (d as readonly NestedInput[])[0]!;
  }
  return shape;
}

function flatten(op: string, data: NestedInput, shape: readonly number[], out: TypedArray): void {
  let k = 0;
  const walk = (d: NestedInput, dim: number): void => {
    if (dim === shape.length) {
      if (typeof d !== 'number')
        throw new Error(`${op}: ragged nested array (expected a number at depth ${dim})`);
      out[k++] = d;
      return;
    }
    if (!Array.isArray(d) || d.length !== shape[dim]) {
      throw new Error(`${op}: ragged nested array (expected length ${shape[dim]} at depth ${dim})`);
    }
    for (const x of d as readonly NestedInput[]) walk(x, dim + 1);
  };
  walk(data, 0);
}

/**
 * A tensor from a number, nested arrays or a typed array (`shape` required for flat data longer than one row).
 * A typed array is copied. Integer data stays float32 unless `dtype: 'int32'` or an Int32Array is given.
 */
export function tensor(
  data: NestedInput | TypedArray | readonly number[],
  shape?: Shape,
  options: CreateOptions = {},
): Tensor {
  const backend = options.backend ?? getBackend();
  let values: TypedArray;
  let outShape: number[];
  if (ArrayBuffer.isView(data)) {
    const dtype = options.dtype ?? dtypeOfArray(data as TypedArray);
    if (options.copy === false && dtype === dtypeOfArray(data as TypedArray)) values = data as TypedArray;
    else {
      values = hostArray(dtype, data.length, backend); // copied once, straight to where the backend keeps it
      values.set(data as TypedArray);
    }
    outShape = shape ? [...shape] : [data.length];
  } else {
    const dtype = options.dtype ?? 'float32';
    const inferred = inferShape(data as NestedInput);
    const n = sizeOf(inferred);
    values = hostArray(dtype, n, backend);
    flatten('tensor', data as NestedInput, inferred, values);
    outShape = shape ? [...shape] : inferred;
  }
  checkShape('tensor', outShape);
  if (sizeOf(outShape) !== values.length) {
    throw new Error(`tensor: ${values.length} values do not fill shape ${fmt(outShape)}`);
  }
  const t = makeTensor(backend, backend.upload(values), outShape, dtypeOfArray(values));
  if (options.requiresGrad) t.requiresGrad_();
  return t;
}

export function full(shape: Shape, value: number, options: CreateOptions = {}): Tensor {
  checkShape('full', shape);
  const backend = options.backend ?? getBackend();
  const dtype = options.dtype ?? 'float32';
  const t = makeTensor(backend, backend.fill(dtype, sizeOf(shape), value), shape, dtype);
  if (options.requiresGrad) t.requiresGrad_();
  return t;
}

export function zeros(shape: Shape, options: CreateOptions = {}): Tensor {
  return full(shape, 0, options);
}

export function ones(shape: Shape, options: CreateOptions = {}): Tensor {
  return full(shape, 1, options);
}

export function zerosLike(t: Tensor): Tensor {
  return full(t.shape, 0, { dtype: t.dtype, backend: t.backend });
}

export function onesLike(t: Tensor): Tensor {
  return full(t.shape, 1, { dtype: t.dtype, backend: t.backend });
}

/** 0, 1, …, n-1 (or start..end by step). */
export function arange(start: number, end?: number, step = 1, options: CreateOptions = {}): Tensor {
  const [lo, hi] = end === undefined ? [0, start] : [start, end];
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const backend = options.backend ?? getBackend();
  const values = hostArray(options.dtype ?? 'int32', n, backend);
  for (let i = 0; i < n; i++) values[i] = lo + i * step;
  return makeTensor(backend, backend.upload(values), [n], options.dtype ?? 'int32');
}

export interface RandomOptions extends CreateOptions {
  /** a seed for a one-off draw, or a generator whose stream is advanced */
  seed?: number;
  generator?: Generator;
}

function draw(kind: 'uniform' | 'normal', shape: Shape, options: RandomOptions): Tensor {
  checkShape(kind === 'uniform' ? 'rand' : 'randn', shape);
  const backend = options.backend ?? getBackend();
  const n = sizeOf(shape);
  let seed: number;
  let offset: number;
  if (options.seed !== undefined) {
    seed = options.seed;
    offset = 0;
  } else {
    const g = options.generator ?? getDefaultGenerator();
    seed = g.seed;
    offset = g.take(n + 1);
  }
  const t = makeTensor(backend, backend.random(kind, seed, offset, n), shape, 'float32');
  if (options.requiresGrad) t.requiresGrad_();
  return t;
}

/** Uniform [0, 1) from the counter-based generator (the same values on every backend). */
export function rand(shape: Shape, options: RandomOptions = {}): Tensor {
  return draw('uniform', shape, options);
}

/** Standard normal values from the counter-based generator. */
export function randn(shape: Shape, options: RandomOptions = {}): Tensor {
  return draw('normal', shape, options);
}

/**
 * An array of `size` elements (contents unspecified) to fill and hand to `tensor(data, shape, { copy: false })`,
 * which then takes it without a copy: on the CPU backend it already lives in the engine's memory, so reading a
 * file into it (model weights) writes them where the kernels read them. A plain typed array on other backends.
 */
export function hostArray(dtype: DType, size: number, backend: Backend = getBackend()): TypedArray {
  return backend.allocHost?.(dtype, size) ?? arrayFor(dtype, size);
}
