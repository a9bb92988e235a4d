import * as hf from 'tokenizers';
import { describe, expect, it } from 'vitest';
import { CharTokenizer } from './char.ts';

describe('CharTokenizer', () => {
  const corpus = 'First Citizen:\nBefore we proceed any further, hear me speak. Ünïcödé 東京 🤗';
  const chars = CharTokenizer.fromText(corpus);

  it('has one id per distinct code point, in code point order (nanoGPT sorted(set(text)))', () => {
    expect(chars.vocabSize).toBe(new Set(corpus).size);
    expect(chars.chars).toEqual([...new Set(corpus)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!));
    expect(chars.decode(chars.encode(corpus))).toBe(corpus);
  });

  it('Hugging Face tokenizers loads its tokenizer.json and gives the same ids and text', async () => {
    const ref = hf.Tokenizer.fromString(JSON.stringify(chars.toTokenizerJson()));
    const text = 'hear me, 東京 🤗.\n';
    const enc = await ref.encode(text);
    expect(chars.encode(text)).toEqual(enc.getIds());
    expect(await ref.decode(enc.getIds(), false)).toBe(text);
    expect(CharTokenizer.fromTokenizerJson(chars.toTokenizerJson()).encode(text)).toEqual(enc.getIds());
  });

  it('unknown characters throw, or become the unknown token', async () => {
    expect(() => chars.encode('xyz')).toThrow(/"x" at 0/);
    const withUnk = CharTokenizer.fromText(corpus, { unkToken: '<unk>' });
    const ref = hf.Tokenizer.fromString(JSON.stringify(withUnk.toTokenizerJson()));
    expect(withUnk.encode('a€b')).toEqual((await ref.encode('a€b')).getIds());
  });
});
