import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromSafetensors, noGrad, type Tensor, tensor, toSafetensors, zeros } from '@tsformer/tensor';
import { expectClose } from '@tsformer/tensor/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { GPT2Config } from './config.ts';
import { GPT2ForSequenceClassification, GPT2LMHeadModel } from './modeling-gpt2.ts';
import { loadPretrained } from './pretrained.ts';

const config = new GPT2Config({ nLayer: 2, nHead: 2, nEmbd: 16, nPositions: 32, vocabSize: 40 });
const ids = tensor([[1, 2, 3, 4]], undefined, { dtype: 'int32' });
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function logitsOf(m: GPT2LMHeadModel): Tensor {
  return noGrad(() => m.eval().forward({ inputIds: ids }).logits);
}

function withTensors(model: GPT2LMHeadModel, edit: (sd: Record<string, Tensor>) => Record<string, Tensor>) {
  const files = model.toPretrainedBytes();
  return { configJson: files.configJson, safetensors: toSafetensors(edit({ ...model.stateDict() })) };
}

describe('savePretrained / fromPretrained', () => {
  it('a folder written here loads back with identical outputs, and a second save is byte-identical', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsformer-gpt-'));
    dirs.push(dir);
    const model = new GPT2LMHeadModel(config, { seed: 1 });
    await model.savePretrained(dir);
    expect((await readdir(dir)).sort()).toEqual(['config.json', 'model.safetensors']); // no temp files left
    const json = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(json.architectures).toEqual(['GPT2LMHeadModel']);
    expect(json.model_type).toBe('gpt2');
    const loaded = await GPT2LMHeadModel.fromPretrained(dir);
    expectClose(logitsOf(loaded), logitsOf(model), { atol: 0 });
    const dir2 = await mkdtemp(join(tmpdir(), 'tsformer-gpt-'));
    dirs.push(dir2);
    await loaded.savePretrained(dir2);
    for (const f of ['config.json', 'model.safetensors']) {
      expect((await readFile(join(dir2, f))).equals(await readFile(join(dir, f))), f).toBe(true);
    }
    // the tied copy is not written
    expect(
      Object.keys(fromSafetensors((await readFile(join(dir, 'model.safetensors'))) as Uint8Array)),
    ).not.toContain('lm_head.weight');
  });

  it("accepts GPT-2's hub layout: no transformer. prefix, attn.bias / masked_bias buffers, a tied lm_head copy", () => {
    const model = new GPT2LMHeadModel(config, { seed: 2 });
    const files = withTensors(model, (sd) => {
      const out: Record<string, Tensor> = {};
      for (const [k, v] of Object.entries(sd)) out[k.replace(/^transformer\./, '')] = v;
      for (let i = 0; i < config.nLayer; i++) {
        out[`h.${i}.attn.bias`] = zeros([1, 1, 32, 32]);
        out[`h.${i}.attn.masked_bias`] = tensor(-1e4);
      }
      out['lm_head.weight'] = sd['transformer.wte.weight']!;
      return out;
    });
    const { model: loaded, report } = loadPretrained((c, init) => new GPT2LMHeadModel(c, { init }), files);
    expect(report.missing).toEqual([]);
    expect(report.unexpected).toEqual([]);
    expect(report.ignored.sort()).toEqual([
      'h.0.attn.bias',
      'h.0.attn.masked_bias',
      'h.1.attn.bias',
      'h.1.attn.masked_bias',
      'lm_head.weight',
    ]);
    expect(report.renamed['wte.weight']).toBe('transformer.wte.weight');
    expectClose(logitsOf(loaded), logitsOf(model), { atol: 0 });
  });

  it('accepts legacy LayerNorm gamma/beta names', () => {
    const model = new GPT2LMHeadModel(config, { seed: 3 });
    const files = withTensors(model, (sd) =>
      Object.fromEntries(
        Object.entries(sd).map(([k, v]) => [
          k.replace(/(ln_\w+)\.weight$/, '$1.gamma').replace(/(ln_\w+)\.bias$/, '$1.beta'),
          v,
        ]),
      ),
    );
    expect(Object.keys(fromSafetensors(files.safetensors))).toContain('transformer.ln_f.gamma');
    expectClose(logitsOf(GPT2LMHeadModel.fromPretrainedBytes(files)), logitsOf(model), { atol: 0 });
  });

  it('names missing, unexpected and wrongly shaped tensors', () => {
    const model = new GPT2LMHeadModel(config, { seed: 4 });
    const missing = withTensors(model, (sd) => {
      delete sd['transformer.h.1.mlp.c_fc.bias'];
      return sd;
    });
    expect(() => GPT2LMHeadModel.fromPretrainedBytes(missing)).toThrow(
      /missing transformer\.h\.1\.mlp\.c_fc\.bias/,
    );
    const extra = withTensors(model, (sd) => ({ ...sd, 'transformer.h.9.foo': zeros([2]) }));
    expect(() => GPT2LMHeadModel.fromPretrainedBytes(extra)).toThrow(/unexpected transformer\.h\.9\.foo/);
    const wrong = withTensors(model, (sd) => ({ ...sd, 'transformer.wpe.weight': zeros([31, 16]) }));
    expect(() => GPT2LMHeadModel.fromPretrainedBytes(wrong)).toThrow(
      /transformer\.wpe\.weight has shape \[31,16\] but the model expects \[32,16\]/,
    );
    expect(() => GPT2LMHeadModel.fromPretrainedBytes(wrong, { strict: false })).toThrow(/wpe/);
  });

  it('strict: false puts a new head on a pretrained body and reports it', () => {
    const lm = new GPT2LMHeadModel(config, { seed: 5 });
    const files = lm.toPretrainedBytes();
    const cfg = JSON.parse(files.configJson);
    cfg.pad_token_id = 0;
    cfg.id2label = { 0: 'neg', 1: 'pos' };
    const bytes = { configJson: JSON.stringify(cfg), safetensors: files.safetensors };
    expect(() => GPT2ForSequenceClassification.fromPretrainedBytes(bytes)).toThrow(/missing score\.weight/);
    const { model, report } = loadPretrained(
      (c, init) => new GPT2ForSequenceClassification(c, { init }),
      bytes,
      {
        strict: false,
      },
    );
    expect(report.missing).toEqual(['score.weight']);
    expect(model.score.weight.shape).toEqual([2, 16]);
    const w = model.score.weight.dataSync();
    expect(w.some((x) => x !== 0)).toBe(true);
    expectClose(model.transformer.wte.weight, lm.transformer.wte.weight, { atol: 0 });
  });
});
