// A character-level tokenizer: one id per code point seen in a corpus (nanoGPT's Shakespeare-char), for tiny
// corpora and tests. Saved as a Hugging Face tokenizer.json (a BPE model without merges and the Fuse decoder), so
// Hugging Face tokenizers loads it too.
import {
  checkIds,
  checkText,
  parseJsonDoc,
  type Tokenizer,
  TokenizerFileError,
  type TokenizerJson,
} from './tokenizer.ts';

export interface CharTokenizerOptions {
  /** A token for characters outside the vocabulary; without one, encode throws on them. */
  unkToken?: string;
}

/** One token per code point. */
export class CharTokenizer implements Tokenizer {
  readonly vocabSize: number;
  /** The characters, by id. */
  readonly chars: readonly string[];
  readonly unkToken: string | undefined;
  private readonly index: Map<string, number>;
  private readonly unkId: number;

  constructor(chars: readonly string[], opts: CharTokenizerOptions = {}) {
    this.chars = chars;
    this.vocabSize = chars.length;
    this.index = new Map(chars.map((c, i) => [c, i]));
    this.unkToken = opts.unkToken;
    this.unkId = opts.unkToken === undefined ? -1 : (this.index.get(opts.unkToken) ?? -1);
    if (opts.unkToken !== undefined && this.unkId < 0)
      throw new Error(`CharTokenizer: ${opts.unkToken} is not a token`);
  }

  /** The sorted distinct code points of `corpus` (plus `unkToken` first, when given). */
  static fromText(corpus: string, opts: CharTokenizerOptions = {}): CharTokenizer {
    checkText('CharTokenizer.fromText', corpus);
    const set = new Set<string>();
    for (const ch of corpus) set.add(ch);
    const chars = [...set].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    return new CharTokenizer(opts.unkToken === undefined ? chars : [opts.unkToken, ...chars], opts);
  }

  /** From a tokenizer.json written by toTokenizerJson. */
  static fromTokenizerJson(json: string | TokenizerJson, opts: { fileName?: string } = {}): CharTokenizer {
    const fileName = opts.fileName ?? 'tokenizer.json';
    const doc = parseJsonDoc(json, fileName);
    const model = doc.model;
    if (model?.type !== 'BPE' || (model.merges ?? []).length > 0) {
      throw new TokenizerFileError(
        fileName,
        undefined,
        'expected a BPE model without merges (a character tokenizer)',
      );
    }
    const chars: string[] = [];
    for (const [t, id] of Object.entries(model.vocab as Record<string, number>)) chars[id] = t;
    return new CharTokenizer(chars, { unkToken: model.unk_token ?? undefined });
  }

  encode(text: string): number[] {
    checkText('encode', text);
    const out: number[] = [];
    let i = 0;
    for (const ch of text) {
      const id = this.index.get(ch);
      if (id !== undefined) out.push(id);
      else if (this.unkId >= 0) out.push(this.unkId);
      else throw new RangeError(`encode: character ${JSON.stringify(ch)} at ${i} is not in the vocabulary`);
      i += ch.length;
    }
    return out;
  }

  decode(ids: readonly number[]): string {
    checkIds('decode', ids, this.vocabSize);
    let s = '';
    for (const id of ids) s += this.chars[id];
    return s;
  }

  toTokenizerJson(): TokenizerJson {
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens:
        this.unkToken === undefined
          ? []
          : [
              {
                id: this.unkId,
                content: this.unkToken,
                single_word: false,
                lstrip: false,
                rstrip: false,
                normalized: false,
                special: true,
              },
            ],
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder: { type: 'Fuse' },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: this.unkToken ?? null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab: Object.fromEntries(this.chars.map((c, i) => [c, i])),
        merges: [],
      },
    };
  }
}
