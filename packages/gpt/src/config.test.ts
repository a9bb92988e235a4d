import { describe, expect, it } from 'vitest';
import { countParameters, fromHfConfig, GPT2Config, toHfConfig, toHfConfigJson } from './config.ts';
import { GPT2LMHeadModel } from './modeling-gpt2.ts';
import { gpt2Presets } from './presets.ts';

describe('GPT2Config', () => {
  it('defaults to the gpt2 shape and mirrors Hugging Face keys both ways', () => {
    const c = new GPT2Config();
    expect([c.nLayer, c.nHead, c.nEmbd, c.innerSize, c.vocabSize, c.nPositions]).toEqual([
      12, 12, 768, 3072, 50257, 1024,
    ]);
    const json = toHfConfig(c);
    expect(json).toMatchObject({
      n_layer: 12,
      n_embd: 768,
      n_inner: null,
      layer_norm_epsilon: 1e-5,
      model_type: 'gpt2',
    });
    const back = fromHfConfig(json);
    expect(toHfConfig(back)).toEqual(json);
  });

  it('keeps unknown keys through a round trip and writes Python-style JSON', () => {
    const c = fromHfConfig({
      n_layer: 2,
      n_embd: 32,
      n_head: 4,
      some_future_key: { a: [1, 2] },
      summary_first_dropout: 0.1,
    });
    expect(c.extra).toEqual({ some_future_key: { a: [1, 2] }, summary_first_dropout: 0.1 });
    const text = toHfConfigJson(c);
    expect(text).toContain('"layer_norm_epsilon": 1e-05,');
    expect(text).toContain('"some_future_key": {\n    "a": [\n      1,\n      2\n    ]\n  },');
    expect(text.endsWith('}\n')).toBe(true);
    expect(toHfConfigJson(fromHfConfig(JSON.parse(text)))).toBe(text);
  });

  it('labels: numLabels makes LABEL_i, id2label wins', () => {
    expect(new GPT2Config({ numLabels: 3 }).id2label).toEqual({ 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' });
    expect(new GPT2Config({ id2label: { 0: 'neg', 1: 'pos' } }).label2id).toEqual({ neg: 0, pos: 1 });
    expect(new GPT2Config().numLabels).toBe(2);
    expect(new GPT2Config({ numLabels: 3 }).with({ numLabels: 5 }).numLabels).toBe(5);
  });

  it('rejects a width that heads do not divide, and another model type', () => {
    expect(() => new GPT2Config({ nEmbd: 30, nHead: 4 })).toThrow(/30 is not divisible by nHead 4/);
    expect(() => fromHfConfig({ model_type: 'bert' })).toThrow(/not "gpt2"/);
  });
});

describe('countParameters', () => {
  it('gpt2 has 124,439,808 parameters (and the larger OpenAI shapes theirs)', () => {
    expect(countParameters(gpt2Presets.gpt2)).toBe(124_439_808);
    expect(countParameters(gpt2Presets['gpt2-medium'])).toBe(354_823_168);
    expect(countParameters(gpt2Presets['gpt2-large'])).toBe(774_030_080);
    expect(countParameters(gpt2Presets['gpt2-xl'])).toBe(1_557_611_200);
  });

  it('agrees with a real (small) model, LM and classification', () => {
    const config = new GPT2Config({ ...gpt2Presets.nano, nInner: 100 });
    expect(new GPT2LMHeadModel(config).numParameters()).toBe(countParameters(config));
  });
});
