// A checkpoint trained here (a few steps of a tiny GPT and BERT with tokenizers trained by @tsformer/tokenizer),
// saved as a complete Hugging Face folder, sharded, and loaded back by pipeline().
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BertConfig, BertForPreTraining } from '@tsformer/bert';
import { GPT2Config, GPT2LMHeadModel } from '@tsformer/gpt';
import { tensor } from '@tsformer/tensor';
import { AdamW } from '@tsformer/tensor/optim';
import { trainByteLevelBpe, trainWordPiece } from '@tsformer/tokenizer';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemorySource, pipeline, toPretrainedFiles } from '../src/index.ts';
import { savePretrained } from '../src/node.ts';

const CORPUS = [
  'Call me Ishmael. Some years ago, never mind how long precisely, having little or no money in my purse,',
  'and nothing particular to interest me on shore, I thought I would sail about a little and see the watery part of the world.',
  'It is a way I have of driving off the spleen and regulating the circulation.',
  'Whenever I find myself growing grim about the mouth; whenever it is a damp, drizzly November in my soul,',
];

const tmp = mkdtempSync(join(tmpdir(), 'tsformer-pipelines-trained-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('a GPT trained and saved here', async () => {
  const bpe = trainByteLevelBpe(CORPUS, { vocabSize: 300, specialTokens: ['<|endoftext|>'] });
  const config = new GPT2Config({
    vocabSize: bpe.vocabSize,
    nPositions: 64,
    nEmbd: 32,
    nLayer: 2,
    nHead: 4,
    eosTokenId: 0,
    bosTokenId: 0,
  });
  const model = new GPT2LMHeadModel(config, { seed: 1 });
  const ids = bpe.encode(CORPUS.join(' ')).slice(0, 64);
  const inputIds = tensor(Int32Array.from(ids), [1, ids.length]);
  const opt = new AdamW(model.parameters(), { lr: 1e-2 });
  const losses: number[] = [];
  for (let step = 0; step < 8; step++) {
    opt.zeroGrad();
    const { loss } = model.forward({ inputIds, labels: inputIds });
    losses.push(loss!.item());
    loss!.backward();
    opt.step();
  }
  model.eval();
  const dir = join(tmp, 'gpt');
  const written = await savePretrained(dir, { model, tokenizer: bpe });

  it('trains (the loss falls) and saves a complete folder', () => {
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]!);
    const files = readdirSync(dir).sort();
    expect(files).toEqual(
      [
        'config.json',
        'generation_config.json',
        'merges.txt',
        'model.safetensors',
        'special_tokens_map.json',
        'tokenizer.json',
        'tokenizer_config.json',
        'vocab.json',
      ].sort(),
    );
    expect(written).toHaveLength(8);
    const tc = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
    expect(tc).toMatchObject({
      tokenizer_class: 'GPT2Tokenizer',
      model_max_length: 64,
      eos_token: '<|endoftext|>',
      bos_token: '<|endoftext|>',
    });
    expect(tc.added_tokens_decoder['0']).toMatchObject({ content: '<|endoftext|>', special: true });
    expect(JSON.parse(readFileSync(join(dir, 'special_tokens_map.json'), 'utf8'))).toEqual({
      bos_token: '<|endoftext|>',
      eos_token: '<|endoftext|>',
      unk_token: '<|endoftext|>',
    });
    expect(JSON.parse(readFileSync(join(dir, 'generation_config.json'), 'utf8'))).toMatchObject({
      bos_token_id: 0,
      eos_token_id: 0,
    });
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).architectures).toEqual([
      'GPT2LMHeadModel',
    ]);
    // model.safetensors is byte-identical to what the model package (and Python's save_file) writes
    expect(
      Buffer.compare(
        readFileSync(join(dir, 'model.safetensors')),
        Buffer.from(model.toPretrainedBytes().safetensors),
      ),
    ).toBe(0);
  });

  it('loads with pipeline() and generates what the model generates', async () => {
    const generator = await pipeline('text-generation', dir);
    const [out] = await generator('Call me', { max_new_tokens: 10 });
    expect(out!.generated_text.startsWith('Call me')).toBe(true);
    const direct = await pipeline('text-generation', { model, tokenizer: bpe });
    expect(await direct('Call me', { max_new_tokens: 10 })).toEqual([out]);
  });

  it('three shards load identically to one file; F16 and BF16 files load converted', async () => {
    const sharded = join(tmp, 'gpt-sharded');
    const total = model.numParameters() * 4;
    // the smallest shard size that gives three shards
    let maxShardSize = Math.ceil(total / 3);
    const shardCount = async (size: number) =>
      [...(await toPretrainedFiles({ model }, { maxShardSize: size })).keys()].filter((f) =>
        f.includes('-of-'),
      ).length;
    while ((await shardCount(maxShardSize)) > 3) maxShardSize += 1024;
    const files = await savePretrained(sharded, { model, tokenizer: bpe }, { maxShardSize });
    const shards = readdirSync(sharded).filter((f) => /^model-\d{5}-of-00003\.safetensors$/.test(f));
    expect(shards).toHaveLength(3);
    expect(files.some((f) => f.endsWith('model.safetensors.index.json'))).toBe(true);
    const index = JSON.parse(readFileSync(join(sharded, 'model.safetensors.index.json'), 'utf8'));
    expect(index.metadata.total_size).toBe(total);
    expect(existsSync(join(sharded, 'model.safetensors'))).toBe(false);
    const one = await pipeline('feature-extraction', dir);
    const three = await pipeline('feature-extraction', sharded);
    expect(three.report!.files).toHaveLength(3);
    for (const [name, p] of one.model.namedParameters()) {
      const q = three.model.namedParameters().find(([n]) => n === name)![1];
      expect(Buffer.compare(Buffer.from(p.dataSync().buffer), Buffer.from(q.dataSync().buffer)), name).toBe(
        0,
      );
    }
    for (const dtype of ['F16', 'BF16'] as const) {
      const half = await toPretrainedFiles({ model, tokenizer: bpe }, { dtype });
      const pipe = await pipeline('feature-extraction', createMemorySource(half));
      expect(pipe.report!.dtypes).toEqual([dtype]);
      const a = (await one('whenever I find')).data;
      const b = (await pipe('whenever I find')).data;
      let err = 0;
      for (let i = 0; i < a.length; i++) err = Math.max(err, Math.abs(a[i]! - b[i]!));
      expect(err).toBeLessThan(dtype === 'F16' ? 0.02 : 0.1);
      expect(err).toBeGreaterThan(0);
    }
  });
});

