// Writes ids.json and out.json for ../../shared/tools/hf-check.py: our forward pass of a checkpoint folder on a
// few token ids (GPT-2: logits; BERT pretraining: prediction_logits + seq_relationship_logits), so that an
// independent PyTorch forward of the same folder can be compared with ours. Usage: hf-reference.ts FOLDER OUTDIR
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BertForPreTraining } from '@tsformer/bert';
import { GPT2LMHeadModel } from '@tsformer/gpt';
import { noGrad, tensor } from '@tsformer/tensor';
import { loadHead } from '../src/finetune/model.ts';

const [folder, out] = process.argv.slice(2) as [string, string];
const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as {
  model_type: string;
  vocab_size: number;
  architectures?: string[];
  pad_token_id?: number | null;
};
const arch = config.architectures?.[0] ?? '';
const t = 8;
const pad = arch === 'GPT2ForSequenceClassification' ? (config.pad_token_id ?? -1) : -1;
// (a GPT classifier's ids avoid its pad id: it reads the last token that is not padding)
const ids = [
  Array.from({ length: t }, (_, i) => (i * 37 + 5) % config.vocab_size).map((v) =>
    v === pad ? (v + 1) % config.vocab_size : v,
  ),
];
const inputIds = tensor(Int32Array.from(ids.flat()), [1, t], { dtype: 'int32' });
let outputs: Record<string, unknown>;
let inputs: Record<string, unknown> = { input_ids: ids };
type Out = { toArray(): unknown };

/** BERT's inputs: segments 0 then 1, no padding; also recorded for hf-check.py. */
function bertInputs(): object {
  const tokenTypes = [Array.from({ length: t }, (_, i) => (i < t / 2 ? 0 : 1))];
  inputs = { ...inputs, token_type_ids: tokenTypes, attention_mask: [new Array(t).fill(1)] };
  return {
    inputIds,
    tokenTypeIds: tensor(Int32Array.from(tokenTypes.flat()), [1, t], { dtype: 'int32' }),
    attentionMask: tensor(new Int32Array(t).fill(1), [1, t], { dtype: 'int32' }),
  };
}

if (arch === 'GPT2ForSequenceClassification') {
  // fine-tuned GPT: the classifier's logits at the last token
  const model = loadHead(folder).model as unknown as { forward(i: object): { logits: Out } };
  outputs = { logits: noGrad(() => model.forward({ inputIds }).logits).toArray() };
} else if (arch.startsWith('BertFor') && arch !== 'BertForPreTraining') {
  // fine-tuned BERT heads: the head's logits (QA: start and end logits)
  const model = loadHead(folder).model as unknown as {
    forward(i: object): { logits?: Out; startLogits?: Out; endLogits?: Out };
  };
  const o = noGrad(() => model.forward(bertInputs()));
  outputs = o.logits
    ? { logits: o.logits.toArray() }
    : { start_logits: o.startLogits!.toArray(), end_logits: o.endLogits!.toArray() };
} else if (config.model_type === 'gpt2') {
  const model = await GPT2LMHeadModel.fromPretrained(folder);
  outputs = { logits: noGrad(() => model.forward({ inputIds }).logits).toArray() };
} else {
  const model = await BertForPreTraining.fromPretrained(folder);
  const o = noGrad(() => model.forward(bertInputs() as Parameters<typeof model.forward>[0]));
  outputs = {
    prediction_logits: o.predictionLogits.toArray(),
    seq_relationship_logits: o.seqRelationshipLogits.toArray(),
  };
}
writeFileSync(join(out, 'ids.json'), JSON.stringify(inputs));
writeFileSync(join(out, 'out.json'), JSON.stringify(outputs));
