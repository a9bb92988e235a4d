// BERT's WordPiece: the basic tokenizer (Hugging Face's BertNormalizer + BertPreTokenizer) and greedy
// longest-match-first subwords with `##` continuations. Loads vocab.txt and tokenizer.json, saves both.
//
// Speed: the text is cut into raw words (runs between white space, punctuation and CJK characters) without
// normalizing it; each distinct raw word is normalized and split once, and its ids and offsets are cached.
import { type BertNormalizerOptions, normalizeWord } from './normalize.ts';
import {
  assembleInputs,
  checkIds,
  checkText,
  type EncodeOptions,
  type ModelInputOptions,
  type ModelInputs,
  padBatch,
  parseJsonDoc,
  splitSpecial,
  type Template,
  type Tokenizer,
  TokenizerFileError,
  type TokenizerJson,
  type TokenSpans,
} from './tokenizer.ts';
import { BERT_CONTROL, BERT_PUNCTUATION, CJK, charFlags, SPACE } from './unicode.ts';

export interface WordPieceOptions extends BertNormalizerOptions {
  unkToken?: string;
  /** Prefix of tokens that continue a word; default `##`. */
  continuingSubwordPrefix?: string;
  /** Longer words (in code points) become `[UNK]`; default 100. */
  maxInputCharsPerWord?: number;
  /** Special tokens; default those of BERT's vocabulary that are present: [PAD] [UNK] [CLS] [SEP] [MASK]. */
  specialTokens?: readonly string[];
  /** Names the vocabulary file in error messages. */
  fileName?: string;
}

export interface DecodeOptions {
  /** Leave out special tokens ([CLS], [SEP], [PAD] …); default false, as Hugging Face. */
  skipSpecialTokens?: boolean;
  /** Glue punctuation and contractions back (" ." → "."), as Hugging Face's WordPiece decoder; default true. */
  cleanup?: boolean;
}

/** A cached word: one id spanning the whole raw word, or ids with [start, end) offsets relative to the word. */
type WordEntry = number | { ids: number[]; offs: Int32Array };

const CACHE_LIMIT = 200_000;
const CACHE_MAX_WORD = 64;
const BERT_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

