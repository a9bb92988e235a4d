// The interface every tokenizer implements, and the model-input assembly they share: special tokens around one
// or two sequences, truncation, padding, masks and offsets, with Hugging Face tokenizers' semantics.

/** What every tokenizer in this package does. */
export interface Tokenizer {
  readonly vocabSize: number;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
}

/** What to do with special-token text (`<|endoftext|>`, `[SEP]`) found in the input. */
export type SpecialTokenPolicy =
  /** Encode it as ordinary text (default: user input cannot inject control tokens; tiktoken's `encode_ordinary`). */
  | 'text'
  /** Turn it into the special token's id (Hugging Face's behaviour, tiktoken's `allowed_special="all"`). */
  | 'allow'
  /** Throw an error that names the token and its position (tiktoken's default). */
  | 'throw';

export interface EncodeOptions {
  /** What to do with special-token text in the input; default `'text'`. */
  specialTokens?: SpecialTokenPolicy;
}

/** Token ids with the character span `[start, end)` of each in the original string (UTF-16 indices). */
export interface TokenSpans {
  ids: number[];
  /** `[start, end)` per token; `text.slice(start, end)` is the text the token came from. */
  offsets: [number, number][];
}

export type TruncationStrategy = 'longest-first' | 'only-first' | 'only-second';

export interface ModelInputOptions extends EncodeOptions {
  /** Cut (and pad) to this many tokens, special tokens included. */
  maxLength?: number;
  /** How to cut a pair that is too long; default `'longest-first'`. `false` turns truncation off. */
  truncation?: TruncationStrategy | false;
  /** `'max-length'` pads to `maxLength`; `'longest'` (batches) pads to the longest; default none. */
  padding?: 'max-length' | 'longest' | false;
  /** Round the padded length up to a multiple of this. */
  padToMultipleOf?: number;
  /** Add `[CLS]`/`[SEP]` (or the tokenizer's template); default true. */
  addSpecialTokens?: boolean;
}

/** Inputs for a model, one entry per token (the names of Hugging Face's `BatchEncoding`, camelCased). */
export interface ModelInputs {
  inputIds: number[];
  /** Segment ids: 0 for the first sequence and its special tokens, 1 for the second (BERT's `token_type_ids`). */
  tokenTypeIds: number[];
  /** 1 for real tokens, 0 for padding. */
  attentionMask: number[];
  /** 1 for special tokens and padding, 0 for tokens from the text. */
  specialTokensMask: number[];
  /** Character span of each token in its own input text; `[0, 0]` for special tokens and padding. */
  offsets: [number, number][];
  /** Which input each token came from: 0, 1, or -1 for special tokens and padding. */
  sequenceIds: number[];
}

/** How a tokenizer wraps one or two sequences: ids before, between and after them. */
export interface Template {
  /** `[CLS] A [SEP]` → prefix [CLS], suffix [SEP]. */
  single: { prefix: number[]; suffix: number[] };
  /** `[CLS] A [SEP] B [SEP]` → prefix [CLS], middle [SEP], suffix [SEP] (the suffix's type id is 1). */
  pair: { prefix: number[]; middle: number[]; suffix: number[] };
  padId: number;
}

function lengthsForPair(n1: number, n2: number, max: number): [number, number] {
  // Hugging Face tokenizers' longest-first: cut the longer side down to the shorter one, then both evenly.
  let a = n1;
  let b = n2;
  const swap = a > b;
  if (swap) [a, b] = [b, a];
  b = a > max ? a : Math.max(a, max - a);
  if (a + b > max) {
    a = Math.floor(max / 2);
    b = a + (max % 2);
  }
  return swap ? [b, a] : [a, b];
}

function cut(s: TokenSpans, n: number): TokenSpans {
  return s.ids.length <= n ? s : { ids: s.ids.slice(0, n), offsets: s.offsets.slice(0, n) };
}

