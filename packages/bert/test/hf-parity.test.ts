import { join } from 'node:path';
import { noGrad, type Tensor, tensor } from '@tsformer/tensor';
import { AdamW } from '@tsformer/tensor/optim';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BertForPreTraining,
  BertForQuestionAnswering,
  BertForSequenceClassification,
  BertForTokenClassification,
  type BertPreTrainedModel,
} from '../src/index.ts';
import {
  expectRelClose,
  FIXTURES,
  haveFixtures,
  maxAbs,
  readBytes,
  readTensors,
  readText,
} from './fixtures.ts';

const LR = 1e-3;
const WD = 0.01;

function load(): BertForPreTraining {
  return BertForPreTraining.fromPretrainedBytes({
    configJson: readText('bert', 'config.json'),
    safetensors: readBytes('bert', 'model.safetensors'),
  });
}

describe.skipIf(!haveFixtures)(`BERT parity with Hugging Face (${FIXTURES})`, () => {
  let ref: Record<string, Tensor>;
  let fileNames: string[];
  beforeAll(() => {
    ref = readTensors('bert', 'reference.safetensors');
    fileNames = Object.keys(readTensors('bert', 'model.safetensors'));
  });

  const inputs = () => ({
    inputIds: ref.input_ids!,
    tokenTypeIds: ref.token_type_ids!,
    attentionMask: ref.attention_mask!,
    labels: ref.labels!,
    nextSentenceLabel: ref.next_sentence_label!,
  });

  it('stateDict() names are exactly the checkpoint names (tied decoder not a parameter)', () => {
    const model = load();
    expect(Object.keys(model.stateDict()).sort()).toEqual([...fileNames].sort());
    expect(fileNames).toHaveLength(46);
    expect(model.cls.predictions.decoderWeight).toBe(model.bert.embeddings.word_embeddings.weight);
  });

  it('last hidden state, pooled output, MLM and NSP logits, and the three losses', () => {
    const model = load();
    const out = noGrad(() => model.forward(inputs()));
    expectRelClose(out.lastHiddenState, ref.last_hidden_state!, 1e-4, 'last_hidden_state');
    expectRelClose(out.poolerOutput!, ref.pooler_output!, 1e-4, 'pooler_output');
    expectRelClose(out.predictionLogits, ref.prediction_logits!, 1e-4, 'prediction_logits');
    expectRelClose(out.seqRelationshipLogits, ref.seq_relationship_logits!, 1e-4, 'seq_relationship_logits');
    expectRelClose(out.mlmLoss!, ref.mlm_loss!, 1e-4, 'mlm_loss');
    expectRelClose(out.nspLoss!, ref.nsp_loss!, 1e-4, 'nsp_loss');
    expectRelClose(out.loss!, ref.loss!, 1e-4, 'loss');
  });

  function ownGradients(model: BertForPreTraining): void {
    model.forward(inputs()).loss!.backward();
  }

  it('the gradient of every parameter (padding row: only the tied decoder contributes)', () => {
    const model = load();
    ownGradients(model);
    const named = model.namedParameters();
    expect(named).toHaveLength(46);
    const G = Math.max(...named.map(([n]) => maxAbs(ref[`grad.${n}`]!.dataSync())));
    for (const [name, p] of named) {
      const g = ref[`grad.${name}`]!.dataSync();
      const ours = p.grad!.dataSync();
      const floor = Math.max(maxAbs(g), 1e-2 * G);
      let d = 0;
      for (let i = 0; i < ours.length; i++) d = Math.max(d, Math.abs(ours[i]! - g[i]!));
      expect(d, `grad.${name}`).toBeLessThanOrEqual(1e-3 * floor);
    }
  });

  it('one AdamW step fed with the fixture gradients (1e-6 absolute)', () => {
    const model = load();
    for (const [name, p] of model.namedParameters()) p.grad = ref[`grad.${name}`]!;
    new AdamW(model.parameters(), { lr: LR, weightDecay: WD }).step();
    for (const [name, p] of model.namedParameters()) {
      const a = p.dataSync();
      const b = ref[`after_adamw.${name}`]!.dataSync();
      let d = 0;
      for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
      expect(d, `after_adamw.${name}`).toBeLessThanOrEqual(1e-6);
    }
  });

  it('one AdamW step end to end (own gradients)', () => {
    const model = load();
    const before = new Map(model.namedParameters().map(([n, p]) => [n, Float32Array.from(p.dataSync())]));
    ownGradients(model);
    new AdamW(model.parameters(), { lr: LR, weightDecay: WD }).step();
    for (const [name, p] of model.namedParameters()) {
      const ours = p.dataSync();
      const after = ref[`after_adamw.${name}`]!.dataSync();
      const g = ref[`grad.${name}`]!.dataSync();
      const p0 = before.get(name)!;
      for (let i = 0; i < ours.length; i++) {
        if (Math.abs(g[i]!) >= 1e-6) {
          if (Math.abs(ours[i]! - after[i]!) > 1e-5)
            throw new Error(`after_adamw.${name}[${i}]: ${ours[i]} vs ${after[i]}`);
        } else if (Math.abs(ours[i]! - p0[i]! * (1 - LR * WD)) > LR) {
          throw new Error(
            `after_adamw.${name}[${i}] (tiny grad): ${ours[i]} vs decayed ${p0[i]! * (1 - LR * WD)}`,
          );
        }
      }
    }
  });

  it('save → load → save is byte-identical, and equals the fixture files', () => {
    const files = load().toPretrainedBytes();
    expect(files.configJson).toBe(readText('bert', 'config.json'));
    expect(Buffer.from(files.safetensors).equals(Buffer.from(readBytes('bert', 'model.safetensors')))).toBe(
      true,
    );
    const again = BertForPreTraining.fromPretrainedBytes(files).toPretrainedBytes();
    expect(again.configJson).toBe(files.configJson);
    expect(Buffer.from(again.safetensors).equals(Buffer.from(files.safetensors))).toBe(true);
  });

  const heads: [string, { fromPretrainedBytes: typeof BertForSequenceClassification.fromPretrainedBytes }][] =
    [
      ['BertForSequenceClassification', BertForSequenceClassification],
      ['BertForTokenClassification', BertForTokenClassification],
      ['BertForQuestionAnswering', BertForQuestionAnswering],
    ];
  for (const [name, cls] of heads) {
    it(`${name} head (heads/, atol 1e-4), names and files`, () => {
      const dir = join('heads', name);
      const model = (cls as unknown as typeof BertForSequenceClassification).fromPretrainedBytes({
        configJson: readText(dir, 'config.json'),
        safetensors: readBytes(dir, 'model.safetensors'),
      }) as unknown as BertPreTrainedModel & { forward(i: object): Record<string, Tensor> };
      const inp = JSON.parse(readText(dir, 'inputs.json')) as Record<string, number[][]>;
      const want = JSON.parse(readText(dir, 'outputs.json')) as Record<string, number[][] | number[][][]>;
      const int = (x: number[][]) => tensor(x, undefined, { dtype: 'int32' });
      const out = noGrad(() =>
        model.forward({
          inputIds: int(inp.input_ids!),
          attentionMask: int(inp.attention_mask!),
          tokenTypeIds: int(inp.token_type_ids!),
        }),
      );
      const keys = { logits: 'logits', start_logits: 'startLogits', end_logits: 'endLogits' } as const;
      for (const [hfKey, w] of Object.entries(want)) {
        const got = out[keys[hfKey as keyof typeof keys]]!.dataSync();
        const flat = (w as number[][]).flat(2) as number[];
        expect(got.length, hfKey).toBe(flat.length);
        for (const [i, x] of flat.entries())
          expect(Math.abs(got[i]! - x), `${hfKey}[${i}]`).toBeLessThanOrEqual(1e-4);
      }
      expect(Object.keys(model.stateDict()).sort()).toEqual(
        Object.keys(readTensors(dir, 'model.safetensors')).sort(),
      );
      const files = model.toPretrainedBytes();
      expect(files.configJson).toBe(readText(dir, 'config.json'));
      expect(Buffer.from(files.safetensors).equals(Buffer.from(readBytes(dir, 'model.safetensors')))).toBe(
        true,
      );
    });
  }
});
