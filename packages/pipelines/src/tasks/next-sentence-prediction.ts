// next-sentence-prediction: does sentence B follow sentence A? (BERT's pretraining NSP head.)
import type { BertForPreTraining } from '@tsformer/bert';
import { encodeInput, inputTensors, type PipelineParts, runRead, softmax } from './common.ts';

export interface NextSentenceResult {
  /** true when B more likely follows A (label 0, IsNext, in Hugging Face's convention) */
  is_next: boolean;
  /** the probability that B follows A */
  score: number;
}

export async function nextSentence(parts: PipelineParts, a: string, b: string): Promise<NextSentenceResult> {
  if (typeof a !== 'string' || typeof b !== 'string') {
    throw new TypeError('next-sentence-prediction: expected two strings (or { text, text_pair })');
  }
  const model = parts.model as BertForPreTraining;
  const enc = encodeInput(parts, { text: a, text_pair: b });
  const [logits] = await runRead(model, () => {
    const out = model.bert.forward(inputTensors(enc));
    return [model.cls.seq_relationship.forward(out.poolerOutput!)]; // [1,2]
  });
  const p = softmax(logits);
  return { is_next: p[0]! >= p[1]!, score: p[0]! };
}
