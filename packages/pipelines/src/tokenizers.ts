// The tokenizer side of a model folder: loading tokenizer.json (or vocab.txt, or vocab.json + merges.txt) with
// tokenizer_config.json, one adapter that gives every task the same calls (offsets, pairs, special ids,
// decoding), and the files transformers writes beside tokenizer.json so that `AutoTokenizer.from_pretrained`
// and `pipeline(task, model=folder)` work on a folder tsformer saved.
import {
  ByteLevelBpeTokenizer,
  CharTokenizer,
  type ModelInputs,
  type TokenizerJson,
  WordPieceTokenizer,
} from '@tsformer/tokenizer';
import { MissingFileError, type ModelSource } from './source.ts';

/** The tokenizers a pipeline can use. */
export type AnyTokenizer = ByteLevelBpeTokenizer | WordPieceTokenizer | CharTokenizer;

/** tokenizer_config.json, as far as pipelines read it. */
export interface TokenizerConfig {
  model_max_length?: number;
  do_lower_case?: boolean;
  mask_token?: string | { content: string } | null;
  pad_token?: string | { content: string } | null;
  cls_token?: string | { content: string } | null;
  sep_token?: string | { content: string } | null;
  unk_token?: string | { content: string } | null;
  bos_token?: string | { content: string } | null;
  eos_token?: string | { content: string } | null;
  [key: string]: unknown;
}

/** Ids and the character span of each token in the text (the tokenizer package's `ModelInputs`). */
export type Encoding = ModelInputs;

function tokenText(t: string | { content: string } | null | undefined): string | undefined {
  if (t === null || t === undefined) return undefined;
  return typeof t === 'string' ? t : t.content;
}

/** transformers uses a huge sentinel for "no limit" (int(1e30)); treat those as absent. */
function realLimit(n: unknown): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 && n < 1e9 ? n : undefined;
}

/** One interface over the three tokenizer kinds, with the special tokens a task needs. */
export class PipelineTokenizer {
  readonly raw: AnyTokenizer;
  readonly kind: 'wordpiece' | 'bpe' | 'char';
  readonly vocabSize: number;
  /** the longest input the tokenizer was set up for (tokenizer_config.json's model_max_length) */
  readonly modelMaxLength: number | undefined;
  readonly maskToken: string | undefined;
  readonly maskTokenId: number | undefined;
  readonly clsTokenId: number | undefined;
  readonly sepTokenId: number | undefined;
  readonly padTokenId: number | undefined;
  readonly bosTokenId: number | undefined;
  readonly eosTokenId: number | undefined;
  /** every special token id (left out of decoded sequences) */
  readonly specialIds: ReadonlySet<number>;

  constructor(raw: AnyTokenizer, config: TokenizerConfig = {}) {
    this.raw = raw;
    this.kind =
      raw instanceof WordPieceTokenizer ? 'wordpiece' : raw instanceof ByteLevelBpeTokenizer ? 'bpe' : 'char';
    this.vocabSize = raw.vocabSize;
    this.modelMaxLength = realLimit(config.model_max_length);
    const specials: ReadonlyMap<string, number> =
      raw instanceof CharTokenizer
        ? new Map(raw.unkToken === undefined ? [] : [[raw.unkToken, raw.chars.indexOf(raw.unkToken)]])
        : raw.specialTokens;
    const id = (configured: string | undefined, fallback: string): number | undefined => {
      const t = configured ?? fallback;
      return specials.get(t) ?? (raw instanceof WordPieceTokenizer ? raw.tokenToId(t) : undefined);
    };
    const mask = tokenText(config.mask_token) ?? (this.kind === 'wordpiece' ? '[MASK]' : '<mask>');
    this.maskTokenId = id(mask, mask);
    this.maskToken = this.maskTokenId === undefined ? undefined : mask;
    this.clsTokenId = id(tokenText(config.cls_token), '[CLS]');
    this.sepTokenId = id(tokenText(config.sep_token), '[SEP]');
    this.padTokenId = id(tokenText(config.pad_token), '[PAD]');
    const eot = '<|endoftext|>';
    this.bosTokenId = id(tokenText(config.bos_token), eot);
    this.eosTokenId = id(tokenText(config.eos_token), eot);
    this.specialIds = new Set(specials.values());
  }

  /** Model inputs for one text or a pair: special tokens as the tokenizer's template adds them, offsets. */
  encode(text: string, pair?: string, maxLength?: number): Encoding {
    const raw = this.raw;
    if (raw instanceof CharTokenizer) return this.encodeChars(text, pair, maxLength);
    const opts = {
      specialTokens: 'allow' as const,
      ...(maxLength === undefined ? {} : { maxLength, truncation: 'longest-first' as const }),
    };
    return raw.encodePair(text, pair, opts);
  }

