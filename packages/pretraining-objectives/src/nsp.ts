import type { Generator } from '@tsformer/tensor';
import { randomIndex } from './random.ts';

/** Next-sentence labels in Hugging Face's convention: 0 = B follows A, 1 = B is a random sentence. */
export const IS_NEXT = 0;
export const NOT_NEXT = 1;

/** A sentence pair for next-sentence prediction, as token ids without special tokens. */
export interface NspPair {
  a: number[];
  b: number[];
  /** 0 = IsNext, 1 = NotNext */
  label: 0 | 1;
}

/** documents → sentences (or any units: paragraphs, lines) → token ids */
export type Documents = readonly (readonly (readonly number[])[])[];

export interface NspOptions {
  rng: Generator;
  /** probability of a random B (default 0.5) */
  randomProb?: number;
  /**
   * 'sentence' (default): A is one sentence and B the next one. 'segment': A and B are runs of consecutive
   * sentences that together fill about `maxTokens`, cut at a random sentence boundary (Google's BERT data).
   */
  mode?: 'sentence' | 'segment';
  /** the token budget of A + B (without special tokens) in 'segment' mode (default 125) */
  maxTokens?: number;
}

function checkDocuments(documents: Documents): void {
  const usable = documents.filter((d) => d.length > 0).length;
  if (usable < 2) {
    throw new Error(
      `nspPairs: negatives come from another document, so at least 2 non-empty documents are needed, got ${usable}`,
    );
  }
}

/** A random non-empty document other than `notDoc`: `u` picks it, redrawn from `rng` while it is `notDoc` or empty. */
function otherDocument(documents: Documents, notDoc: number, u: number, rng: Generator): number {
  let d = randomIndex(u, documents.length);
  for (let tries = 0; (d === notDoc || documents[d]!.length === 0) && tries < 100; tries++) {
    d = rng.randint(documents.length);
  }
  if (d === notDoc || documents[d]!.length === 0)
    d = documents.findIndex((x, i) => i !== notDoc && x.length > 0);
  return d;
}

/** A random sentence from a random document other than `notDoc`. */
function randomSentence(
  documents: Documents,
  notDoc: number,
  u1: number,
  u2: number,
  rng: Generator,
): number[] {
  const doc = documents[otherDocument(documents, notDoc, u1, rng)]!;
  return [...doc[randomIndex(u2, doc.length)]!];
}

/**
 * One pass of NSP pairs over `documents`. 'sentence' mode: for every sentence that has a next one in its
 * document, A = that sentence and, with probability 1 − randomProb, B = the next sentence (label 0, IsNext),
 * otherwise a random sentence of another document (label 1). 'segment' mode: documents are cut into chunks of
 * about `maxTokens`, each split at a random sentence boundary into A and B (or A and a random run from another
 * document). Pairs come in document order; shuffle them or use `sampleNspPairs` for fresh random batches.
 */
export function nspPairs(documents: Documents, options: NspOptions): NspPair[] {
  checkDocuments(documents);
  const rng = options.rng;
  const pRandom = options.randomProb ?? 0.5;
  const out: NspPair[] = [];
  if ((options.mode ?? 'sentence') === 'sentence') {
    documents.forEach((doc, d) => {
      if (doc.length < 2) return;
      const u = rng.uniform(3 * (doc.length - 1));
      for (let i = 0; i + 1 < doc.length; i++) {
        const a = [...doc[i]!];
        if (u[3 * i]! >= pRandom) out.push({ a, b: [...doc[i + 1]!], label: IS_NEXT });
        else
          out.push({
            a,
            b: randomSentence(documents, d, u[3 * i + 1]!, u[3 * i + 2]!, rng),
            label: NOT_NEXT,
          });
      }
    });
    return out;
  }
  const budget = options.maxTokens ?? 125;
  documents.forEach((doc, d) => {
    let chunk: (readonly number[])[] = [];
    let length = 0;
    for (let i = 0; i < doc.length; i++) {
      chunk.push(doc[i]!);
      length += doc[i]!.length;
      if (i === doc.length - 1 || length >= budget) {
        if (chunk.length >= 2 || (chunk.length === 1 && i < doc.length - 1)) {
          const u = rng.uniform(4);
          const cut = chunk.length >= 2 ? 1 + randomIndex(u[0]!, chunk.length - 1) : 1;
          const a = chunk.slice(0, cut).flat();
          if (chunk.length === 1 || u[1]! < pRandom) {
            const b: number[] = [];
            let other = d;
            while (other === d || documents[other]!.length === 0) other = rng.randint(documents.length);
            const od = documents[other]!;
            for (let j = randomIndex(u[2]!, od.length); j < od.length && b.length < budget - a.length; j++) {
              b.push(...od[j]!);
            }
            out.push({ a, b, label: NOT_NEXT });
          } else out.push({ a, b: chunk.slice(cut).flat(), label: IS_NEXT });
        }
        chunk = [];
        length = 0;
      }
    }
  });
  return out;
}

