import { narrow, noGrad, tensor } from '@tsformer/tensor';
import { expectClose } from '@tsformer/tensor/testing';
import { describe, expect, it } from 'vitest';
import { BertConfig } from './config.ts';
import {
  BertForQuestionAnswering,
  BertForSequenceClassification,
  BertForTokenClassification,
} from './heads.ts';
import { BertForMaskedLM, BertForPreTraining, BertModel } from './modeling-bert.ts';

const config = new BertConfig({
  vocabSize: 50,
  hiddenSize: 16,
  numHiddenLayers: 2,
  numAttentionHeads: 2,
  intermediateSize: 24,
  maxPositionEmbeddings: 32,
});
const int = (x: number[][] | number[]) => tensor(x, undefined, { dtype: 'int32' });

describe('BertModel', () => {
  it('names parameters like Hugging Face, zeroes the padding row, and returns every output by name', () => {
    const model = new BertModel(config).eval();
    const names = Object.keys(model.stateDict());
    expect(names[0]).toBe('embeddings.word_embeddings.weight');
    expect(names).toContain('encoder.layer.1.attention.self.query.weight');
    expect(names).toContain('encoder.layer.0.attention.output.LayerNorm.bias');
    expect(names.at(-1)).toBe('pooler.dense.bias');
    expect(
      Array.from(model.embeddings.word_embeddings.weight.dataSync().slice(0, 16)).every((x) => x === 0),
    ).toBe(true);
    const out = noGrad(() =>
      model.forward({ inputIds: int([[1, 2, 3, 4]]), outputAttentions: true, outputHiddenStates: true }),
    );
    expect(out.lastHiddenState.shape).toEqual([1, 4, 16]);
    expect(out.poolerOutput!.shape).toEqual([1, 16]);
    expect(out.hiddenStates).toHaveLength(3);
    expect(out.attentions!.map((a) => a.shape)).toEqual([
      [1, 2, 4, 4],
      [1, 2, 4, 4],
    ]);
    expect(noGrad(() => model.forward({ inputIds: int([[1, 2]]) })).attentions).toBeUndefined();
  });

  it('padding does not change the other tokens; valid lengths equal an attention mask', () => {
    const model = new BertModel(config).eval();
    const alone = noGrad(() => model.forward({ inputIds: int([[5, 6, 7]]) }).lastHiddenState);
    const padded = noGrad(
      () =>
        model.forward({ inputIds: int([[5, 6, 7, 0, 0]]), attentionMask: int([[1, 1, 1, 0, 0]]) })
          .lastHiddenState,
    );
    expectClose(narrow(padded, 1, 0, 3), alone, { atol: 1e-5 });
    const byLens = noGrad(
      () => model.forward({ inputIds: int([[5, 6, 7, 0, 0]]), validLens: int([3]) }).lastHiddenState,
    );
    expectClose(byLens, padded, { atol: 0 });
    const w = noGrad(
      () =>
        model.forward({
          inputIds: int([[5, 6, 7, 0, 0]]),
          attentionMask: int([[1, 1, 1, 0, 0]]),
          outputAttentions: true,
        }).attentions![0]!,
    ).dataSync();
    // every query row, padded ones included, gives the two padded keys weight 0
    for (let r = 0; r < 2 * 5; r++) expect(w[r * 5 + 3]! + w[r * 5 + 4]!).toBe(0);
  });

  it('token types change the output; relu works as hidden_act; errors name shapes', () => {
    const model = new BertModel(config).eval();
    const a = noGrad(() => model.forward({ inputIds: int([[1, 2, 3]]) }).lastHiddenState);
    const b = noGrad(
      () => model.forward({ inputIds: int([[1, 2, 3]]), tokenTypeIds: int([[0, 1, 1]]) }).lastHiddenState,
    );
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(b.dataSync()));
    const relu = new BertModel(config.with({ hiddenAct: 'relu' })).eval();
    expect(noGrad(() => relu.forward({ inputIds: int([[1, 2]]) })).lastHiddenState.shape).toEqual([1, 2, 16]);
    expect(() => new BertModel(config.with({ hiddenAct: 'nope' }))).toThrow(/unknown activation "nope"/);
    expect(() => model.forward({ inputIds: int([[1, 2]]), attentionMask: int([[1, 1, 1]]) })).toThrow(
      /attentionMask \[1,3\] does not match inputIds \[1,2\]/,
    );
    expect(() => model.forward({ inputIds: int([new Array(33).fill(1)]) })).toThrow(/33 positions exceed/);
  });
});

