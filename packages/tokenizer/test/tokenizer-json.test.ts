// Loading Hugging Face tokenizer.json documents written by Hugging Face's own tools, and saving ours for them.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as hf from 'tokenizers';
import { describe, expect, it } from 'vitest';
import { ByteLevelBpeTokenizer } from '../src/byte-level-bpe.ts';
import { loadTokenizer, saveTokenizer } from '../src/node.ts';
import { WordPieceTokenizer } from '../src/wordpiece.ts';
import { bertVocabText, gpt2Files, mobyDick, sample } from './data.ts';
import { hfBert, tiktokenGpt2 } from './references.ts';

const texts = [...sample(mobyDick(), 20), 'naïve café 東京 🤗 a\uFEFFb <|endoftext|> [SEP]'];

describe('GPT-2 tokenizer.json', () => {
  // Written by Hugging Face tokenizers itself: build GPT-2 from encoder.json + vocab.bpe there and save it.
  const dir = mkdtempSync(join(tmpdir(), 'gpt2-'));
  const { encoderJson, vocabBpe } = gpt2Files();
  writeFileSync(join(dir, 'vocab.json'), encoderJson);
  writeFileSync(join(dir, 'merges.txt'), vocabBpe);

  it("loads Hugging Face's own tokenizer.json and gives tiktoken's ids", async () => {
    const ref = new hf.Tokenizer(await hf.BPE.fromFile(join(dir, 'vocab.json'), join(dir, 'merges.txt')));
    ref.setPreTokenizer(hf.byteLevelPreTokenizer(false, true));
    ref.save(join(dir, 'tokenizer.json'));
    const ours = loadTokenizer(dir);
    expect(ours).toBeInstanceOf(ByteLevelBpeTokenizer);
    for (const t of texts) expect(ours.encode(t)).toEqual(Array.from(tiktokenGpt2().encode_ordinary(t)));
  });

  it('saves a tokenizer.json that Hugging Face loads, with the same ids', async () => {
    const gpt2 = ByteLevelBpeTokenizer.fromFiles(encoderJson, vocabBpe);
    const out = mkdtempSync(join(tmpdir(), 'gpt2-out-'));
    saveTokenizer(out, gpt2);
    const ref = hf.Tokenizer.fromFile(join(out, 'tokenizer.json'));
    for (const t of texts.slice(0, -1)) expect(gpt2.encode(t)).toEqual((await ref.encode(t)).getIds());
    expect(ByteLevelBpeTokenizer.fromTokenizerJson(gpt2.toTokenizerJson()).encode(texts.at(-1)!)).toEqual(
      Array.from(tiktokenGpt2().encode_ordinary(texts.at(-1)!)),
    );
  });
});

describe('BERT tokenizer.json', () => {
  it("loads Hugging Face's own bert-base-uncased tokenizer.json and gives its ids", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bert-'));
    const ref = hfBert();
    ref.save(join(dir, 'tokenizer.json'));
    const ours = loadTokenizer(dir);
    expect(ours).toBeInstanceOf(WordPieceTokenizer);
    for (const t of texts) {
      expect(
        (ours as WordPieceTokenizer).encodePair(t, undefined, { specialTokens: 'allow' }).inputIds,
      ).toEqual((await ref.encode(t)).getIds());
    }
  });

  it('saves a tokenizer.json that Hugging Face loads, with the same ids for pairs', async () => {
    const bert = WordPieceTokenizer.fromVocabText(bertVocabText());
    const ref = hf.Tokenizer.fromString(JSON.stringify(bert.toTokenizerJson()));
    for (const t of texts) {
      const ids = bert.encodePair(t, 'a second text', { specialTokens: 'allow' }).inputIds;
      expect(ids).toEqual((await ref.encode(t, 'a second text')).getIds());
    }
  });

  it('errors name the file', () => {
    expect(() =>
      WordPieceTokenizer.fromTokenizerJson('{"model": {"type": "BPE"}}', { fileName: 'x/tokenizer.json' }),
    ).toThrow(/^x\/tokenizer\.json: model\.type is "BPE", expected "WordPiece"$/);
    expect(() => WordPieceTokenizer.fromTokenizerJson('{\n"model":\n}', { fileName: 't.json' })).toThrow(
      /^t\.json:3: /,
    );
  });
});
