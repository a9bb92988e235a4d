// The tokenizer of a run: learned on the training split (byte-level BPE, WordPiece or characters) or loaded
// from Hugging Face files, and written into checkpoints next to the model.
import { existsSync, statSync } from 'node:fs';
import {
  ByteLevelBpeTokenizer,
  CharTokenizer,
  trainByteLevelBpe,
  trainWordPiece,
  WordPieceTokenizer,
} from '@tsformer/tokenizer';
import { type AnyTokenizer, loadTokenizer } from '@tsformer/tokenizer/node';
import type { TrainConfig } from './config.ts';
import { DataError, type Split } from './data.ts';

export type { AnyTokenizer };

export const EOT = '<|endoftext|>';
export const BERT_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

/** Learns (or loads) the tokenizer a config asks for. */
export function buildTokenizer(
  config: TrainConfig,
  split: Split,
  resolvePath: (p: string) => string,
): AnyTokenizer {
  const kind = config.tokenizer;
  const texts = split.train.map((d) => d.text);
  if (kind === 'bpe') {
    if (config.model === 'bert')
      throw new DataError(
        'BERT needs a WordPiece tokenizer: use --tokenizer wordpiece (or a folder with vocab.txt)',
      );
    return trainByteLevelBpe(texts, { vocabSize: config.vocabSize, specialTokens: [EOT] });
  }
  if (kind === 'wordpiece')
    return trainWordPiece(texts, { vocabSize: config.vocabSize, specialTokens: [...BERT_SPECIALS] });
  if (kind === 'char') {
    if (config.model === 'bert')
      throw new DataError('BERT needs a WordPiece tokenizer: use --tokenizer wordpiece');
    // every character of the corpus (the vocabulary only, no statistics, comes from the validation text)
    return CharTokenizer.fromText(`${split.trainText}${split.validationText}`);
  }
  const dir = resolvePath(kind);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new DataError(`--tokenizer ${kind}: not bpe, wordpiece, char, nor a folder with tokenizer files`);
  }
  const tok = loadTokenizer(dir);
  if (config.model === 'bert' && !(tok instanceof WordPieceTokenizer))
    throw new DataError(`--tokenizer ${kind}: BERT needs a WordPiece tokenizer`);
  return tok;
}

/** The files of a tokenizer, as `saveTokenizer` writes them (tokenizer.json + vocab.txt or vocab.json/merges.txt). */
export function tokenizerFiles(tokenizer: AnyTokenizer): Record<string, string> {
  const files: Record<string, string> = {
    'tokenizer.json': JSON.stringify(tokenizer.toTokenizerJson(), null, 2),
  };
  if (tokenizer instanceof WordPieceTokenizer) files['vocab.txt'] = tokenizer.toVocabText();
  if (tokenizer instanceof ByteLevelBpeTokenizer) Object.assign(files, tokenizer.toFiles());
  return files;
}

/** Ids and the [start, end) character span of each token (CharTokenizer: one code point per token). */
export function encodeWithOffsets(
  tokenizer: AnyTokenizer,
  text: string,
): { ids: Int32Array; ends: Int32Array } {
  if (tokenizer instanceof CharTokenizer) {
    const ids = tokenizer.encode(text);
    const ends = new Int32Array(ids.length);
    let i = 0;
    let k = 0;
    for (const ch of text) {
      i += ch.length;
      ends[k++] = i;
    }
    return { ids: Int32Array.from(ids), ends };
  }
  const r = tokenizer.encodeWithOffsets(text);
  return { ids: Int32Array.from(r.ids), ends: Int32Array.from(r.offsets.map((o) => o[1])) };
}

/** The special ids BERT training needs, from a WordPiece vocabulary. */
export function bertSpecialIds(tokenizer: WordPieceTokenizer): {
  pad: number;
  unk: number;
  cls: number;
  sep: number;
  mask: number;
} {
  const id = (t: string): number => {
    const v = tokenizer.tokenToId(t);
    if (v === undefined) throw new DataError(`the WordPiece vocabulary has no ${t} token`);
    return v;
  };
  return { pad: id('[PAD]'), unk: id('[UNK]'), cls: id('[CLS]'), sep: id('[SEP]'), mask: id('[MASK]') };
}

/** A per-id table: true for WordPiece continuations (`##…`), for whole-word masking. */
export function continuationTable(tokenizer: WordPieceTokenizer): Uint8Array {
  const tokens = tokenizer.toVocabText().split('\n');
  const table = new Uint8Array(tokenizer.vocabSize);
  tokens.forEach((t, i) => {
    if (i < table.length && t.startsWith('##')) table[i] = 1;
  });
  return table;
}

/** The end-of-text id of a GPT tokenizer, if it has one. */
export function endOfTextId(tokenizer: AnyTokenizer): number | null {
  if (tokenizer instanceof ByteLevelBpeTokenizer) return tokenizer.specialTokens.get(EOT) ?? null;
  return null;
}