/** BERT-compatible WordPiece tokenizer. */
export class WordPieceTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly tokens: readonly string[];
  readonly vocab: ReadonlyMap<string, number>;
  readonly specialTokens: ReadonlyMap<string, number>;
  readonly normalizer: Required<BertNormalizerOptions>;
  readonly unkToken: string;
  readonly prefix: string;
  readonly maxInputCharsPerWord: number;
  readonly unkId: number;
  private readonly flags: Uint8Array;
  private readonly boundary: number;
  private readonly cache = new Map<string, WordEntry>();
  private readonly specialIds: Set<number>;

  constructor(tokens: readonly string[], opts: WordPieceOptions = {}) {
    const fileName = opts.fileName ?? 'vocab.txt';
    this.tokens = tokens;
    this.vocabSize = tokens.length;
    const vocab = new Map<string, number>();
    tokens.forEach((t, id) => {
      vocab.set(t, id);
    });
    this.vocab = vocab;
    const lowercase = opts.lowercase ?? true;
    this.normalizer = {
      cleanText: opts.cleanText ?? true,
      handleChineseChars: opts.handleChineseChars ?? true,
      stripAccents: opts.stripAccents ?? lowercase,
      lowercase,
    };
    this.unkToken = opts.unkToken ?? '[UNK]';
    this.prefix = opts.continuingSubwordPrefix ?? '##';
    this.maxInputCharsPerWord = opts.maxInputCharsPerWord ?? 100;
    const unk = vocab.get(this.unkToken);
    if (unk === undefined)
      throw new TokenizerFileError(fileName, undefined, `the unknown token ${this.unkToken} is missing`);
    this.unkId = unk;
    const specials = new Map<string, number>();
    for (const s of opts.specialTokens ?? BERT_SPECIALS) {
      const id = vocab.get(s);
      if (id !== undefined) specials.set(s, id);
      else if (opts.specialTokens)
        throw new TokenizerFileError(fileName, undefined, `special token ${s} is missing`);
    }
    this.specialTokens = specials;
    this.specialIds = new Set(specials.values());
    this.flags = charFlags();
    this.boundary = BERT_PUNCTUATION | (this.normalizer.handleChineseChars ? CJK : 0);
  }

  /** From the text of a `vocab.txt` (one token per line, the line number minus one is the id). */
  static fromVocabText(vocabTxt: string, opts: WordPieceOptions = {}): WordPieceTokenizer {
    const fileName = opts.fileName ?? 'vocab.txt';
    if (typeof vocabTxt !== 'string')
      throw new TokenizerFileError(fileName, undefined, 'expected the text of the file');
    const lines = vocabTxt.split('\n');
    if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
    const seen = new Map<string, number>();
    const tokens = lines.map((raw, i) => {
      const t = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (t.trim() === '' || t !== t.trim()) {
        throw new TokenizerFileError(fileName, i + 1, `expected one token, got ${JSON.stringify(raw)}`);
      }
      const before = seen.get(t);
      if (before !== undefined) {
        throw new TokenizerFileError(
          fileName,
          i + 1,
          `token ${JSON.stringify(t)} is already on line ${before + 1}`,
        );
      }
      seen.set(t, i);
      return t;
    });
    return new WordPieceTokenizer(tokens, { ...opts, fileName });
  }

  /** From a Hugging Face `tokenizer.json` with a WordPiece model (and BertNormalizer, BertPreTokenizer). */
  static fromTokenizerJson(
    json: string | TokenizerJson,
    opts: { fileName?: string } = {},
  ): WordPieceTokenizer {
    const fileName = opts.fileName ?? 'tokenizer.json';
    const doc = parseJsonDoc(json, fileName);
    const model = doc.model;
    if (model?.type !== 'WordPiece' || typeof model.vocab !== 'object') {
      throw new TokenizerFileError(
        fileName,
        undefined,
        `model.type is ${JSON.stringify(model?.type)}, expected "WordPiece"`,
      );
    }
    const tokens: string[] = [];
    for (const [t, id] of Object.entries(model.vocab as Record<string, number>)) {
      if (!Number.isInteger(id) || id < 0)
        throw new TokenizerFileError(fileName, undefined, `token ${JSON.stringify(t)} has id ${id}`);
      tokens[id] = t;
    }
    for (const a of doc.added_tokens ?? []) tokens[a.id] = a.content;
    for (let i = 0; i < tokens.length; i++) {
      if (tokens[i] === undefined)
        throw new TokenizerFileError(fileName, undefined, `model.vocab has no token for id ${i}`);
    }
    const n = doc.normalizer;
    if (n && n.type !== 'BertNormalizer') {
      throw new TokenizerFileError(
        fileName,
        undefined,
        `normalizer ${JSON.stringify(n.type)} is not supported (BertNormalizer is)`,
      );
    }
    const specials = (doc.added_tokens ?? [])
      .filter((a: TokenizerJson) => a.special)
      .map((a: TokenizerJson) => a.content as string);
    return new WordPieceTokenizer(tokens, {
      fileName,
      unkToken: model.unk_token ?? '[UNK]',
      continuingSubwordPrefix: model.continuing_subword_prefix ?? '##',
      maxInputCharsPerWord: model.max_input_chars_per_word ?? 100,
      cleanText: n ? n.clean_text !== false : false,
      handleChineseChars: n ? n.handle_chinese_chars !== false : false,
      lowercase: n ? n.lowercase !== false : false,
      stripAccents: n ? (n.strip_accents ?? n.lowercase !== false) : false,
      specialTokens: specials.length ? specials : undefined,
    });
  }

  /** Token ids of `text`, without [CLS]/[SEP] (see encodePair for model inputs). */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    checkText('encode', text);
    const ids: number[] = [];
    splitSpecial(
      text,
      this.specialTokens,
      opts.specialTokens,
      (s, e) => this.scan(text, s, e, ids, undefined),
      (id) => ids.push(id),
    );
    return ids;
  }

  /** Token ids and the character span of each in `text` (UTF-16 indices; `text.slice(start, end)`). */
  encodeWithOffsets(text: string, opts: EncodeOptions = {}): TokenSpans {
    checkText('encode', text);
    const res: TokenSpans = { ids: [], offsets: [] };
    splitSpecial(
      text,
      this.specialTokens,
      opts.specialTokens,
      (s, e) => this.scan(text, s, e, res.ids, res.offsets),
      (id, s, e) => {
        res.ids.push(id);
        res.offsets.push([s, e]);
      },
    );
    return res;
  }

  /** Token strings of `text`. */
  tokenize(text: string, opts: EncodeOptions = {}): string[] {
    return this.encode(text, opts).map((id) => this.tokens[id]!);
  }

  /** `[CLS] A [SEP]` or `[CLS] A [SEP] B [SEP]` with segment ids, masks and offsets, truncated and padded. */
  encodePair(a: string, b?: string, opts: ModelInputOptions = {}): ModelInputs {
    const first = this.encodeWithOffsets(a, opts);
    const second = b === undefined ? undefined : this.encodeWithOffsets(b, opts);
    return assembleInputs(first, second, this.template(), opts);
  }

  encodeBatch(texts: readonly string[], opts: EncodeOptions = {}): number[][] {
    return texts.map((t) => this.encode(t, opts));
  }

  /** A batch of single texts or pairs; `padding: 'longest'` pads every row to the longest. */
  encodePairBatch(
    pairs: readonly (readonly [string, string?] | string)[],
    opts: ModelInputOptions = {},
  ): ModelInputs[] {
    const rows = pairs.map((p) =>
      typeof p === 'string' ? this.encodePair(p, undefined, opts) : this.encodePair(p[0], p[1], opts),
    );
    return padBatch(rows, this.template().padId, opts);
  }

  /** BERT's tokens and segments for one or two token lists (`get_tokens_and_segments` of d2l's BERT). */
  getTokensAndSegments(
    tokensA: readonly string[],
    tokensB?: readonly string[],
  ): { tokens: string[]; segments: number[] } {
    const tokens = ['[CLS]', ...tokensA, '[SEP]'];
    const segments: number[] = new Array(tokensA.length + 2).fill(0);
    if (tokensB) {
      tokens.push(...tokensB, '[SEP]');
      for (let i = 0; i <= tokensB.length; i++) segments.push(1);
    }
    return { tokens, segments };
  }

  /** Text of `ids`, as Hugging Face's WordPiece decoder writes it. */
  decode(ids: readonly number[], opts: DecodeOptions = {}): string {
    checkIds('decode', ids, this.vocabSize);
    const cleanup = opts.cleanup ?? true;
    let out = '';
    let first = true;
    for (const id of ids) {
      if (opts.skipSpecialTokens && this.specialIds.has(id)) continue;
      let t = this.tokens[id]!;
      if (!first) t = t.startsWith(this.prefix) ? t.slice(this.prefix.length) : ` ${t}`;
      first = false;
      out += cleanup ? cleanupToken(t) : t;
    }
    return out;
  }

  /** The id of a token string, or undefined. */
  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  /** `vocab.txt`: one token per line. */
  toVocabText(): string {
    return `${this.tokens.join('\n')}\n`;
  }

  /** A Hugging Face tokenizer.json document (bert-base-uncased's layout). */
  toTokenizerJson(): TokenizerJson {
    const vocab: Record<string, number> = {};
    this.tokens.forEach((t, id) => {
      vocab[t] = id;
    });
    const cls = this.specialTokens.has('[CLS]') ? '[CLS]' : undefined;
    const sep = this.specialTokens.has('[SEP]') ? '[SEP]' : undefined;
    const st = (id: string, type: number) => ({ SpecialToken: { id, type_id: type } });
    const sq = (id: string, type: number) => ({ Sequence: { id, type_id: type } });
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [...this.specialTokens].map(([content, id]) => ({
        id,
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      })),
      normalizer: {
        type: 'BertNormalizer',
        clean_text: this.normalizer.cleanText,
        handle_chinese_chars: this.normalizer.handleChineseChars,
        strip_accents: this.normalizer.stripAccents,
        lowercase: this.normalizer.lowercase,
      },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor:
        cls && sep
          ? {
              type: 'TemplateProcessing',
              single: [st(cls, 0), sq('A', 0), st(sep, 0)],
              pair: [st(cls, 0), sq('A', 0), st(sep, 0), sq('B', 1), st(sep, 1)],
              special_tokens: Object.fromEntries(
                [cls, sep].map((t) => [t, { id: t, ids: [this.specialTokens.get(t)!], tokens: [t] }]),
              ),
            }
          : null,
      decoder: { type: 'WordPiece', prefix: this.prefix, cleanup: true },
      model: {
        type: 'WordPiece',
        unk_token: this.unkToken,
        continuing_subword_prefix: this.prefix,
        max_input_chars_per_word: this.maxInputCharsPerWord,
        vocab,
      },
    };
  }

  private template(): Template {
    const cls = this.specialTokens.get('[CLS]');
    const sep = this.specialTokens.get('[SEP]');
    const c = cls === undefined ? [] : [cls];
    const s = sep === undefined ? [] : [sep];
    return {
      single: { prefix: c, suffix: s },
      pair: { prefix: c, middle: s, suffix: s },
      padId: this.specialTokens.get('[PAD]') ?? 0,
    };
  }

  /** Appends ids (and offsets when asked) of `text[start, end)`, special-token text included as text. */
  private scan(
    text: string,
    start: number,
    end: number,
    ids: number[],
    offsets: [number, number][] | undefined,
  ): void {
    const cache = this.cache;
    forEachRawWord(text, start, end, this.flags, this.boundary, this.normalizer.cleanText, (i, j) => {
      let entry: WordEntry | undefined;
      if (j - i <= CACHE_MAX_WORD) {
        const key = text.slice(i, j);
        entry = cache.get(key);
        if (entry === undefined) {
          entry = this.word(text, i, j);
          if (cache.size >= CACHE_LIMIT) cache.clear();
          cache.set(key, entry);
        }
      } else entry = this.word(text, i, j);
      if (typeof entry === 'number') {
        ids.push(entry);
        offsets?.push([i, j]);
      } else {
        for (let k = 0; k < entry.ids.length; k++) {
          ids.push(entry.ids[k]!);
          offsets?.push([i + entry.offs[2 * k]!, i + entry.offs[2 * k + 1]!]);
        }
      }
    });
  }

  /** Normalizes a raw word, splits it again where normalization made boundaries, and WordPieces each part. */
  private word(text: string, start: number, end: number): WordEntry {
    const norm = normalizeWord(text, start, end, this.normalizer, this.flags);
    const ids: number[] = [];
    const offs: number[] = [];
    forEachSubword(norm.cps, this.flags, this.boundary, (a, b) => {
      this.wordPiece(norm.cps, a, b, norm.start, norm.end, ids, offs);
    });
    if (ids.length === 1 && offs[0] === 0 && offs[1] === end - start) return ids[0]!;
    return { ids, offs: Int32Array.from(offs) };
  }

  /** Greedy longest-match-first over code points `cps[a, b)`. */
  private wordPiece(
    cps: readonly number[],
    a: number,
    b: number,
    starts: readonly number[],
    ends: readonly number[],
    ids: number[],
    offs: number[],
  ): void {
    if (b - a > this.maxInputCharsPerWord) {
      ids.push(this.unkId);
      offs.push(starts[a]!, ends[b - 1]!);
      return;
    }
    const word = fromCodePoints(cps, a, b);
    // UTF-16 index of each code point of `word`.
    const at: number[] = [];
    let u = 0;
    for (let k = a; k < b; k++) {
      at.push(u);
      u += cps[k]! > 0xffff ? 2 : 1;
    }
    at.push(u);
    const n = b - a;
    const found: number[] = [];
    const spans: number[] = [];
    let s = 0;
    while (s < n) {
      let e = n;
      let id: number | undefined;
      while (s < e) {
        const sub = word.slice(at[s]!, at[e]!);
        id = this.vocab.get(s > 0 ? this.prefix + sub : sub);
        if (id !== undefined) break;
        e--;
      }
      if (id === undefined) {
        ids.push(this.unkId);
        offs.push(starts[a]!, ends[b - 1]!);
        return;
      }
      found.push(id);
      spans.push(starts[a + s]!, ends[a + e - 1]!);
      s = e;
    }
    for (let k = 0; k < found.length; k++) {
      ids.push(found[k]!);
      offs.push(spans[2 * k]!, spans[2 * k + 1]!);
    }
  }
}

