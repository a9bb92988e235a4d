import type { BinaryOp } from '../backend.ts';
import { promote } from '../dtype.ts';
import { broadcastShapes, broadcastStrides, shapesEqual } from '../shape.ts';
import { makeTensor, type Tensor } from '../tensor.ts';
import { asTensor, checkSameBackend } from './helpers.ts';
import { sumToShape } from './reduce.ts';
import { log } from './unary.ts';
import { where } from './where.ts';

const COMPARISONS = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

function binary(
  op: BinaryOp,
  x: Tensor | number,
  y: Tensor | number,
  backward?: (g: Tensor, a: Tensor, b: Tensor, out: Tensor) => [Tensor | null, Tensor | null],
): Tensor {
  if (typeof x === 'number' && typeof y === 'number')
    throw new Error(`${op}: at least one operand must be a tensor`);
  const a = typeof x === 'number' ? asTensor(x, y as Tensor) : x;
  const b = typeof y === 'number' ? asTensor(y, a) : y;
  checkSameBackend(op, a, b);
  const outShape = shapesEqual(a.shape, b.shape) ? [...a.shape] : broadcastShapes(op, a.shape, b.shape);
  let dtype = promote(a.dtype, b.dtype);
  if (op === 'div' || op === 'pow') dtype = 'float32';
  const storage = a.backend.binary(
    op,
    { storage: a.storage, dtype: a.dtype, offset: 0, strides: broadcastStrides(a.shape, outShape) },
    { storage: b.storage, dtype: b.dtype, offset: 0, strides: broadcastStrides(b.shape, outShape) },
    outShape,
    dtype,
  );
  const out: Tensor = makeTensor(
    a.backend,
    storage,
    outShape,
    dtype,
    backward && !COMPARISONS.has(op)
      ? () => ({
          op,
          inputs: [a, b],
          backward: (g) => {
            const [ga, gb] = backward(g, a, b, out);
            return [
              ga && a.requiresGrad ? sumToShape(ga, a.shape) : null,
              gb && b.requiresGrad ? sumToShape(gb, b.shape) : null,
            ];
          },
        })
      : undefined,
  );
  return out;
}

export function add(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('add', a, b, (g) => [g, g]);
}

export function sub(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('sub', a, b, (g) => [g, mul(g, -1)]);
}

export function mul(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('mul', a, b, (g, a, b) => [
    a.requiresGrad ? mul(g, b) : null,
    b.requiresGrad ? mul(g, a) : null,
  ]);
}

export function div(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('div', a, b, (g, _a, b, out) => [
    div(g, b),
    b.requiresGrad ? mul(div(g, b), mul(out, -1)) : null,
  ]);
}

/** a ** b (float32). */
export function pow(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('pow', a, b, (g, a, b, out) => [
    a.requiresGrad ? mul(g, mul(b, pow(a, sub(b, 1)))) : null,
    b.requiresGrad ? mul(g, mul(out, log(a))) : null,
  ]);
}

/** Elementwise maximum; ties split the gradient evenly, like PyTorch. */
export function maximum(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('maximum', a, b, (g, a, b) => {
    const share = add(gt(a, b), mul(eq(a, b), 0.5));
    return [mul(g, share), mul(g, sub(1, share))];
  });
}

export function minimum(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('minimum', a, b, (g, a, b) => {
    const share = add(lt(a, b), mul(eq(a, b), 0.5));
    return [mul(g, share), mul(g, sub(1, share))];
  });
}

/** Comparisons give 1/0 in the promoted dtype; they carry no gradient. */
export function eq(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('eq', a, b);
}
export function ne(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('ne', a, b);
}
export function lt(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('lt', a, b);
}
export function le(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('le', a, b);
}
export function gt(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('gt', a, b);
}
export function ge(a: Tensor | number, b: Tensor | number): Tensor {
  return binary('ge', a, b);
}

/** Clamps into [lo, hi]; the gradient passes where x is strictly inside. */
export function clamp(x: Tensor, lo: number, hi: number): Tensor {
  return where(lt(x, lo), lo, where(gt(x, hi), hi, x));
}
