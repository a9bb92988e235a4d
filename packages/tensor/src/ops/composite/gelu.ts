import type { Tensor } from '../../tensor.ts';
import { add, mul } from '../binary.ts';
import { erf, tanh } from '../unary.ts';

/** GELU, exact form: 0.5·x·(1 + erf(x/√2)) (BERT's `gelu`). */
export function gelu(x: Tensor): Tensor {
  return mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));
}

/** GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (GPT-2's `gelu_new`). */
export function geluNew(x: Tensor): Tensor {
  const inner = mul(add(x, mul(mul(mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
  return mul(mul(x, 0.5), add(tanh(inner), 1));
}
