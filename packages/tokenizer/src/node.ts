// Node-only helpers: read and write tokenizer files in a folder. The library itself takes strings and objects,
// so it also runs in browsers; this file is the only one that touches the file system.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ByteLevelBpeTokenizer } from './byte-level-bpe.ts';
import { CharTokenizer } from './char.ts';
import { parseJsonDoc } from './tokenizer.ts';
import { type WordPieceOptions, WordPieceTokenizer } from './wordpiece.ts';

export type AnyTokenizer = ByteLevelBpeTokenizer | WordPieceTokenizer | CharTokenizer;

/**
 * Loads the tokenizer in `dir`: `tokenizer.json` (BPE, WordPiece or character model) if present, else
 * `vocab.txt` (WordPiece), else `encoder.json` + `vocab.bpe` or `vocab.json` + `merges.txt` (byte-level BPE).
 * Errors name the file and line.
 */
export function loadTokenizer(dir: string, opts: WordPieceOptions = {}): AnyTokenizer {
  const file = (name: string): string | undefined => {
    const p = join(dir, name);
    return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
  };
  const tj = file('tokenizer.json');
  if (tj !== undefined) {
    const fileName = join(dir, 'tokenizer.json');
    const doc = parseJsonDoc(tj, fileName);
    if (doc.model?.type === 'WordPiece') return WordPieceTokenizer.fromTokenizerJson(doc, { fileName });
    if (doc.model?.type === 'BPE' && !doc.pre_tokenizer && (doc.model.merges ?? []).length === 0) {
      return CharTokenizer.fromTokenizerJson(doc, { fileName });
    }
    return ByteLevelBpeTokenizer.fromTokenizerJson(doc, { fileName });
  }
  const vocabTxt = file('vocab.txt');
  if (vocabTxt !== undefined)
    return WordPieceTokenizer.fromVocabText(vocabTxt, { ...opts, fileName: join(dir, 'vocab.txt') });
  for (const [v, m] of [
    ['encoder.json', 'vocab.bpe'],
    ['vocab.json', 'merges.txt'],
  ] as const) {
    const vocab = file(v);
    const merges = file(m);
    if (vocab !== undefined && merges !== undefined) {
      return ByteLevelBpeTokenizer.fromFiles(vocab, merges, {
        fileName: join(dir, v),
        mergesFileName: join(dir, m),
      });
    }
  }
  throw new Error(
    `loadTokenizer: ${dir} has no tokenizer.json, vocab.txt, encoder.json + vocab.bpe or vocab.json + merges.txt`,
  );
}

/** Writes `tokenizer.json`, plus `vocab.txt` (WordPiece) or `vocab.json` + `merges.txt` (byte-level BPE). */
export function saveTokenizer(dir: string, tokenizer: AnyTokenizer): string[] {
  mkdirSync(dir, { recursive: true });
  const files: Record<string, string> = {
    'tokenizer.json': JSON.stringify(tokenizer.toTokenizerJson(), null, 2),
  };
  if (tokenizer instanceof WordPieceTokenizer) files['vocab.txt'] = tokenizer.toVocabText();
  if (tokenizer instanceof ByteLevelBpeTokenizer) Object.assign(files, tokenizer.toFiles());
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return Object.keys(files).map((f) => join(dir, f));
}
