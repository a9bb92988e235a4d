import { beforeAll, describe, expect, it } from 'vitest';
import { gpt2Files, r50kTestPlans } from '../test/data.ts';
import { hfGpt2, hfOffsetsToUtf16, randomText, rng, tiktokenGpt2 } from '../test/references.ts';
import { ByteLevelBpeTokenizer } from './byte-level-bpe.ts';
import { TokenizerFileError } from './tokenizer.ts';

let gpt2: ByteLevelBpeTokenizer;
beforeAll(() => {
  const { encoderJson, vocabBpe } = gpt2Files();
  gpt2 = ByteLevelBpeTokenizer.fromFiles(encoderJson, vocabBpe);
});
const tiktoken = (s: string): number[] => Array.from(tiktokenGpt2().encode_ordinary(s));

describe('GPT-2 byte-level BPE: r50k_base cases of gpt-tokenizer TestPlans.txt', () => {
  const plans = r50kTestPlans();
  it('has the 64 cases', () => expect(plans.length).toBe(64));
  it.each(plans.map((p) => [p.sample.slice(0, 40), p] as const))('%s', (_, p) => {
    expect(gpt2.encode(p.sample)).toEqual(p.encoded);
    expect(gpt2.decode(p.encoded)).toBe(p.sample);
  });
});

// Where JavaScript's `\s`, Unicode versions or regex engines disagree with the reference.
const tricky: [string, string][] = [
  ['U+FEFF between words', 'a\uFEFFb \uFEFF c\uFEFF'],
  ['U+FEFF runs', '\uFEFF\uFEFF  \uFEFF'],
  ['NEL U+0085', 'a\u0085b \u0085\u0085c'],
  ['no-break, ideographic, line separators', 'a\u00a0b\u3000c\u2028d\u2029 e\u202f\u205f'],
  ['U+180E and ZWSP are not spaces', 'a\u180eb\u200bc \u200b'],
  ['file separators U+001C..U+001F', 'a\u001cb\u001f c'],
  ['contractions', "I'm you're we've they'll he'd it's can't 'S 'Ll ''s"],
  ['space runs', 'a  b   c    \n\n  d \t\te  '],
  ['trailing spaces', 'end   '],
  ['only spaces', '     '],
  ['numbers', 'a123 456,789.0 ½ Ⅻ ٣٤ １２'],
  ['letters new in Unicode 17 (not letters in the reference)', 'x\u{10940}\u{10941} \u{16ea0}y'],
  ['lone surrogates', 'a\ud800b \udc00 \ud83d'],
  ['emoji sequences', '👩‍👩‍👧‍👦 🇯🇵 ❤️ 👍🏽'],
  ['combining marks', 'e\u0301 a\u0300\u0301\u0302 \u0301'],
  ['CRLF', 'line\r\nline\r\n\r\n'],
  ['special token text', 'a<|endoftext|>b'],
];

describe('GPT-2 ids equal tiktoken', () => {
  it.each(tricky)('%s', (_, text) => {
    expect(gpt2.encode(text)).toEqual(tiktoken(text));
  });

  it('random Unicode strings (all planes, marks, emoji, invisible characters, lone surrogates)', () => {
    const rand = rng(1);
    for (let i = 0; i < 3000; i++) {
      const s = randomText(rand, 40);
      const ids = gpt2.encode(s);
      expect(ids, JSON.stringify(s)).toEqual(tiktoken(s));
    }
  });

  it('decode(encode(s)) === s for well-formed random strings', () => {
    const rand = rng(2);
    for (let i = 0; i < 2000; i++) {
      const s = randomText(rand, 40, true);
      expect(gpt2.decode(gpt2.encode(s))).toBe(s);
    }
  });
});

describe('special tokens', () => {
  const text = 'hi<|endoftext|>there<|endoftext|>';
  it("'text' (default) encodes them as text, like encode_ordinary", () => {
    expect(gpt2.encode(text)).toEqual(tiktoken(text));
  });
  it("'allow' gives 50256, like tiktoken's allowed_special 'all'", () => {
    const ids = gpt2.encode(text, { specialTokens: 'allow' });
    expect(ids).toEqual(Array.from(tiktokenGpt2().encode(text, 'all')));
    expect(ids).toContain(50256);
    expect(gpt2.decode(ids)).toBe(text);
  });
  it("'throw' names the token and where it is", () => {
    expect(() => gpt2.encode(text, { specialTokens: 'throw' })).toThrow(/<\|endoftext\|>.* at 2/);
    expect(() => tiktokenGpt2().encode(text)).toThrow();
  });
});

