// Character classes of the reference tokenizers, as one flag byte per code point. The tables come from
// src/generated/unicode-tables.ts (read off tiktoken and Hugging Face tokenizers), so a tokenizer gives the
// same ids on every JavaScript runtime, whatever Unicode version its regular expressions know.
import {
  BERT_MARK,
  BERT_NO_NFD,
  BERT_PUNCT,
  BERT_REMOVE,
  GPT2_LETTER,
  GPT2_NUMBER,
  WHITE_SPACE,
} from './generated/unicode-tables.ts';

/** `\p{L}` of the GPT-2 pattern. */
export const LETTER = 1;
/** `\p{N}` of the GPT-2 pattern. */
export const NUMBER = 2;
/** `\s`: Unicode White_Space (not U+FEFF, unlike JavaScript's `\s`). */
export const SPACE = 4;
/** Deleted by BERT's clean_text. */
export const BERT_CONTROL = 8;
/** Isolated by BERT's pre-tokenizer. */
export const BERT_PUNCTUATION = 16;
/** Dropped by BERT's strip_accents after NFD. */
export const BERT_ACCENT = 32;
/** A "Chinese character" for BERT: CJK ideographs, split one by one. */
export const CJK = 64;
/** JavaScript's NFD decomposes it; the reference does not. */
export const NO_NFD = 128;

let table: Uint8Array | undefined;

function mark(t: Uint8Array, ranges: readonly number[], flag: number): void {
  for (let i = 0; i < ranges.length; i += 2) {
    const end = ranges[i + 1]!;
    for (let cp = ranges[i]!; cp < end; cp++) t[cp] = t[cp]! | flag;
  }
}

/** The flag byte of every code point (0x110000 entries), built on first use (about 1 ms). */
export function charFlags(): Uint8Array {
  if (table) return table;
  const t = new Uint8Array(0x110000);
  mark(t, GPT2_LETTER, LETTER);
  mark(t, GPT2_NUMBER, NUMBER);
  mark(t, WHITE_SPACE, SPACE);
  mark(t, BERT_REMOVE, BERT_CONTROL);
  mark(t, BERT_PUNCT, BERT_PUNCTUATION);
  mark(t, BERT_MARK, BERT_ACCENT);
  mark(t, BERT_NO_NFD, NO_NFD);
  mark(
    t,
    [
      0x4e00, 0xa000, 0x3400, 0x4dc0, 0x20000, 0x2a6e0, 0x2a700, 0x2b740, 0x2b740, 0x2b820, 0x2b920, 0x2ceb0,
      0xf900, 0xfb00, 0x2f800, 0x2fa20,
    ],
    CJK,
  );
  table = t;
  return t;
}

/** The code point at `i` of `s`; a lone surrogate reads as U+FFFD, as UTF-8 encoders (and the references) see it. */
export function codePointAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c < 0xd800 || c > 0xdfff) return c;
  if (c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
  }
  return 0xfffd;
}