  private encodeChars(text: string, pair: string | undefined, maxLength: number | undefined): Encoding {
    const out: Encoding = {
      inputIds: [],
      tokenTypeIds: [],
      attentionMask: [],
      specialTokensMask: [],
      offsets: [],
      sequenceIds: [],
    };
    const add = (s: string, seq: number): void => {
      let i = 0;
      for (const ch of s) {
        let ids: number[];
        try {
          ids = this.raw.encode(ch);
        } catch {
          throw new RangeError(
            `the text has ${JSON.stringify(ch)} at ${i}, a character the tokenizer does not know`,
          );
        }
        out.inputIds.push(ids[0]!);
        out.tokenTypeIds.push(seq);
        out.attentionMask.push(1);
        out.specialTokensMask.push(0);
        out.offsets.push([i, i + ch.length]);
        out.sequenceIds.push(seq);
        i += ch.length;
      }
    };
    add(text, 0);
    if (pair !== undefined) add(pair, 1);
    if (maxLength !== undefined && out.inputIds.length > maxLength) {
      for (const k of Object.keys(out) as (keyof Encoding)[]) out[k].splice(maxLength);
    }
    return out;
  }

  /** Token ids of a text, no special tokens added (special-token text such as [MASK] becomes its id). */
  encodeText(text: string): number[] {
    const raw = this.raw;
    if (raw instanceof CharTokenizer) return this.encodeChars(text, undefined, undefined).inputIds;
    return raw.encode(text, { specialTokens: 'allow' });
  }

  /** Text of ids; special tokens left out unless `keepSpecial`. */
  decode(ids: readonly number[], keepSpecial = false): string {
    const kept = keepSpecial ? ids : ids.filter((i) => !this.specialIds.has(i));
    return this.raw.decode(kept);
  }

  /** The vocabulary string of a token (`##ing`, `Ġthe`, a character). */
  tokenString(id: number): string {
    const raw = this.raw;
    if (raw instanceof CharTokenizer) return raw.chars[id] ?? '';
    if (raw instanceof WordPieceTokenizer) return raw.tokens[id] ?? '';
    return raw.idToToken(id) ?? '';
  }

  /** The id of a token string, if it is one token. */
  tokenToId(token: string): number | undefined {
    const raw = this.raw;
    if (raw instanceof WordPieceTokenizer) return raw.tokenToId(token);
    if (raw instanceof CharTokenizer) return [...token].length === 1 ? raw.chars.indexOf(token) : undefined;
    const i = raw.tokens.indexOf(token);
    return i >= 0 ? i : undefined;
  }

  /** Whether token `i` of an encoding continues the word of token `i - 1` (a `##` piece, no space before). */
  continuesWord(enc: Encoding, i: number, text: string): boolean {
    if (i === 0 || enc.specialTokensMask[i] === 1 || enc.specialTokensMask[i - 1] === 1) return false;
    if (enc.sequenceIds[i] !== enc.sequenceIds[i - 1]) return false;
    if (this.kind === 'wordpiece')
      return this.tokenString(enc.inputIds[i]!).startsWith((this.raw as WordPieceTokenizer).prefix);
    const [start] = enc.offsets[i]!;
    const [, prevEnd] = enc.offsets[i - 1]!;
    if (start !== prevEnd || start === 0) return false;
    return !/\s/.test(text[start] ?? ' ') && !/\s/.test(text[start - 1] ?? ' ');
  }
}

/** Reads the tokenizer of a folder: tokenizer.json, else vocab.txt, else vocab.json + merges.txt (or encoder.json + vocab.bpe). */
export async function loadTokenizer(source: ModelSource, task: string): Promise<PipelineTokenizer> {
  let config: TokenizerConfig = {};
  if (await source.has('tokenizer_config.json')) {
    try {
      config = JSON.parse(await source.readText('tokenizer_config.json')) as TokenizerConfig;
    } catch (e) {
      throw new Error(`${source.description}: tokenizer_config.json is not JSON (${(e as Error).message})`);
    }
  }
  const where = (f: string): string => `${source.description}/${f}`;
  if (await source.has('tokenizer.json')) {
    const text = await source.readText('tokenizer.json');
    const fileName = where('tokenizer.json');
    let doc: TokenizerJson;
    try {
      doc = JSON.parse(text) as TokenizerJson;
    } catch (e) {
      throw new Error(`${fileName} is not JSON (${(e as Error).message})`);
    }
    let raw: AnyTokenizer;
    if (doc.model?.type === 'WordPiece') raw = WordPieceTokenizer.fromTokenizerJson(doc, { fileName });
    else if (doc.model?.type === 'BPE' && !doc.pre_tokenizer && (doc.model.merges ?? []).length === 0) {
      raw = CharTokenizer.fromTokenizerJson(doc, { fileName });
    } else if (doc.model?.type === 'BPE') raw = ByteLevelBpeTokenizer.fromTokenizerJson(doc, { fileName });
    else {
      throw new Error(
        `${fileName}: model.type ${JSON.stringify(doc.model?.type)} is not supported (WordPiece and byte-level BPE are)`,
      );
    }
    return new PipelineTokenizer(raw, config);
  }
  if (await source.has('vocab.txt')) {
    const raw = WordPieceTokenizer.fromVocabText(await source.readText('vocab.txt'), {
      lowercase: config.do_lower_case ?? true,
      fileName: where('vocab.txt'),
    });
    return new PipelineTokenizer(raw, config);
  }
  for (const [v, m] of [
    ['vocab.json', 'merges.txt'],
    ['encoder.json', 'vocab.bpe'],
  ] as const) {
    if ((await source.has(v)) && (await source.has(m))) {
      const raw = ByteLevelBpeTokenizer.fromFiles(await source.readText(v), await source.readText(m), {
        fileName: where(v),
        mergesFileName: where(m),
      });
      return new PipelineTokenizer(raw, config);
    }
  }
  throw new MissingFileError(
    'tokenizer.json',
    `${source.description}: ${task} needs a tokenizer: tokenizer.json is missing (so are vocab.txt and vocab.json + merges.txt); ` +
      'pass { tokenizer } to pipeline() to use one you built',
  );
}

