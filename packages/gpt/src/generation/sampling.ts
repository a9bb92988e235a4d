import type { Generator } from '@tsformer/tensor';

/**
 * Next-token logit processing in plain JavaScript over one row of V logits (Float32Array), in the order
 * transformers applies it: repetition penalty, then (when sampling) temperature, top-k and top-p, then a
 * draw from the softmax. Filtered-out entries become -Infinity.
 */

/** CTRL's repetition penalty: each token already in `seen` gets score/penalty (score·penalty if negative). */
export function applyRepetitionPenalty(logits: Float32Array, seen: Iterable<number>, penalty: number): void {
  if (penalty === 1) return;
  for (const id of new Set(seen)) {
    if (id < 0 || id >= logits.length) continue;
    const s = logits[id]!;
    logits[id] = s < 0 ? s * penalty : s / penalty;
  }
}

export function applyTemperature(logits: Float32Array, temperature: number): void {
  if (!(temperature > 0)) throw new Error(`generate: temperature must be > 0, got ${temperature}`);
  if (temperature === 1) return;
  for (let i = 0; i < logits.length; i++) logits[i] = logits[i]! / temperature;
}

/** Keeps the k largest logits (ties with the k-th are kept, as transformers' TopKLogitsWarper). */
export function topKFilter(logits: Float32Array, k: number): void {
  if (k <= 0 || k >= logits.length) return;
  const sorted = Float32Array.from(logits).sort();
  const threshold = sorted[logits.length - k]!;
  for (let i = 0; i < logits.length; i++) if (logits[i]! < threshold) logits[i] = -Infinity;
}

/**
 * Nucleus filtering as transformers' TopPLogitsWarper: sort ascending, drop the tokens whose cumulative
 * probability is ≤ 1 - p, always keeping the most likely one.
 */
export function topPFilter(logits: Float32Array, p: number): void {
  if (p >= 1) return;
  if (!(p > 0)) throw new Error(`generate: topP must be in (0, 1], got ${p}`);
  const order = Array.from(logits.keys()).sort((a, b) => logits[a]! - logits[b]!);
  const probs = softmaxOf(logits);
  let cum = 0;
  for (let r = 0; r < order.length - 1; r++) {
    const i = order[r]!;
    cum += probs[i]!;
    if (cum <= 1 - p) logits[i] = -Infinity;
  }
}

/** Softmax in float64. */
export function softmaxOf(logits: Float32Array): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > m) m = logits[i]!;
  const out = new Float64Array(logits.length);
  let z = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = logits[i]! === -Infinity ? 0 : Math.exp(logits[i]! - m);
    out[i] = e;
    z += e;
  }
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / z;
  return out;
}

/** The index of the largest logit (the first on ties, as torch.argmax). */
export function argmaxOf(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

/** One draw from softmax(logits) with a uniform from `generator`. */
export function sampleFrom(logits: Float32Array, generator: Generator): number {
  const probs = softmaxOf(logits);
  const u = generator.random();
  let cum = 0;
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    if (probs[i]! === 0) continue;
    last = i;
    cum += probs[i]!;
    if (u < cum) return i;
  }
  return last; // rounding: u above the float sum
}

export interface SamplingOptions {
  doSample: boolean;
  temperature: number;
  topK: number;
  topP: number;
  repetitionPenalty: number;
}

/** Processes one row of logits (a copy is made) and picks the next token. */
export function pickToken(
  row: Float32Array,
  seen: readonly number[],
  options: SamplingOptions,
  generator: Generator,
): number {
  const logits = Float32Array.from(row);
  applyRepetitionPenalty(logits, seen, options.repetitionPenalty);
  if (!options.doSample) return argmaxOf(logits);
  applyTemperature(logits, options.temperature);
  topKFilter(logits, options.topK);
  topPFilter(logits, options.topP);
  return sampleFrom(logits, generator);
}
