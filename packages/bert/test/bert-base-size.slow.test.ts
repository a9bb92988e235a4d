import { tensor } from '@tsformer/tensor';
import { describe, expect, it } from 'vitest';
import { BertConfig, BertForPreTraining, bertPresets, countParameters } from '../src/index.ts';

// Allocates the real bert-base (about 0.44 GB of float32): run with `pnpm test:slow`.
describe('bert-base at full size', () => {
  it('BertForPreTraining has 110,106,428 parameters, counted from the instantiated model', () => {
    const config = new BertConfig(bertPresets['bert-base']);
    const model = new BertForPreTraining(config).eval();
    expect(model.numParameters()).toBe(110_106_428);
    expect(countParameters(config)).toBe(110_106_428);
    const out = model.forward({ inputIds: tensor([[101, 7592, 102]], undefined, { dtype: 'int32' }) });
    expect(out.predictionLogits.shape).toEqual([1, 3, 30522]);
  }, 300_000);
});
