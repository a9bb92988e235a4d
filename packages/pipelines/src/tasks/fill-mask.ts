// fill-mask: the most likely tokens for each mask token of a text (BertForMaskedLM, BertForPreTraining).
import type { BertForMaskedLM, BertForPreTraining } from '@tsformer/bert';
import { indexSelect, reshape, tensor } from '@tsformer/tensor';
import {
  describe,
  encodeInput,
  inputTensors,
  type PipelineParts,
  positiveInt,
  runRead,
  softmax,
  type TextInput,
  topK,
} from './common.ts';

export interface FillMaskOptions {
  /** how many candidates per mask (default 5) */
  top_k?: number;
  /** score only these tokens (strings of the vocabulary; a word that is several tokens counts by its first) */
  targets?: string | readonly string[];
}

/** One candidate for a mask, as transformers.js returns it. */
export interface FillMaskResult {
  /** the probability of the token at the mask */
  score: number;
  /** the token id */
  token: number;
  /** the token as text */
  token_str: string;
  /** the input with the mask replaced by the token, decoded */
  sequence: string;
}

export async function fillMask(
  parts: PipelineParts,
  input: TextInput,
  options: FillMaskOptions = {},
): Promise<FillMaskResult[] | FillMaskResult[][]> {
  const model = parts.model as BertForMaskedLM | BertForPreTraining;
  const tok = parts.tokenizer;
  const k = positiveInt('fill-mask', 'top_k', options.top_k, 5);
  if (tok.maskTokenId === undefined) {
    throw new Error(
      'fill-mask: the tokenizer has no mask token (tokenizer_config.json "mask_token", or [MASK] in the vocabulary)',
    );
  }
  const enc = encodeInput(parts, input);
  const positions = enc.inputIds.flatMap((id, i) => (id === tok.maskTokenId ? [i] : []));
  if (positions.length === 0) {
    throw new Error(
      `fill-mask: the input has no ${tok.maskToken} token: ${describe(typeof input === 'string' ? input : input.text)}`,
    );
  }
  let targets: number[] | null = null;
  if (options.targets !== undefined) {
    const list = typeof options.targets === 'string' ? [options.targets] : options.targets;
    targets = [
      ...new Set(list.map((t) => tok.tokenToId(t) ?? tok.encodeText(t)[0]).filter((id) => id !== undefined)),
    ];
    if (targets.length === 0)
      throw new Error(`fill-mask: none of the targets ${JSON.stringify(list)} is in the vocabulary`);
  }
  const v = parts.config.vocabSize;
  const [logits] = await runRead(model, () => {
    const { inputIds, tokenTypeIds, attentionMask } = inputTensors(enc);
    const out = model.bert.forward({ inputIds, tokenTypeIds, attentionMask });
    const [, t, c] = out.lastHiddenState.shape as [number, number, number];
    // only the mask rows go through the vocabulary-sized decoder
    const rows = indexSelect(
      reshape(out.lastHiddenState, [t, c]),
      tensor(Int32Array.from(positions), [positions.length]),
    );
    const scores = model.cls.predictions.forward(reshape(rows, [1, positions.length, c])); // [1,M,V]
    return [scores];
  });
  const results = positions.map((pos, m) => {
    const probs = softmax(logits.subarray(m * v, (m + 1) * v));
    const candidates = targets ?? null;
    const order = candidates
      ? [...candidates].sort((a, b) => probs[b]! - probs[a]!).slice(0, k)
      : topK(probs, k);
    return order.map((id) => {
      const filled = enc.inputIds.slice();
      filled[pos] = id;
      return {
        score: probs[id]!,
        token: id,
        token_str: tok.raw.decode([id]),
        sequence: tok.decode(filled.filter((x, i) => enc.attentionMask[i] === 1 && x !== undefined)),
      };
    });
  });
  return results.length === 1 ? results[0]! : results;
}
