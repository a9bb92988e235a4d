import { noGrad } from '../autograd.ts';
import { tensor } from '../ops/create.ts';
import { Generator } from '../random.ts';
import type { Tensor } from '../tensor.ts';

export interface GradcheckOptions {
  /** finite-difference step (float32 needs ~1e-3) */
  eps?: number;
  rtol?: number;
  atol?: number;
  seed?: number;
  /** check at most this many elements per input (spread evenly), to keep big inputs fast */
  maxElements?: number;
}

export interface GradcheckReport {
  /** the largest |analytic - numeric| over every checked element */
  maxAbsError: number;
  checked: number;
}

/**
 * Compares the gradient that autograd computes for `fn` at `inputs` with central finite differences of
 * L = sum(fn(inputs) · w) for a fixed random w, in float32 like the ops themselves. Throws, naming the input
 * and element, where |analytic - numeric| > atol + rtol·|numeric|. Only float32 inputs are checked.
 */
export function gradcheck(
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  options: GradcheckOptions = {},
): GradcheckReport {
  const { eps = 1e-3, rtol = 1e-2, atol = 1e-3, seed = 0, maxElements = 64 } = options;
  const data = inputs.map((t) => Float32Array.from(t.dataSync()));
  const make = (values: readonly Float32Array[], grad: boolean): Tensor[] =>
    inputs.map((t, i) =>
      t.dtype === 'float32'
        ? tensor(values[i]!, t.shape, { requiresGrad: grad, backend: t.backend })
        : tensor(t.dataSync(), t.shape, { dtype: t.dtype, backend: t.backend }),
    );

  // analytic
  const leaves = make(data, true);
  const out = fn(...leaves);
  const w = new Generator(seed).uniform(out.size).map((u) => u * 2 - 1);
  const weight = tensor(w, out.shape, { backend: out.backend });
  out.mul(weight).sum().backward();

  const loss = (values: Float32Array[]): number =>
    noGrad(() => {
      const y = fn(...make(values, false)).dataSync();
      let s = 0;
      for (let i = 0; i < y.length; i++) s += y[i]! * w[i]!;
      return s;
    });

  let maxAbsError = 0;
  let checked = 0;
  inputs.forEach((t, i) => {
    if (t.dtype !== 'float32') return;
    const analytic = leaves[i]!.grad?.dataSync() ?? new Float32Array(t.size);
    const stride = Math.max(1, Math.floor(t.size / maxElements));
    for (let j = 0; j < t.size; j += stride) {
      const plus = data.map((d) => d.slice());
      const minus = data.map((d) => d.slice());
      plus[i]![j]! += eps;
      minus[i]![j]! -= eps;
      const h = plus[i]![j]! - minus[i]![j]!; // the float32 step actually taken
      const numeric = (loss(plus) - loss(minus)) / h;
      const err = Math.abs(analytic[j]! - numeric);
      maxAbsError = Math.max(maxAbsError, err);
      checked++;
      if (err > atol + rtol * Math.abs(numeric)) {
        throw new Error(
          `gradcheck: input ${i} ${JSON.stringify(t.shape)} element ${j}: analytic ${analytic[j]} vs numeric ${numeric} (|diff| ${err.toExponential(3)})`,
        );
      }
    }
  });
  return { maxAbsError, checked };
}
