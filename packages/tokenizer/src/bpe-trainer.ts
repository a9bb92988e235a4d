// Training: learn a byte-level BPE (GPT-2 style) or a WordPiece vocabulary (BERT style) from texts. Both count
// the pre-tokenized words, then merge the most frequent adjacent pair again and again, as Hugging Face's
// BpeTrainer and WordPieceTrainer do. Ties go to the pair of smallest ids, so a run is deterministic.
import { byteToChar, utf8Into } from './bpe-core.ts';
import { ByteLevelBpeTokenizer } from './byte-level-bpe.ts';
import type { BertNormalizerOptions } from './normalize.ts';
import { gpt2PieceEnd } from './pre-tokenize.ts';
import { checkText } from './tokenizer.ts';
import { charFlags } from './unicode.ts';
import { bertPreTokenize, WordPieceTokenizer } from './wordpiece.ts';

export interface TrainOptions {
  /** Size of the vocabulary to learn, special tokens and the alphabet included. */
  vocabSize: number;
  /** Pairs seen fewer times than this are never merged; default 2. */
  minFrequency?: number;
  /** Special tokens, given the first ids in this order. */
  specialTokens?: readonly string[];
}

export interface WordPieceTrainOptions extends TrainOptions, BertNormalizerOptions {
  /** Keep at most this many distinct characters (the most frequent); default no limit. */
  limitAlphabet?: number;
}

interface Word {
  syms: Int32Array;
  len: number;
  count: number;
}

const KEY = 2 ** 21; // pair key = a * KEY + b (vocabularies below two million tokens)

/**
 * The merge loop. `tokens` holds the initial vocabulary (and grows); `concat` joins two token strings.
 * Returns the merges as id pairs with the id of each result.
 */
function learnMerges(
  words: Word[],
  tokens: string[],
  concat: (a: string, b: string) => string,
  vocabSize: number,
  minFrequency: number,
): { a: number[]; b: number[]; ids: number[] } {
  const index = new Map<string, number>();
  tokens.forEach((t, i) => {
    index.set(t, i);
  });
  const counts = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  words.forEach((w, wi) => {
    for (let k = 0; k + 1 < w.len; k++) {
      const key = w.syms[k]! * KEY + w.syms[k + 1]!;
      counts.set(key, (counts.get(key) ?? 0) + w.count);
      let s = where.get(key);
      if (!s) where.set(key, (s = new Set()));
      s.add(wi);
    }
  });
  // A max-heap of [count, key] with lazy updates: a popped entry whose count is stale goes back in.
  const heap: [number, number][] = [];
  const better = (x: [number, number], y: [number, number]): boolean =>
    x[0] > y[0] || (x[0] === y[0] && x[1] < y[1]);
  const push = (e: [number, number]): void => {
    heap.push(e);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!better(heap[i]!, heap[p]!)) break;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  };
  const pop = (): [number, number] => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && better(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && better(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  };
  for (const [key, c] of counts) push([c, key]);

  const merges = { a: [] as number[], b: [] as number[], ids: [] as number[] };
  const changed = new Set<number>();
  const add = (key: number, delta: number, wi: number): void => {
    counts.set(key, (counts.get(key) ?? 0) + delta);
    if (delta > 0) {
      let s = where.get(key);
      if (!s) where.set(key, (s = new Set()));
      s.add(wi);
      changed.add(key);
    }
  };
  while (tokens.length < vocabSize && heap.length > 0) {
    const [c, key] = pop();
    const now = counts.get(key) ?? 0;
    if (now !== c) {
      if (now > 0) push([now, key]);
      continue;
    }
    if (c < minFrequency) break;
    const a = Math.floor(key / KEY);
    const b = key - a * KEY;
    const merged = concat(tokens[a]!, tokens[b]!);
    let id = index.get(merged);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(merged);
      index.set(merged, id);
    }
    merges.a.push(a);
    merges.b.push(b);
    merges.ids.push(id);
    changed.clear();
    for (const wi of where.get(key) ?? []) {
      const w = words[wi]!;
      const s = w.syms;
      let n = w.len;
      for (let k = 0; k + 1 < n; k++) {
        if (s[k] !== a || s[k + 1] !== b) continue;
        if (k > 0) {
          add(s[k - 1]! * KEY + a, -w.count, wi);
          add(s[k - 1]! * KEY + id, w.count, wi);
        }
        if (k + 2 < n) {
          add(b * KEY + s[k + 2]!, -w.count, wi);
          add(id * KEY + s[k + 2]!, w.count, wi);
        }
        s[k] = id;
        s.copyWithin(k + 1, k + 2, n);
        n--;
      }
      w.len = n;
    }
    counts.delete(key);
    where.delete(key);
    for (const k of changed) {
      const cnt = counts.get(k) ?? 0;
      if (cnt > 0) push([cnt, k]);
    }
  }
  return merges;
}

