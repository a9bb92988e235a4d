// Reads the hf-tiny fixtures (../shared/fixtures/hf-tiny, see its README.md) written by PyTorch / transformers
// `save_pretrained`, checks names, shapes and dtypes against the README's tables, and checks that writing the parsed
// tensors back reproduces the files byte for byte.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type ParsedSafetensors,
  parseSafetensors,
  type RawTensor,
  serializeSafetensors,
  type TensorToWrite,
} from '../src/io/safetensors.ts';

const FIXTURES =
  process.env.TSFORMER_HF_FIXTURES ??
  resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../shared/fixtures/hf-tiny');
const present = existsSync(join(FIXTURES, 'bert', 'model.safetensors'));

const load = (rel: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, rel)));
const parse = (rel: string): ParsedSafetensors => parseSafetensors(load(rel), { fileName: rel });

// The README's tables, in state_dict order.
const lin = (p: string, out: number, inp: number): Array<[string, number[]]> => [
  [`${p}.weight`, [out, inp]],
  [`${p}.bias`, [out]],
];
const ln = (p: string, c: number): Array<[string, number[]]> => [
  [`${p}.weight`, [c]],
  [`${p}.bias`, [c]],
];

const BERT_PARAMS: Array<[string, number[]]> = [
  ['bert.embeddings.word_embeddings.weight', [99, 32]],
  ['bert.embeddings.position_embeddings.weight', [64, 32]],
  ['bert.embeddings.token_type_embeddings.weight', [2, 32]],
  ...ln('bert.embeddings.LayerNorm', 32),
  ...[0, 1].flatMap((i): Array<[string, number[]]> => {
    const l = `bert.encoder.layer.${i}`;
    return [
      ...lin(`${l}.attention.self.query`, 32, 32),
      ...lin(`${l}.attention.self.key`, 32, 32),
      ...lin(`${l}.attention.self.value`, 32, 32),
      ...lin(`${l}.attention.output.dense`, 32, 32),
      ...ln(`${l}.attention.output.LayerNorm`, 32),
      ...lin(`${l}.intermediate.dense`, 37, 32),
      ...lin(`${l}.output.dense`, 32, 37),
      ...ln(`${l}.output.LayerNorm`, 32),
    ];
  }),
  ...lin('bert.pooler.dense', 32, 32),
  ['cls.predictions.bias', [99]],
  ...lin('cls.predictions.transform.dense', 32, 32),
  ...ln('cls.predictions.transform.LayerNorm', 32),
  ...lin('cls.seq_relationship', 2, 32),
];

// GPT-2 Conv1D weights are [in, out].
const conv = (p: string, inp: number, out: number): Array<[string, number[]]> => [
  [`${p}.weight`, [inp, out]],
  [`${p}.bias`, [out]],
];
const GPT2_PARAMS: Array<[string, number[]]> = [
  ['transformer.wte.weight', [99, 32]],
  ['transformer.wpe.weight', [64, 32]],
  ...[0, 1].flatMap((i): Array<[string, number[]]> => {
    const h = `transformer.h.${i}`;
    return [
      ...ln(`${h}.ln_1`, 32),
      ...conv(`${h}.attn.c_attn`, 32, 96),
      ...conv(`${h}.attn.c_proj`, 32, 32),
      ...ln(`${h}.ln_2`, 32),
      ...conv(`${h}.mlp.c_fc`, 32, 128),
      ...conv(`${h}.mlp.c_proj`, 128, 32),
    ];
  }),
  ...ln('transformer.ln_f', 32),
];

const BERT_REFERENCE: Array<[string, number[], 'I64' | 'F32']> = [
  ['input_ids', [2, 16], 'I64'],
  ['token_type_ids', [2, 16], 'I64'],
  ['attention_mask', [2, 16], 'I64'],
  ['labels', [2, 16], 'I64'],
  ['next_sentence_label', [2], 'I64'],
  ['last_hidden_state', [2, 16, 32], 'F32'],
  ['pooler_output', [2, 32], 'F32'],
  ['prediction_logits', [2, 16, 99], 'F32'],
  ['seq_relationship_logits', [2, 2], 'F32'],
  ['mlm_loss', [], 'F32'],
  ['nsp_loss', [], 'F32'],
  ['loss', [], 'F32'],
];

