import type { UnaryOp } from '../backend.ts';
import { makeTensor, type Tensor } from '../tensor.ts';
import { div, mul, sub } from './binary.ts';
import { checkFloat } from './helpers.ts';

function unary(op: UnaryOp, x: Tensor, backward?: (g: Tensor, x: Tensor, out: Tensor) => Tensor): Tensor {
  if (op !== 'neg' && op !== 'abs' && op !== 'sign' && op !== 'square' && op !== 'relu') checkFloat(op, x);
  const storage = x.backend.unary(op, x.storage, x.dtype, x.size);
  const out: Tensor = makeTensor(x.backend, storage, x.shape, x.dtype, () => ({
    op,
    inputs: [x],
    backward: (g) => [backward ? backward(g, x, out) : null],
  }));
  return out;
}

export function neg(x: Tensor): Tensor {
  return unary('neg', x, (g) => neg(g));
}

export function exp(x: Tensor): Tensor {
  return unary('exp', x, (g, _x, out) => mul(g, out));
}

export function log(x: Tensor): Tensor {
  return unary('log', x, (g, x) => div(g, x));
}

export function sqrt(x: Tensor): Tensor {
  return unary('sqrt', x, (g, _x, out) => div(mul(g, 0.5), out));
}

/** 1 / sqrt(x) */
export function rsqrt(x: Tensor): Tensor {
  // d/dx x^-1/2 = -1/2 x^-3/2 = -1/2 · out / x
  return unary('rsqrt', x, (g, x, out) => mul(g, div(mul(out, -0.5), x)));
}

export function tanh(x: Tensor): Tensor {
  return unary('tanh', x, (g, _x, out) => mul(g, sub(1, mul(out, out))));
}

/** The error function, accurate to ~1e-7 relative (JavaScript has no Math.erf). */
export function erf(x: Tensor): Tensor {
  // d/dx erf(x) = 2/sqrt(pi) · exp(-x²)
  return unary('erf', x, (g, x) => mul(g, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI))));
}

export function relu(x: Tensor): Tensor {
  return unary('relu', x, (g, x) => mul(g, step(x)));
}

export function abs(x: Tensor): Tensor {
  return unary('abs', x, (g, x) => mul(g, sign(x)));
}

export function sign(x: Tensor): Tensor {
  return unary('sign', x);
}

/** 1 where x > 0, else 0 (no gradient). */
export function step(x: Tensor): Tensor {
  return unary('step', x);
}

export function sigmoid(x: Tensor): Tensor {
  return unary('sigmoid', x, (g, _x, out) => mul(g, mul(out, sub(1, out))));
}

export function reciprocal(x: Tensor): Tensor {
  return unary('reciprocal', x, (g, _x, out) => neg(mul(g, mul(out, out))));
}

export function square(x: Tensor): Tensor {
  return unary('square', x, (g, x) => mul(g, mul(x, 2)));
}
