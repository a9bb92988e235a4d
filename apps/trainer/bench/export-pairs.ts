// Writes BERT's data as the trainer builds it (train.ts's bertData), tokenized with a checkpoint's WordPiece
// tokenizer, for bench/pytorch_bert.py:
//   tsx --conditions=@tsformer/source bench/export-pairs.ts <checkpoint folder> <out folder>
// train_ids.bin: int32 token ids of every training sentence, one after another; train_sentences.bin: int32 start
// of each sentence in train_ids (+ the end); train_documents.bin: int32 first sentence of each document (+ the
// end). val_{input_ids,token_type_ids,attention_mask,labels}.bin: int32 [pairs, seqLength] (row-major), the
// trainer's fixed validation pairs with their masks (labels -100 = not predicted), padded to the longest of the
// trainer's batches of 64; val_next_sentence_label.bin: int32 [pairs]. meta.json: sizes and special ids.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WordPieceTokenizer } from '@tsformer/tokenizer';
import { loadTokenizer } from '@tsformer/tokenizer/node';
import { readTrainerState, STATE_FILE } from '../src/checkpoint.ts';
import { resolveTrainConfig } from '../src/config.ts';
import { loadCorpus, splitCorpus } from '../src/data.ts';
import { bertData } from '../src/train.ts';

const [checkpoint, out] = process.argv.slice(2);
if (!checkpoint || !out) throw new Error('usage: export-pairs.ts <checkpoint folder> <out folder>');
const tokenizer = loadTokenizer(checkpoint);
if (!(tokenizer instanceof WordPieceTokenizer)) throw new Error(`${checkpoint} holds no WordPiece tokenizer`);
// the run's own settings (context, evalPairs, mlmProb, corpus), else the bert preset's
const config = existsSync(join(checkpoint, STATE_FILE))
  ? readTrainerState(checkpoint).config
  : resolveTrainConfig('bert', {}).config;
const split = splitCorpus(loadCorpus(config.corpus), config.valDocs);
const data = bertData(config, split, tokenizer);

const sentences = data.trainDocs.flat();
const trainIds = Int32Array.from(sentences.flat());
const sentenceStarts = new Int32Array(sentences.length + 1);
sentences.forEach((s, i) => {
  sentenceStarts[i + 1] = sentenceStarts[i]! + s.length;
});
const documentStarts = new Int32Array(data.trainDocs.length + 1);
data.trainDocs.forEach((d, i) => {
  documentStarts[i + 1] = documentStarts[i]! + d.length;
});

const n = data.evalBatches.reduce((s, b) => s + b.batchSize, 0);
const t = Math.max(...data.evalBatches.map((b) => b.seqLength));
const val = {
  input_ids: new Int32Array(n * t).fill(data.ids.pad),
  token_type_ids: new Int32Array(n * t),
  attention_mask: new Int32Array(n * t),
  labels: new Int32Array(n * t).fill(-100),
  next_sentence_label: new Int32Array(n),
};
let row = 0;
for (const b of data.evalBatches) {
  for (let r = 0; r < b.batchSize; r++, row++) {
    const from = r * b.seqLength;
    const to = (r + 1) * b.seqLength;
    val.input_ids.set(b.inputIds.subarray(from, to), row * t);
    val.token_type_ids.set(b.tokenTypeIds.subarray(from, to), row * t);
    val.attention_mask.set(b.attentionMask.subarray(from, to), row * t);
    val.labels.set(b.labels.subarray(from, to), row * t);
    val.next_sentence_label[row] = b.nextSentenceLabel[r]!;
  }
}
const maskedTokens = val.labels.reduce((s, l) => s + (l !== -100 ? 1 : 0), 0);

mkdirSync(out, { recursive: true });
const bytes = (a: Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
writeFileSync(join(out, 'train_ids.bin'), bytes(trainIds));
writeFileSync(join(out, 'train_sentences.bin'), bytes(sentenceStarts));
writeFileSync(join(out, 'train_documents.bin'), bytes(documentStarts));
for (const [name, a] of Object.entries(val)) writeFileSync(join(out, `val_${name}.bin`), bytes(a));
const { ids } = data;
writeFileSync(
  join(out, 'meta.json'),
  JSON.stringify({
    checkpoint,
    vocabSize: tokenizer.vocabSize,
    cls: ids.cls,
    sep: ids.sep,
    pad: ids.pad,
    mask: ids.mask,
    unk: ids.unk,
    context: config.context,
    mlmProb: config.mlmProb,
    wholeWordMask: config.wholeWordMask,
    trainDocuments: data.trainDocs.length,
    trainSentences: sentences.length,
    trainTokens: trainIds.length,
    pairs: n,
    seqLength: t,
    evalBatchSize: 64,
    maskedTokens,
  }),
);
console.log(
  `training: ${data.trainDocs.length} documents, ${sentences.length} sentences, ${trainIds.length} tokens; validation: ${n} pairs (length ≤ ${t}), ${maskedTokens} masked tokens; vocabulary ${tokenizer.vocabSize}`,
);