const GPT2_REFERENCE: Array<[string, number[], 'I64' | 'F32']> = [
  ['input_ids', [2, 16], 'I64'],
  ['labels', [2, 16], 'I64'],
  ['logits', [2, 16, 99], 'F32'],
  ['last_hidden_state', [2, 16, 32], 'F32'],
  ['loss', [], 'F32'],
  ['generate.prompt_ids', [1, 5], 'I64'],
  ['generate.greedy_ids', [1, 12], 'I64'],
  ['generate.step_logits', [12, 99], 'F32'],
];

/** Reads the header's tensor names in the order they appear in the JSON (not through our parser). */
function headerOrder(bytes: Uint8Array): string[] {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return Object.keys(JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)))).filter(
    (k) => k !== '__metadata__',
  );
}

/** I64 values straight from the file bytes with a BigInt64Array, independent of the parser's conversion. */
function rawI64(bytes: Uint8Array, name: string): number[] {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const [begin, end] = header[name].data_offsets as [number, number];
  const copy = bytes.slice(8 + n + begin, 8 + n + end);
  return [...new BigInt64Array(copy.buffer)].map(Number);
}

function expectTensor(t: RawTensor | undefined, shape: number[], source: 'I64' | 'F32', what: string): void {
  expect(t, what).toBeDefined();
  expect(t!.shape, what).toEqual(shape);
  expect(t!.sourceDType, what).toBe(source);
  expect(t!.dtype, what).toBe(source === 'I64' ? 'int32' : 'float32');
  expect(t!.data, what).toBeInstanceOf(source === 'I64' ? Int32Array : Float32Array);
  expect(t!.data.length, what).toBe(shape.reduce((p, d) => p * d, 1));
}

function reserialize(parsed: ParsedSafetensors): Uint8Array {
  const out = new Map<string, TensorToWrite>();
  for (const [name, t] of parsed.tensors) {
    out.set(name, { shape: t.shape, data: t.data, dtype: t.sourceDType as TensorToWrite['dtype'] });
  }
  return serializeSafetensors(out, parsed.metadata);
}

const MODELS = [
  ['bert', BERT_PARAMS, BERT_REFERENCE],
  ['gpt2', GPT2_PARAMS, GPT2_REFERENCE],
] as const;

