import { gelu, geluNew, mul, relu, sigmoid, type Tensor, tanh } from '@tsformer/tensor';

/**
 * The activation a Hugging Face config names (`hidden_act`, `activation_function`), as transformers'
 * ACT2FN: `gelu` is the exact erf form, `gelu_new` (= `gelu_pytorch_tanh`) the tanh approximation.
 */
export function activation(name: string): (x: Tensor) => Tensor {
  switch (name) {
    case 'gelu':
      return gelu;
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
    case 'gelu_fast':
      return geluNew;
    case 'relu':
      return relu;
    case 'tanh':
      return tanh;
    case 'silu':
    case 'swish':
      return (x) => mul(x, sigmoid(x));
    case 'quick_gelu':
      return (x) => mul(x, sigmoid(mul(x, 1.702)));
    default:
      throw new Error(`activation: unknown activation ${JSON.stringify(name)}`);
  }
}
