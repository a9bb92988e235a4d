import { Generator, randn, tensor } from '@tsformer/tensor';
import { describe, expect, it } from 'vitest';
import { bertPairBatch, bertPretrainingBatch } from './batches.ts';
import {
  accuracyCounts,
  causalLmLoss,
  mlmAndNspLoss,
  mlmLoss,
  nspLoss,
  selectMaskedPositions,
} from './losses.ts';
import { IGNORE_INDEX } from './mlm.ts';

describe('losses', () => {
  it('mlmLoss skips -100 labels: equal to the mean over the labelled positions', () => {
    // logits favour class 0 at position 0 and class 2 at position 2
    const logits = tensor(new Float32Array([2, 0, 0, 9, 9, 9, 0, 0, 3]), [1, 3, 3]);
    const labels = tensor(new Int32Array([0, IGNORE_INDEX, 2]), [1, 3]);
    const l0 = Math.log(Math.exp(2) + 2) - 2;
    const l2 = Math.log(Math.exp(3) + 2) - 3;
    expect(mlmLoss(logits, labels).item()).toBeCloseTo((l0 + l2) / 2, 5);
    // the same logits with the middle one labelled change the mean
    expect(mlmLoss(logits, tensor(new Int32Array([0, 1, 2]), [1, 3])).item()).toBeCloseTo(
      (l0 + l2 + Math.log(3)) / 3,
      5,
    );
  });

  it('causalLmLoss of uniform logits is ln V; nspLoss and the combined loss add up', () => {
    const v = 7;
    const logits = tensor(new Float32Array(2 * 3 * v), [2, 3, v]);
    expect(causalLmLoss(logits, tensor(new Int32Array([1, 2, 3, 4, 5, 6]), [2, 3])).item()).toBeCloseTo(
      Math.log(v),
      5,
    );
    const nsp = tensor(new Float32Array([1, 0, 0, 1]), [2, 2]);
    const nl = nspLoss(nsp, tensor(new Int32Array([0, 1]), [2])).item();
    expect(nl).toBeCloseTo(Math.log(1 + Math.exp(-1)), 5);
    const both = mlmAndNspLoss(
      { predictionLogits: logits, seqRelationshipLogits: nsp },
      {
        labels: tensor(new Int32Array([1, -100, -100, 4, -100, -100]), [2, 3]),
        nextSentenceLabel: tensor(new Int32Array([0, 1]), [2]),
      },
    );
    expect(both.loss.item()).toBeCloseTo(Math.log(v) + nl, 5);
  });

  it('selectMaskedPositions gives the same MLM loss as the full logits', () => {
    const hidden = randn([2, 4, 3], { generator: new Generator(0) });
    const w = randn([5, 3], { generator: new Generator(1) });
    const labels = new Int32Array([IGNORE_INDEX, 3, IGNORE_INDEX, 0, 4, IGNORE_INDEX, IGNORE_INDEX, 1]);
    const full = mlmLoss(hidden.matmul(w, { transB: true }), tensor(labels, [2, 4])).item();
    const sel = selectMaskedPositions(hidden, labels);
    expect(sel.hidden.shape).toEqual([4, 3]);
    expect(mlmLoss(sel.hidden.matmul(w, { transB: true }), sel.labels).item()).toBeCloseTo(full, 5);
  });

  it('accuracyCounts counts only labelled positions', () => {
    const logits = tensor(new Float32Array([5, 0, 0, 5, 5, 0]), [3, 2]);
    expect(accuracyCounts(logits, [0, IGNORE_INDEX, 1])).toEqual({ correct: 1, total: 2 });
    expect(accuracyCounts(logits, [0, 1, 0])).toEqual({ correct: 3, total: 3 });
  });
});

describe('pair batches', () => {
  const ids = { clsId: 1, sepId: 2, padId: 0 };
  it('lays out [CLS] A [SEP] B [SEP] with segment ids, masks and valid lengths', () => {
    const b = bertPairBatch(
      [
        { a: [10, 11], b: [12], label: 0 },
        { a: [20, 21, 22, 23, 24, 25], b: [26, 27, 28], label: 1 },
      ],
      { ...ids, maxLength: 8 },
    );
    expect(b.seqLength).toBe(8);
    expect(Array.from(b.inputIds)).toEqual([1, 10, 11, 2, 12, 2, 0, 0, 1, 20, 21, 22, 2, 26, 27, 2]);
    expect(Array.from(b.tokenTypeIds)).toEqual([0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1]);
    expect(Array.from(b.attentionMask)).toEqual([1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(Array.from(b.validLens)).toEqual([6, 8]);
    expect(Array.from(b.nextSentenceLabel)).toEqual([0, 1]);
  });

  it('bertPretrainingBatch never masks [CLS], [SEP] or padding', () => {
    const rng = new Generator(9);
    const pairs = Array.from({ length: 64 }, (_, k) => ({
      a: Array.from({ length: 3 + (k % 7) }, (_, i) => 100 + i),
      b: Array.from({ length: 2 + (k % 5) }, (_, i) => 200 + i),
      label: (k % 2) as 0 | 1,
    }));
    const b = bertPretrainingBatch(pairs, { ...ids, maxLength: 16, maskTokenId: 3, vocabSize: 300, rng });
    let chosen = 0;
    for (let i = 0; i < b.inputIds.length; i++) {
      if (b.labels[i] === IGNORE_INDEX) continue;
      chosen++;
      expect([0, 1, 2]).not.toContain(b.labels[i]);
    }
    expect(chosen).toBeGreaterThan(64);
  });
});
