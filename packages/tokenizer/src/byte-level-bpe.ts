// GPT-2's byte-level BPE: the GPT-2 pre-tokenizer, UTF-8 bytes shown as printable characters, merges by rank.
// Loads OpenAI's encoder.json + vocab.bpe and Hugging Face tokenizer.json; saves tokenizer.json,
// vocab.json + merges.txt.
import { byteToChar, charToByte, mergeWord, PairRanks, TokenIndex, utf8Into } from './bpe-core.ts';
import { gpt2PieceEnd } from './pre-tokenize.ts';
import {
  assembleInputs,
  checkIds,
  checkText,
  type EncodeOptions,
  lineOfJsonError,
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
import { charFlags } from './unicode.ts';

export interface ByteLevelBpeOptions {
  /** Special tokens and their ids; by default `<|endoftext|>` when the vocabulary has it. */
  specialTokens?: Record<string, number>;
  /** Prepend a space to text that does not start with one (RoBERTa-style); default false, as GPT-2. */
  addPrefixSpace?: boolean;
  /** Names the vocabulary file in error messages. */
  fileName?: string;
  /** Names the merges file in error messages. */
  mergesFileName?: string;
}

const CACHE_LIMIT = 200_000;
const CACHE_MAX_PIECE = 64;

/** GPT-2 compatible byte-level BPE. */
export class ByteLevelBpeTokenizer implements Tokenizer {
  readonly vocabSize: number;
  /** Token strings by id, in the byte-level alphabet (as in encoder.json). */
  readonly tokens: readonly string[];
  /** Special tokens and their ids. */
  readonly specialTokens: ReadonlyMap<string, number>;
  readonly addPrefixSpace: boolean;
  private readonly mergeA: Int32Array;
  private readonly mergeB: Int32Array;
  private readonly mergeIds: Int32Array;
  private readonly ranks: PairRanks;
  private readonly byteIds: Int32Array;
  private readonly tokenBytes: Uint8Array;
  private readonly tokenStart: Int32Array;
  private readonly flags: Uint8Array;
  private readonly cache = new Map<string, number | number[]>();
  private scratch = new Int32Array(1024);
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });

  /**
   * @param tokens token string (byte-level alphabet) per id; holes are allowed.
   * @param merges pairs of ids in rank order; the result of merge r is `mergeIds[r]`.
   */
  constructor(
    tokens: readonly string[],
    merges: { a: Int32Array; b: Int32Array; ids: Int32Array },
    specialTokens: ReadonlyMap<string, number>,
    opts: { addPrefixSpace?: boolean; fileName?: string; index?: TokenIndex } = {},
  ) {
    const fileName = opts.fileName ?? 'vocabulary';
    this.tokens = tokens;
    this.vocabSize = tokens.length;
    this.specialTokens = specialTokens;
    this.addPrefixSpace = opts.addPrefixSpace ?? false;
    this.mergeA = merges.a;
    this.mergeB = merges.b;
    this.mergeIds = merges.ids;
    this.ranks = new PairRanks(merges.a, merges.b);
    this.flags = charFlags();
    const fromChar = charToByte();
    const specialIds = new Set(specialTokens.values());
    const start = new Int32Array(tokens.length + 1);
    let bytes = new Uint8Array(tokens.length * 8);
    let n = 0;
    const enc = new TextEncoder();
    for (let id = 0; id < tokens.length; id++) {
      start[id] = n;
      const t = tokens[id];
      if (t === undefined) continue;
      if (bytes.length < n + t.length * 4) {
        const grown = new Uint8Array(Math.max(bytes.length * 2, n + t.length * 4));
        grown.set(bytes);
        bytes = grown;
      }
      if (specialIds.has(id)) {
        n += enc.encodeInto(t, bytes.subarray(n)).written;
        continue;
      }
      for (let k = 0; k < t.length; k++) {
        const c = t.charCodeAt(k);
        const b = c < fromChar.length ? fromChar[c]! : -1;
        if (b < 0) {
          throw new TokenizerFileError(
            fileName,
            undefined,
            `token ${JSON.stringify(t)} (id ${id}) has a character outside the byte-level alphabet`,
          );
        }
        bytes[n++] = b;
      }
    }
    start[tokens.length] = n;
    this.tokenBytes = bytes;
    this.tokenStart = start;
    const toChar = byteToChar();
    const index = opts.index ?? vocabIndex(tokens, fileName);
    this.byteIds = new Int32Array(256);
    for (let b = 0; b < 256; b++) {
      const id = index.find(toChar[b]!, 0, 1);
      if (id < 0) throw new TokenizerFileError(fileName, undefined, `no token for byte ${b}`);
      this.byteIds[b] = id;
    }
  }

  /** From GPT-2's `encoder.json` (text or parsed) and `vocab.bpe` / `merges.txt` text. */
  static fromFiles(
    encoderJson: string | Record<string, number>,
    mergesTxt: string,
    opts: ByteLevelBpeOptions = {},
  ): ByteLevelBpeTokenizer {
    const fileName = opts.fileName ?? 'encoder.json';
    let tokens = typeof encoderJson === 'string' ? scanVocabJson(encoderJson) : undefined;
    if (!tokens) {
      let vocab: Record<string, number>;
      if (typeof encoderJson === 'string') {
        try {
          vocab = JSON.parse(encoderJson);
        } catch (e) {
          throw new TokenizerFileError(fileName, lineOfJsonError(encoderJson, e), (e as Error).message);
        }
      } else vocab = encoderJson;
      tokens = vocabToTokens(vocab, fileName);
    }
    const index = vocabIndex(tokens, fileName);
    const merges = parseMergesTxt(mergesTxt, index, opts.mergesFileName ?? 'merges.txt');
    const specials = new Map<string, number>();
    if (opts.specialTokens) for (const [k, v] of Object.entries(opts.specialTokens)) specials.set(k, v);
    else {
      const eot = index.find('<|endoftext|>', 0, 13);
      if (eot >= 0) specials.set('<|endoftext|>', eot);
    }
    let same = true;
    for (const [k, v] of specials) {
      same &&= tokens[v] === k;
      tokens[v] = k;
    }
    return new ByteLevelBpeTokenizer(tokens, merges, specials, {
      addPrefixSpace: opts.addPrefixSpace,
      fileName,
      index: same ? index : undefined,
    });
  }

  /** From a Hugging Face `tokenizer.json` with a BPE model and the ByteLevel pre-tokenizer. */
  static fromTokenizerJson(
    json: string | TokenizerJson,
    opts: { fileName?: string } = {},
  ): ByteLevelBpeTokenizer {
    const fileName = opts.fileName ?? 'tokenizer.json';
    const doc = parseJsonDoc(json, fileName);
    const model = doc.model;
    if (model?.type !== 'BPE' || typeof model.vocab !== 'object') {
      throw new TokenizerFileError(
        fileName,
        undefined,
        `model.type is ${JSON.stringify(model?.type)}, expected "BPE"`,
      );
    }
    const pre = doc.pre_tokenizer;
    const byteLevel =
      pre?.type === 'ByteLevel'
        ? pre
        : pre?.pretokenizers?.find((p: TokenizerJson) => p.type === 'ByteLevel');
    if (!byteLevel) throw new TokenizerFileError(fileName, undefined, 'pre_tokenizer is not ByteLevel');
    if (byteLevel.use_regex === false) {
      throw new TokenizerFileError(
        fileName,
        undefined,
        'ByteLevel pre-tokenizers without use_regex are not supported',
      );
    }
    const tokens = vocabToTokens(model.vocab, fileName);
    const index = vocabIndex(tokens, fileName);
    const list: unknown[] = model.merges ?? [];
    const a = new Int32Array(list.length);
    const b = new Int32Array(list.length);
    const ids = new Int32Array(list.length);
    list.forEach((m, r) => {
      const pair = typeof m === 'string' ? splitMerge(m) : (m as string[]);
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new TokenizerFileError(
          fileName,
          undefined,
          `model.merges[${r}] is not a pair: ${JSON.stringify(m)}`,
        );
      }
      const joined = `${pair[0]} ${pair[1]}`;
      const sp = String(pair[0]).length;
      setMerge(
        a,
        b,
        ids,
        r,
        joined,
        0,
        sp,
        sp + 1,
        joined.length,
        index,
        `model.merges[${r}]`,
        fileName,
        undefined,
      );
    });
    const specials = new Map<string, number>();
    for (const t of doc.added_tokens ?? []) {
      tokens[t.id] = t.content;
      if (t.special !== false) specials.set(t.content, t.id);
    }
    return new ByteLevelBpeTokenizer(tokens, { a, b, ids }, specials, {
      addPrefixSpace: byteLevel.add_prefix_space === true,
      fileName,
    });
  }

  /** Token ids of `text`. */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    checkText('encode', text);
    const out: number[] = [];
    splitSpecial(
      text,
      this.specialTokens,
      opts.specialTokens,
      (s, e) => this.encodeOrdinary(text, s, e, out),
      (id) => out.push(id),
    );
    return out;
  }

  /** Token ids and the character span of each in `text`. */
  encodeWithOffsets(text: string, opts: EncodeOptions = {}): TokenSpans {
    checkText('encode', text);
    const res: TokenSpans = { ids: [], offsets: [] };
    splitSpecial(
      text,
      this.specialTokens,
      opts.specialTokens,
      (s, e) => this.encodeSpans(text, s, e, res),
      (id, s, e) => {
        res.ids.push(id);
        res.offsets.push([s, e]);
      },
    );
    return res;
  }

  /** One sequence or a pair as model inputs (no special tokens are added: GPT-2 has none around text). */
  encodePair(a: string, b?: string, opts: ModelInputOptions = {}): ModelInputs {
    const first = this.encodeWithOffsets(a, opts);
    const second = b === undefined ? undefined : this.encodeWithOffsets(b, opts);
    return assembleInputs(first, second, this.template(), opts);
  }

  encodeBatch(texts: readonly string[], opts: EncodeOptions = {}): number[][] {
    return texts.map((t) => this.encode(t, opts));
  }

  encodePairBatch(
    pairs: readonly (readonly [string, string?] | string)[],
    opts: ModelInputOptions = {},
  ): ModelInputs[] {
    const rows = pairs.map((p) =>
      typeof p === 'string' ? this.encodePair(p, undefined, opts) : this.encodePair(p[0], p[1], opts),
    );
    return padBatch(rows, this.template().padId, opts);
  }

  /** Text of `ids`; bytes that are not valid UTF-8 become U+FFFD (Python's `errors="replace"`). */
  decode(ids: readonly number[]): string {
    return this.decoder.decode(this.decodeBytes(ids));
  }

  /** The raw bytes of `ids`. */
  decodeBytes(ids: readonly number[]): Uint8Array {
    checkIds('decode', ids, this.vocabSize);
    const start = this.tokenStart;
    let n = 0;
    for (let i = 0; i < ids.length; i++) n += start[ids[i]! + 1]! - start[ids[i]!]!;
    const out = new Uint8Array(n);
    n = 0;
    for (let i = 0; i < ids.length; i++) {
      const s = start[ids[i]!]!;
      const e = start[ids[i]! + 1]!;
      for (let k = s; k < e; k++) out[n++] = this.tokenBytes[k]!;
    }
    return out;
  }

  /** The token string of an id (byte-level alphabet), or undefined. */
  idToToken(id: number): string | undefined {
    return this.tokens[id];
  }

  /** A Hugging Face tokenizer.json document (GPT-2's layout). */
  toTokenizerJson(): TokenizerJson {
    const vocab: Record<string, number> = {};
    const added: TokenizerJson[] = [];
    const specialIds = new Set(this.specialTokens.values());
    this.tokens.forEach((t, id) => {
      if (specialIds.has(id)) {
        added.push({
          id,
          content: t,
          single_word: false,
          lstrip: false,
          rstrip: false,
          normalized: true,
          special: true,
        });
      }
      vocab[t] = id;
    });
    const bl = { add_prefix_space: this.addPrefixSpace, trim_offsets: true, use_regex: true };
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: added,
      normalizer: null,
      pre_tokenizer: { type: 'ByteLevel', ...bl },
      post_processor: { type: 'ByteLevel', ...bl, trim_offsets: false },
      decoder: { type: 'ByteLevel', ...bl },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab,
        merges: this.mergePairs(),
      },
    };
  }

  /** `vocab.json` and `merges.txt` texts, as GPT-2 and Hugging Face write them. */
  toFiles(): { 'vocab.json': string; 'merges.txt': string } {
    const vocab: Record<string, number> = {};
    this.tokens.forEach((t, id) => {
      vocab[t] = id;
    });
    const lines = this.mergePairs().map(([a, b]) => `${a} ${b}`);
    return { 'vocab.json': JSON.stringify(vocab), 'merges.txt': `#version: 0.2\n${lines.join('\n')}\n` };
  }

  private mergePairs(): [string, string][] {
    const out: [string, string][] = [];
    for (let r = 0; r < this.mergeA.length; r++)
      out.push([this.tokens[this.mergeA[r]!]!, this.tokens[this.mergeB[r]!]!]);
    return out;
  }

  private template(): Template {
    const pad = this.specialTokens.values().next().value ?? 0;
    return { single: { prefix: [], suffix: [] }, pair: { prefix: [], middle: [], suffix: [] }, padId: pad };
  }

  /** Appends the ids of `text[start, end)`, special-token text included as text. */
  private encodeOrdinary(text: string, start: number, end: number, out: number[]): void {
    if (this.addPrefixSpace && start === 0 && end > 0 && text.charCodeAt(0) !== 32) {
      text = ` ${text}`;
      end++;
    }
    const cache = this.cache;
    const flags = this.flags;
    let i = start;
    while (i < end) {
      const j = gpt2PieceEnd(text, i, end, flags);
      if (j - i > CACHE_MAX_PIECE) {
        this.bpeInto(text, i, j, out);
      } else {
        const piece = text.slice(i, j);
        let r = cache.get(piece);
        if (r === undefined) {
          r = this.bpe(text, i, j);
          if (cache.size >= CACHE_LIMIT) cache.clear();
          cache.set(piece, r);
        }
        if (typeof r === 'number') out.push(r);
        else for (let k = 0; k < r.length; k++) out.push(r[k]!);
      }
      i = j;
    }
  }

  private encodeSpans(text: string, start: number, end: number, res: TokenSpans): void {
    let shift = 0;
    if (this.addPrefixSpace && start === 0 && end > 0 && text.charCodeAt(0) !== 32) {
      text = ` ${text}`;
      end++;
      shift = 1;
    }
    const flags = this.flags;
    let i = start;
    while (i < end) {
      const j = gpt2PieceEnd(text, i, end, flags);
      const ids: number[] = [];
      this.bpeInto(text, i, j, ids);
      // Walk the piece's characters and the tokens' bytes together: a token spans the characters its bytes
      // come from (a character split across tokens belongs to each of them).
      let ch = i;
      let chBytes = utf8Len(text, ch, j);
      let used = 0;
      for (const id of ids) {
        let need = this.tokenStart[id + 1]! - this.tokenStart[id]!;
        const s = ch;
        let e = ch;
        while (need > 0) {
          const take = Math.min(need, chBytes - used);
          need -= take;
          used += take;
          e = ch + charWidth(text, ch, j);
          if (used === chBytes && ch < j) {
            ch = e;
            used = 0;
            chBytes = ch < j ? utf8Len(text, ch, j) : 0;
          }
        }
        res.ids.push(id);
        res.offsets.push([Math.max(0, s - shift), Math.max(0, e - shift)]);
      }
      i = j;
    }
  }

  private bpe(text: string, start: number, end: number): number | number[] {
    const out: number[] = [];
    this.bpeInto(text, start, end, out);
    return out.length === 1 ? out[0]! : out;
  }

  private bpeInto(text: string, start: number, end: number, out: number[]): void {
    const need = (end - start) * 3;
    if (this.scratch.length < need) this.scratch = new Int32Array(need);
    const tok = this.scratch;
    const n = utf8Into(text, start, end, tok);
    const byteIds = this.byteIds;
    for (let k = 0; k < n; k++) tok[k] = byteIds[tok[k]!]!;
    const m = mergeWord(tok, n, this.ranks, this.mergeIds);
    for (let k = 0; k < m; k++) out.push(tok[k]!);
  }
}

