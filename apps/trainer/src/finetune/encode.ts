// Examples → model inputs: BERT's `[CLS] A [SEP] (B [SEP])` with segment ids, a tag on each word's first piece
// (the other pieces unscored, -100), answer spans as token positions; GPT's ids with the classifier on the last
// one. Batches pad to their longest row and group rows of similar length (dynamic padding), so short texts do not
// pay for long ones.
import { type Generator, type Tensor, tensor } from '@tsformer/tensor';
import { ByteLevelBpeTokenizer, CharTokenizer, WordPieceTokenizer } from '@tsformer/tokenizer';
import type { AnyTokenizer } from '../tokenize.ts';
import {
  type ExampleOf,
  FinetuneDataError,
  type PairExample,
  type QaExample,
  type SequenceExample,
  type TaskKind,
  type TokenExample,
} from './types.ts';

export type ModelFamily = 'bert' | 'gpt';

/** One encoded example. `labels` is per token for token tasks; `start`/`end` are token positions for QA. */
export interface Feature {
  ids: Int32Array;
  types: Int32Array;
  /** sequence/pair: the class id */
  label?: number;
  /** token: a tag id per token, -100 where not scored */
  tokenLabels?: Int32Array;
  /** qa: answer token positions (0 = [CLS] when the answer was cut off) */
  start?: number;
  end?: number;
  /** qa: the character span of each token in the context ([-1,-1] outside it) */
  contextOffsets?: Int32Array;
  /** token: the token index of each word's first piece (-1 when the word was cut off) */
  wordStarts?: Int32Array;
}

export interface EncodeOptions {
  family: ModelFamily;
  maxLength: number;
  /** the label set in id order (sequence/pair/token) */
  labels: readonly string[];
}

interface Specials {
  cls: number;
  sep: number;
}

function bertSpecials(tok: AnyTokenizer): Specials {
  if (!(tok instanceof WordPieceTokenizer)) throw new FinetuneDataError('BERT needs a WordPiece tokenizer');
  const cls = tok.tokenToId('[CLS]');
  const sep = tok.tokenToId('[SEP]');
  if (cls === undefined || sep === undefined)
    throw new FinetuneDataError('the WordPiece vocabulary lacks [CLS] or [SEP]');
  return { cls, sep };
}

function rawIds(tok: AnyTokenizer, text: string): number[] {
  return tok instanceof CharTokenizer ? Array.from(tok.encode(text)) : tok.encode(text);
}

function labelIndex(labels: readonly string[]): Map<string, number> {
  return new Map(labels.map((l, i) => [l, i]));
}

function labelId(index: Map<string, number>, label: string): number {
  const id = index.get(label);
  if (id === undefined) throw new FinetuneDataError(`unknown label ${JSON.stringify(label)}`);
  return id;
}

/** Cuts the longer of two id lists first until both fit in `room` (the tokenizers' longest-first rule). */
function truncatePair(a: number[], b: number[], room: number): [number[], number[]] {
  let na = a.length;
  let nb = b.length;
  while (na + nb > room) {
    if (na >= nb) na--;
    else nb--;
  }
  return [a.slice(0, na), b.slice(0, nb)];
}

function sequenceFeature(
  tok: AnyTokenizer,
  ex: SequenceExample | PairExample,
  o: EncodeOptions,
  index: Map<string, number>,
): Feature {
  const label = labelId(index, ex.label);
  if (o.family === 'gpt') {
    // a pair is A, a newline, then B; cut longest-first like BERT's pairs, so B is never dropped whole
    let ids: number[];
    if ('text' in ex) ids = rawIds(tok, ex.text).slice(0, o.maxLength);
    else {
      const [a, b] = truncatePair(rawIds(tok, `${ex.textA}\n`), rawIds(tok, ex.textB), o.maxLength);
      ids = [...a, ...b];
    }
    if (ids.length === 0) ids = rawIds(tok, ' ');
    return { ids: Int32Array.from(ids), types: new Int32Array(ids.length), label };
  }
  const { cls, sep } = bertSpecials(tok);
  if ('text' in ex) {
    const a = rawIds(tok, ex.text).slice(0, o.maxLength - 2);
    const ids = [cls, ...a, sep];
    return { ids: Int32Array.from(ids), types: new Int32Array(ids.length), label };
  }
  const [a, b] = truncatePair(rawIds(tok, ex.textA), rawIds(tok, ex.textB), o.maxLength - 3);
  const ids = [cls, ...a, sep, ...b, sep];
  const types = new Int32Array(ids.length);
  types.fill(1, a.length + 2);
  return { ids: Int32Array.from(ids), types, label };
}

