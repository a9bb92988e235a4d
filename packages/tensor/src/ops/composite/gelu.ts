import { makeTensor, type Tensor } from '../../tensor.ts';
import { add, mul } from '../binary.ts';
import { checkFloat } from '../helpers.ts';
import { erf, tanh } from '../unary.ts';

function fusedGelu(kind: 'erf' | 'tanh', x: Tensor): Tensor {
  const fused = x.backend.fused!;
  return makeTensor(x.backend, fused.gelu(kind, x.storage, x.size), x.shape, 'float32', () => ({
    op: kind === 'erf' ? 'gelu' : 'geluNew',
    inputs: [x],
    backward: (g) => [
      makeTensor(x.backend, fused.geluBackward(kind, x.storage, g.storage, x.size), x.shape, 'float32'),
    ],
  }));
}

/** GELU, exact form: 0.5·x·(1 + erf(x/√2)) (BERT's `gelu`). */
export function gelu(x: Tensor): Tensor {
  checkFloat('gelu', x);
  if (x.backend.fused) return fusedGelu('erf', x);
  return mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));
}

/** GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (GPT-2's `gelu_new`). */
export function geluNew(x: Tensor): Tensor {
  checkFloat('geluNew', x);
  if (x.backend.fused) return fusedGelu('tanh', x);
  const inner = mul(add(x, mul(mul(mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
  return mul(mul(x, 0.5), add(tanh(inner), 1));
}