/**
 * Calls `onWord(start, end)` for each raw word of `text[start, end)`: a run between white space, punctuation and
 * (when `boundary` has CJK) Chinese characters, each of which is a word of its own. Control characters that
 * clean_text deletes do not end a word.
 */
function forEachRawWord(
  text: string,
  start: number,
  end: number,
  flags: Uint8Array,
  boundary: number,
  clean: boolean,
  onWord: (start: number, end: number) => void,
): void {
  let i = start;
  while (i < end) {
    let c = text.charCodeAt(i);
    let cp = c;
    let w = 1;
    if (c >= 0xd800 && c <= 0xdfff) [cp, w] = surrogateAt(text, i, end);
    let f = flags[cp]!;
    if ((f & SPACE && !(clean && f & BERT_CONTROL)) || c === 9 || c === 10 || c === 13) {
      i += w;
      continue;
    }
    let j = i + w;
    if ((f & boundary) === 0) {
      while (j < end) {
        c = text.charCodeAt(j);
        cp = c;
        w = 1;
        if (c >= 0xd800 && c <= 0xdfff) [cp, w] = surrogateAt(text, j, end);
        f = flags[cp]!;
        if (f & boundary || (f & SPACE && !(clean && f & BERT_CONTROL)) || c === 9 || c === 10 || c === 13)
          break;
        j += w;
      }
    }
    onWord(i, j);
    i = j;
  }
}

