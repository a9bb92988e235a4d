// The gpu backend on gpu.js WebGPU in Node, through the optional `webgpu` package (Dawn): the op conformance checks
// the browser suite runs (packages/tensor/test/browser/checks.ts), then the Hugging Face parity of the hf-tiny GPT-2
// and BERT with every tensor on the GPU (logits, hidden states, losses, greedy generation), all read with
// `await data()`. Prints one JSON document { adapter, results: [{ name, ok, message, ms }], error? } on stdout for
// scripts/test-gpu.mjs. With no GPU, run it with Chromium's SwiftShader Vulkan driver:
//   VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json pnpm exec tsx --conditions=@tsformer/source scripts/node-webgpu.ts
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BertForPreTraining } from '../packages/bert/src/index.ts';
import { GPT2Config, GPT2LMHeadModel, generate } from '../packages/gpt/src/index.ts';
import type { Backend } from '../packages/tensor/src/backend.ts';
import { createCpuBackend } from '../packages/tensor/src/backends/cpu/index.ts';
import { createGpuBackend, installNodeWebGpu } from '../packages/tensor/src/backends/gpu/index.ts';
import {
  add,
  fromSafetensors,
  indexSelect,
  noGrad,
  prefetch,
  rand,
  setBackend,
  slice,
  type Tensor,
  tensor,
} from '../packages/tensor/src/index.ts';
import { AdamW } from '../packages/tensor/src/optim/index.ts';
import { type CheckResult, runChecks } from '../packages/tensor/test/browser/checks.ts';

const fixtures =
  process.env.TSFORMER_HF_FIXTURES ?? resolve(import.meta.dirname, '../../shared/fixtures/hf-tiny');
const results: CheckResult[] = [];
let adapter = '';
let error: string | undefined;

const bytes = (...parts: string[]): Uint8Array => new Uint8Array(readFileSync(join(fixtures, ...parts)));
const text = (...parts: string[]): string => readFileSync(join(fixtures, ...parts), 'utf8');
/** An hf-tiny model's reference tensors (on the current backend) and its checkpoint files. */
const fixture = (name: string) => ({
  ref: fromSafetensors(bytes(name, 'reference.safetensors')),
  files: { configJson: text(name, 'config.json'), safetensors: bytes(name, 'model.safetensors') },
});

/** max|ours − ref| ≤ rel · max|ref| (the fixtures' README criterion), read with `await data()`. */
async function relClose(ours: Tensor, ref: Tensor, rel: number, label: string): Promise<string> {
  if (ours.shape.join(',') !== ref.shape.join(','))
    return `${label}: shape [${ours.shape}] vs reference [${ref.shape}]`;
  const a = await ours.data();
  const b = await ref.data();
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d <= rel * m ? '' : `${label}: max|diff| ${d.toExponential(3)} > ${(rel * m).toExponential(3)}`;
}

async function check(name: string, fn: () => Promise<string[]>): Promise<void> {
  const t0 = performance.now();
  let message: string;
  try {
    message = (await fn()).filter(Boolean).join('; ');
  } catch (e) {
    message = `threw: ${(e as Error).stack ?? e}`;
  }
  results.push({ name, ok: message === '', message, ms: Math.round(performance.now() - t0) });
}

