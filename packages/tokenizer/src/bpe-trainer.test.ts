import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as hf from 'tokenizers';
import { describe, expect, it } from 'vitest';
import { mobyDick } from '../test/data.ts';
import { randomText, rng } from '../test/references.ts';
import { trainByteLevelBpe, trainWordPiece } from './bpe-trainer.ts';
import { saveTokenizer } from './node.ts';

// The DATA.md split: the last 14 Moby-Dick documents are held out.
const docs = mobyDick();
const train = docs.slice(0, -14);
const heldOut = docs.slice(-14);
const rand = rng(21);
const oddTexts = Array.from({ length: 200 }, () => randomText(rand, 30, true));

describe('trainByteLevelBpe', () => {
  const bpe = trainByteLevelBpe(train, {
    vocabSize: 4096,
    minFrequency: 2,
    specialTokens: ['<|endoftext|>'],
  });

  it('learns the vocabulary size asked for, specials first, then the 256 bytes', () => {
    expect(bpe.vocabSize).toBe(4096);
    expect(bpe.tokens[0]).toBe('<|endoftext|>');
    expect(bpe.tokens.slice(1, 5)).toEqual(['Ā', 'ā', 'Ă', 'ă']); // bytes 0..3 in GPT-2's byte alphabet
  });

  it('Hugging Face tokenizers loads our tokenizer.json and gives our ids on held-out text', async () => {
    const ref = hf.Tokenizer.fromString(JSON.stringify(bpe.toTokenizerJson()));
    for (const t of [...heldOut, ...oddTexts]) {
      const ids = bpe.encode(t);
      expect(ids).toEqual((await ref.encode(t)).getIds());
      expect(bpe.decode(ids)).toBe(t);
    }
    expect(ref.getVocabSize(true)).toBe(4096);
  });

  it('Hugging Face tokenizers loads our vocab.json + merges.txt and gives our ids', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpe-'));
    saveTokenizer(dir, bpe);
    const ref = new hf.Tokenizer(await hf.BPE.fromFile(join(dir, 'vocab.json'), join(dir, 'merges.txt')));
    ref.setPreTokenizer(hf.byteLevelPreTokenizer(false, true));
    for (const t of heldOut) expect(bpe.encode(t)).toEqual((await ref.encode(t)).getIds());
  });

  it('is deterministic and stops at minFrequency', () => {
    const a = trainByteLevelBpe(train.slice(0, 5), { vocabSize: 100_000, minFrequency: 50 });
    const b = trainByteLevelBpe([...train.slice(0, 5)].reverse(), { vocabSize: 100_000, minFrequency: 50 });
    expect(a.toTokenizerJson()).toEqual(b.toTokenizerJson());
    expect(a.vocabSize).toBeLessThan(2000);
  });
});

describe('trainWordPiece', () => {
  const wp = trainWordPiece(train, { vocabSize: 8192 });

  it('learns 8,192 tokens with BERT special tokens first', () => {
    expect(wp.vocabSize).toBe(8192);
    expect(wp.tokens.slice(0, 5)).toEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  });

  it('Hugging Face tokenizers loads our tokenizer.json and vocab.txt and gives our ids on held-out text', async () => {
    const fromJson = hf.Tokenizer.fromString(JSON.stringify(wp.toTokenizerJson()));
    const dir = mkdtempSync(join(tmpdir(), 'wp-'));
    saveTokenizer(dir, wp);
    const fromTxt = new hf.Tokenizer(
      await hf.WordPiece.fromFile(join(dir, 'vocab.txt'), { unkToken: '[UNK]' }),
    );
    fromTxt.setNormalizer(hf.bertNormalizer({ lowercase: true }));
    fromTxt.setPreTokenizer(hf.bertPreTokenizer());
    for (const t of [...heldOut, ...oddTexts]) {
      const pair = wp.encodePair(t, 'And a second one.');
      expect(pair.inputIds).toEqual((await fromJson.encode(t, 'And a second one.')).getIds());
      expect(wp.encode(t)).toEqual((await fromTxt.encode(t)).getIds());
    }
  });
});
