// What every task shares: the loaded parts, input encoding with truncation warnings, and no-grad runs.
import type { BertConfig } from '@tsformer/bert';
import type { GPT2Config } from '@tsformer/gpt';
import { noGrad, readAndDispose, type Tensor, tensor, tidy } from '@tsformer/tensor';
import type { AnyModel, LoadReport, ModelInfo } from '../models.ts';
import type { Encoding, PipelineTokenizer } from '../tokenizers.ts';

/** One text, or a pair (`text_pair` is the second segment: BERT's sentence B). */
export type TextInput = string | { text: string; text_pair?: string };

/** What a task's pipeline holds. */
export interface PipelineParts {
  readonly task: string;
  readonly model: AnyModel;
  readonly tokenizer: PipelineTokenizer;
  readonly config: BertConfig | GPT2Config;
  readonly info: ModelInfo;
  /** what loading found (missing, unexpected, ignored and renamed tensors; files; stored dtypes) */
  readonly report: LoadReport | null;
  /** generation_config.json, when the folder has one */
  readonly generationConfig: Record<string, unknown>;
  /** where truncation and other warnings go */
  readonly warn: (message: string) => void;
}

/** The positions the model can read (and the tokenizer's model_max_length, when smaller). */
export function maxTokens(parts: PipelineParts): number {
  const c = parts.config as Partial<BertConfig & GPT2Config>;
  const positions = c.maxPositionEmbeddings ?? c.nPositions ?? Number.POSITIVE_INFINITY;
  return Math.min(positions, parts.tokenizer.modelMaxLength ?? Number.POSITIVE_INFINITY);
}

export function splitInput(task: string, input: TextInput): [string, string | undefined] {
  if (typeof input === 'string') return [input, undefined];
  if (input && typeof input === 'object' && typeof input.text === 'string') {
    if (input.text_pair !== undefined && typeof input.text_pair !== 'string') {
      throw new TypeError(`${task}: text_pair must be a string`);
    }
    return [input.text, input.text_pair];
  }
  throw new TypeError(`${task}: expected a string or { text, text_pair }, got ${describe(input)}`);
}

export function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'string') return JSON.stringify(x.length > 40 ? `${x.slice(0, 37)}...` : x);
  return typeof x;
}

/** Encodes one input; a text longer than the model reads is cut (longest segment first) with a warning. */
export function encodeInput(
  parts: PipelineParts,
  input: TextInput,
  limit: number = maxTokens(parts),
): Encoding {
  const [text, pair] = splitInput(parts.task, input);
  const full = parts.tokenizer.encode(text, pair);
  if (full.inputIds.length <= limit) return full;
  parts.warn(
    `${parts.task}: the input has ${full.inputIds.length} tokens but the model reads at most ${limit}; it was truncated to the first ${limit}`,
  );
  return parts.tokenizer.encode(text, pair, limit);
}

/** Runs `fn` with gradients off, the model in eval mode, and every intermediate tensor freed. */
export function run<T>(model: AnyModel, fn: () => T): T {
  const wasTraining = model.training;
  if (wasTraining) model.eval();
  try {
    return noGrad(() => tidy(fn));
  } finally {
    if (wasTraining) model.train(true);
  }
}

/**
 * `run`, then reads the tensors `fn` returns with `await data()` (in order) and frees them: the read that works
 * on every backend, including one that reads only asynchronously (gpu.js WebGPU).
 */
export async function runRead<T extends Tensor[]>(
  model: AnyModel,
  fn: () => [...T],
): Promise<{ [K in keyof T]: Float32Array }> {
  // each read frees its tensor, also when another read fails; the outputs are float32, read as fresh copies
  return (await Promise.all(run(model, fn).map(readAndDispose))) as { [K in keyof T]: Float32Array };
}

/** [1,T] int32 tensors of an encoding. */
export function inputTensors(enc: Encoding): {
  inputIds: Tensor;
  tokenTypeIds: Tensor;
  attentionMask: Tensor;
} {
  const t = enc.inputIds.length;
  return {
    inputIds: tensor(Int32Array.from(enc.inputIds), [1, t]),
    tokenTypeIds: tensor(Int32Array.from(enc.tokenTypeIds), [1, t]),
    attentionMask: tensor(Int32Array.from(enc.attentionMask), [1, t]),
  };
}

/** Softmax in float64. */
export function softmax(row: ArrayLike<number>): Float64Array {
  let m = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < row.length; i++) m = Math.max(m, row[i]!);
  const out = new Float64Array(row.length);
  let z = 0;
  for (let i = 0; i < row.length; i++) {
    out[i] = Math.exp(row[i]! - m);
    z += out[i]!;
  }
  for (let i = 0; i < row.length; i++) out[i] = out[i]! / z;
  return out;
}

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Indices of the k largest values, largest first (ties: lower index first). */
export function topK(values: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  idx.sort((a, b) => values[b]! - values[a]! || a - b);
  return idx.slice(0, Math.max(0, k));
}

/** The label name of class `i`: config.json's id2label, else LABEL_i. */
export function labelOf(parts: PipelineParts, i: number): string {
  const map = (parts.config as { id2label?: Record<string, string> | null }).id2label;
  return map?.[String(i)] ?? `LABEL_${i}`;
}

/** Checks a positive integer option. */
export function positiveInt(task: string, name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new RangeError(`${task}: ${name} must be a positive integer, got ${String(v)}`);
  }
  return v;
}
