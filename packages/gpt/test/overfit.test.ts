import { type Tensor, tensor, tidy } from '@tsformer/tensor';
import { AdamW } from '@tsformer/tensor/optim';
import { describe, expect, it } from 'vitest';
import { GPT2Config, GPT2ForSequenceClassification, GPT2LMHeadModel, generate } from '../src/index.ts';

const int = (x: number[][] | number[]) => tensor(x, undefined, { dtype: 'int32' });

/** Runs `steps` AdamW steps on one loss function, each inside tidy; returns the losses. */
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

const config = new GPT2Config({
  nLayer: 2,
  nHead: 2,
  nEmbd: 32,
  nPositions: 32,
  vocabSize: 24,
  eosTokenId: 23,
});

describe('overfitting', () => {
  it('a tiny GPT drives the loss on one batch near zero and then generates it back', async () => {
    const model = new GPT2LMHeadModel(config.with({ residPdrop: 0, embdPdrop: 0, attnPdrop: 0 }), {
      seed: 1,
    });
    const batch = [
      [1, 5, 9, 2, 7, 3, 11, 4, 8, 6, 10, 12],
      [2, 14, 3, 15, 4, 16, 5, 17, 6, 18, 7, 19],
    ];
    const ids = int(batch);
    const losses = train(
      model.parameters(),
      () => model.forward({ inputIds: ids, labels: ids }).loss!,
      150,
      1e-2,
    );
    expect(losses[0]).toBeGreaterThan(2.5);
    expect(losses.at(-1)).toBeLessThan(0.05);
    const r = await generate(model, [1, 5, 9], { maxNewTokens: 9 });
    expect(r.sequences[0]).toEqual(batch[0]);
  });

  it('GPT2ForSequenceClassification learns a toy task (is token 3 in the sequence?)', () => {
    const model = new GPT2ForSequenceClassification(
      config.with({ padTokenId: 0, numLabels: 2, residPdrop: 0, embdPdrop: 0, attnPdrop: 0 }),
      { seed: 2 },
    );
    const rows = [
      [4, 3, 7, 9, 0, 0],
      [4, 5, 7, 9, 0, 0],
      [8, 8, 3, 0, 0, 0],
      [8, 8, 6, 0, 0, 0],
      [1, 2, 5, 6, 7, 3],
      [1, 2, 5, 6, 7, 4],
      [3, 10, 0, 0, 0, 0],
      [11, 10, 0, 0, 0, 0],
    ];
    const labels = int(rows.map((r) => (r.includes(3) ? 1 : 0)));
    const ids = int(rows);
    const am = int(rows.map((r) => r.map((x) => (x === 0 ? 0 : 1))));
    const losses = train(
      model.parameters(),
      () => model.forward({ inputIds: ids, attentionMask: am, labels }).loss!,
      120,
      1e-2,
    );
    expect(losses.at(-1)).toBeLessThan(0.05);
    const logits = model.eval().forward({ inputIds: ids, attentionMask: am }).logits.dataSync();
    const predicted = rows.map((_, i) => (logits[2 * i + 1]! > logits[2 * i]! ? 1 : 0));
    expect(predicted).toEqual(Array.from(labels.dataSync()));
  });
});
