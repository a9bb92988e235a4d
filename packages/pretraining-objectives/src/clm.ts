import type { Generator } from '@tsformer/tensor';
import { randomIndex } from './random.ts';

/** A batch of causal-LM blocks: row b is tokens[o_b … o_b+T), its targets tokens[o_b+1 … o_b+T]. */
export interface CausalLmBatch {
  batchSize: number;
  blockSize: number;
  /** [B·T] row-major */
  inputIds: Int32Array;
  /** [B·T]: the next token of each input position */
  targets: Int32Array;
}

export interface CausalLmBatchOptions {
  /** T, the context length */
  blockSize: number;
  /** B */
  batchSize: number;
  rng: Generator;
}

function checkStream(tokens: ArrayLike<number>, blockSize: number, what: string): void {
  if (!Number.isInteger(blockSize) || blockSize < 1)
    throw new RangeError(`${what}: blockSize must be a positive integer, got ${blockSize}`);
  if (tokens.length < blockSize + 1) {
    throw new RangeError(
      `${what}: the token stream has ${tokens.length} tokens, fewer than one block of ${blockSize} plus its next token`,
    );
  }
}

/**
 * B contiguous blocks of T tokens at offsets drawn uniformly from the stream (nanoGPT's `get_batch`), with
 * targets shifted by one. Every draw comes from `rng`, so a seed (and the generator's state) decides the batch.
 */
export function causalLmBatch(tokens: ArrayLike<number>, options: CausalLmBatchOptions): CausalLmBatch {
  const { blockSize: t, batchSize: b, rng } = options;
  checkStream(tokens, t, 'causalLmBatch');
  const inputIds = new Int32Array(b * t);
  const targets = new Int32Array(b * t);
  const starts = tokens.length - t; // offsets 0 … N-T-1
  const u = rng.uniform(b);
  for (let r = 0; r < b; r++) {
    const o = randomIndex(u[r]!, starts);
    for (let j = 0; j < t; j++) {
      inputIds[r * t + j] = tokens[o + j]!;
      targets[r * t + j] = tokens[o + j + 1]!;
    }
  }
  return { batchSize: b, blockSize: t, inputIds, targets };
}

/** One evaluation window: `inputIds[j]` predicts `targets[j]`; the last window may be shorter than T. */
export interface CausalLmWindow {
  /** index in the stream of the first input token */
  start: number;
  inputIds: Int32Array;
  targets: Int32Array;
}

/**
 * The stream cut into consecutive, non-overlapping windows of at most T predictions each, so that every token
 * but the first is predicted exactly once (window k reads tokens[kT … kT+T) and predicts tokens[kT+1 … kT+T]).
 * The total loss over the windows is the stream's negative log-likelihood (the validation bits per character
 * of the issue divide it by the characters those tokens cover).
 */
export function causalLmWindows(tokens: ArrayLike<number>, blockSize: number): CausalLmWindow[] {
  checkStream(tokens, 1, 'causalLmWindows');
  if (!Number.isInteger(blockSize) || blockSize < 1)
    throw new RangeError(`causalLmWindows: blockSize must be a positive integer, got ${blockSize}`);
  const out: CausalLmWindow[] = [];
  for (let start = 0; start + 1 < tokens.length; start += blockSize) {
    const n = Math.min(blockSize, tokens.length - 1 - start);
    const inputIds = new Int32Array(n);
    const targets = new Int32Array(n);
    for (let j = 0; j < n; j++) {
      inputIds[j] = tokens[start + j]!;
      targets[j] = tokens[start + j + 1]!;
    }
    out.push({ start, inputIds, targets });
  }
  return out;
}
