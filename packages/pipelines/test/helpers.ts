// Shared by the tests: the hf-tiny fixtures, and tokenizers whose ids are the fixtures' ids (the fixtures come
// without tokenizer files, and their vocabulary has 99 ids).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CharTokenizer, WordPieceTokenizer } from '@tsformer/tokenizer';
import { readHeader } from '../src/safetensors.ts';
import { createMemorySource } from '../src/source.ts';
import { tokenizerFiles } from '../src/tokenizers.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const FIXTURES: string =
  process.env.TSFORMER_HF_FIXTURES ?? resolve(here, '../../../../shared/fixtures/hf-tiny');

/** id i is "w<i>", except 0 [PAD], 1 [UNK] and `maskId` [MASK]; no [CLS]/[SEP], as the fixtures' inputs have none. */
export function wordTokenizer(maskId = 37): WordPieceTokenizer {
  const tokens = Array.from({ length: 99 }, (_, i) =>
    i === 0 ? '[PAD]' : i === 1 ? '[UNK]' : i === maskId ? '[MASK]' : `w${i}`,
  );
  return new WordPieceTokenizer(tokens, { specialTokens: ['[PAD]', '[UNK]', '[MASK]'] });
}

/** The text whose word tokens are `ids`. */
export function wordsOf(tok: WordPieceTokenizer, ids: readonly number[]): string {
  return ids.map((i) => tok.tokens[i]).join(' ');
}

/** 99 single characters: id i is U+0100 + i. */
export function charTokenizer(): CharTokenizer {
  return new CharTokenizer(Array.from({ length: 99 }, (_, i) => String.fromCharCode(0x100 + i)));
}

export function charsOf(ids: readonly number[]): string {
  return ids.map((i) => String.fromCharCode(0x100 + i)).join('');
}

/** A temporary copy of a fixture folder with tokenizer files added; `done()` deletes it. */
export function fixtureFolder(
  sub: string,
  tokenizer: WordPieceTokenizer | CharTokenizer,
): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tsformer-pipelines-'));
  cpSync(join(FIXTURES, sub), dir, { recursive: true });
  for (const [name, text] of Object.entries(tokenizerFiles(tokenizer))) writeFileSync(join(dir, name), text);
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A named tensor of a safetensors file as a flat number array. */
export async function fixtureTensor(
  file: string,
  name: string,
): Promise<{ shape: number[]; data: number[] }> {
  const bytes = readFileSync(file);
  const src = createMemorySource({ 'f.safetensors': new Uint8Array(bytes) });
  const h = await readHeader(src, 'f.safetensors');
  const e = h.entries.get(name);
  if (!e) throw new Error(`${file} has no ${name}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + e.start, e.end - e.start);
  const n = e.shape.reduce((p, d) => p * d, 1);
  const data = Array.from({ length: n }, (_, i) =>
    e.dtype === 'I64' ? Number(view.getBigInt64(8 * i, true)) : view.getFloat32(4 * i, true),
  );
  return { shape: e.shape, data };
}

export function softmax(row: readonly number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}

/** Collects warnings instead of printing them. */
export function warnings(): { list: string[]; onWarning: (m: string) => void } {
  const list: string[] = [];
  return { list, onWarning: (m) => list.push(m) };
}
