export { add, clamp, div, eq, ge, gt, le, lt, maximum, minimum, mul, ne, pow, sub } from './binary.ts';
export { cast, clone } from './cast.ts';
export { type CrossEntropyOptions, crossEntropy } from './composite/cross-entropy.ts';
export { type DropoutOptions, dropout } from './composite/dropout.ts';
export { gelu, geluNew } from './composite/gelu.ts';
export { layerNorm } from './composite/layer-norm.ts';
export { logSoftmax, softmax } from './composite/softmax.ts';
export {
  arange,
  type CreateOptions,
  full,
  hostArray,
  ones,
  onesLike,
  type RandomOptions,
  rand,
  randn,
  tensor,
  zeros,
  zerosLike,
} from './create.ts';
export { embedding, type IndexSelectOptions, indexSelect, takeLast } from './gather.ts';
export { linear, type MatmulOptions, matmul } from './matmul.ts';
export { argmax, max, mean, min, type ReduceOptions, sum, sumToShape } from './reduce.ts';
export {
  canCopyInto,
  concat,
  copyInto_,
  expand,
  flatten,
  narrow,
  permute,
  reshape,
  slice,
  split,
  squeeze,
  transpose,
  unsqueeze,
} from './shape-ops.ts';
export {
  abs,
  erf,
  exp,
  log,
  neg,
  reciprocal,
  relu,
  rsqrt,
  sigmoid,
  sign,
  sqrt,
  square,
  step,
  tanh,
} from './unary.ts';
export { maskedFill, where } from './where.ts';
