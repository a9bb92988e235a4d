import { type Tensor, tensor, tidy } from '@tsformer/tensor';
import { AdamW } from '@tsformer/tensor/optim';
import { describe, expect, it } from 'vitest';
import {
  BertConfig,
  BertForPreTraining,
  BertForQuestionAnswering,
  BertForSequenceClassification,
  BertForTokenClassification,
} from '../src/index.ts';

const int = (x: number[][] | number[]) => tensor(x, undefined, { dtype: 'int32' });

function train(params: Tensor[], lossOf: () => Tensor, steps: number, lr: number): number[] {
  const opt = new AdamW(params, { lr, weightDecay: 0 });
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    losses.push(
      tidy(() => {
        opt.zeroGrad();
        const loss = lossOf();
        loss.backward();
        opt.step();
        return loss.item();
      }),
    );
  }
  return losses;
}

function argmaxRows(data: ArrayLike<number>, width: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < data.length / width; r++) {
    let best = 0;
    for (let j = 1; j < width; j++) if (data[r * width + j]! > data[r * width + best]!) best = j;
    out.push(best);
  }
  return out;
}

const config = new BertConfig({
  vocabSize: 30,
  hiddenSize: 32,
  numHiddenLayers: 2,
  numAttentionHeads: 2,
  intermediateSize: 64,
  maxPositionEmbeddings: 32,
  hiddenDropoutProb: 0,
  attentionProbsDropoutProb: 0,
});

// [CLS]=1 A… [SEP]=2 B… [SEP]=2, padding 0, [MASK]=3
const ids = [
  [1, 10, 3, 12, 2, 20, 21, 2, 0, 0],
  [1, 14, 15, 3, 2, 3, 25, 26, 2, 0],
  [1, 3, 11, 2, 22, 3, 2, 0, 0, 0],
];
const types = [
  [0, 0, 0, 0, 0, 1, 1, 1, 0, 0],
  [0, 0, 0, 0, 0, 1, 1, 1, 1, 0],
  [0, 0, 0, 0, 1, 1, 1, 0, 0, 0],
];
const mask = ids.map((r) => r.map((x) => (x === 0 ? 0 : 1)));

describe('overfitting', () => {
  it('a tiny BertForPreTraining drives MLM + NSP loss on one batch near zero', () => {
    const model = new BertForPreTraining(config, { seed: 1 });
    const labels = int([
      [-100, -100, 11, -100, -100, -100, -100, -100, -100, -100],
      [-100, -100, -100, 16, -100, 24, -100, -100, -100, -100],
      [-100, 10, -100, -100, -100, 23, -100, -100, -100, -100],
    ]);
    const input = {
      inputIds: int(ids),
      tokenTypeIds: int(types),
      attentionMask: int(mask),
      labels,
      nextSentenceLabel: int([0, 1, 0]),
    };
    const losses = train(model.parameters(), () => model.forward(input).loss!, 120, 1e-2);
    expect(losses[0]).toBeGreaterThan(3);
    expect(losses.at(-1)).toBeLessThan(0.05);
  });

  it('sequence classification learns a toy task on sentence pairs (do A and B share a token?)', () => {
    const rows = [
      [1, 10, 11, 2, 11, 12, 2],
      [1, 10, 11, 2, 13, 12, 2],
      [1, 14, 15, 2, 16, 14, 2],
      [1, 14, 15, 2, 16, 17, 2],
      [1, 20, 21, 2, 21, 20, 2],
      [1, 20, 21, 2, 22, 23, 2],
    ];
    const tt = rows.map(() => [0, 0, 0, 0, 1, 1, 1]);
    const y = [1, 0, 1, 0, 1, 0];
    const model = new BertForSequenceClassification(config.with({ numLabels: 2 }), { seed: 2 });
    const input = { inputIds: int(rows), tokenTypeIds: int(tt), labels: int(y) };
    const losses = train(model.parameters(), () => model.forward(input).loss!, 100, 1e-2);
    expect(losses.at(-1)).toBeLessThan(0.05);
    expect(argmaxRows(model.eval().forward(input).logits.dataSync(), 2)).toEqual(y);
  });

  it('token classification learns a toy tagging task (tag = id mod 3, padding ignored)', () => {
    const labels = ids.map((r) => r.map((x) => (x === 0 ? -100 : x % 3)));
    const model = new BertForTokenClassification(config.with({ numLabels: 3 }), { seed: 3 });
    const input = { inputIds: int(ids), attentionMask: int(mask), labels: int(labels) };
    const losses = train(model.parameters(), () => model.forward(input).loss!, 80, 1e-2);
    expect(losses.at(-1)).toBeLessThan(0.05);
    const tags = argmaxRows(model.eval().forward(input).logits.dataSync(), 3);
    labels.flat().forEach((l, i) => {
      if (l !== -100) expect(tags[i]).toBe(l);
    });
  });

  it('question answering learns a toy span task (the answer lies between markers 4 and 5)', () => {
    const rows = [
      [1, 10, 2, 11, 4, 12, 13, 5, 14, 2],
      [1, 10, 2, 4, 15, 5, 16, 17, 18, 2],
      [1, 10, 2, 19, 20, 21, 4, 22, 5, 2],
      [1, 10, 2, 4, 23, 24, 25, 5, 26, 2],
    ];
    const start = rows.map((r) => r.indexOf(4) + 1);
    const end = rows.map((r) => r.indexOf(5) - 1);
    const model = new BertForQuestionAnswering(config, { seed: 4 });
    const input = { inputIds: int(rows), startPositions: int(start), endPositions: int(end) };
    const losses = train(model.parameters(), () => model.forward(input).loss!, 100, 1e-2);
    expect(losses.at(-1)).toBeLessThan(0.05);
    const out = model.eval().forward({ inputIds: int(rows) });
    expect(argmaxRows(out.startLogits.dataSync(), 10)).toEqual(start);
    expect(argmaxRows(out.endLogits.dataSync(), 10)).toEqual(end);
  });
});
