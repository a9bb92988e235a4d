// The model of a fine-tuning run: a task head on a pretrained body (a trainer checkpoint or any Hugging Face
// BERT / GPT-2 folder), or the same shape from random weights for comparison; and loading a fine-tuned folder
// back for `predict`.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BertForQuestionAnswering,
  BertForSequenceClassification,
  BertForTokenClassification,
  loadPretrained as loadBert,
} from '@tsformer/bert';
import { GPT2ForSequenceClassification, loadPretrained as loadGpt } from '@tsformer/gpt';
import { toSafetensors } from '@tsformer/tensor';
import type { Module } from '@tsformer/tensor/nn';
import { type AnyTokenizer, loadTokenizer } from '@tsformer/tokenizer/node';
import { FINETUNE_STATE_FILE, findCheckpoint } from '../checkpoint.ts';
import { endOfTextId } from '../tokenize.ts';
import type { ModelFamily } from './encode.ts';
import { FinetuneDataError, type TaskKind } from './types.ts';

export type HeadModel =
  | BertForSequenceClassification
  | BertForTokenClassification
  | BertForQuestionAnswering
  | GPT2ForSequenceClassification;

export interface LoadedHead {
  model: HeadModel;
  family: ModelFamily;
  kind: TaskKind;
  tokenizer: AnyTokenizer;
  /** label names in id order (empty for QA) */
  labels: string[];
  folder: string;
  /** the pad id batches use (BERT's [PAD]; GPT: its pad_token_id, else end-of-text) */
  padId: number;
  /** what the checkpoint held that the head did not use, and the head parameters that start random */
  report: { missing: string[]; unexpected: string[] };
  /** the largest length the model takes */
  maxPositions: number;
  /** a fine-tuned folder's finetune_state.json: the length and QA span limit it was trained with */
  trained?: { maxLength?: number; maxAnswerTokens?: number };
}

export const ARCHITECTURES: Record<string, { family: ModelFamily; kind: TaskKind }> = {
  BertForSequenceClassification: { family: 'bert', kind: 'sequence' },
  BertForTokenClassification: { family: 'bert', kind: 'token' },
  BertForQuestionAnswering: { family: 'bert', kind: 'qa' },
  GPT2ForSequenceClassification: { family: 'gpt', kind: 'sequence' },
};

function readFolder(path: string): {
  folder: string;
  config: Record<string, unknown>;
  tokenizer: AnyTokenizer;
} {
  const folder = findCheckpoint(path);
  if (folder === null)
    throw new FinetuneDataError(
      `${path} holds no checkpoint (config.json + model.safetensors, or a trainer run folder with checkpoint/)`,
    );
  const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as Record<string, unknown>;
  let tokenizer: AnyTokenizer;
  try {
    tokenizer = loadTokenizer(folder);
  } catch (e) {
    throw new FinetuneDataError(`${folder}: ${(e as Error).message}`);
  }
  return { folder, config, tokenizer };
}

export interface HeadOptions {
  kind: TaskKind;
  labels: string[];
  /** 'random': the checkpoint's shape and tokenizer, weights drawn fresh (the baseline pretraining must beat) */
  init: 'pretrained' | 'random';
  seed: number;
  /** overrides the checkpoint's dropout (hidden and attention) when set */
  dropout: number | null;
}

function bertHeadClass(kind: TaskKind) {
  if (kind === 'token') return BertForTokenClassification;
  if (kind === 'qa') return BertForQuestionAnswering;
  return BertForSequenceClassification;
}