/** Assembles model inputs from one or two encoded sequences. */
export function assembleInputs(
  first: TokenSpans,
  second: TokenSpans | undefined,
  template: Template,
  opts: ModelInputOptions = {},
): ModelInputs {
  const addSpecial = opts.addSpecialTokens ?? true;
  const added = !addSpecial
    ? 0
    : second
      ? template.pair.prefix.length + template.pair.middle.length + template.pair.suffix.length
      : template.single.prefix.length + template.single.suffix.length;
  let a = first;
  let b = second;
  const strategy = opts.truncation ?? 'longest-first';
  if (opts.maxLength !== undefined && strategy !== false) {
    const max = opts.maxLength - added;
    if (max < 0)
      throw new RangeError(`encode: maxLength ${opts.maxLength} leaves no room for ${added} special tokens`);
    const total = a.ids.length + (b ? b.ids.length : 0);
    if (total > max) {
      const toRemove = total - max;
      if (strategy === 'longest-first') {
        if (b) {
          const [n1, n2] = lengthsForPair(a.ids.length, b.ids.length, max);
          a = cut(a, n1);
          b = cut(b, n2);
        } else a = cut(a, max);
      } else {
        if (strategy === 'only-second' && !b)
          throw new Error("encode: truncation 'only-second' needs a pair");
        const target = strategy === 'only-first' ? a : b!;
        if (target.ids.length <= toRemove) {
          throw new RangeError(
            `encode: truncation '${strategy}' cannot remove ${toRemove} tokens from a sequence of ${target.ids.length}`,
          );
        }
        if (strategy === 'only-first') a = cut(a, a.ids.length - toRemove);
        else b = cut(b!, b!.ids.length - toRemove);
      }
    }
  }

  const out: ModelInputs = {
    inputIds: [],
    tokenTypeIds: [],
    attentionMask: [],
    specialTokensMask: [],
    offsets: [],
    sequenceIds: [],
  };
  const special = (ids: readonly number[], type: number): void => {
    for (const id of ids) {
      out.inputIds.push(id);
      out.tokenTypeIds.push(type);
      out.attentionMask.push(1);
      out.specialTokensMask.push(1);
      out.offsets.push([0, 0]);
      out.sequenceIds.push(-1);
    }
  };
  const text = (s: TokenSpans, type: number): void => {
    for (let i = 0; i < s.ids.length; i++) {
      out.inputIds.push(s.ids[i]!);
      out.tokenTypeIds.push(type);
      out.attentionMask.push(1);
      out.specialTokensMask.push(0);
      out.offsets.push(s.offsets[i]!);
      out.sequenceIds.push(type);
    }
  };
  if (!b) {
    if (addSpecial) special(template.single.prefix, 0);
    text(a, 0);
    if (addSpecial) special(template.single.suffix, 0);
  } else {
    if (addSpecial) special(template.pair.prefix, 0);
    text(a, 0);
    if (addSpecial) special(template.pair.middle, 0);
    text(b, 1);
    if (addSpecial) special(template.pair.suffix, 1);
  }
  if (opts.padding === 'max-length') {
    if (opts.maxLength === undefined) throw new Error("encode: padding 'max-length' needs maxLength");
    pad(out, opts.maxLength, template.padId, opts.padToMultipleOf);
  } else if (opts.padToMultipleOf !== undefined && opts.padding !== false && opts.padding !== undefined) {
    pad(out, out.inputIds.length, template.padId, opts.padToMultipleOf);
  }
  return out;
}

/** Pads inputs on the right to `length` (rounded up to `multipleOf`), in place. */
export function pad(inputs: ModelInputs, length: number, padId: number, multipleOf?: number): ModelInputs {
  let target = length;
  if (multipleOf !== undefined && multipleOf > 0 && target % multipleOf !== 0) {
    target += multipleOf - (target % multipleOf);
  }
  while (inputs.inputIds.length < target) {
    inputs.inputIds.push(padId);
    inputs.tokenTypeIds.push(0);
    inputs.attentionMask.push(0);
    inputs.specialTokensMask.push(1);
    inputs.offsets.push([0, 0]);
    inputs.sequenceIds.push(-1);
  }
  return inputs;
}

/** Encodes a batch and pads it as asked; `'longest'` pads every row to the longest row. */
export function padBatch(rows: ModelInputs[], padId: number, opts: ModelInputOptions): ModelInputs[] {
  if (opts.padding === 'longest') {
    let longest = 0;
    for (const r of rows) longest = Math.max(longest, r.inputIds.length);
    for (const r of rows) pad(r, longest, padId, opts.padToMultipleOf);
  }
  return rows;
}