function tokenFeature(
  tok: AnyTokenizer,
  ex: TokenExample,
  o: EncodeOptions,
  index: Map<string, number>,
): Feature {
  if (o.family !== 'bert') throw new FinetuneDataError('token classification needs a BERT checkpoint');
  const { cls, sep } = bertSpecials(tok);
  const ids = [cls];
  const labels = [-100];
  const wordStarts = new Int32Array(ex.tokens.length).fill(-1);
  for (let w = 0; w < ex.tokens.length; w++) {
    let pieces = rawIds(tok, ex.tokens[w]!);
    if (pieces.length === 0) pieces = [(tok as WordPieceTokenizer).tokenToId('[UNK]') ?? 0];
    if (ids.length + pieces.length > o.maxLength - 1) break;
    wordStarts[w] = ids.length;
    // a tag the training data never had (possible in a test split) is scored as wrong, never trained on
    labels.push(index.get(ex.tags[w]!) ?? -100);
    ids.push(pieces[0]!);
    for (let k = 1; k < pieces.length; k++) {
      ids.push(pieces[k]!);
      labels.push(-100);
    }
  }
  ids.push(sep);
  labels.push(-100);
  return {
    ids: Int32Array.from(ids),
    types: new Int32Array(ids.length),
    tokenLabels: Int32Array.from(labels),
    wordStarts,
  };
}

function qaFeature(tok: AnyTokenizer, ex: QaExample, o: EncodeOptions): Feature {
  if (o.family !== 'bert' || !(tok instanceof WordPieceTokenizer))
    throw new FinetuneDataError('question answering needs a BERT checkpoint');
  const { cls, sep } = bertSpecials(tok);
  // the question takes at most a third of the length (at least 8 tokens), the context the rest
  const q = tok
    .encode(ex.question)
    .slice(0, Math.min(Math.max(8, Math.floor(o.maxLength / 3)), o.maxLength - 4));
  const ctx = tok.encodeWithOffsets(ex.context);
  const room = Math.max(1, o.maxLength - q.length - 3);
  const cids = ctx.ids.slice(0, room);
  const ids = [cls, ...q, sep, ...cids, sep];
  const types = new Int32Array(ids.length);
  types.fill(1, q.length + 2);
  const offsets = new Int32Array(ids.length * 2).fill(-1);
  const base = q.length + 2;
  for (let i = 0; i < cids.length; i++) {
    offsets[(base + i) * 2] = ctx.offsets[i]![0];
    offsets[(base + i) * 2 + 1] = ctx.offsets[i]![1];
  }
  // the answer's first and last token: those whose spans overlap the answer's characters
  const a0 = ex.answer.start;
  const a1 = a0 + ex.answer.text.length;
  let start = -1;
  let end = -1;
  for (let i = 0; i < cids.length; i++) {
    const [s, e] = ctx.offsets[i]!;
    if (e > a0 && s < a1) {
      if (start < 0) start = base + i;
      end = base + i;
    }
  }
  // an answer cut off by the length limit points at [CLS], as transformers' run_qa does
  const complete = start >= 0 && (ctx.offsets[end - base]![1] >= a1 || end - base === ctx.ids.length - 1);
  return {
    ids: Int32Array.from(ids),
    types,
    start: complete ? start : 0,
    end: complete ? end : 0,
    contextOffsets: offsets,
  };
}

/** Encodes examples of a task for a model family. */
export function encodeExamples<K extends TaskKind>(
  kind: K,
  examples: readonly ExampleOf<K>[],
  tok: AnyTokenizer,
  o: EncodeOptions,
): Feature[] {
  if (o.maxLength < 8) throw new FinetuneDataError(`--max-length ${o.maxLength} is too short (at least 8)`);
  const index = labelIndex(o.labels);
  if (o.family === 'gpt' && kind !== 'sequence' && kind !== 'pair')
    throw new FinetuneDataError(
      `GPT fine-tunes on sequence classification only, not ${kind}: use a BERT checkpoint`,
    );
  if (o.family === 'gpt' && !(tok instanceof ByteLevelBpeTokenizer || tok instanceof CharTokenizer))
    throw new FinetuneDataError('a GPT checkpoint needs its byte-level BPE or character tokenizer');
  return examples.map((ex) => {
    if (kind === 'sequence' || kind === 'pair')
      return sequenceFeature(tok, ex as SequenceExample | PairExample, o, index);
    if (kind === 'token') return tokenFeature(tok, ex as TokenExample, o, index);
    return qaFeature(tok, ex as QaExample, o);
  });
}

