import type { BinaryOp, UnaryOp } from '../../../backend.ts';
import { isNan, type KernelSpec, kernel, stridedArgs, stridedIndices, TEX } from './common.ts';

/**
 * erf as the CPU backend computes it (a Taylor series below 0.5, Numerical Recipes' erfc above), in float32.
 * The same formula on both backends keeps them within float32 rounding of each other.
 */
const ERF = `let z = Math.abs(v);
  let e = 0.0;
  if (z < 0.5) {
    let x2 = v * v;
    let term = v;
    let s = v;
    for (let n = 1; n < 12; n++) {
      term = term * (-x2 / n);
      s = s + term / (2.0 * n + 1.0);
    }
    e = s * 1.1283791670955126;
  } else {
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
    let erfc = t * Math.exp(-z * z + poly);
    e = v >= 0.0 ? 1.0 - erfc : erfc - 1.0;
  }
  return e;`;

/**
 * tanh without overflow: (1 − e^−2|x|)/(1 + e^−2|x|), and its Taylor series near 0 where that form cancels.
 * (GLSL ES 1.00 has no tanh, and gpu.js's polyfill overflows for large |x|.)
 */
const TANH = `let z = Math.abs(v);
  let y = 0.0;
  if (z < 0.0625) {
    let v2 = v * v;
    y = v * (1.0 - v2 * (0.3333333333333333 - v2 * 0.13333333333333333));
  } else {
    let t = Math.exp(-2.0 * z);
    y = (1.0 - t) / (1.0 + t);
    if (v < 0.0) { y = -y; }
  }
  return y;`;

const UNARY: Record<UnaryOp, string> = {
  neg: 'return -v;',
  exp: 'return Math.exp(v);',
  log: 'return Math.log(v);',
  sqrt: 'return Math.sqrt(v);',
  rsqrt: 'return 1.0 / Math.sqrt(v);',
  tanh: TANH,
  erf: ERF,
  relu: 'return v > 0.0 ? v : 0.0;',
  abs: 'return Math.abs(v);',
  sign: 'return v > 0.0 ? 1.0 : (v < 0.0 ? -1.0 : 0.0);',
  sigmoid: 'return 1.0 / (1.0 + Math.exp(-v));',
  reciprocal: 'return 1.0 / v;',
  square: 'return v * v;',
  step: 'return v > 0.0 ? 1.0 : 0.0;',
};

export function unarySpec(op: UnaryOp): KernelSpec {
  return kernel([['x', TEX]], `let v = x[this.thread.x];\n  ${UNARY[op]}`);
}

/**
 * pow as Math.pow: GLSL's pow is undefined for a negative base, so the sign is applied by hand for integer
 * exponents (and NaN for the rest), and 0^y is spelled out.
 */
const POW = `let r = 0.0;
  if (b == 0.0) { r = 1.0; }
  else if (a == 0.0) { r = b > 0.0 ? 0.0 : Infinity; }
  else {
    r = Math.pow(Math.abs(a), b);
    if (a < 0.0) {
      let h = Math.floor(b * 0.5);
      if (Math.floor(b) != b) { r = (r - r) / (r - r); }
      else if (h * 2.0 != b) { r = -r; }
    }
  }
  return r;`;

/** Integer division truncated toward zero, exact (float division is not exactly rounded on GPUs). */
const INT_DIV = `let A = Math.abs(a);
  let B = Math.abs(b);
  let q = Math.floor(A / B);
  let m = A - q * B;
  if (m < 0.0) { q = q - 1.0; }
  if (m >= B) { q = q + 1.0; }
  if ((a < 0.0) != (b < 0.0)) { q = -q; }
  return q;`;

const BINARY: Record<BinaryOp, string> = {
  add: 'return a + b;',
  sub: 'return a - b;',
  mul: 'return a * b;',
  div: 'return a / b;',
  pow: POW,
  maximum: `return (a > b || ${isNan('a')}) ? a : b;`,
  minimum: `return (a < b || ${isNan('a')}) ? a : b;`,
  eq: 'return a == b ? 1.0 : 0.0;',
  ne: 'return a != b ? 1.0 : 0.0;',
  lt: 'return a < b ? 1.0 : 0.0;',
  le: 'return a <= b ? 1.0 : 0.0;',
  gt: 'return a > b ? 1.0 : 0.0;',
  ge: 'return a >= b ? 1.0 : 0.0;',
};

export function binarySpec(op: BinaryOp, rank: number, intDiv: boolean): KernelSpec {
  const body = intDiv ? INT_DIV : BINARY[op];
  const [i0, i1] = stridedIndices(rank, 2);
  return kernel(
    [['x', TEX], ['y', TEX], ...stridedArgs(rank, 2)],
    `let a = x[${i0}];\n  let b = y[${i1}];\n  ${body}`,
  );
}

export function whereSpec(rank: number): KernelSpec {
  const [i0, i1, i2] = stridedIndices(rank, 3);
  return kernel(
    [['c', TEX], ['x', TEX], ['y', TEX], ...stridedArgs(rank, 3)],
    `let r = 0.0;\n  if (c[${i0}] != 0.0) { r = x[${i1}]; } else { r = y[${i2}]; }\n  return r;`,
  );
}

export function copyStridedSpec(rank: number): KernelSpec {
  return kernel([['x', TEX], ...stridedArgs(rank, 1)], `return x[${stridedIndices(rank, 1)[0]}];`);
}

/** float → int32 truncates toward zero; int32 → float32 copies (both are stored as float32). */
export function castSpec(toInt: boolean): KernelSpec {
  return kernel([['x', TEX]], toInt ? 'return Math.trunc(x[this.thread.x]);' : 'return x[this.thread.x];');
}

export const fillSpec: KernelSpec = kernel([['v', 'Float']], 'return v;');

/** Upload: renders a host Float32Array into a texture. */
export const uploadSpec: KernelSpec = kernel([['a', 'Array']], 'return a[this.thread.x];');