/** A task head on the body of the checkpoint in `path`. */
export function createHead(path: string, o: HeadOptions): LoadedHead {
  const { folder, config, tokenizer } = readFolder(path);
  const modelType = config.model_type;
  if (modelType !== 'bert' && modelType !== 'gpt2')
    throw new FinetuneDataError(
      `${folder}/config.json: model_type ${JSON.stringify(modelType)} is neither bert nor gpt2`,
    );
  const family: ModelFamily = modelType === 'bert' ? 'bert' : 'gpt';
  const hf: Record<string, unknown> = { ...config };
  if (o.kind !== 'qa') {
    hf.num_labels = o.labels.length;
    hf.id2label = Object.fromEntries(o.labels.map((l, i) => [String(i), l]));
    hf.label2id = Object.fromEntries(o.labels.map((l, i) => [l, i]));
  } else {
    delete hf.id2label;
    delete hf.label2id;
    delete hf.num_labels;
  }
  delete hf.architectures;
  if (o.dropout !== null) {
    for (const k of [
      'hidden_dropout_prob',
      'attention_probs_dropout_prob',
      'resid_pdrop',
      'embd_pdrop',
      'attn_pdrop',
    ])
      if (k in hf) hf[k] = o.dropout;
  }
  let padId: number;
  if (family === 'gpt') {
    if (o.kind !== 'sequence' && o.kind !== 'pair')
      throw new FinetuneDataError(
        `GPT fine-tunes on sequence classification only, not ${o.kind}: use a BERT checkpoint`,
      );
    // batches pad on the right with pad_token_id; the classifier reads the last token that is not padding
    // (transformers' rule). A tokenizer without an end-of-text token (characters) pads with id 0.
    const pad =
      (hf.pad_token_id as number | null | undefined) ??
      endOfTextId(tokenizer) ??
      (hf.eos_token_id as number | null | undefined) ??
      0;
    hf.pad_token_id = pad;
    padId = pad;
  } else {
    padId = (hf.pad_token_id as number | undefined) ?? 0;
  }
  const configJson = JSON.stringify(hf);
  const files = {
    configJson,
    // random init: no tensors to load (an empty safetensors file), every parameter keeps its fresh draw
    safetensors:
      o.init === 'random'
        ? toSafetensors({})
        : new Uint8Array(readFileSync(join(folder, 'model.safetensors'))),
  };
  const opts = { strict: false };
  let loaded: { model: HeadModel; report: { missing: string[]; unexpected: string[] } };
  if (family === 'bert') {
    const Cls = bertHeadClass(o.kind);
    const r = loadBert((c, init) => new Cls(c, { init, seed: o.seed }), files, { ...opts, skipHeads: true });
    loaded = { model: r.model, report: r.report };
  } else {
    const r = loadGpt((c, init) => new GPT2ForSequenceClassification(c, { init, seed: o.seed }), files, opts);
    loaded = { model: r.model, report: r.report };
  }
  const maxPositions = Number(hf.max_position_embeddings ?? hf.n_positions ?? 512);
  return {
    model: loaded.model,
    family,
    kind: o.kind,
    tokenizer,
    labels: o.kind === 'qa' ? [] : o.labels,
    folder,
    padId,
    report: { missing: loaded.report.missing, unexpected: loaded.report.unexpected },
    maxPositions,
  };
}

/** A fine-tuned folder (config.json `architectures` names the head), for `predict` and evaluation. */
export function loadHead(path: string): LoadedHead {
  const { folder, config, tokenizer } = readFolder(path);
  const arch = (config.architectures as string[] | undefined)?.[0] ?? '';
  const what = ARCHITECTURES[arch];
  if (!what)
    throw new FinetuneDataError(
      `${folder}/config.json: architectures ${JSON.stringify(config.architectures ?? null)} is not a fine-tuned head (${Object.keys(ARCHITECTURES).join(', ')}); fine-tune it first with \`pnpm train finetune\``,
    );
  const files = {
    configJson: JSON.stringify(config),
    safetensors: new Uint8Array(readFileSync(join(folder, 'model.safetensors'))),
  };
  let model: HeadModel;
  let padId: number;
  if (what.family === 'bert') {
    const Cls = bertHeadClass(what.kind);
    model = loadBert((c, init) => new Cls(c, { init }), files).model;
    padId = (config.pad_token_id as number | undefined) ?? 0;
  } else {
    // a Hugging Face folder may say pad_token_id: null; pad as fine-tuning here does
    const pad =
      (config.pad_token_id as number | null | undefined) ??
      endOfTextId(tokenizer) ??
      (config.eos_token_id as number | null | undefined) ??
      0;
    files.configJson = JSON.stringify({ ...config, pad_token_id: pad });
    model = loadGpt((c, init) => new GPT2ForSequenceClassification(c, { init }), files).model;
    padId = pad;
  }
  const id2label = (config.id2label ?? {}) as Record<string, string>;
  const labels =
    what.kind === 'qa'
      ? []
      : Object.keys(id2label)
          .sort((a, b) => Number(a) - Number(b))
          .map((k) => id2label[k]!);
  return {
    model,
    family: what.family,
    kind: what.kind,
    tokenizer,
    labels,
    folder,
    padId,
    report: { missing: [], unexpected: [] },
    maxPositions: Number(config.max_position_embeddings ?? config.n_positions ?? 512),
    trained: readTrainedState(folder),
  };
}

function readTrainedState(folder: string): { maxLength?: number; maxAnswerTokens?: number } | undefined {
  const path = join(folder, FINETUNE_STATE_FILE);
  if (!existsSync(path)) return undefined;
  try {
    const st = JSON.parse(readFileSync(path, 'utf8')) as { maxLength?: number; maxAnswerTokens?: number };
    return { maxLength: st.maxLength, maxAnswerTokens: st.maxAnswerTokens };
  } catch {
    return undefined;
  }
}

/** The architecture name a head saves under. */
export function architectureOf(model: Module): string {
  return (model.constructor as unknown as { architecture: string }).architecture;
}
