// next-sentence-prediction: does sentence B follow sentence A? (BERT's pretraining NSP head.)
import type { BertForPreTraining } from '@tsformer/bert';
import { encodeInput, inputTensors, type PipelineParts, run, softmax } from './common.ts';

export interface NextSentenceResult {
  /** true when B more likely follows A (label 0, IsNext, in Hugging Face's convention) */
  is_next: boolean;
  /** the probability that B follows A */
  score: number;
}

export function nextSentence(parts: PipelineParts, a: string, b: string): NextSentenceResult {
  if (typeof a !== 'string' || typeof b !== 'string') {
    throw new TypeError('next-sentence-prediction: expected two strings (or { text, text_pair })');
  }
  const model = parts.model as BertForPreTraining;
  const enc = encodeInput(parts, { text: a, text_pair: b });
  const logits = run(model, () => {
    const out = model.bert.forward(inputTensors(enc));
    return Float32Array.from(model.cls.seq_relationship.forward(out.poolerOutput!).dataSync()); // [1,2]
  });
  const p = softmax(logits);
  return { is_next: p[0]! >= p[1]!, score: p[0]! };
}
