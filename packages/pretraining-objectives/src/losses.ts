import { argmax, crossEntropy, indexSelect, reshape, type Tensor, tensor } from '@tsformer/tensor';
import { IGNORE_INDEX } from './mlm.ts';

/** Mean cross-entropy of logits [B,T,V] against already-shifted next-token targets [B,T] (-100 skipped). */
export function causalLmLoss(logits: Tensor, targets: Tensor): Tensor {
  const v = logits.shape[logits.rank - 1]!;
  return crossEntropy(reshape(logits, [-1, v]), reshape(targets, [-1]));
}

/** Mean cross-entropy over the predicted positions only: labels [...] with -100 where nothing is predicted. */
export function mlmLoss(logits: Tensor, labels: Tensor): Tensor {
  const v = logits.shape[logits.rank - 1]!;
  return crossEntropy(reshape(logits, [-1, v]), reshape(labels, [-1]), { ignoreIndex: IGNORE_INDEX });
}

/** Cross-entropy of next-sentence logits [B,2] against labels [B] (0 = IsNext, 1 = NotNext). */
export function nspLoss(logits: Tensor, labels: Tensor): Tensor {
  return crossEntropy(reshape(logits, [-1, 2]), reshape(labels, [-1]));
}

export interface PretrainingLosses {
  /** mlmLoss + nspLoss, what BERT's pretraining minimises */
  loss: Tensor;
  mlmLoss: Tensor;
  nspLoss: Tensor;
}

/** BERT's combined pretraining loss from the two heads' logits (the `BertForPreTraining` output names). */
export function mlmAndNspLoss(
  output: { predictionLogits: Tensor; seqRelationshipLogits: Tensor },
  batch: { labels: Tensor; nextSentenceLabel: Tensor },
): PretrainingLosses {
  const m = mlmLoss(output.predictionLogits, batch.labels);
  const n = nspLoss(output.seqRelationshipLogits, batch.nextSentenceLabel);
  return { loss: m.add(n), mlmLoss: m, nspLoss: n };
}

/**
 * The rows of `hidden` [B,T,C] at the predicted positions (labels ≠ -100) as [M,C], with their labels [M]:
 * running the MLM head on these M rows instead of all B·T gives the same loss for a fraction of the work.
 */
export function selectMaskedPositions(
  hidden: Tensor,
  labels: ArrayLike<number>,
): { hidden: Tensor; labels: Tensor } {
  const c = hidden.shape[hidden.rank - 1]!;
  const n = hidden.size / c;
  if (labels.length !== n)
    throw new Error(`selectMaskedPositions: ${labels.length} labels for ${n} positions`);
  const rows: number[] = [];
  const kept: number[] = [];
  for (let i = 0; i < n; i++) {
    if (labels[i] !== IGNORE_INDEX) {
      rows.push(i);
      kept.push(labels[i]!);
    }
  }
  const flat = reshape(hidden, [n, c]); // [B,T,C] → [B·T,C]
  return {
    hidden: indexSelect(flat, tensor(Int32Array.from(rows), [rows.length])), // → [M,C]
    labels: tensor(Int32Array.from(kept), [kept.length]),
  };
}

/**
 * How many of `predicted` equal their label, over labels that are not -100: the count `accuracyCounts` makes,
 * for predictions already read back (e.g. with `await argmax(logits, -1).data()` where reads are asynchronous).
 */
export function countCorrect(
  predicted: ArrayLike<number>,
  labels: ArrayLike<number>,
): { correct: number; total: number } {
  let correct = 0;
  let total = 0;
  for (let i = 0; i < predicted.length; i++) {
    if (labels[i] === IGNORE_INDEX) continue;
    total++;
    if (predicted[i] === labels[i]) correct++;
  }
  return { correct, total };
}

/** How many predictions equal their label, over labels that are not -100 (reads the logits back). */
export function accuracyCounts(
  logits: Tensor,
  labels: Tensor | ArrayLike<number>,
): { correct: number; total: number } {
  const v = logits.shape[logits.rank - 1]!;
  const predicted = argmax(reshape(logits, [-1, v]), -1).dataSync();
  return countCorrect(predicted, 'dataSync' in labels ? labels.dataSync() : labels);
}
