import type { ReduceOp } from '../backend.ts';
import { fmt, normalizeAxis, type Shape, shapesEqual, sizeOf } from '../shape.ts';
import { makeTensor, type Tensor } from '../tensor.ts';
import { div, eq, mul } from './binary.ts';
import { expand, reshape } from './shape-ops.ts';

export interface ReduceOptions {
  /** one axis, several, or all when omitted */
  axis?: number | readonly number[];
  keepDims?: boolean;
}

function normalizeAxes(op: string, x: Tensor, axis: number | readonly number[] | undefined): number[] {
  if (axis === undefined) return x.shape.map((_, i) => i);
  const list = typeof axis === 'number' ? [axis] : [...axis];
  const axes = [...new Set(list.map((a) => normalizeAxis(op, a, x.rank)))].sort((a, b) => a - b);
  return axes;
}

function keptShape(shape: Shape, axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** Runs a reduce kernel over `axes`, merging runs of adjacent axes into one pass each. */
function reduceRaw(
  op: ReduceOp,
  x: Tensor,
  axes: readonly number[],
): { storage: object; shape: number[]; dtype: 'float32' | 'int32' } {
  let storage = x.storage;
  let shape = [...x.shape];
  let owned = false;
  // groups of consecutive axes, processed from the last so earlier indices stay valid
  const groups: [number, number][] = [];
  for (const a of axes) {
    const last = groups[groups.length - 1];
    if (last && last[1] === a - 1) last[1] = a;
    else groups.push([a, a]);
  }
  const dtype = op === 'argmax' ? 'int32' : x.dtype;
  for (let gi = groups.length - 1; gi >= 0; gi--) {
    const [lo, hi] = groups[gi]!;
    const outer = sizeOf(shape.slice(0, lo));
    const len = sizeOf(shape.slice(lo, hi + 1));
    const inner = sizeOf(shape.slice(hi + 1));
    const next = x.backend.reduce(op, storage, x.dtype, outer, len, inner);
    if (owned) x.backend.free(storage);
    storage = next;
    owned = true;
    shape = [...shape.slice(0, lo), ...shape.slice(hi + 1)];
  }
  if (!owned) storage = x.backend.copyStrided({ storage, dtype: x.dtype, offset: 0, strides: [1] }, [x.size]);
  return { storage, shape, dtype };
}

export function sum(x: Tensor, options: ReduceOptions = {}): Tensor {
  const axes = normalizeAxes('sum', x, options.axis);
  const raw = reduceRaw('sum', x, axes);
  const kept = keptShape(x.shape, axes);
  const outShape = options.keepDims ? kept : raw.shape;
  return makeTensor(x.backend, raw.storage, outShape, raw.dtype, () => ({
    op: 'sum',
    inputs: [x],
    backward: (g) => [expand(reshape(g, kept), x.shape)],
  }));
}

export function mean(x: Tensor, options: ReduceOptions = {}): Tensor {
  const axes = normalizeAxes('mean', x, options.axis);
  const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
  return div(sum(x, options), count);
}

function extreme(op: 'max' | 'min', x: Tensor, options: ReduceOptions): Tensor {
  const axes = normalizeAxes(op, x, options.axis);
  if (axes.some((a) => x.shape[a] === 0))
    throw new Error(`${op}: cannot reduce an empty axis of ${fmt(x.shape)}`);
  const raw = reduceRaw(op, x, axes);
  const kept = keptShape(x.shape, axes);
  const outShape = options.keepDims ? kept : raw.shape;
  const out: Tensor = makeTensor(x.backend, raw.storage, outShape, raw.dtype, () => ({
    op,
    inputs: [x],
    backward: (g) => {
      // the gradient goes to the extreme elements, split evenly among ties
      const m = expand(reshape(out, kept), x.shape);
      const mask = eq(x, m);
      const count = expand(sum(mask, { axis: axes, keepDims: true }), x.shape);
      return [div(mul(expand(reshape(g, kept), x.shape), mask), count)];
    },
  }));
  return out;
}

export function max(x: Tensor, options: ReduceOptions = {}): Tensor {
  return extreme('max', x, options);
}

export function min(x: Tensor, options: ReduceOptions = {}): Tensor {
  return extreme('min', x, options);
}

/** Index of the largest value along `axis` (int32; the first one on ties). */
export function argmax(x: Tensor, axis = -1, keepDims = false): Tensor {
  const a = normalizeAxis('argmax', axis, x.rank);
  const raw = reduceRaw('argmax', x, [a]);
  return makeTensor(x.backend, raw.storage, keepDims ? keptShape(x.shape, [a]) : raw.shape, 'int32');
}

/** Sums `g` down to `shape` over the axes broadcasting added (the backward of broadcasting). */
export function sumToShape(g: Tensor, shape: Shape): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const s = axes.length > 0 ? sum(g, { axis: axes, keepDims: true }) : g;
  return reshape(s, shape);
}
