import {
  abs,
  add,
  cast,
  crossEntropy,
  exp,
  log,
  maximum,
  mean,
  mul,
  reshape,
  sub,
  type Tensor,
} from '@tsformer/tensor';

/** Hugging Face's `problem_type` of a classification head. */
export type ProblemType = 'regression' | 'single_label_classification' | 'multi_label_classification';

/**
 * The loss of a sequence-classification head as transformers computes it: with no `problemType`, one label
 * means regression (MSE), int32 labels single-label (cross-entropy) and float labels multi-label
 * (binary cross-entropy with logits). logits [B,L]; labels [B] int32, [B] or [B,L] float32.
 */
export function classificationLoss(
  logits: Tensor,
  labels: Tensor,
  options: { numLabels: number; problemType?: string | null },
): Tensor {
  const n = options.numLabels;
  const problem =
    (options.problemType as ProblemType | null | undefined) ??
    (n === 1
      ? 'regression'
      : labels.dtype === 'int32'
        ? 'single_label_classification'
        : 'multi_label_classification');
  if (problem === 'regression') {
    const target = labels.dtype === 'float32' ? labels : cast(labels, 'float32');
    const diff = n === 1 ? sub(reshape(logits, [-1]), reshape(target, [-1])) : sub(logits, target);
    return mean(mul(diff, diff));
  }
  if (problem === 'single_label_classification') {
    const target = labels.dtype === 'int32' ? labels : cast(labels, 'int32');
    return crossEntropy(reshape(logits, [-1, n]), reshape(target, [-1]));
  }
  // BCEWithLogits, stably: max(x, 0) - x·y + log(1 + exp(-|x|))
  const y = labels.dtype === 'float32' ? labels : cast(labels, 'float32');
  const x = logits;
  return mean(add(sub(maximum(x, 0), mul(x, y)), log(add(exp(mul(abs(x), -1)), 1))));
}