describe('a BERT trained and saved here', async () => {
  const wp = trainWordPiece(CORPUS, { vocabSize: 200 });
  const config = new BertConfig({
    vocabSize: wp.vocabSize,
    hiddenSize: 32,
    numHiddenLayers: 2,
    numAttentionHeads: 4,
    intermediateSize: 64,
    maxPositionEmbeddings: 64,
  });
  const model = new BertForPreTraining(config, { seed: 2 });
  model.eval();
  const dir = join(tmp, 'bert');
  await savePretrained(dir, { model, tokenizer: wp });

  it('writes the BertTokenizer files transformers expects', () => {
    const tc = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8'));
    expect(tc).toMatchObject({
      tokenizer_class: 'BertTokenizer',
      do_lower_case: true,
      model_max_length: 64,
      cls_token: '[CLS]',
      sep_token: '[SEP]',
      mask_token: '[MASK]',
      pad_token: '[PAD]',
      unk_token: '[UNK]',
    });
    expect(readFileSync(join(dir, 'vocab.txt'), 'utf8').split('\n')[4]).toBe('[MASK]');
    expect(existsSync(join(dir, 'generation_config.json'))).toBe(false);
  });

  it('fill-mask and next-sentence-prediction run from the folder', async () => {
    const unmasker = await pipeline('fill-mask', dir);
    const out = (await unmasker('call me [MASK].', { top_k: 3 })) as {
      score: number;
      token_str: string;
      sequence: string;
    }[];
    expect(out).toHaveLength(3);
    expect(out[0]!.score).toBeGreaterThanOrEqual(out[1]!.score);
    expect(out[0]!.sequence.startsWith('call me')).toBe(true);
    const two = (await unmasker('[MASK] me [MASK].')) as unknown[][];
    expect(two).toHaveLength(2);
    const nsp = await pipeline('next-sentence-prediction', dir);
    const r = await nsp('call me ishmael.', 'some years ago.');
    expect(r.score).toBeGreaterThan(0);
    expect(r.score).toBeLessThan(1);
  });
});