export interface SampleNspOptions extends Omit<NspOptions, 'mode'> {
  /**
   * share of the pairs drawn as segments (default 0): A and B are runs of consecutive sentences that together
   * fill about `maxTokens` tokens, cut at a random sentence boundary, as in Google's BERT data; a NotNext B is a
   * run from another document. The rest are single-sentence pairs.
   */
  segmentProb?: number;
  /**
   * share of the pairs cropped at random (default 0), against memorising which training pairs follow each other:
   * A keeps a random suffix and B a random prefix, each at least half its tokens, so the junction between them
   * (where a true next sentence joins on) stays; IsNext and NotNext pairs alike, so the crop tells nothing.
   */
  cropProb?: number;
}

/** `pair` with A cut to a random suffix and B to a random prefix, each of at least half its tokens. */
function cropPair(pair: NspPair, uA: number, uB: number): NspPair {
  const keep = (n: number, u: number): number => {
    const min = Math.ceil(n / 2);
    return min + randomIndex(u, n - min + 1);
  };
  return {
    a: pair.a.slice(pair.a.length - keep(pair.a.length, uA)),
    b: pair.b.slice(0, keep(pair.b.length, uB)),
    label: pair.label,
  };
}

/**
 * `count` fresh pairs: each A starts at a sentence drawn uniformly among those that have a next one, then B as
 * in `nspPairs` ('sentence' mode, or a segment with probability `segmentProb`). Cheap enough to call for every
 * batch, so the negatives differ from batch to batch.
 */
export function sampleNspPairs(documents: Documents, count: number, options: SampleNspOptions): NspPair[] {
  checkDocuments(documents);
  const index = pairIndex(documents);
  if (index.length === 0) throw new Error('sampleNspPairs: no document has two sentences');
  const rng = options.rng;
  const pRandom = options.randomProb ?? 0.5;
  const pSegment = options.segmentProb ?? 0;
  const budget = options.maxTokens ?? 125;
  const u = rng.uniform(4 * count);
  const pCrop = options.cropProb ?? 0;
  // drawn only when segments or crops are asked for, so sentence-only streams stay as they were
  const v = pSegment > 0 ? rng.uniform(2 * count) : null;
  const c = pCrop > 0 ? rng.uniform(3 * count) : null;
  const out: NspPair[] = [];
  for (let k = 0; k < count; k++) {
    if (c !== null && c[3 * k]! < pCrop) {
      out.push(cropPair(pairAt(k), c[3 * k + 1]!, c[3 * k + 2]!));
    } else out.push(pairAt(k));
  }
  return out;

  function pairAt(k: number): NspPair {
    const [d, i] = index[randomIndex(u[4 * k]!, index.length)]!;
    const doc = documents[d]!;
    const isNext = u[4 * k + 1]! >= pRandom;
    if (v !== null && v[2 * k]! < pSegment) {
      return segmentPair(documents, d, i, budget, isNext, v[2 * k + 1]!, u[4 * k + 2]!, u[4 * k + 3]!, rng);
    }
    const a = [...doc[i]!];
    if (isNext) return { a, b: [...doc[i + 1]!], label: IS_NEXT };
    return { a, b: randomSentence(documents, d, u[4 * k + 2]!, u[4 * k + 3]!, rng), label: NOT_NEXT };
  }
}

/**
 * A segment pair from sentence `i` of document `d` on: sentences i, i+1, … until about `budget` tokens (at least
 * two), cut after a random one of them; B is the rest (IsNext) or a run of sentences from another document that
 * fills what A left of the budget (NotNext).
 */
function segmentPair(
  documents: Documents,
  d: number,
  i: number,
  budget: number,
  isNext: boolean,
  uCut: number,
  u1: number,
  u2: number,
  rng: Generator,
): NspPair {
  const doc = documents[d]!;
  const chunk: (readonly number[])[] = [doc[i]!];
  let length = doc[i]!.length;
  for (let j = i + 1; j < doc.length && (chunk.length < 2 || length < budget); j++) {
    chunk.push(doc[j]!);
    length += doc[j]!.length;
  }
  const cut = 1 + randomIndex(uCut, chunk.length - 1);
  const a = chunk.slice(0, cut).flat();
  if (isNext) return { a, b: chunk.slice(cut).flat(), label: IS_NEXT };
  const other = documents[otherDocument(documents, d, u1, rng)]!;
  const b: number[] = [];
  for (
    let j = randomIndex(u2, other.length);
    j < other.length && (b.length === 0 || a.length + b.length < budget);
    j++
  ) {
    b.push(...other[j]!);
  }
  return { a, b, label: NOT_NEXT };
}

const indexCache = new WeakMap<Documents, [number, number][]>();

/** (document, sentence) of every sentence that has a next one. */
function pairIndex(documents: Documents): [number, number][] {
  const cached = indexCache.get(documents);
  if (cached) return cached;
  const index: [number, number][] = [];
  documents.forEach((doc, d) => {
    for (let i = 0; i + 1 < doc.length; i++) index.push([d, i]);
  });
  indexCache.set(documents, index);
  return index;
}

/**
 * Cuts a pair to at most `maxTokens` tokens in all, removing one token at a time from the end of the longer
 * side (Hugging Face's and Google's longest-first). Returns new arrays.
 */
export function truncatePair(
  a: readonly number[],
  b: readonly number[],
  maxTokens: number,
): [number[], number[]] {
  let na = a.length;
  let nb = b.length;
  while (na + nb > maxTokens) {
    if (na > nb) na--;
    else nb--;
  }
  return [a.slice(0, na), b.slice(0, nb)];
}