function charWidth(s: string, i: number, end: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

function utf8Len(s: string, i: number, end: number): number {
  const c = s.charCodeAt(i);
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  return charWidth(s, i, end) === 2 ? 4 : 3;
}

/**
 * A fast path for the usual `{"token": id, ...}` vocabulary file: fills the id → token array and the index
 * directly, without building a 50,000-key object first. Returns undefined on anything unusual, and the caller
 * falls back to JSON.parse (which then reports the error with its line).
 */
function scanVocabJson(text: string): string[] | undefined {
  const tokens: string[] = [];
  const n = text.length;
  let nextEscape = -1;
  let i = skipWs(text, 0);
  if (text.charCodeAt(i) !== 123) return undefined; // {
  i = skipWs(text, i + 1);
  if (text.charCodeAt(i) === 125) return skipWs(text, i + 1) === n ? tokens : undefined;
  for (;;) {
    if (text.charCodeAt(i) !== 34) return undefined; // "
    // The closing quote: found natively, unless a backslash comes first (then walk the escapes).
    let j = text.indexOf('"', i + 1);
    if (nextEscape < i) nextEscape = text.indexOf('\\', i);
    if (nextEscape < 0) nextEscape = n;
    const escaped = nextEscape < j;
    if (escaped) {
      for (j = i + 1; j < n; j++) {
        const c = text.charCodeAt(j);
        if (c === 34) break;
        if (c === 92) j++;
      }
    }
    if (j < 0 || j >= n) return undefined;
    let key: string | undefined;
    if (escaped) {
      key = unescapeJson(text, i + 1, j);
      if (key === undefined) return undefined;
    } else {
      key = text.slice(i + 1, j);
      for (let k = 0; k < key.length; k++) if (key.charCodeAt(k) < 32) return undefined;
    }
    i = j + 1;
    if (text.charCodeAt(i) === 58) i++;
    else {
      i = skipWs(text, i);
      if (text.charCodeAt(i) !== 58) return undefined; // :
      i++;
    }
    if (text.charCodeAt(i) === 32) i++;
    let id = 0;
    const start = i;
    for (let c = text.charCodeAt(i); c >= 48 && c <= 57; c = text.charCodeAt(++i)) id = id * 10 + (c - 48);
    if (i === start || i - start > 9 || tokens[id] !== undefined) return undefined;
    tokens[id] = key;
    let c = text.charCodeAt(i++);
    if (c !== 44 && c !== 125) {
      i = skipWs(text, i - 1);
      c = text.charCodeAt(i++);
    }
    if (c === 125) break; // }
    if (c !== 44) return undefined; // ,
    if (text.charCodeAt(i) === 32) i++;
    if (text.charCodeAt(i) !== 34) i = skipWs(text, i);
  }
  return skipWs(text, i) === n ? tokens : undefined;
}

function skipWs(text: string, i: number): number {
  for (let c = text.charCodeAt(i); c === 32 || c === 10 || c === 13 || c === 9; c = text.charCodeAt(++i));
  return i;
}

const codes: number[] = [];

function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 32;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/** The JSON string body `text[start, end)` with its escapes resolved, or undefined if one is invalid. */
function unescapeJson(text: string, start: number, end: number): string | undefined {
  codes.length = 0;
  for (let k = start; k < end; k++) {
    let c = text.charCodeAt(k);
    if (c === 92) {
      c = text.charCodeAt(++k);
      if (c === 117) {
        const v =
          (hex(text.charCodeAt(k + 1)) << 12) |
          (hex(text.charCodeAt(k + 2)) << 8) |
          (hex(text.charCodeAt(k + 3)) << 4) |
          hex(text.charCodeAt(k + 4));
        if (v < 0) return undefined;
        c = v;
        k += 4;
      } else if (c === 110) c = 10;
      else if (c === 116) c = 9;
      else if (c === 114) c = 13;
      else if (c === 98) c = 8;
      else if (c === 102) c = 12;
      else if (c !== 34 && c !== 92 && c !== 47) return undefined;
    }
    codes.push(c);
  }
  return String.fromCharCode.apply(null, codes);
}

function vocabToTokens(vocab: Record<string, number>, fileName: string): string[] {
  if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab)) {
    throw new TokenizerFileError(fileName, undefined, 'expected an object mapping tokens to ids');
  }
  const tokens: string[] = [];
  for (const key in vocab) {
    const id = vocab[key];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0x3fffffff) {
      throw new TokenizerFileError(
        fileName,
        undefined,
        `token ${JSON.stringify(key)} has id ${JSON.stringify(id)}, expected an integer ≥ 0`,
      );
    }
    if (tokens[id] !== undefined) {
      throw new TokenizerFileError(
        fileName,
        undefined,
        `id ${id} is used twice: ${JSON.stringify(tokens[id])} and ${JSON.stringify(key)}`,
      );
    }
    tokens[id] = key;
  }
  return tokens;
}