/** `json.dumps(value, indent=2, sort_keys=True)` + newline, as transformers writes its JSON files. */
export function hfJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v as object)
          .sort()
          .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  // ensure_ascii=True, as Python writes it
  return `${JSON.stringify(sort(value), null, 2).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

function addedToken(content: string, normalized: boolean): Record<string, unknown> {
  return { content, lstrip: false, normalized, rstrip: false, single_word: false, special: true };
}

/**
 * The tokenizer files of a Hugging Face folder: tokenizer.json, tokenizer_config.json,
 * special_tokens_map.json, and the slow tokenizers' vocab.txt (BERT) or vocab.json + merges.txt (GPT-2), as
 * transformers' `save_pretrained` writes them for BertTokenizerFast and GPT2TokenizerFast.
 */
export function tokenizerFiles(
  tokenizer: AnyTokenizer | PipelineTokenizer,
  options: { modelMaxLength?: number } = {},
): Record<string, string> {
  const raw = tokenizer instanceof PipelineTokenizer ? tokenizer.raw : tokenizer;
  const maxLength =
    options.modelMaxLength ?? (tokenizer instanceof PipelineTokenizer ? tokenizer.modelMaxLength : undefined);
  const files: Record<string, string> = {
    'tokenizer.json': `${JSON.stringify(raw.toTokenizerJson(), null, 2)}\n`,
  };
  let config: Record<string, unknown>;
  let map: Record<string, string>;
  if (raw instanceof WordPieceTokenizer) {
    const s = raw.specialTokens;
    const has = (t: string): string | undefined => (s.has(t) ? t : undefined);
    map = {};
    for (const [key, t] of [
      ['cls_token', '[CLS]'],
      ['mask_token', '[MASK]'],
      ['pad_token', '[PAD]'],
      ['sep_token', '[SEP]'],
    ] as const) {
      if (has(t)) map[key] = t;
    }
    map.unk_token = raw.unkToken;
    config = {
      added_tokens_decoder: Object.fromEntries([...s].map(([t, id]) => [String(id), addedToken(t, false)])),
      clean_up_tokenization_spaces: true,
      do_basic_tokenize: true,
      do_lower_case: raw.normalizer.lowercase,
      extra_special_tokens: {},
      model_max_length: maxLength ?? 512,
      never_split: null,
      strip_accents:
        raw.normalizer.stripAccents === raw.normalizer.lowercase ? null : raw.normalizer.stripAccents,
      tokenize_chinese_chars: raw.normalizer.handleChineseChars,
      tokenizer_class: 'BertTokenizer',
      ...map,
    };
    files['vocab.txt'] = raw.toVocabText();
  } else if (raw instanceof ByteLevelBpeTokenizer) {
    const eot = [...raw.specialTokens.keys()][0];
    map = eot === undefined ? {} : { bos_token: eot, eos_token: eot, unk_token: eot };
    config = {
      add_bos_token: false,
      add_prefix_space: raw.addPrefixSpace,
      added_tokens_decoder: Object.fromEntries(
        [...raw.specialTokens].map(([t, id]) => [String(id), addedToken(t, true)]),
      ),
      clean_up_tokenization_spaces: false,
      errors: 'replace',
      extra_special_tokens: {},
      model_max_length: maxLength ?? 1024,
      pad_token: null,
      tokenizer_class: 'GPT2Tokenizer',
      ...map,
    };
    Object.assign(files, raw.toFiles());
  } else {
    map = raw.unkToken === undefined ? {} : { unk_token: raw.unkToken };
    config = {
      added_tokens_decoder:
        raw.unkToken === undefined
          ? {}
          : { [String(raw.chars.indexOf(raw.unkToken))]: addedToken(raw.unkToken, false) },
      clean_up_tokenization_spaces: false,
      extra_special_tokens: {},
      model_max_length: maxLength ?? 1024,
      tokenizer_class: 'PreTrainedTokenizerFast',
      ...map,
    };
  }
  files['tokenizer_config.json'] = hfJson(config);
  files['special_tokens_map.json'] = hfJson(map);
  return files;
}
