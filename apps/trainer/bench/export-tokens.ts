// Writes the Moby-Dick split, tokenized with a checkpoint's tokenizer, for bench/pytorch_gpt.py:
//   tsx --conditions=@tsformer/source bench/export-tokens.ts <checkpoint folder> <out folder>
// train.bin / val.bin: int32 token ids; val_ends.bin: int32 end (UTF-16 index) of each validation token.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTokenizer } from '@tsformer/tokenizer/node';
import { loadMobyDick, splitCorpus } from '../src/data.ts';
import { encodeWithOffsets } from '../src/tokenize.ts';

const [checkpoint, out] = process.argv.slice(2);
if (!checkpoint || !out) throw new Error('usage: export-tokens.ts <checkpoint folder> <out folder>');
const tokenizer = loadTokenizer(checkpoint);
const split = splitCorpus(loadMobyDick(), null);
const train = Int32Array.from(tokenizer.encode(split.trainText));
const val = encodeWithOffsets(tokenizer, split.validationText);
mkdirSync(out, { recursive: true });
const bytes = (a: Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
writeFileSync(join(out, 'train.bin'), bytes(train));
writeFileSync(join(out, 'val.bin'), bytes(val.ids));
writeFileSync(join(out, 'val_ends.bin'), bytes(val.ends));
writeFileSync(
  join(out, 'meta.json'),
  JSON.stringify({ vocabSize: tokenizer.vocabSize, train: train.length, val: val.ids.length }),
);
console.log(
  `train ${train.length} tokens, validation ${val.ids.length} tokens, vocabulary ${tokenizer.vocabSize}`,
);