describe('decode', () => {
  it('bytes that are not valid UTF-8 become U+FFFD, as the reference decoder', async () => {
    const hf = hfGpt2();
    const rand = rng(3);
    for (let i = 0; i < 300; i++) {
      const ids = Array.from({ length: 1 + Math.floor(rand() * 6) }, () =>
        rand() < 0.5 ? Math.floor(rand() * 256) : Math.floor(rand() * 50256),
      );
      expect(gpt2.decode(ids)).toBe(await hf.decode(ids, false));
    }
    expect(gpt2.decode([447])).toBe('\ufffd'); // one byte of a 3-byte character
  });
  it('rejects ids outside the vocabulary', () => {
    expect(() => gpt2.decode([50257])).toThrow(/50257/);
    expect(() => gpt2.decode([-1])).toThrow(RangeError);
  });
});

describe('offsets', () => {
  it("equal Hugging Face's (in UTF-16 units)", async () => {
    const hf = hfGpt2();
    const texts = ['Hello, world!', 'naïve café 東京 🤗 x', "  it's   ok\n\n", 'a\ud83d\ude00b c'];
    for (const t of texts) {
      const ours = gpt2.encodeWithOffsets(t);
      const ref = await hf.encode(t);
      expect(ours.ids).toEqual(ref.getIds());
      expect(ours.offsets).toEqual(hfOffsetsToUtf16(t, ref.getOffsets()));
    }
  });
});

describe('bad input', () => {
  it('rejects non-strings with a TypeError', () => {
    expect(() => gpt2.encode(42 as unknown as string)).toThrow(TypeError);
    expect(() => gpt2.encode(null as unknown as string)).toThrow(/null/);
  });
  it('a 1 MB word with no spaces is not quadratic', () => {
    const rand = rng(4);
    let word = '';
    while (word.length < 1_000_000) word += String.fromCharCode(97 + Math.floor(rand() * 26));
    const t0 = performance.now();
    const ids = gpt2.encode(word);
    // quadratic merging of 1 MB would take hours; a generous bound keeps CI load from flaking
    expect(performance.now() - t0).toBeLessThan(30_000);
    expect(gpt2.decode(ids)).toBe(word);
    const head = word.slice(0, 20_000);
    expect(gpt2.encode(head)).toEqual(tiktoken(head));
  });
  it('a 10 MB string', () => {
    const s = 'The quick brown fox jumps over the lazy dog. '.repeat(240_000);
    expect(s.length).toBeGreaterThan(10_000_000);
    expect(gpt2.encode(s)).toEqual(tiktoken(s));
  });
});

describe('malformed files name the file and line', () => {
  const { encoderJson, vocabBpe } = gpt2Files();
  it('encoder.json that is not JSON', () => {
    const broken = encoderJson.replace('"#": 2,', '"#": 2,,');
    expect(() =>
      ByteLevelBpeTokenizer.fromFiles(broken, vocabBpe, { fileName: 'gpt2/encoder.json' }),
    ).toThrow(/^gpt2\/encoder\.json:1: /);
    const pretty = '{\n  "a": 0,\n  "b": 1,,\n  "c": 2\n}';
    expect(() => ByteLevelBpeTokenizer.fromFiles(pretty, '', { fileName: 'vocab.json' })).toThrow(
      /^vocab\.json:3: /,
    );
  });
  it('a merge line with one token', () => {
    const lines = vocabBpe.split('\n');
    lines[5] = 'Ġt';
    expect(() =>
      ByteLevelBpeTokenizer.fromFiles(encoderJson, lines.join('\n'), { mergesFileName: 'vocab.bpe' }),
    ).toThrow(new TokenizerFileError('vocab.bpe', 6, 'expected two tokens separated by one space, got "Ġt"'));
  });
  it('a merge of unknown tokens', () => {
    const lines = vocabBpe.split('\n');
    lines[9] = 'Ġt qqqqzz';
    expect(() =>
      ByteLevelBpeTokenizer.fromFiles(encoderJson, lines.join('\n'), { mergesFileName: 'vocab.bpe' }),
    ).toThrow(/^vocab\.bpe:10: merge: token "qqqqzz" is not in the vocabulary$/);
  });
  it('ids that are not integers', () => {
    expect(() => ByteLevelBpeTokenizer.fromFiles('{"a": "x"}', '', { fileName: 'e.json' })).toThrow(
      /^e\.json: token "a"/,
    );
  });
});