try {
  adapter = await installNodeWebGpu();
  const gpu = createGpuBackend({ mode: 'webgpu' });
  await gpu.ready;
  results.push(...(await runChecks(gpu, createCpuBackend({ wasm: false, threads: 1, fused: false }))));
  await check(
    'prefetch: afterwards dataSync() works on WebGPU (how the trainer writes checkpoints there)',
    async () => {
      setBackend(gpu);
      const x = add(rand([5], { seed: 1 }), 1);
      let before = '';
      try {
        x.dataSync();
        before = 'dataSync worked before prefetch: the test proves nothing';
      } catch {}
      await prefetch([x]);
      const sync = Array.from(x.dataSync());
      const read = Array.from(await x.data());
      x.dispose();
      return [
        before,
        JSON.stringify(sync) === JSON.stringify(read) ? '' : `dataSync ${sync} vs data() ${read}`,
      ];
    },
  );
  await check(
    "GPT-2's vocabulary on WebGPU: a one-layer GPT with the 50257 × 768 embedding (38.6M elements), loss, logits and one AdamW step equal the CPU's",
    async () => {
      // GPT-2's embedding and tied LM head, one block: rows past 21,845 lie beyond 2^24 elements
      const cpu = createCpuBackend({ threads: 1 });
      setBackend(cpu);
      const config = new GPT2Config({
        vocabSize: 50257,
        nPositions: 16,
        nEmbd: 768,
        nLayer: 1,
        nHead: 12,
        residPdrop: 0,
        embdPdrop: 0,
        attnPdrop: 0,
      });
      const files = new GPT2LMHeadModel(config).toPretrainedBytes();
      const ids = [50256, 50255, 3, 50000, 1234, 22000, 7, 49999];
      const rows = [50256, 50000, 22000, 3, 21845];
      const on = async (backend: Backend) => {
        setBackend(backend);
        const model = GPT2LMHeadModel.fromPretrainedBytes(files);
        const input = tensor(ids, [1, ids.length], { dtype: 'int32' });
        const out = model.forward({ inputIds: input, labels: input });
        out.loss!.backward();
        new AdamW(model.parameters(), { lr: 1e-3 }).step();
        const wte = model.transformer.wte.weight;
        const picked = indexSelect(wte, tensor(rows, undefined, { dtype: 'int32' }));
        return {
          loss: out.loss!,
          logits: slice(out.logits, [0, 0, 49900]),
          rows: picked,
        };
      };
      const want = await on(cpu);
      const got = await on(gpu);
      return [
        await relClose(got.loss, want.loss, 1e-4, 'loss'),
        await relClose(got.logits, want.logits, 1e-4, 'logits (vocabulary ids 49,900 on)'),
        // AdamW's first step moves every element by about lr·sign(grad): equal to float32 rounding
        await relClose(got.rows, want.rows, 1e-4, 'embedding rows after the step'),
      ];
    },
  );

  if (!existsSync(join(fixtures, 'gpt2', 'model.safetensors'))) {
    // the other fixture suites skip too; scripts/test-gpu.mjs reports only what ran
    process.stderr.write(`node-webgpu: no hf-tiny fixtures at ${fixtures}: the model checks are skipped\n`);
    process.stdout.write(`${JSON.stringify({ adapter, results })}\n`);
    process.exit(0);
  }
  setBackend(gpu);
  const gpt2 = fixture('gpt2');
  const gpt2Model = GPT2LMHeadModel.fromPretrainedBytes(gpt2.files);
  await check('hf-tiny GPT-2 on WebGPU: logits, last hidden state and loss (1e-4 rel)', async () => {
    const { ref } = gpt2;
    const model = gpt2Model;
    const out = noGrad(() => model.forward({ inputIds: ref.input_ids!, labels: ref.labels! }));
    return [
      await relClose(out.logits, ref.logits!, 1e-4, 'logits'),
      await relClose(out.lastHiddenState, ref.last_hidden_state!, 1e-4, 'last_hidden_state'),
      await relClose(out.loss!, ref.loss!, 1e-4, 'loss'),
    ];
  });
  await check(
    'hf-tiny GPT-2 on WebGPU: greedy generation with the KV cache equals transformers',
    async () => {
      const { ref } = gpt2;
      const model = gpt2Model;
      const prompt = Array.from(await ref['generate.prompt_ids']!.data());
      const want = Array.from(await ref['generate.greedy_ids']!.data());
      const r = await generate(model, prompt, { maxNewTokens: want.length });
      const got = r.newTokens[0]!;
      return [
        JSON.stringify(got) === JSON.stringify(want)
          ? ''
          : `ids ${JSON.stringify(got)} vs ${JSON.stringify(want)}`,
      ];
    },
  );
  await check(
    'hf-tiny BERT on WebGPU: hidden states, pooler, MLM and NSP logits, losses (1e-4 rel)',
    async () => {
      const { ref, files } = fixture('bert');
      const model = BertForPreTraining.fromPretrainedBytes(files);
      const out = noGrad(() =>
        model.forward({
          inputIds: ref.input_ids!,
          tokenTypeIds: ref.token_type_ids!,
          attentionMask: ref.attention_mask!,
          labels: ref.labels!,
          nextSentenceLabel: ref.next_sentence_label!,
        }),
      );
      return [
        await relClose(out.lastHiddenState, ref.last_hidden_state!, 1e-4, 'last_hidden_state'),
        await relClose(out.poolerOutput!, ref.pooler_output!, 1e-4, 'pooler_output'),
        await relClose(out.predictionLogits, ref.prediction_logits!, 1e-4, 'prediction_logits'),
        await relClose(
          out.seqRelationshipLogits,
          ref.seq_relationship_logits!,
          1e-4,
          'seq_relationship_logits',
        ),
        await relClose(out.loss!, ref.loss!, 1e-4, 'loss'),
      ];
    },
  );
} catch (e) {
  error = String((e as Error).stack ?? e);
}
process.stdout.write(`${JSON.stringify({ adapter, results, error })}\n`);
process.exit(0);