/** An error in a vocabulary or tokenizer file, naming the file and the line. */
export class TokenizerFileError extends Error {
  readonly fileName: string;
  readonly line: number | undefined;
  constructor(fileName: string, line: number | undefined, message: string) {
    super(`${fileName}${line === undefined ? '' : `:${line}`}: ${message}`);
    this.name = 'TokenizerFileError';
    this.fileName = fileName;
    this.line = line;
  }
}

export function checkText(op: string, text: unknown): string {
  if (typeof text !== 'string') {
    throw new TypeError(`${op}: expected a string, got ${text === null ? 'null' : typeof text}`);
  }
  return text;
}

export function checkIds(op: string, ids: unknown, vocabSize: number): readonly number[] {
  if (!Array.isArray(ids) && !ArrayBuffer.isView(ids))
    throw new TypeError(`${op}: expected an array of token ids`);
  const arr = ids as readonly number[];
  for (let i = 0; i < arr.length; i++) {
    const id = arr[i]!;
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new RangeError(
        `${op}: id ${String(id)} at position ${i} is not in the vocabulary (size ${vocabSize})`,
      );
    }
  }
  return arr;
}

/**
 * Cuts special-token text out of `text` as `policy` says: `onText(start, end)` for the text between, and
 * `onSpecial(id, start, end)` for each special token. The leftmost match wins, the longest among equals.
 */
export function splitSpecial(
  text: string,
  specials: ReadonlyMap<string, number>,
  policy: SpecialTokenPolicy | undefined,
  onText: (start: number, end: number) => void,
  onSpecial: (id: number, start: number, end: number) => void,
): void {
  let pos = 0;
  if ((policy ?? 'text') !== 'text' && specials.size > 0) {
    for (;;) {
      let best = -1;
      let bestLen = 0;
      let bestId = 0;
      for (const [s, id] of specials) {
        if (s === '') continue;
        const at = text.indexOf(s, pos);
        if (at >= 0 && (best < 0 || at < best || (at === best && s.length > bestLen))) {
          best = at;
          bestLen = s.length;
          bestId = id;
        }
      }
      if (best < 0) break;
      if (policy === 'throw') {
        throw new Error(
          `encode: the text holds the special token ${JSON.stringify(text.slice(best, best + bestLen))} at ${best}; ` +
            "pass { specialTokens: 'allow' } to encode it as a special token, or 'text' to encode it as text",
        );
      }
      if (best > pos) onText(pos, best);
      onSpecial(bestId, best, best + bestLen);
      pos = best + bestLen;
    }
  }
  onText(pos, text.length);
}

/** A Hugging Face tokenizer.json document, as far as this package reads and writes it. */
// biome-ignore lint/suspicious/noExplicitAny: free-form JSON document
export type TokenizerJson = Record<string, any>;

export function parseJsonDoc(json: string | TokenizerJson, fileName: string): TokenizerJson {
  if (typeof json !== 'string') return json;
  try {
    return JSON.parse(json);
  } catch (e) {
    throw new TokenizerFileError(fileName, lineOfJsonError(json, e), (e as Error).message);
  }
}

/** The 1-based line of a JSON.parse error: where V8 says ("position N"), else where a syntax scan stops. */
export function lineOfJsonError(text: string, e: unknown): number | undefined {
  const msg = (e as Error).message ?? '';
  const line = /line (\d+)/.exec(msg);
  if (line) return Number(line[1]);
  const pos = /position (\d+)/.exec(msg);
  const at = pos ? Number(pos[1]) : jsonErrorOffset(text);
  let n = 1;
  const end = Math.min(at, text.length);
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === 10) n++;
  return n;
}

/** Offset of the first JSON syntax error in `text` (a small recursive-descent scan, used only on errors). */
function jsonErrorOffset(text: string): number {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          ws();
          if (text[i] !== '"') fail();
          value();
          ws();
          if (text[i] !== ':') fail();
          i++;
        }
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === close) {
          i++;
          return;
        } else fail();
      }
    }
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      if (i >= text.length) fail();
      i++;
      return;
    }
    const m = /^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 64));
    if (!m) fail();
    i += m![0].length;
  };
  try {
    value();
    ws();
    return i;
  } catch (at) {
    return at as number;
  }
}
