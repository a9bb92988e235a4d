// The reference tokenizers, set up the way their authors ship them. Tests compare against these, never against
// our own earlier output.

import { get_encoding, type Tiktoken } from 'tiktoken';
import * as hf from 'tokenizers';
import { bertVocabText, gpt2Files } from './data.ts';

let tk: Tiktoken | undefined;
/** tiktoken's GPT-2 (r50k_base): the Rust regex and BPE compiled to WebAssembly. */
export function tiktokenGpt2(): Tiktoken {
  tk ??= get_encoding('gpt2');
  return tk;
}

/** Hugging Face tokenizers' bert-base-uncased: BertNormalizer, BertPreTokenizer, WordPiece, [CLS]/[SEP]. */
/** `specials: false` leaves out the added tokens, so special-token text in the input is ordinary text. */
export function hfBert(opts: { lowercase?: boolean; specials?: boolean } = {}): hf.Tokenizer {
  const lines = bertVocabText().split('\n').slice(0, -1);
  const vocab = Object.fromEntries(lines.map((t, i) => [t, i]));
  const t = new hf.Tokenizer(hf.WordPiece.init(vocab, { unkToken: '[UNK]' }));
  t.setNormalizer(hf.bertNormalizer({ lowercase: opts.lowercase ?? true }));
  t.setPreTokenizer(hf.bertPreTokenizer());
  t.setPostProcessor(hf.bertProcessing(['[SEP]', 102], ['[CLS]', 101]));
  t.setDecoder(hf.wordPieceDecoder());
  if (opts.specials !== false) t.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
  return t;
}

/** Hugging Face tokenizers' GPT-2, written out as GPT-2's own tokenizer.json: BPE over encoder.json and
 * vocab.bpe, ByteLevel pre-tokenizer, post-processor and decoder. */
export function hfGpt2(): hf.Tokenizer {
  const { encoderJson, vocabBpe } = gpt2Files();
  const merges = vocabBpe
    .split('\n')
    .slice(1)
    .filter((l) => l !== '');
  const bl = { add_prefix_space: false, trim_offsets: true, use_regex: true };
  const doc = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      {
        id: 50256,
        content: '<|endoftext|>',
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: true,
        special: true,
      },
    ],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', ...bl },
    post_processor: { type: 'ByteLevel', ...bl, trim_offsets: false },
    decoder: { type: 'ByteLevel', ...bl },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      vocab: JSON.parse(encoderJson),
      merges,
    },
  };
  return hf.Tokenizer.fromString(JSON.stringify(doc));
}

/** Hugging Face offsets count code points; ours count UTF-16 units like String.prototype.slice. */
export function hfOffsetsToUtf16(text: string, offsets: number[][]): [number, number][] {
  const at: number[] = [];
  let u = 0;
  for (const ch of text) {
    at.push(u);
    u += ch.length;
  }
  at.push(u);
  return offsets.map(([s, e]) => [at[s!]!, at[e!]!]);
}

/** A seeded PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PICKS: (readonly [number, number])[] = [
  [0x20, 0x7f], // ASCII
  [0x20, 0x7f],
  [0x20, 0x7f],
  [0x00, 0x20], // C0 controls, tab, newlines
  [0x80, 0x250], // Latin-1, C1 controls (U+0085), Latin Extended
  [0x300, 0x370], // combining marks
  [0x370, 0x800], // Greek, Cyrillic, Hebrew, Arabic
  [0x900, 0xe00], // Indic, Thai
  [0x2000, 0x2070], // general punctuation, spaces, ZWSP/ZWJ, LS/PS
  [0x3000, 0x3100], // CJK punctuation, ideographic space, kana
  [0x4e00, 0x4f00], // CJK ideographs
  [0xac00, 0xad00], // Hangul
  [0xfe00, 0xff00], // variation selectors, U+FEFF, presentation forms
  [0x1f300, 0x1fa00], // emoji
  [0x10000, 0x110000], // every other plane, assigned or not
];
const SPECIAL = [
  0xfeff, 0x85, 0xa0, 0x1680, 0x180e, 0x200b, 0x200d, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0x0b, 0x0c,
  0x1c, 0xfffd, 0x130, 0x3a3, 0xdf, 0xfb01,
];
const WORDS = [
  "'s",
  "'ll",
  "'RE",
  ' the',
  '  ',
  '\n\n',
  '\r\n',
  ' 123',
  'ﬁ',
  '👩‍👩‍👧‍👦',
  '🇯🇵',
  '❤️',
  'é',
  'e\u0301',
];

/** A random string from all planes, with combining marks, emoji sequences, invisible and white space characters,
 * lone surrogates (unless `wellFormed`), contractions and runs of spaces. */
export function randomText(rand: () => number, maxLen: number, wellFormed = false): string {
  const n = Math.floor(rand() * maxLen);
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = rand();
    if (r < 0.08) s += WORDS[Math.floor(rand() * WORDS.length)];
    else if (r < 0.16) s += String.fromCodePoint(SPECIAL[Math.floor(rand() * SPECIAL.length)]!);
    else if (r < 0.19 && !wellFormed) s += String.fromCharCode(0xd800 + Math.floor(rand() * 0x800));
    else {
      const [lo, hi] = PICKS[Math.floor(rand() * PICKS.length)]!;
      let cp = lo + Math.floor(rand() * (hi - lo));
      if (cp >= 0xd800 && cp < 0xe000) cp = 0x41;
      s += String.fromCodePoint(cp);
    }
  }
  return s;
}
