import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noGrad, type Tensor, tensor, toSafetensors, zeros } from '@tsformer/tensor';
import { expectClose } from '@tsformer/tensor/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { BertConfig } from './config.ts';
import { BertForSequenceClassification } from './heads.ts';
import { BertForPreTraining, BertModel } from './modeling-bert.ts';
import { loadPretrained } from './pretrained.ts';

const config = new BertConfig({
  vocabSize: 40,
  hiddenSize: 16,
  numHiddenLayers: 2,
  numAttentionHeads: 2,
  intermediateSize: 20,
  maxPositionEmbeddings: 16,
});
const ids = tensor([[1, 2, 3, 4]], undefined, { dtype: 'int32' });
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const logits = (m: BertForPreTraining): Tensor =>
  noGrad(() => m.eval().forward({ inputIds: ids }).predictionLogits);

function edited(model: BertForPreTraining, edit: (sd: Record<string, Tensor>) => Record<string, Tensor>) {
  return {
    configJson: model.toPretrainedBytes().configJson,
    safetensors: toSafetensors(edit({ ...model.stateDict() })),
  };
}

describe('savePretrained / fromPretrained', () => {
  it('round trip on disk: identical outputs, byte-identical second save, no temp files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsformer-bert-'));
    const dir2 = await mkdtemp(join(tmpdir(), 'tsformer-bert-'));
    dirs.push(dir, dir2);
    const model = new BertForPreTraining(config, { seed: 1 });
    await model.savePretrained(dir);
    expect((await readdir(dir)).sort()).toEqual(['config.json', 'model.safetensors']);
    expect(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')).architectures).toEqual([
      'BertForPreTraining',
    ]);
    const loaded = await BertForPreTraining.fromPretrained(dir);
    expect(loaded).toBeInstanceOf(BertForPreTraining);
    expectClose(logits(loaded), logits(model), { atol: 0 });
    await loaded.savePretrained(dir2);
    for (const f of ['config.json', 'model.safetensors'])
      expect((await readFile(join(dir2, f))).equals(await readFile(join(dir, f))), f).toBe(true);
  });

  it('accepts legacy gamma/beta, tied decoder copies and position_ids buffers (an old hub checkpoint)', () => {
    const model = new BertForPreTraining(config, { seed: 2 });
    const files = edited(model, (sd) => {
      const out: Record<string, Tensor> = {};
      for (const [k, v] of Object.entries(sd))
        out[
          k.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta')
        ] = v;
      out['cls.predictions.decoder.weight'] = sd['bert.embeddings.word_embeddings.weight']!;
      out['cls.predictions.decoder.bias'] = sd['cls.predictions.bias']!;
      out['bert.embeddings.position_ids'] = tensor(
        Int32Array.from({ length: 16 }, (_, i) => i),
        [1, 16],
      );
      return out;
    });
    const { model: loaded, report } = loadPretrained((c, init) => new BertForPreTraining(c, { init }), files);
    expect(report.missing).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.ignored.sort()).toEqual([
      'bert.embeddings.position_ids',
      'cls.predictions.decoder.bias',
      'cls.predictions.decoder.weight',
    ]);
    expect(report.renamed['bert.embeddings.LayerNorm.gamma']).toBe('bert.embeddings.LayerNorm.weight');
    expectClose(logits(loaded), logits(model), { atol: 0 });
  });

  it('BertModel loads the body of a pretraining checkpoint; a new classifier needs strict: false', () => {
    const model = new BertForPreTraining(config, { seed: 3 });
    const files = model.toPretrainedBytes();
    const base = BertModel.fromPretrainedBytes(files);
    expectClose(base.embeddings.word_embeddings.weight, model.bert.embeddings.word_embeddings.weight, {
      atol: 0,
    });
    expect(() => BertForSequenceClassification.fromPretrainedBytes(files)).toThrow(
      /missing classifier\.weight, classifier\.bias; unexpected cls\./,
    );
    const { model: clf, report } = loadPretrained(
      (c, init) => new BertForSequenceClassification(c, { init }),
      files,
      {
        strict: false,
      },
    );
    expect(report.missing).toEqual(['classifier.weight', 'classifier.bias']);
    expect(report.unexpected.every((n) => n.startsWith('cls.'))).toBe(true);
    expectClose(clf.bert.pooler!.dense.weight, model.bert.pooler!.dense.weight, { atol: 0 });
  });

  it('names wrongly shaped and missing tensors', () => {
    const model = new BertForPreTraining(config, { seed: 4 });
    const wrong = edited(model, (sd) => ({
      ...sd,
      'bert.embeddings.token_type_embeddings.weight': zeros([3, 16]),
    }));
    expect(() => BertForPreTraining.fromPretrainedBytes(wrong)).toThrow(
      /bert\.embeddings\.token_type_embeddings\.weight has shape \[3,16\] but the model expects \[2,16\]/,
    );
    const missing = edited(model, (sd) => {
      delete sd['bert.encoder.layer.1.output.dense.weight'];
      return sd;
    });
    expect(() => BertForPreTraining.fromPretrainedBytes(missing)).toThrow(
      /missing bert\.encoder\.layer\.1\.output\.dense\.weight/,
    );
  });
});
