// text-classification: labels with scores for a text or a pair (BertForSequenceClassification,
// GPT2ForSequenceClassification).
import { BertForSequenceClassification } from '@tsformer/bert';
import type { GPT2ForSequenceClassification } from '@tsformer/gpt';
import {
  encodeInput,
  inputTensors,
  labelOf,
  type PipelineParts,
  runRead,
  sigmoid,
  softmax,
  type TextInput,
} from './common.ts';

export interface TextClassificationOptions {
  /** how many labels to return, best first (default 1; null = all) */
  top_k?: number | null;
  /** default: sigmoid for multi-label or single-output models, softmax otherwise */
  function_to_apply?: 'softmax' | 'sigmoid' | 'none';
}

export interface TextClassificationResult {
  label: string;
  score: number;
}

export async function classify(
  parts: PipelineParts,
  input: TextInput,
  options: TextClassificationOptions = {},
): Promise<TextClassificationResult[]> {
  const model = parts.model as BertForSequenceClassification | GPT2ForSequenceClassification;
  const enc = encodeInput(parts, input);
  const [logits] = await runRead(model, () => {
    const { inputIds, tokenTypeIds, attentionMask } = inputTensors(enc);
    const out =
      model instanceof BertForSequenceClassification
        ? model.forward({ inputIds, tokenTypeIds, attentionMask })
        : model.forward({ inputIds, attentionMask });
    return [out.logits];
  });
  const n = logits.length;
  const problem = (parts.config as { problemType?: string | null }).problemType;
  const fn =
    options.function_to_apply ??
    (problem === 'multi_label_classification' || n === 1 ? 'sigmoid' : 'softmax');
  const scores =
    fn === 'softmax'
      ? Array.from(softmax(logits))
      : Array.from(logits, (x) => (fn === 'sigmoid' ? sigmoid(x) : x));
  const all = scores
    .map((score, i) => ({ label: labelOf(parts, i), score }))
    .sort((a, b) => b.score - a.score);
  const k = options.top_k === null ? n : (options.top_k ?? 1);
  if (!Number.isInteger(k) || k < 1)
    throw new RangeError(`text-classification: top_k must be a positive integer or null, got ${k}`);
  return all.slice(0, k);
}
