import { BertConfig, BertForPreTraining } from '@tsformer/bert';
import { bertPretrainingBatch } from '@tsformer/pretraining-objectives';
import { Generator, tidy } from '@tsformer/tensor';
import { describe, expect, it } from 'vitest';
import { bertPretrainingLoss } from './train.ts';

describe('bertPretrainingLoss', () => {
  it('over length-grouped sub-batches gives the loss and gradients of the whole padded batch', () => {
    const config = new BertConfig({
      vocabSize: 60,
      hiddenSize: 16,
      numHiddenLayers: 2,
      numAttentionHeads: 2,
      intermediateSize: 32,
      maxPositionEmbeddings: 64,
      hiddenDropoutProb: 0,
      attentionProbsDropoutProb: 0,
    });
    const model = new BertForPreTraining(config, { seed: 5 });
    const rng = new Generator(11);
    const pairs = [3, 30, 4, 28, 2, 31, 5, 6].map((n, k) => ({
      a: Array.from({ length: n }, (_, i) => 5 + ((k * 13 + i) % 50)),
      b: Array.from({ length: 2 + (k % 3) }, (_, i) => 7 + i),
      label: (k % 2) as 0 | 1,
    }));
    const batch = bertPretrainingBatch(pairs, {
      clsId: 1,
      sepId: 2,
      padId: 0,
      maxLength: 48,
      maskTokenId: 3,
      vocabSize: 60,
      rng,
    });
    const run = (maxChunks: number) =>
      tidy(() => {
        model.zeroGrad();
        const out = bertPretrainingLoss(model, batch, { maxChunks, chunkCost: 0 });
        out.loss.backward();
        return {
          mlm: out.mlmLoss.item(),
          nsp: out.nspLoss.item(),
          grads: model.namedParameters().map(([name, p]) => [name, Array.from(p.grad!.dataSync())] as const),
        };
      });
    const whole = run(1);
    const split = run(4);
    expect(split.mlm).toBeCloseTo(whole.mlm, 5);
    expect(split.nsp).toBeCloseTo(whole.nsp, 5);
    expect(whole.mlm).toBeGreaterThan(3); // ≈ ln 60 for a fresh model: the loss is a real one
    for (let i = 0; i < whole.grads.length; i++) {
      const [name, g] = whole.grads[i]!;
      const s = split.grads[i]![1];
      const scale = Math.max(1e-3, ...g.map(Math.abs));
      const worst = Math.max(...g.map((v, j) => Math.abs(v - s[j]!)));
      expect(worst / scale, name).toBeLessThan(1e-4);
    }
    // --nsp-weight: the loss is MLM + w · NSP, and the NSP head's gradient scales by w
    const weighted = (w: number) =>
      tidy(() => {
        model.zeroGrad();
        const out = bertPretrainingLoss(model, batch, { nspWeight: w });
        out.loss.backward();
        return {
          loss: out.loss.item(),
          head: Array.from(model.cls.seq_relationship.weight.grad!.dataSync()),
        };
      });
    const w1 = weighted(1);
    const w3 = weighted(3);
    expect(w1.loss).toBeCloseTo(whole.mlm + whole.nsp, 5);
    expect(w3.loss).toBeCloseTo(whole.mlm + 3 * whole.nsp, 5);
    for (let j = 0; j < w1.head.length; j++) expect(w3.head[j]!).toBeCloseTo(3 * w1.head[j]!, 6);
  });
});
