import { describe, expect, it } from 'vitest';
import { BertConfig, countParameters, fromHfConfig, toHfConfig, toHfConfigJson } from './config.ts';
import {
  BertForQuestionAnswering,
  BertForSequenceClassification,
  BertForTokenClassification,
} from './heads.ts';
import { BertForPreTraining, BertModel } from './modeling-bert.ts';
import { bertPresets } from './presets.ts';

describe('BertConfig', () => {
  it('defaults to bert-base and mirrors Hugging Face keys both ways, keeping unknown keys', () => {
    const c = new BertConfig();
    expect([c.numHiddenLayers, c.hiddenSize, c.numAttentionHeads, c.intermediateSize, c.vocabSize]).toEqual([
      12, 768, 12, 3072, 30522,
    ]);
    const json = { ...toHfConfig(c), position_embedding_type: 'absolute', gradient_checkpointing: false };
    const back = fromHfConfig(json);
    expect(back.extra).toEqual({ position_embedding_type: 'absolute', gradient_checkpointing: false });
    expect(toHfConfig(back)).toEqual(json);
    const text = toHfConfigJson(back);
    expect(text).toContain('"layer_norm_eps": 1e-12,');
    expect(text).toContain('"hidden_dropout_prob": 0.1,');
    expect(toHfConfigJson(fromHfConfig(JSON.parse(text)))).toBe(text);
  });

  it('rejects bad shapes and other model types', () => {
    expect(() => new BertConfig({ hiddenSize: 30, numAttentionHeads: 4 })).toThrow(/30 is not divisible/);
    expect(() => fromHfConfig({ model_type: 'gpt2' })).toThrow(/not "bert"/);
  });
});

describe('countParameters', () => {
  it('bert-base BertForPreTraining has 110,106,428 parameters (BertModel 109,482,240)', () => {
    expect(countParameters(bertPresets['bert-base'])).toBe(110_106_428);
    expect(countParameters(bertPresets['bert-base'], 'base')).toBe(109_482_240);
    expect(countParameters(bertPresets['bert-large'])).toBe(336_226_108);
    expect(countParameters(bertPresets['bert-large'], 'base')).toBe(335_141_888);
  });

  it('agrees with real small models of every head', () => {
    const config = new BertConfig({ ...bertPresets.nano, numLabels: 3, typeVocabSize: 3 });
    expect(new BertForPreTraining(config).numParameters()).toBe(countParameters(config, 'pretraining'));
    expect(new BertModel(config).numParameters()).toBe(countParameters(config, 'base'));
    expect(new BertForSequenceClassification(config).numParameters()).toBe(
      countParameters(config, 'sequence-classification'),
    );
    expect(new BertForTokenClassification(config).numParameters()).toBe(
      countParameters(config, 'token-classification'),
    );
    expect(new BertForQuestionAnswering(config).numParameters()).toBe(
      countParameters(config, 'question-answering'),
    );
  });
});
