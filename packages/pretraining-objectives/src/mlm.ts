import type { Generator } from '@tsformer/tensor';
import { randomIndex, shuffleInPlace } from './random.ts';

/** The label of positions that are not predicted: cross-entropy skips it (PyTorch's and Hugging Face's -100). */
export const IGNORE_INDEX = -100;

export interface MlmOptions {
  /** the `[MASK]` id */
  maskTokenId: number;
  /** random replacements are drawn from [0, vocabSize), special ids excluded */
  vocabSize: number;
  /** ids that are never chosen nor drawn as random replacements (`[CLS]`, `[SEP]`, `[PAD]`, …) */
  specialIds: Iterable<number>;
  /** the generator every draw comes from, so a seed decides the masks */
  rng: Generator;
  /** share of the non-special tokens to predict (default 0.15) */
  maskProb?: number;
  /** of the chosen tokens, the share replaced by `[MASK]` (default 0.8) */
  maskReplaceProb?: number;
  /** of the chosen tokens, the share replaced by a random token (default 0.1; the rest stay as they are) */
  randomReplaceProb?: number;
  /**
   * whole-word masking: a word id per token (equal ids on consecutive tokens = pieces of one word); the pieces
   * of a word are chosen together. Build it with `wordIdsFromContinuations`.
   */
  wordIds?: ArrayLike<number>;
  /** at most this many predicted tokens per sequence (Google's `max_predictions_per_seq`; default no limit) */
  maxPredictions?: number;
}

export interface MlmExample {
  /** the input with the chosen tokens replaced (80 % `[MASK]`, 10 % random, 10 % unchanged) */
  inputIds: Int32Array;
  /** the original id at chosen positions, `IGNORE_INDEX` (-100) elsewhere */
  labels: Int32Array;
}

function toSet(ids: Iterable<number>): ReadonlySet<number> {
  return ids instanceof Set ? (ids as Set<number>) : new Set(ids);
}

/**
 * Masked-LM corruption of one sequence, as BERT's pretraining data: round(maskProb · n) of the n non-special
 * tokens are chosen (at least one when there is one, at most `maxPredictions`); each chosen token becomes
 * `[MASK]` with probability 0.8, a random non-special token with 0.1, and stays itself with 0.1. Labels hold
 * the original ids at chosen positions and -100 elsewhere. With `wordIds`, whole words are chosen (a word that
 * would overshoot the count is skipped, as Google's `create_pretraining_data.py` does).
 */
export function mlmMask(ids: ArrayLike<number>, options: MlmOptions): MlmExample {
  const { maskTokenId, vocabSize, rng } = options;
  const special = toSet(options.specialIds);
  const maskProb = options.maskProb ?? 0.15;
  const pMask = options.maskReplaceProb ?? 0.8;
  const pRandom = options.randomReplaceProb ?? 0.1;
  if (!(maskProb >= 0 && maskProb <= 1))
    throw new RangeError(`mlmMask: maskProb must be in [0, 1], got ${maskProb}`);
  if (pMask < 0 || pRandom < 0 || pMask + pRandom > 1) {
    throw new RangeError(
      `mlmMask: maskReplaceProb ${pMask} + randomReplaceProb ${pRandom} must be within [0, 1]`,
    );
  }
  const n = ids.length;
  const inputIds = Int32Array.from(ids as ArrayLike<number>);
  const labels = new Int32Array(n).fill(IGNORE_INDEX);

  // candidate units: single tokens, or runs of tokens sharing a word id
  const units: number[][] = [];
  const wordIds = options.wordIds;
  if (wordIds !== undefined && wordIds.length !== n) {
    throw new Error(`mlmMask: wordIds has ${wordIds.length} entries for ${n} tokens`);
  }
  let candidates = 0;
  for (let i = 0; i < n; i++) {
    if (special.has(inputIds[i]!)) continue;
    candidates++;
    const prev = units[units.length - 1];
    if (
      wordIds !== undefined &&
      prev !== undefined &&
      prev[prev.length - 1] === i - 1 &&
      wordIds[i]! >= 0 &&
      wordIds[i] === wordIds[i - 1]
    ) {
      prev.push(i);
    } else units.push([i]);
  }
  if (candidates === 0 || maskProb === 0) return { inputIds, labels };
  let target = Math.max(1, Math.round(candidates * maskProb));
  if (options.maxPredictions !== undefined) target = Math.min(target, options.maxPredictions);

  shuffleInPlace(units, rng);
  const chosen: number[] = [];
  for (const unit of units) {
    if (chosen.length >= target) break;
    if (chosen.length + unit.length > target) continue;
    chosen.push(...unit);
  }
  if (chosen.length === 0) chosen.push(...units[0]!.slice(0, target)); // every word longer than the target
  chosen.sort((a, b) => a - b);

  const u = rng.uniform(2 * chosen.length);
  for (let k = 0; k < chosen.length; k++) {
    const i = chosen[k]!;
    labels[i] = inputIds[i]!;
    const r = u[2 * k]!;
    if (r < pMask) inputIds[i] = maskTokenId;
    else if (r < pMask + pRandom) inputIds[i] = randomToken(u[2 * k + 1]!, vocabSize, special, rng);
  }
  return { inputIds, labels };
}

/** A uniform non-special id; redraws (from `rng`) only when the first draw hits a special id. */
function randomToken(u: number, vocabSize: number, special: ReadonlySet<number>, rng: Generator): number {
  let id = randomIndex(u, vocabSize);
  for (let tries = 0; special.has(id) && tries < 64; tries++) id = rng.randint(vocabSize);
  return id;
}

/**
 * Word ids for whole-word masking from a predicate that tells WordPiece continuations (`##ing`) apart: a new
 * id starts at every token that is not a continuation; special tokens get -1.
 */
export function wordIdsFromContinuations(
  ids: ArrayLike<number>,
  isContinuation: (id: number) => boolean,
  specialIds: Iterable<number> = [],
): Int32Array {
  const special = toSet(specialIds);
  const out = new Int32Array(ids.length);
  let word = -1;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (special.has(id)) {
      out[i] = -1;
      continue;
    }
    if (!isContinuation(id) || word < 0 || out[i - 1] === -1) word++;
    out[i] = word;
  }
  return out;
}
