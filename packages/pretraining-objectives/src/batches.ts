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

export interface SplitByLengthOptions {
  /** the most sub-batches (default 4) */
  maxChunks?: number;
  /**
   * what one more sub-batch costs, in padded token slots (default 128): a sub-batch runs every kernel of the
   * model once more, so splitting only pays when it saves more padding than that
   */
  chunkCost?: number;
}

/**
 * Splits a pair batch into sub-batches of rows of similar length, each padded only to its own longest row:
 * the same rows (sorted by length) and the same labels, so the summed losses of the sub-batches equal the
 * batch's (padding is masked out of attention), for about half the token slots on sentence pairs, whose
 * lengths vary a lot. The split minimises padded slots + `chunkCost` per sub-batch (an exact dynamic
 * programme over the sorted lengths). Row order inside the batch is not preserved.
 */
export function splitByLength<B extends PairBatch>(batch: B, options: SplitByLengthOptions = {}): B[] {
  const maxChunks = Math.max(1, options.maxChunks ?? 4);
  const chunkCost = options.chunkCost ?? 128;
  const n = batch.batchSize;
  const t = batch.seqLength;
  const order = Array.from({ length: n }, (_, r) => r).sort(
    (a, b) => batch.validLens[a]! - batch.validLens[b]! || a - b,
  );
  const len = order.map((r) => batch.validLens[r]!);
  // best[k][i]: the least cost of the first i sorted rows in k sub-batches; a sub-batch of rows j..i−1 costs
  // (i − j) · len[i − 1] (its longest row) + chunkCost
  const best: number[][] = [];
  const from: number[][] = [];
  for (let k = 0; k <= maxChunks; k++) {
    best.push(new Array(n + 1).fill(Number.POSITIVE_INFINITY));
    from.push(new Array(n + 1).fill(0));
  }
  best[0]![0] = 0;
  for (let k = 1; k <= maxChunks; k++) {
    for (let i = 1; i <= n; i++) {
      for (let j = k - 1; j < i; j++) {
        const c = best[k - 1]![j]! + (i - j) * len[i - 1]! + chunkCost;
        if (c < best[k]![i]!) {
          best[k]![i] = c;
          from[k]![i] = j;
        }
      }
    }
  }
  let chunks = 1;
  for (let k = 2; k <= Math.min(maxChunks, n); k++) if (best[k]![n]! < best[chunks]![n]!) chunks = k;
  const bounds: number[] = [n];
  for (let k = chunks, i = n; k > 0; k--) {
    i = from[k]![i]!;
    bounds.unshift(i);
  }
  const perToken = (['inputIds', 'tokenTypeIds', 'attentionMask', 'labels'] as const).filter(
    (k) => (batch as Partial<MlmPairBatch>)[k] !== undefined,
  );
  const out: B[] = [];
  for (let c = 0; c < chunks; c++) {
    const rows = order.slice(bounds[c], bounds[c + 1]);
    const tc = Math.max(1, ...rows.map((r) => batch.validLens[r]!));
    const sub: Record<string, unknown> = { ...(batch as object), batchSize: rows.length, seqLength: tc };
    for (const key of perToken) {
      const src = (batch as unknown as Record<string, Int32Array>)[key]!;
      const dst = new Int32Array(rows.length * tc);
      rows.forEach((r, i) => {
        dst.set(src.subarray(r * t, r * t + tc), i * tc);
      });
      sub[key] = dst;
    }
    sub.validLens = Int32Array.from(rows, (r) => batch.validLens[r]!);
    sub.nextSentenceLabel = Int32Array.from(rows, (r) => batch.nextSentenceLabel[r]!);
    out.push(sub as B);
  }
  return out;
}
