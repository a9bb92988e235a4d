import { fmt } from '../../shape.ts';
import type { Tensor } from '../../tensor.ts';
import { div, mul, ne } from '../binary.ts';
import { cast } from '../cast.ts';
import { takeLast } from '../gather.ts';
import { sum } from '../reduce.ts';
import { neg } from '../unary.ts';
import { logSoftmax } from './softmax.ts';

export interface CrossEntropyOptions {
  /** targets equal to this are skipped and do not count in the mean (PyTorch's default -100) */
  ignoreIndex?: number;
  reduction?: 'mean' | 'sum' | 'none';
}

/**
 * Cross-entropy of logits [..., V] against int32 class targets [...], as torch.nn.functional.cross_entropy:
 * the mean is over the targets that are not `ignoreIndex` (NaN when there are none, like PyTorch).
 */
export function crossEntropy(logits: Tensor, targets: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const ignoreIndex = options.ignoreIndex ?? -100;
  const reduction = options.reduction ?? 'mean';
  if (targets.dtype !== 'int32') throw new Error(`crossEntropy: targets must be int32, got ${targets.dtype}`);
  if (logits.rank < 1 || targets.size * logits.shape[logits.rank - 1]! !== logits.size) {
    throw new Error(`crossEntropy: logits ${fmt(logits.shape)} do not match targets ${fmt(targets.shape)}`);
  }
  const logp = logSoftmax(logits, -1);
  const picked = takeLast(logp, targets, ignoreIndex);
  const keepMask = cast(ne(targets, ignoreIndex), 'float32');
  const losses = mul(neg(picked), keepMask);
  if (reduction === 'none') return losses;
  const total = sum(losses);
  return reduction === 'sum' ? total : div(total, sum(keepMask));
}
