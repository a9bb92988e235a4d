import { Generator, randn, tensor } from '@tsformer/tensor';
import { describe, expect, it } from 'vitest';
import { bertPairBatch, bertPretrainingBatch, splitByLength } from './batches.ts';
import {
  accuracyCounts,
  causalLmLoss,
  countCorrect,
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
    // the same count over predictions already read back
    expect(countCorrect([0, 1, 0], [0, IGNORE_INDEX, 1])).toEqual({ correct: 1, total: 2 });
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

describe('splitByLength', () => {
  const ids = { clsId: 1, sepId: 2, padId: 0 };
  const rng = new Generator(3);
  // rows of very different lengths, the case padding wastes most on
  const lengths = [3, 40, 5, 38, 4, 2, 41, 6, 39, 3, 7, 36];
  const pairs = lengths.map((n, k) => ({
    a: Array.from({ length: n }, (_, i) => 10 + ((k * 7 + i) % 90)),
    b: Array.from({ length: 1 + (k % 3) }, (_, i) => 200 + i),
    label: (k % 2) as 0 | 1,
  }));
  const batch = bertPretrainingBatch(pairs, { ...ids, maxLength: 64, maskTokenId: 3, vocabSize: 300, rng });
  const rowsOf = (b: typeof batch) =>
    Array.from({ length: b.batchSize }, (_, r) => {
      const n = b.validLens[r]!;
      const o = r * b.seqLength;
      return JSON.stringify([
        Array.from(b.inputIds.subarray(o, o + n)),
        Array.from(b.tokenTypeIds.subarray(o, o + n)),
        Array.from(b.labels.subarray(o, o + n)),
        b.nextSentenceLabel[r],
      ]);
    });

  it('keeps every row with its labels, and pads each sub-batch only to its own longest row', () => {
    const subs = splitByLength(batch, { maxChunks: 3, chunkCost: 0 });
    expect(subs).toHaveLength(3);
    expect(subs.flatMap(rowsOf).sort()).toEqual(rowsOf(batch).sort());
    for (const s of subs) {
      expect(s.seqLength).toBe(Math.max(...s.validLens));
      expect(s.inputIds.length).toBe(s.batchSize * s.seqLength);
      for (let r = 0; r < s.batchSize; r++)
        for (let j = 0; j < s.seqLength; j++)
          expect(s.attentionMask[r * s.seqLength + j]).toBe(j < s.validLens[r]! ? 1 : 0);
    }
    const slots = subs.reduce((n, s) => n + s.batchSize * s.seqLength, 0);
    expect(slots).toBeLessThan(0.6 * batch.batchSize * batch.seqLength);
  });

  it('chooses the split with the fewest padded slots (checked against every split by brute force)', () => {
    const sorted = Array.from(batch.validLens).sort((a, b) => a - b);
    const n = sorted.length;
    let best = Number.POSITIVE_INFINITY;
    for (let i = 1; i < n; i++)
      for (let j = i + 1; j < n; j++)
        best = Math.min(best, i * sorted[i - 1]! + (j - i) * sorted[j - 1]! + (n - j) * sorted[n - 1]!);
    const subs = splitByLength(batch, { maxChunks: 3, chunkCost: 0 });
    expect(subs.reduce((s, b) => s + b.batchSize * b.seqLength, 0)).toBe(best);
  });

  it('does not split when a sub-batch costs more than the padding it saves', () => {
    expect(splitByLength(batch, { chunkCost: 1e9 })).toHaveLength(1);
    expect(splitByLength(batch, { maxChunks: 1 })).toHaveLength(1);
    const even = bertPretrainingBatch(pairs.slice(0, 1), {
      ...ids,
      maxLength: 64,
      maskTokenId: 3,
      vocabSize: 300,
      rng,
    });
    expect(splitByLength(even, { chunkCost: 0 })).toHaveLength(1);
  });
});
