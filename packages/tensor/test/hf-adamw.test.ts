// AdamW against PyTorch: the hf-tiny fixtures hold every parameter before (`model.safetensors`), its gradient
// (`grad.<name>`) and its value after one torch.optim.AdamW step (`after_adamw.<name>`); see their README.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fromSafetensors, type Tensor } from '../src/index.ts';
import { parameter } from '../src/nn/index.ts';
import { AdamW } from '../src/optim/index.ts';
import { maxAbsDiff } from '../src/testing/index.ts';

const FIXTURES =
  process.env.TSFORMER_HF_FIXTURES ??
  resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../shared/fixtures/hf-tiny');
const present = existsSync(join(FIXTURES, 'gpt2', 'model.safetensors'));
if (!present && process.env.CI) throw new Error(`hf-tiny fixtures not found at ${FIXTURES}`);

const load = (rel: string): Record<string, Tensor> =>
  fromSafetensors(new Uint8Array(readFileSync(join(FIXTURES, rel))), { fileName: rel });

describe.skipIf(!present)('AdamW reproduces torch.optim.AdamW on the hf-tiny fixtures', () => {
  for (const model of ['bert', 'gpt2']) {
    it(`${model}: one step from the fixture's gradients is within 1e-6 of PyTorch`, () => {
      const weights = load(`${model}/model.safetensors`);
      const ref = load(`${model}/reference.safetensors`);
      const names = Object.keys(weights);
      expect(names.length).toBe(model === 'bert' ? 46 : 28);
      const params = names.map((n) => parameter(weights[n]!));
      params.forEach((p, i) => {
        p.grad = ref[`grad.${names[i]}`]!;
      });
      new AdamW(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 }).step();
      for (const [i, name] of names.entries()) {
        const diff = maxAbsDiff(params[i]!, ref[`after_adamw.${name}`]!);
        expect(diff, name).toBeLessThanOrEqual(1e-6);
      }
    });
  }
});