function vocabIndex(tokens: readonly (string | undefined)[], fileName: string): TokenIndex {
  const index = new TokenIndex(tokens);
  for (let id = 0; id < tokens.length; id++) {
    if (tokens[id] === undefined) continue;
    const other = index.add(id);
    if (other >= 0) {
      throw new TokenizerFileError(
        fileName,
        undefined,
        `token ${JSON.stringify(tokens[id])} has two ids, ${other} and ${id}`,
      );
    }
  }
  return index;
}

function splitMerge(line: string): string[] {
  const sp = line.indexOf(' ');
  return sp < 0 || line.indexOf(' ', sp + 1) >= 0 ? [line] : [line.slice(0, sp), line.slice(sp + 1)];
}

function sameChars(x: string, xi: number, y: string, yi: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (x.charCodeAt(xi + k) !== y.charCodeAt(yi + k)) return false;
  return true;
}

/** Sets merge `r` to the tokens `line[a0, a1)` and `line[b0, b1)`. */
function setMerge(
  a: Int32Array,
  b: Int32Array,
  ids: Int32Array,
  r: number,
  line: string,
  a0: number,
  a1: number,
  b0: number,
  b1: number,
  index: TokenIndex,
  where: string,
  fileName: string,
  lineNo: number | undefined,
): void {
  const ia = index.find(line, a0, a1);
  const ib = index.find(line, b0, b1);
  // Vocabularies usually list merge results in rank order after the 256 bytes (GPT-2: id 256 + rank): try that
  // id first.
  const guess = index.tokens[r + 256];
  const la = a1 - a0;
  const im =
    guess !== undefined &&
    guess.length === la + b1 - b0 &&
    sameChars(guess, 0, line, a0, la) &&
    sameChars(guess, la, line, b0, b1 - b0)
      ? r + 256
      : index.findJoined(line, a0, a1, b0, b1);
  if (ia < 0 || ib < 0 || im < 0) {
    const missing =
      ia < 0 ? line.slice(a0, a1) : ib < 0 ? line.slice(b0, b1) : line.slice(a0, a1) + line.slice(b0, b1);
    throw new TokenizerFileError(
      fileName,
      lineNo,
      `${where}: token ${JSON.stringify(missing)} is not in the vocabulary`,
    );
  }
  a[r] = ia;
  b[r] = ib;
  ids[r] = im;
}

