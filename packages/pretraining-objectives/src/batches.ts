import type { Generator } from '@tsformer/tensor';
import { IGNORE_INDEX, type MlmOptions, mlmMask } from './mlm.ts';
import { type NspPair, truncatePair } from './nsp.ts';

/** Model inputs for a batch of BERT pairs, row-major [B·T] arrays (int32), padded to one length T. */
export interface PairBatch {
  batchSize: number;
  seqLength: number;
  /** `[CLS] A [SEP] B [SEP] [PAD]…` */
  inputIds: Int32Array;
  /** 0 for `[CLS] A [SEP]`, 1 for `B [SEP]`, 0 for padding */
  tokenTypeIds: Int32Array;
  /** 1 = token, 0 = padding */
  attentionMask: Int32Array;
  /** [B] tokens before the padding (the classic `valid_lens`) */
  validLens: Int32Array;
  /** [B] 0 = IsNext, 1 = NotNext */
  nextSentenceLabel: Int32Array;
}

/** A pair batch with masked-LM corruption applied to `inputIds` and the MLM `labels` (-100 = not predicted). */
export interface MlmPairBatch extends PairBatch {
  labels: Int32Array;
}

export interface PairBatchOptions {
  clsId: number;
  sepId: number;
  padId: number;
  /** the most tokens per row, special tokens included; longer pairs are cut longest-first */
  maxLength: number;
  /** 'longest' (default) pads to the longest row of the batch, 'max-length' to `maxLength` */
  padding?: 'longest' | 'max-length';
}

/** Assembles `[CLS] A [SEP] B [SEP]` rows with segment ids, masks and valid lengths, truncating to `maxLength`. */
export function bertPairBatch(pairs: readonly NspPair[], options: PairBatchOptions): PairBatch {
  const { clsId, sepId, padId, maxLength } = options;
  if (maxLength < 4) throw new RangeError(`bertPairBatch: maxLength ${maxLength} leaves no room for a pair`);
  const rows = pairs.map((p) => truncatePair(p.a, p.b, maxLength - 3));
  const longest = rows.reduce((m, [a, b]) => Math.max(m, a.length + b.length + 3), 0);
  const t = options.padding === 'max-length' ? maxLength : longest;
  const n = pairs.length;
  const batch: PairBatch = {
    batchSize: n,
    seqLength: t,
    inputIds: new Int32Array(n * t).fill(padId),
    tokenTypeIds: new Int32Array(n * t),
    attentionMask: new Int32Array(n * t),
    validLens: new Int32Array(n),
    nextSentenceLabel: new Int32Array(n),
  };
  rows.forEach(([a, b], r) => {
    const row = [clsId, ...a, sepId, ...b, sepId];
    const o = r * t;
    for (let j = 0; j < row.length; j++) {
      batch.inputIds[o + j] = row[j]!;
      batch.attentionMask[o + j] = 1;
      if (j >= a.length + 2) batch.tokenTypeIds[o + j] = 1;
    }
    batch.validLens[r] = row.length;
    batch.nextSentenceLabel[r] = pairs[r]!.label;
  });
  return batch;
}

export interface MlmBatchOptions extends Omit<MlmOptions, 'wordIds' | 'specialIds' | 'rng'> {
  rng: Generator;
  /** ids never masked besides `[CLS]`, `[SEP]` and `[PAD]` (added automatically) */
  specialIds?: Iterable<number>;
  /** whole-word masking: tells a WordPiece continuation (`##…`) from a word start */
  isContinuation?: (id: number) => boolean;
}

/** Applies `mlmMask` to every row of a pair batch (special tokens and padding are never chosen). */
export function maskPairBatch(
  batch: PairBatch,
  ids: { clsId: number; sepId: number; padId: number },
  options: MlmBatchOptions,
): MlmPairBatch {
  const special = new Set([...(options.specialIds ?? []), ids.clsId, ids.sepId, ids.padId]);
  const t = batch.seqLength;
  const inputIds = new Int32Array(batch.inputIds.length);
  const labels = new Int32Array(batch.inputIds.length).fill(IGNORE_INDEX);
  for (let r = 0; r < batch.batchSize; r++) {
    const row = batch.inputIds.subarray(r * t, r * t + batch.validLens[r]!);
    let wordIds: Int32Array | undefined;
    if (options.isContinuation) {
      const isCont = options.isContinuation;
      wordIds = new Int32Array(row.length);
      let word = -1;
      for (let j = 0; j < row.length; j++) {
        const id = row[j]!;
        if (special.has(id)) wordIds[j] = -1;
        else {
          if (!isCont(id) || j === 0 || wordIds[j - 1] === -1) word++;
          wordIds[j] = word;
        }
      }
    }
    const m = mlmMask(row, { ...options, specialIds: special, wordIds });
    inputIds.set(batch.inputIds.subarray(r * t, (r + 1) * t), r * t);
    inputIds.set(m.inputIds, r * t);
    labels.set(m.labels, r * t);
  }
  return { ...batch, inputIds, labels };
}

/** `bertPairBatch` followed by `maskPairBatch`: BERT pretraining inputs for MLM + NSP. */
export function bertPretrainingBatch(
  pairs: readonly NspPair[],
  options: PairBatchOptions & MlmBatchOptions,
): MlmPairBatch {
  return maskPairBatch(bertPairBatch(pairs, options), options, options);
}