describe.skipIf(!present)(`hf-tiny fixtures (${FIXTURES})`, () => {
  it('the README tables list 46 BERT and 28 GPT-2 parameters', () => {
    expect(BERT_PARAMS).toHaveLength(46);
    expect(GPT2_PARAMS).toHaveLength(28);
  });

  describe.each(MODELS)('%s', (model, params, reference) => {
    it('model.safetensors: names, shapes, F32, metadata {"format":"pt"}, canonical (name-sorted) order', () => {
      const bytes = load(`${model}/model.safetensors`);
      const { tensors, metadata } = parseSafetensors(bytes, { fileName: `${model}/model.safetensors` });
      expect(metadata).toEqual({ format: 'pt' });
      expect([...tensors.keys()].sort()).toEqual(params.map(([n]) => n).sort());
      for (const [name, shape] of params) expectTensor(tensors.get(name), shape, 'F32', name);
      // All F32: safetensors' order is plain byte order of the names, both in the header and in the data.
      const sorted = params.map(([n]) => n).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      expect(headerOrder(bytes)).toEqual(sorted);
      expect([...tensors.keys()]).toEqual(sorted);
      for (const t of tensors.values()) expect(t.data.every(Number.isFinite)).toBe(true);
    });

    it('reference.safetensors: inputs (I64 -> int32), outputs, scalar losses, grad.* and after_adamw.*', () => {
      const { tensors, metadata } = parse(`${model}/reference.safetensors`);
      expect(metadata).toEqual({ format: 'pt' });
      const expected: Array<[string, number[], 'I64' | 'F32']> = [
        ...reference,
        ...params.map(([n, s]): [string, number[], 'F32'] => [`grad.${n}`, s, 'F32']),
        ...params.map(([n, s]): [string, number[], 'F32'] => [`after_adamw.${n}`, s, 'F32']),
      ];
      expect([...tensors.keys()].sort()).toEqual(expected.map(([n]) => n).sort());
      for (const [name, shape, dtype] of expected) expectTensor(tensors.get(name), shape, dtype, name);
    });

    it('parse -> serialize reproduces model.safetensors and reference.safetensors byte for byte', () => {
      for (const file of [`${model}/model.safetensors`, `${model}/reference.safetensors`]) {
        const bytes = load(file);
        const again = reserialize(parseSafetensors(bytes, { fileName: file }));
        expect(again.length, file).toBe(bytes.length);
        expect(Buffer.compare(again, bytes), file).toBe(0);
      }
    });
  });

  it('bert inputs hold the values the README describes', () => {
    const bytes = load('bert/reference.safetensors');
    const { tensors } = parseSafetensors(bytes, { fileName: 'bert/reference.safetensors' });
    for (const name of ['input_ids', 'token_type_ids', 'attention_mask', 'labels', 'next_sentence_label']) {
      expect([...tensors.get(name)!.data], name).toEqual(rawI64(bytes, name));
    }
    const labels = [...tensors.get('labels')!.data];
    expect(labels).toContain(-100);
    expect(labels.filter((l) => l !== -100)).toHaveLength(5); // 5 MLM labels
    expect(labels.every((l) => l === -100 || (l >= 0 && l < 99))).toBe(true);
    expect([...tensors.get('next_sentence_label')!.data]).toEqual([0, 1]);
    const mask = [...tensors.get('attention_mask')!.data];
    expect([mask.slice(0, 16), mask.slice(16)].map((r) => r.reduce((a, b) => a + b, 0))).toEqual([16, 11]);
    const ids = tensors.get('input_ids')!.data;
    expect(ids[9]).toBe(0); // token id 0 at attended position (0, 9)
    expect([...ids.subarray(16 + 11)]).toEqual([0, 0, 0, 0, 0]); // row 1 padded with pad id 0
    for (const loss of ['mlm_loss', 'nsp_loss', 'loss']) {
      const t = tensors.get(loss)!;
      expect(t.shape).toEqual([]);
      expect(t.data).toHaveLength(1);
      expect(Number.isFinite(t.data[0])).toBe(true);
    }
    expect(tensors.get('loss')!.data[0]).toBeCloseTo(
      tensors.get('mlm_loss')!.data[0]! + tensors.get('nsp_loss')!.data[0]!,
      5,
    );
  });

  it('gpt2 inputs hold the values the README describes', () => {
    const bytes = load('gpt2/reference.safetensors');
    const { tensors } = parseSafetensors(bytes, {
      fileName: 'gpt2/reference.safetensors',
      names: ['input_ids', 'labels', 'generate.prompt_ids', 'generate.greedy_ids', 'loss'],
    });
    expect(tensors.size).toBe(5);
    expect([...tensors.get('input_ids')!.data]).toEqual(rawI64(bytes, 'input_ids'));
    expect(tensors.get('labels')!.data).toEqual(tensors.get('input_ids')!.data);
    expect([...tensors.get('generate.prompt_ids')!.data]).toEqual([62, 94, 61, 50, 75]);
    expect([...tensors.get('generate.greedy_ids')!.data]).toEqual([
      75, 63, 63, 63, 63, 38, 38, 38, 38, 38, 38, 38,
    ]);
    expect(tensors.get('loss')!.shape).toEqual([]);
  });

  it.each([
    'BertForQuestionAnswering',
    'BertForSequenceClassification',
    'BertForTokenClassification',
    'GPT2ForSequenceClassification',
  ])('heads/%s/model.safetensors: parse -> serialize is byte-identical', (head) => {
    const file = `heads/${head}/model.safetensors`;
    const bytes = load(file);
    const parsed = parseSafetensors(bytes, { fileName: file });
    expect(parsed.metadata).toEqual({ format: 'pt' });
    expect(Buffer.compare(reserialize(parsed), bytes)).toBe(0);
  });
});
