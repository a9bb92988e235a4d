import { join } from 'node:path';
import { noGrad, type Tensor, tensor } from '@tsformer/tensor';
import { AdamW } from '@tsformer/tensor/optim';
import { beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../src/generation/generate.ts';
import { GPT2ForSequenceClassification, GPT2LMHeadModel } from '../src/index.ts';
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

function load(): GPT2LMHeadModel {
  return GPT2LMHeadModel.fromPretrainedBytes({
    configJson: readText('gpt2', 'config.json'),
    safetensors: readBytes('gpt2', 'model.safetensors'),
  });
}

describe.skipIf(!haveFixtures)(`GPT-2 parity with Hugging Face (${FIXTURES})`, () => {
  let ref: Record<string, Tensor>;
  let fileNames: string[];
  beforeAll(() => {
    ref = readTensors('gpt2', 'reference.safetensors');
    fileNames = Object.keys(readTensors('gpt2', 'model.safetensors'));
  });

  it('stateDict() names are exactly the checkpoint names (tied lm_head not a parameter)', () => {
    const model = load();
    expect(Object.keys(model.stateDict()).sort()).toEqual([...fileNames].sort());
    expect(model.lm_head).toBe(model.transformer.wte.weight);
    expect(model.training).toBe(false);
  });

  it('logits, last hidden state and loss', () => {
    const model = load();
    const out = noGrad(() =>
      model.forward({ inputIds: ref.input_ids!, labels: ref.labels!, outputHiddenStates: true }),
    );
    expectRelClose(out.logits, ref.logits!, 1e-4, 'logits');
    expectRelClose(out.lastHiddenState, ref.last_hidden_state!, 1e-4, 'last_hidden_state');
    expectRelClose(out.loss!, ref.loss!, 1e-4, 'loss');
    expect(out.hiddenStates!.length).toBe(model.config.nLayer + 1);
  });

  function ownGradients(model: GPT2LMHeadModel): void {
    const { loss } = model.forward({ inputIds: ref.input_ids!, labels: ref.labels! });
    loss!.backward();
  }

  it('the gradient of every parameter', () => {
    const model = load();
    ownGradients(model);
    const named = model.namedParameters();
    const G = Math.max(...named.map(([n]) => maxAbs(ref[`grad.${n}`]!.dataSync())));
    for (const [name, p] of named) {
      const g = ref[`grad.${name}`]!;
      const floor = Math.max(maxAbs(g.dataSync()), 1e-2 * G);
      const ours = p.grad!.dataSync();
      const theirs = g.dataSync();
      let d = 0;
      for (let i = 0; i < ours.length; i++) d = Math.max(d, Math.abs(ours[i]! - theirs[i]!));
      expect(d, `grad.${name}`).toBeLessThanOrEqual(1e-3 * floor);
    }
  });

  it('one AdamW step fed with the fixture gradients (1e-6 absolute)', () => {
    const model = load();
    for (const [name, p] of model.namedParameters()) p.grad = ref[`grad.${name}`]!;
    new AdamW(model.parameters(), { lr: LR, weightDecay: WD }).step();
    for (const [name, p] of model.namedParameters()) {
      const d = maxAbsDiffOf(p, ref[`after_adamw.${name}`]!);
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

  for (const useCache of [true, false]) {
    it(`greedy generation ids and per-step logits, ${useCache ? 'with' : 'without'} the KV cache`, async () => {
      const model = load();
      const prompt = Array.from(ref['generate.prompt_ids']!.dataSync());
      const want = Array.from(ref['generate.greedy_ids']!.dataSync());
      const stepLogits = ref['generate.step_logits']!;
      const result = await generate(model, prompt, {
        maxNewTokens: want.length,
        useCache,
        outputLogits: true,
      });
      expect(result.newTokens[0]).toEqual(want);
      const v = model.config.vocabSize;
      const ours = new Float32Array(want.length * v);
      for (const [i, s] of result.logits!.entries()) ours.set(s.subarray(0, v), i * v);
      expectRelClose(ours, stepLogits.dataSync(), 1e-4, 'generate.step_logits');
    });
  }

  it('save → load → save is byte-identical, and equals the fixture files', () => {
    const model = load();
    const files = model.toPretrainedBytes();
    expect(files.configJson).toBe(readText('gpt2', 'config.json'));
    expect(Buffer.from(files.safetensors).equals(Buffer.from(readBytes('gpt2', 'model.safetensors')))).toBe(
      true,
    );
    const again = GPT2LMHeadModel.fromPretrainedBytes(files).toPretrainedBytes();
    expect(again.configJson).toBe(files.configJson);
    expect(Buffer.from(again.safetensors).equals(Buffer.from(files.safetensors))).toBe(true);
  });

  it('GPT2ForSequenceClassification head (heads/, atol 1e-4)', () => {
    const dir = join('heads', 'GPT2ForSequenceClassification');
    const model = GPT2ForSequenceClassification.fromPretrainedBytes({
      configJson: readText(dir, 'config.json'),
      safetensors: readBytes(dir, 'model.safetensors'),
    });
    const inputs = JSON.parse(readText(dir, 'inputs.json')) as Record<string, number[][]>;
    const outputs = JSON.parse(readText(dir, 'outputs.json')) as { logits: number[][] };
    const ids = tensor(inputs.input_ids!, undefined, { dtype: 'int32' });
    const am = tensor(inputs.attention_mask!, undefined, { dtype: 'int32' });
    const { logits } = noGrad(() => model.forward({ inputIds: ids, attentionMask: am }));
    const want = outputs.logits.flat();
    const got = logits.dataSync();
    for (const [i, w] of want.entries())
      expect(Math.abs(got[i]! - w), `logits[${i}]`).toBeLessThanOrEqual(1e-4);
    expect(Object.keys(model.stateDict()).sort()).toEqual(
      Object.keys(readTensors(dir, 'model.safetensors')).sort(),
    );
    const files = model.toPretrainedBytes();
    expect(files.configJson).toBe(readText(dir, 'config.json'));
    expect(Buffer.from(files.safetensors).equals(Buffer.from(readBytes(dir, 'model.safetensors')))).toBe(
      true,
    );
  });
});

function maxAbsDiffOf(a: Tensor, b: Tensor): number {
  const x = a.dataSync();
  const y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}