/** Calls `onWord(a, b)` for each word of normalized code points (split at spaces, punctuation, CJK). */
function forEachSubword(
  cps: readonly number[],
  flags: Uint8Array,
  boundary: number,
  onWord: (a: number, b: number) => void,
): void {
  let a = 0;
  while (a < cps.length) {
    const f = flags[cps[a]!]!;
    if (f & SPACE) {
      a++;
      continue;
    }
    let b = a + 1;
    if ((f & boundary) === 0) while (b < cps.length && (flags[cps[b]!]! & (boundary | SPACE)) === 0) b++;
    onWord(a, b);
    a = b;
  }
}

/** BERT's basic tokenizer: the normalized words of `text`, as Hugging Face's BertNormalizer + BertPreTokenizer. */
export function bertPreTokenize(text: string, opts: BertNormalizerOptions = {}): string[] {
  const lowercase = opts.lowercase ?? true;
  const norm: Required<BertNormalizerOptions> = {
    cleanText: opts.cleanText ?? true,
    handleChineseChars: opts.handleChineseChars ?? true,
    stripAccents: opts.stripAccents ?? lowercase,
    lowercase,
  };
  const flags = charFlags();
  const boundary = BERT_PUNCTUATION | (norm.handleChineseChars ? CJK : 0);
  const out: string[] = [];
  forEachRawWord(text, 0, text.length, flags, boundary, norm.cleanText, (i, j) => {
    const w = normalizeWord(text, i, j, norm, flags);
    forEachSubword(w.cps, flags, boundary, (a, b) => {
      out.push(fromCodePoints(w.cps, a, b));
    });
  });
  return out;
}

/** The string of code points `cps[a, b)`, in chunks (a spread of a 1 MB word would overflow the stack). */
export function fromCodePoints(cps: readonly number[], a: number, b: number): string {
  let s = '';
  for (let k = a; k < b; k += 4096) s += String.fromCodePoint(...cps.slice(k, Math.min(b, k + 4096)));
  return s;
}

function surrogateAt(text: string, i: number, end: number): [number, number] {
  const c = text.charCodeAt(i);
  const d = i + 1 < end ? text.charCodeAt(i + 1) : 0;
  if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) return [((c - 0xd800) << 10) + (d - 0xdc00) + 0x10000, 2];
  return [0xfffd, 1];
}

/** Hugging Face's WordPiece decoder cleanup, applied to each token. */
function cleanupToken(t: string): string {
  if (!t.includes(' ')) return t;
  return t
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(' do not', " don't")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}