function checkOptions(op: string, texts: readonly string[], opts: TrainOptions): void {
  if (!Array.isArray(texts)) throw new TypeError(`${op}: expected an array of strings`);
  for (const t of texts) checkText(op, t);
  if (!Number.isInteger(opts.vocabSize) || opts.vocabSize < 1) {
    throw new RangeError(`${op}: vocabSize must be a positive integer, got ${opts.vocabSize}`);
  }
}

/** Learns a GPT-2 style byte-level BPE: the 256 bytes, then merges, after the special tokens. */
export function trainByteLevelBpe(texts: readonly string[], opts: TrainOptions): ByteLevelBpeTokenizer {
  checkOptions('trainByteLevelBpe', texts, opts);
  const flags = charFlags();
  const pieces = new Map<string, number>();
  for (const t of texts) {
    for (let i = 0; i < t.length; ) {
      const j = gpt2PieceEnd(t, i, t.length, flags);
      const p = t.slice(i, j);
      pieces.set(p, (pieces.get(p) ?? 0) + 1);
      i = j;
    }
  }
  const specials = opts.specialTokens ?? [];
  const tokens = [...specials, ...byteToChar()];
  const base = specials.length;
  const words: Word[] = [];
  let buf = new Int32Array(256);
  // Sorted, so that the word order (and with it every tie) does not depend on the order of the texts.
  for (const p of [...pieces.keys()].sort()) {
    if (buf.length < p.length * 3) buf = new Int32Array(p.length * 3);
    const n = utf8Into(p, 0, p.length, buf);
    const syms = new Int32Array(n);
    for (let k = 0; k < n; k++) syms[k] = base + buf[k]!;
    words.push({ syms, len: n, count: pieces.get(p)! });
  }
  const m = learnMerges(words, tokens, (a, b) => a + b, opts.vocabSize, opts.minFrequency ?? 2);
  const specialMap = new Map(specials.map((s, i) => [s, i]));
  return new ByteLevelBpeTokenizer(
    tokens,
    { a: Int32Array.from(m.a), b: Int32Array.from(m.b), ids: Int32Array.from(m.ids) },
    specialMap,
  );
}

/**
 * Learns a BERT WordPiece vocabulary: the special tokens (default [PAD] [UNK] [CLS] [SEP] [MASK]), every
 * character as a word start and as a `##` continuation, then merged pieces.
 */
export function trainWordPiece(texts: readonly string[], opts: WordPieceTrainOptions): WordPieceTokenizer {
  checkOptions('trainWordPiece', texts, opts);
  const counts = new Map<string, number>();
  for (const t of texts) for (const w of bertPreTokenize(t, opts)) counts.set(w, (counts.get(w) ?? 0) + 1);
  const specials = opts.specialTokens ?? ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  // The alphabet, most frequent first when it is limited, then sorted.
  const charCounts = new Map<string, number>();
  for (const [w, c] of counts) for (const ch of w) charCounts.set(ch, (charCounts.get(ch) ?? 0) + c);
  let alphabet = [...charCounts.keys()];
  if (opts.limitAlphabet !== undefined && alphabet.length > opts.limitAlphabet) {
    alphabet = alphabet
      .sort((x, y) => charCounts.get(y)! - charCounts.get(x)! || (x < y ? -1 : 1))
      .slice(0, opts.limitAlphabet);
  }
  alphabet.sort();
  const tokens = [...specials];
  const index = new Map<string, number>(tokens.map((t, i) => [t, i]));
  const idOf = (t: string): number => {
    let id = index.get(t);
    if (id === undefined) {
      id = tokens.length;
      tokens.push(t);
      index.set(t, id);
    }
    return id;
  };
  for (const ch of alphabet) idOf(ch);
  for (const ch of alphabet) idOf(`##${ch}`);
  const known = new Set(alphabet);
  const words: Word[] = [];
  for (const w of [...counts.keys()].sort()) {
    const chars = [...w];
    if (!chars.every((ch) => known.has(ch))) continue; // a word with a dropped character is [UNK] anyway
    const syms = Int32Array.from(chars.map((ch, k) => idOf(k === 0 ? ch : `##${ch}`)));
    words.push({ syms, len: syms.length, count: counts.get(w)! });
  }
  learnMerges(words, tokens, (a, b) => a + b.slice(2), opts.vocabSize, opts.minFrequency ?? 2);
  const unk = specials.includes('[UNK]') ? '[UNK]' : specials[0];
  return new WordPieceTokenizer(tokens, {
    ...opts,
    unkToken: unk,
    specialTokens: specials,
  });
}