describe('heads', () => {
  it('BertForPreTraining: MLM ignores -100, NSP uses 0 = IsNext, loss = sum', () => {
    const model = new BertForPreTraining(config).eval();
    expect(Object.keys(model.stateDict())).toContain('cls.predictions.bias');
    expect(Object.keys(model.stateDict())).not.toContain('cls.predictions.decoder.weight');
    const ids = int([[1, 2, 3, 4]]);
    const out = noGrad(() =>
      model.forward({ inputIds: ids, labels: int([[-100, 7, -100, -100]]), nextSentenceLabel: int([1]) }),
    );
    expect(out.predictionLogits.shape).toEqual([1, 4, 50]);
    const row = Array.from(out.predictionLogits.dataSync().slice(50, 100));
    const lse = Math.log(row.reduce((s, x) => s + Math.exp(x), 0));
    expect(out.mlmLoss!.item()).toBeCloseTo(lse - row[7]!, 5);
    const nsp = Array.from(out.seqRelationshipLogits.dataSync());
    expect(out.nspLoss!.item()).toBeCloseTo(Math.log(Math.exp(nsp[0]!) + Math.exp(nsp[1]!)) - nsp[1]!, 5);
    expect(out.loss!.item()).toBeCloseTo(out.mlmLoss!.item() + out.nspLoss!.item(), 5);
  });

  it('BertForMaskedLM, sequence (pairs), token and span heads: shapes and losses', () => {
    const c = config.with({ numLabels: 3 });
    const ids = int([
      [1, 2, 3, 4],
      [5, 6, 7, 0],
    ]);
    const am = int([
      [1, 1, 1, 1],
      [1, 1, 1, 0],
    ]);
    const mlm = new BertForMaskedLM(c).forward({
      inputIds: ids,
      labels: int([
        [-100, 3, -100, -100],
        [-100, -100, 2, -100],
      ]),
    });
    expect(mlm.logits.shape).toEqual([2, 4, 50]);
    expect(mlm.poolerOutput).toBeUndefined();
    const seq = new BertForSequenceClassification(c).forward({
      inputIds: ids,
      attentionMask: am,
      tokenTypeIds: int([
        [0, 0, 1, 1],
        [0, 1, 1, 0],
      ]),
      labels: int([2, 0]),
    });
    expect(seq.logits.shape).toEqual([2, 3]);
    const tok = new BertForTokenClassification(c).forward({
      inputIds: ids,
      labels: int([
        [0, 1, 2, 1],
        [2, 2, 0, -100],
      ]),
    });
    expect(tok.logits.shape).toEqual([2, 4, 3]);
    expect(Object.keys(new BertForTokenClassification(c).stateDict()).some((n) => n.includes('pooler'))).toBe(
      false,
    );
    const qa = new BertForQuestionAnswering(c).forward({
      inputIds: ids,
      startPositions: int([1, 9]),
      endPositions: int([2, 9]),
    });
    expect(qa.startLogits.shape).toEqual([2, 4]);
    for (const l of [mlm.loss!, seq.loss!, tok.loss!, qa.loss!]) expect(Number.isFinite(l.item())).toBe(true);
    // a regression head (one label) uses MSE
    const reg = new BertForSequenceClassification(config.with({ numLabels: 1 })).eval();
    const r = reg.forward({ inputIds: ids, labels: tensor([0.5, -1]) });
    const p = Array.from(r.logits.dataSync());
    expect(r.loss!.item()).toBeCloseTo(((p[0]! - 0.5) ** 2 + (p[1]! + 1) ** 2) / 2, 5);
  });
});