/** A padded batch as tensors. */
export interface Batch {
  rows: number[];
  inputIds: Tensor;
  attentionMask: Tensor;
  tokenTypeIds: Tensor;
  labels?: Tensor;
  startPositions?: Tensor;
  endPositions?: Tensor;
  /** the padded length */
  length: number;
}

/** Pads the features `rows` to their longest (right padding with `padId`) and builds the tensors a head takes. */
export function makeBatch(
  kind: TaskKind,
  features: readonly Feature[],
  rows: number[],
  padId: number,
): Batch {
  const b = rows.length;
  let t = 1;
  for (const r of rows) t = Math.max(t, features[r]!.ids.length);
  const ids = new Int32Array(b * t).fill(padId);
  const mask = new Int32Array(b * t);
  const types = new Int32Array(b * t);
  const tokenLabels = kind === 'token' ? new Int32Array(b * t).fill(-100) : null;
  rows.forEach((r, i) => {
    const f = features[r]!;
    ids.set(f.ids, i * t);
    mask.fill(1, i * t, i * t + f.ids.length);
    types.set(f.types, i * t);
    if (tokenLabels && f.tokenLabels) tokenLabels.set(f.tokenLabels, i * t);
  });
  const batch: Batch = {
    rows,
    length: t,
    inputIds: tensor(ids, [b, t], { dtype: 'int32' }),
    attentionMask: tensor(mask, [b, t], { dtype: 'int32' }),
    tokenTypeIds: tensor(types, [b, t], { dtype: 'int32' }),
  };
  if (kind === 'sequence' || kind === 'pair')
    batch.labels = tensor(
      Int32Array.from(rows, (r) => features[r]!.label!),
      [b],
      { dtype: 'int32' },
    );
  if (tokenLabels) batch.labels = tensor(tokenLabels, [b, t], { dtype: 'int32' });
  if (kind === 'qa') {
    batch.startPositions = tensor(
      Int32Array.from(rows, (r) => features[r]!.start!),
      [b],
      { dtype: 'int32' },
    );
    batch.endPositions = tensor(
      Int32Array.from(rows, (r) => features[r]!.end!),
      [b],
      { dtype: 'int32' },
    );
  }
  return batch;
}

/** Disposes a batch's tensors. */
export function disposeBatch(batch: Batch): void {
  for (const v of Object.values(batch))
    if (v && typeof v === 'object' && 'dispose' in v) (v as Tensor).dispose();
}

/**
 * One epoch's batches: rows shuffled, then, within windows of 50 batches, sorted by length and cut into batches
 * that are shuffled again, so that each batch holds rows of similar length while the order stays random.
 */
export function epochBatches(features: readonly Feature[], batchSize: number, rng: Generator): number[][] {
  const order = shuffled(features.length, rng);
  const window = batchSize * 50;
  const batches: number[][] = [];
  for (let w = 0; w < order.length; w += window) {
    const part = order.slice(w, w + window).sort((x, y) => features[x]!.ids.length - features[y]!.ids.length);
    for (let i = 0; i < part.length; i += batchSize) batches.push(part.slice(i, i + batchSize));
  }
  const perm = shuffled(batches.length, rng);
  return perm.map((i) => batches[i]!);
}

/** Batches for evaluation: rows sorted by length (less padding), `batchSize` at a time. */
export function evalBatches(features: readonly Feature[], batchSize: number): number[][] {
  const order = Array.from(features.keys()).sort((x, y) => features[x]!.ids.length - features[y]!.ids.length);
  const out: number[][] = [];
  for (let i = 0; i < order.length; i += batchSize) out.push(order.slice(i, i + batchSize));
  return out;
}

function shuffled(n: number, rng: Generator): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.randint(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
