// BERT's normalizer (Hugging Face's BertNormalizer), one word at a time and with alignments: clean_text
// (delete control characters, map white space to a space), strip_accents (NFD, then drop non-spacing marks),
// lowercase (per character, so Σ never becomes final ς). Chinese characters are isolated by the caller, which
// also splits on white space and punctuation before calling.
import { BERT_ACCENT, BERT_CONTROL, NO_NFD, SPACE } from './unicode.ts';

export interface BertNormalizerOptions {
  /** Delete control characters and turn all white space into plain spaces; default true. */
  cleanText?: boolean;
  /** Put spaces around CJK ideographs so each is a word; default true. */
  handleChineseChars?: boolean;
  /** Remove accents (NFD, then drop non-spacing marks); default: the value of `lowercase`. */
  stripAccents?: boolean;
  /** Lowercase; default true (bert-base-uncased). */
  lowercase?: boolean;
}

/** The normalized code points of a word, each with the span `[start, end)` of the original it came from. */
export interface NormalizedWord {
  cps: number[];
  start: number[];
  end: number[];
}

const lowerCache = new Map<number, number[]>();

function lowerOf(cp: number): number[] {
  let r = lowerCache.get(cp);
  if (r === undefined) {
    r = [];
    for (const ch of String.fromCodePoint(cp).toLowerCase()) r.push(ch.codePointAt(0)!);
    lowerCache.set(cp, r);
  }
  return r;
}

const nfdCache = new Map<number, number[]>();

function nfdOf(cp: number): number[] {
  let r = nfdCache.get(cp);
  if (r === undefined) {
    r = [];
    for (const ch of String.fromCodePoint(cp).normalize('NFD')) r.push(ch.codePointAt(0)!);
    nfdCache.set(cp, r);
  }
  return r;
}

/** Normalizes `text[start, end)`; offsets in the result are relative to `start`. */
export function normalizeWord(
  text: string,
  start: number,
  end: number,
  opts: Required<BertNormalizerOptions>,
  flags: Uint8Array,
): NormalizedWord {
  const out: NormalizedWord = { cps: [], start: [], end: [] };
  const emit = (cp: number, s: number, e: number): void => {
    if (opts.lowercase) {
      if (cp < 128) {
        out.cps.push(cp >= 65 && cp <= 90 ? cp + 32 : cp);
        out.start.push(s);
        out.end.push(e);
        return;
      }
      for (const l of lowerOf(cp)) {
        out.cps.push(l);
        out.start.push(s);
        out.end.push(e);
      }
      return;
    }
    out.cps.push(cp);
    out.start.push(s);
    out.end.push(e);
  };
  for (let i = start; i < end; ) {
    const c = text.charCodeAt(i);
    let cp = c;
    let w = 1;
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < end ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        cp = ((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000;
        w = 2;
      } else cp = 0xfffd;
    }
    const s = i - start;
    i += w;
    const f = flags[cp]!;
    if (opts.cleanText) {
      if (f & BERT_CONTROL) continue;
      if (f & SPACE || cp === 9 || cp === 10 || cp === 13) cp = 32;
    }
    if (opts.stripAccents && cp >= 0xc0) {
      const parts = f & NO_NFD ? [cp] : nfdOf(cp);
      for (const p of parts) {
        if ((flags[p]! & BERT_ACCENT) === 0) emit(p, s, i - start);
      }
    } else emit(cp, s, i - start);
  }
  return out;
}
