// Pre-tokenizers: where a text is cut into words before the subword model sees them.
//
// GPT-2's pattern is  's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// gpt2PieceEnd is that pattern written out as a scanner over code points, with the reference's character
// classes (src/unicode.ts): JavaScript's own `\s` also matches U+FEFF, which the reference's does not, and the
// regex engines differ in their Unicode versions. A scanner is also several times faster than a RegExp.
import { codePointAt, LETTER, NUMBER, SPACE } from './unicode.ts';

const C_APOS = 39;
const C_SPACE = 32;

function classAt(s: string, i: number, end: number, flags: Uint8Array): number {
  const c = s.charCodeAt(i);
  if (c < 0xd800 || c > 0xdfff) return flags[c]!;
  return i + 1 < end ? flags[codePointAt(s, i)]! : 0;
}

/** Index after the run of code points from `i` (below `end`) whose flags include `flag`. */
function runEnd(s: string, i: number, end: number, flags: Uint8Array, flag: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) {
      if ((flags[c]! & flag) === 0) return i;
      i++;
    } else {
      const cp = i + 1 < end ? codePointAt(s, i) : 0xfffd;
      if ((flags[cp]! & flag) === 0) return i;
      i += cp > 0xffff ? 2 : 1;
    }
  }
  return end;
}

/** Index after the run of code points from `i` that are neither space, letter nor number. */
function otherEnd(s: string, i: number, end: number, flags: Uint8Array): number {
  const stop = SPACE | LETTER | NUMBER;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) {
      if ((flags[c]! & stop) !== 0) return i;
      i++;
    } else {
      const cp = i + 1 < end ? codePointAt(s, i) : 0xfffd;
      if ((flags[cp]! & stop) !== 0) return i;
      i += cp > 0xffff ? 2 : 1;
    }
  }
  return end;
}

/** End (exclusive) of the GPT-2 pre-token that starts at `i`; `end` bounds the text. */
export function gpt2PieceEnd(s: string, i: number, end: number, flags: Uint8Array): number {
  const c = s.charCodeAt(i);
  if (c === C_APOS && i + 1 < end) {
    const d = s.charCodeAt(i + 1);
    // 's 't 'm 'd
    if (d === 115 || d === 116 || d === 109 || d === 100) return i + 2;
    if (i + 2 < end) {
      const e = s.charCodeAt(i + 2);
      // 're 've 'll
      if ((e === 101 && (d === 114 || d === 118)) || (d === 108 && e === 108)) return i + 3;
    }
  }
  let j = i;
  let cls: number;
  if (c === C_SPACE && i + 1 < end) {
    cls = classAt(s, i + 1, end, flags);
    if ((cls & SPACE) === 0) j = i + 1;
    else cls = SPACE;
  } else cls = classAt(s, i, end, flags);
  if (cls & LETTER) return runEnd(s, j, end, flags, LETTER);
  if (cls & NUMBER) return runEnd(s, j, end, flags, NUMBER);
  if ((cls & SPACE) === 0) return otherEnd(s, j, end, flags);
  // \s+(?!\S)|\s+ : a run of white space keeps its last character for the next piece, unless it ends the text
  // or is a single character. Every White_Space character is one UTF-16 unit.
  const k = runEnd(s, i, end, flags, SPACE);
  if (k === end || k - i === 1) return k;
  return k - 1;
}
