import { KVCache } from '@tsformer/attention';
import { concat, narrow, noGrad, randn, tensor } from '@tsformer/tensor';
import { expectClose } from '@tsformer/tensor/testing';
import { describe, expect, it } from 'vitest';
import { countParameters, GPT2Config } from './config.ts';
import { Conv1D, causalLmLoss, GPT2ForSequenceClassification, GPT2LMHeadModel } from './modeling-gpt2.ts';

const config = new GPT2Config({ nLayer: 2, nHead: 2, nEmbd: 16, nPositions: 32, vocabSize: 40 });

function ids(rows: number[][]) {
  return tensor(rows, undefined, { dtype: 'int32' });
}

describe('GPT2LMHeadModel', () => {
  it('names parameters like Hugging Face and ties lm_head to wte', () => {
    const model = new GPT2LMHeadModel(config);
    const names = Object.keys(model.stateDict());
    expect(names.slice(0, 6)).toEqual([
      'transformer.wte.weight',
      'transformer.wpe.weight',
      'transformer.h.0.ln_1.weight',
      'transformer.h.0.ln_1.bias',
      'transformer.h.0.attn.c_attn.weight',
      'transformer.h.0.attn.c_attn.bias',
    ]);
    expect(names).toHaveLength(4 + 12 * config.nLayer);
    expect(names).not.toContain('lm_head.weight');
    expect(model.stateDict()['transformer.h.0.attn.c_attn.weight']!.shape).toEqual([16, 48]);
    expect(model.numParameters()).toBe(countParameters(config));
  });

  it('initialises as Hugging Face (seeded): N(0, 0.02), c_proj scaled, unit LayerNorm, zero bias', () => {
    const a = new GPT2LMHeadModel(config, { seed: 3 });
    const b = new GPT2LMHeadModel(config, { seed: 3 });
    const sd = a.stateDict();
    expect(Array.from(sd['transformer.wte.weight']!.dataSync())).toEqual(
      Array.from(b.stateDict()['transformer.wte.weight']!.dataSync()),
    );
    const std = (name: string) => {
      const x = Array.from(sd[name]!.dataSync());
      return Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
    };
    expect(std('transformer.wte.weight')).toBeCloseTo(0.02, 2);
    expect(std('transformer.h.0.mlp.c_proj.weight')).toBeCloseTo(0.02 / Math.sqrt(4), 2);
    expect(Array.from(sd['transformer.ln_f.weight']!.dataSync()).every((x) => x === 1)).toBe(true);
    expect(Array.from(sd['transformer.h.1.attn.c_attn.bias']!.dataSync()).every((x) => x === 0)).toBe(true);
  });

  it('shapes, attentions and hidden states on request, and errors that name shapes', () => {
    const model = new GPT2LMHeadModel(config).eval();
    const out = noGrad(() =>
      model.forward({ inputIds: ids([[1, 2, 3, 4, 5]]), outputAttentions: true, outputHiddenStates: true }),
    );
    expect(out.logits.shape).toEqual([1, 5, 40]);
    expect(out.attentions!.map((a) => a.shape)).toEqual([
      [1, 2, 5, 5],
      [1, 2, 5, 5],
    ]);
    expect(out.hiddenStates).toHaveLength(3);
    expect(out.pastKeyValues).toBeUndefined();
    const w = out.attentions![0]!.dataSync();
    expect(w[1]).toBe(0); // query 0 cannot see key 1
    expect(() => model.forward({ inputIds: tensor([[1, 2]]) })).toThrow(/\[B,T\] int32, got \[1,2\] float32/);
    expect(() => model.forward({ inputIds: ids([new Array(33).fill(1)]) })).toThrow(
      /33 positions exceed nPositions 32/,
    );
    expect(() => new Conv1D(3, 4).forward(randn([2, 5]))).toThrow(/\[2,5\] does not match weight \[4,3\]/);
  });

  it('future tokens do not change earlier positions (causal)', () => {
    const model = new GPT2LMHeadModel(config).eval();
    const a = noGrad(() => model.forward({ inputIds: ids([[1, 2, 3, 4]]) }).logits);
    const b = noGrad(() => model.forward({ inputIds: ids([[1, 2, 3, 9]]) }).logits);
    expectClose(narrow(a, 1, 0, 3), narrow(b, 1, 0, 3), { atol: 1e-6 });
  });

  it('forward with a KV cache equals the forward without it', () => {
    const model = new GPT2LMHeadModel(config).eval();
    const seq = [[3, 1, 4, 1, 5, 9, 2, 6]];
    const full = noGrad(() => model.forward({ inputIds: ids(seq) }).logits);
    const cache = new KVCache();
    const parts = noGrad(() => [
      model.forward({ inputIds: ids([seq[0]!.slice(0, 5)]), pastKeyValues: cache }).logits,
      model.forward({ inputIds: ids([seq[0]!.slice(5, 6)]), pastKeyValues: cache }).logits,
      model.forward({ inputIds: ids([seq[0]!.slice(6, 8)]), pastKeyValues: cache }).logits,
    ]);
    expect(cache.length).toBe(8);
    expectClose(concat(parts, 1), full, { atol: 1e-5 });
    const withCache = noGrad(() => model.forward({ inputIds: ids(seq), useCache: true }));
    expect(withCache.pastKeyValues!.length).toBe(8);
  });

  it('left padding with an attention mask gives the unpadded logits', () => {
    const model = new GPT2LMHeadModel(config).eval();
    const alone = noGrad(() => model.forward({ inputIds: ids([[7, 8, 9]]) }).logits);
    const padded = noGrad(
      () =>
        model.forward({
          inputIds: ids([[0, 0, 7, 8, 9]]),
          attentionMask: ids([[0, 0, 1, 1, 1]]),
          positionIds: ids([[1, 1, 0, 1, 2]]),
        }).logits,
    );
    expectClose(narrow(padded, 1, 2, 3), alone, { atol: 1e-5 });
  });

  it('logitsToKeep computes only the last positions', () => {
    const model = new GPT2LMHeadModel(config).eval();
    const all = noGrad(() => model.forward({ inputIds: ids([[1, 2, 3]]) }).logits);
    const last = noGrad(() => model.forward({ inputIds: ids([[1, 2, 3]]), logitsToKeep: 1 }).logits);
    expect(last.shape).toEqual([1, 1, 40]);
    expectClose(last, narrow(all, 1, 2, 1), { atol: 1e-6 });
  });

  it('causalLmLoss shifts the labels and ignores -100', () => {
    const logits = randn([1, 3, 5], { seed: 1 });
    const loss = causalLmLoss(logits, ids([[0, 2, -100]])).item();
    const l = logits.dataSync();
    // only position 0 predicts a label (2); position 1 predicts -100, position 2 has nothing to predict
    const row = Array.from(l.slice(0, 5));
    const lse = Math.log(row.reduce((s, x) => s + Math.exp(x), 0));
    expect(loss).toBeCloseTo(lse - row[2]!, 5);
  });

  it('dropout is active in training mode and seeded', () => {
    const make = () =>
      new GPT2LMHeadModel(config.with({ residPdrop: 0.5, embdPdrop: 0.5, attnPdrop: 0.5 }), { seed: 1 });
    const x = ids([[1, 2, 3, 4]]);
    const a = noGrad(() => make().forward({ inputIds: x }).logits.dataSync());
    const b = noGrad(() => make().forward({ inputIds: x }).logits.dataSync());
    const e = noGrad(() => make().eval().forward({ inputIds: x }).logits.dataSync());
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(e));
  });
});

describe('GPT2ForSequenceClassification', () => {
  it('reads the last non-padding token and computes the loss of the labels', () => {
    const c = config.with({ padTokenId: 0, numLabels: 3 });
    const model = new GPT2ForSequenceClassification(c).eval();
    expect(Object.keys(model.stateDict())).toContain('score.weight');
    expect(model.score.bias).toBeNull();
    const padded = noGrad(() => model.forward({ inputIds: ids([[5, 6, 7, 0, 0]]) }).logits);
    const plain = noGrad(() => model.forward({ inputIds: ids([[5, 6, 7]]) }).logits);
    expectClose(padded, plain, { atol: 1e-5 });
    const { logits, loss } = model.forward({
      inputIds: ids([
        [5, 6, 7],
        [1, 2, 3],
      ]),
      labels: tensor([2, 0], [2], { dtype: 'int32' }),
    });
    expect(logits.shape).toEqual([2, 3]);
    expect(loss!.item()).toBeGreaterThan(0);
    expect(() => new GPT2ForSequenceClassification(config).forward({ inputIds: ids([[1], [2]]) })).toThrow(
      /padTokenId/,
    );
  });
});