/** Parses merges.txt / vocab.bpe: an optional `#version` line, then one `left right` pair per line. */
function parseMergesTxt(text: string, index: TokenIndex, fileName: string) {
  if (typeof text !== 'string')
    throw new TokenizerFileError(fileName, undefined, 'expected the text of the file');
  // Count the lines first, so the arrays are allocated once.
  let count = 0;
  for (let k = text.indexOf('\n'); k >= 0; k = text.indexOf('\n', k + 1)) count++;
  count++;
  const a = new Int32Array(count);
  const b = new Int32Array(count);
  const ids = new Int32Array(count);
  let r = 0;
  let lineNo = 0;
  let blankAt = 0; // first of a run of blank lines, which only the end of the file may hold
  for (let s = 0; s <= text.length; ) {
    let e = text.indexOf('\n', s);
    if (e < 0) e = text.length;
    const next = e + 1;
    lineNo++;
    if (e > s && text.charCodeAt(e - 1) === 13) e--;
    if (lineNo === 1 && text.startsWith('#version', s)) {
      s = next;
      continue;
    }
    if (e === s) {
      if (blankAt === 0) blankAt = lineNo;
      s = next;
      continue;
    }
    if (blankAt !== 0) throw new TokenizerFileError(fileName, blankAt, 'empty line');
    const sp = text.indexOf(' ', s);
    if (sp < 0 || sp >= e || sp === s || sp + 1 === e || text.lastIndexOf(' ', e - 1) !== sp) {
      throw new TokenizerFileError(
        fileName,
        lineNo,
        `expected two tokens separated by one space, got ${JSON.stringify(text.slice(s, e))}`,
      );
    }
    setMerge(a, b, ids, r++, text, s, sp, sp + 1, e, index, 'merge', fileName, lineNo);
    s = next;
  }
  return { a: a.slice(0, r), b: b.slice(0, r), ids: ids.slice(0, r) };
}
