import { toHfJson } from '@tsformer/attention';

/** The fields of Hugging Face's `BertConfig`, camelCased (`hidden_size` → `hiddenSize`), nothing renamed. */
export interface BertConfigInit {
  vocabSize?: number;
  hiddenSize?: number;
  numHiddenLayers?: number;
  numAttentionHeads?: number;
  intermediateSize?: number;
  /** `gelu` (exact erf form), `relu`, `gelu_new`, `silu`, `tanh` */
  hiddenAct?: string;
  hiddenDropoutProb?: number;
  attentionProbsDropoutProb?: number;
  maxPositionEmbeddings?: number;
  typeVocabSize?: number;
  initializerRange?: number;
  layerNormEps?: number;
  padTokenId?: number | null;
  bosTokenId?: number | null;
  eosTokenId?: number | null;
  /** dropout before a classification head (null: hiddenDropoutProb) */
  classifierDropout?: number | null;
  tieWordEmbeddings?: boolean;
  /** classification heads: the number of labels (default: the size of id2label, else 2) */
  numLabels?: number;
  id2label?: Record<string, string> | null;
  label2id?: Record<string, number> | null;
  problemType?: string | null;
  architectures?: string[] | null;
  /** keys of config.json this class does not know, kept so that a load → save round trip loses nothing */
  extra?: Record<string, unknown>;
}

const DEFAULTS = {
  vocabSize: 30522,
  hiddenSize: 768,
  numHiddenLayers: 12,
  numAttentionHeads: 12,
  intermediateSize: 3072,
  hiddenAct: 'gelu',
  hiddenDropoutProb: 0.1,
  attentionProbsDropoutProb: 0.1,
  maxPositionEmbeddings: 512,
  typeVocabSize: 2,
  initializerRange: 0.02,
  layerNormEps: 1e-12,
  padTokenId: 0 as number | null,
  bosTokenId: null as number | null,
  eosTokenId: null as number | null,
  classifierDropout: null as number | null,
  tieWordEmbeddings: true,
  problemType: null as string | null,
  architectures: null as string[] | null,
};

/** config.json key ↔ field, for the fields above (the rest of the file goes to `extra`). */
const KEYS: [keyof BertConfigInit, string][] = [
  ['vocabSize', 'vocab_size'],
  ['hiddenSize', 'hidden_size'],
  ['numHiddenLayers', 'num_hidden_layers'],
  ['numAttentionHeads', 'num_attention_heads'],
  ['intermediateSize', 'intermediate_size'],
  ['hiddenAct', 'hidden_act'],
  ['hiddenDropoutProb', 'hidden_dropout_prob'],
  ['attentionProbsDropoutProb', 'attention_probs_dropout_prob'],
  ['maxPositionEmbeddings', 'max_position_embeddings'],
  ['typeVocabSize', 'type_vocab_size'],
  ['initializerRange', 'initializer_range'],
  ['layerNormEps', 'layer_norm_eps'],
  ['padTokenId', 'pad_token_id'],
  ['bosTokenId', 'bos_token_id'],
  ['eosTokenId', 'eos_token_id'],
  ['classifierDropout', 'classifier_dropout'],
  ['tieWordEmbeddings', 'tie_word_embeddings'],
  ['problemType', 'problem_type'],
  ['architectures', 'architectures'],
  ['id2label', 'id2label'],
  ['label2id', 'label2id'],
  ['numLabels', 'num_labels'],
];

const OMIT_WHEN_NULL = new Set<keyof BertConfigInit>([
  'problemType',
  'architectures',
  'id2label',
  'label2id',
]);

const FLOAT_KEYS = new Set([
  'hidden_dropout_prob',
  'attention_probs_dropout_prob',
  'initializer_range',
  'layer_norm_eps',
  'classifier_dropout',
]);

/** A BERT shape and its Hugging Face settings; defaults are `bert-base-uncased`'s. */
export class BertConfig {
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  hiddenAct: string;
  hiddenDropoutProb: number;
  attentionProbsDropoutProb: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  initializerRange: number;
  layerNormEps: number;
  padTokenId: number | null;
  bosTokenId: number | null;
  eosTokenId: number | null;
  classifierDropout: number | null;
  tieWordEmbeddings: boolean;
  id2label: Record<string, string> | null;
  label2id: Record<string, number> | null;
  problemType: string | null;
  architectures: string[] | null;
  extra: Record<string, unknown>;

  constructor(init: BertConfigInit = {}) {
    const defined = Object.fromEntries(
      Object.entries(init).filter(([, v]) => v !== undefined),
    ) as BertConfigInit;
    const c = { ...DEFAULTS, ...defined };
    this.vocabSize = c.vocabSize;
    this.hiddenSize = c.hiddenSize;
    this.numHiddenLayers = c.numHiddenLayers;
    this.numAttentionHeads = c.numAttentionHeads;
    this.intermediateSize = c.intermediateSize;
    this.hiddenAct = c.hiddenAct;
    this.hiddenDropoutProb = c.hiddenDropoutProb;
    this.attentionProbsDropoutProb = c.attentionProbsDropoutProb;
    this.maxPositionEmbeddings = c.maxPositionEmbeddings;
    this.typeVocabSize = c.typeVocabSize;
    this.initializerRange = c.initializerRange;
    this.layerNormEps = c.layerNormEps;
    this.padTokenId = c.padTokenId;
    this.bosTokenId = c.bosTokenId;
    this.eosTokenId = c.eosTokenId;
    this.classifierDropout = c.classifierDropout;
    this.tieWordEmbeddings = c.tieWordEmbeddings;
    this.problemType = c.problemType;
    this.architectures = c.architectures ? [...c.architectures] : null;
    this.extra = { ...(init.extra ?? {}) };
    const n = init.numLabels ?? 2;
    this.id2label =
      init.id2label ??
      (init.numLabels !== undefined
        ? Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i), `LABEL_${i}`]))
        : null);
    this.label2id =
      init.label2id ??
      (this.id2label
        ? Object.fromEntries(Object.entries(this.id2label).map(([i, l]) => [l, Number(i)]))
        : null);
    if (this.hiddenSize % this.numAttentionHeads !== 0) {
      throw new Error(
        `BertConfig: hiddenSize ${this.hiddenSize} is not divisible by numAttentionHeads ${this.numAttentionHeads}`,
      );
    }
  }

  /** The number of labels of a classification head (id2label's size; 2 when unset, as transformers). */
  get numLabels(): number {
    return this.id2label ? Object.keys(this.id2label).length : 2;
  }

  get headDim(): number {
    return this.hiddenSize / this.numAttentionHeads;
  }

  /** A copy with some fields changed. */
  with(changes: BertConfigInit): BertConfig {
    const base = this.toInit();
    if (changes.numLabels !== undefined && changes.id2label === undefined) {
      base.id2label = undefined;
      base.label2id = undefined;
    }
    return new BertConfig({ ...base, ...changes });
  }

  toInit(): BertConfigInit {
    const out: Record<string, unknown> = {};
    for (const [field] of KEYS) if (field !== 'numLabels') out[field] = this[field as keyof this];
    return { ...(out as BertConfigInit), extra: { ...this.extra } };
  }
}

/** A config from the parsed object of a Hugging Face `config.json` (unknown keys go to `extra`). */
export function fromHfConfig(json: Record<string, unknown>): BertConfig {
  if (json.model_type !== undefined && json.model_type !== 'bert') {
    throw new Error(`fromHfConfig: model_type is ${JSON.stringify(json.model_type)}, not "bert"`);
  }
  const init: Record<string, unknown> = {};
  const known = new Set<string>(['model_type']);
  for (const [field, key] of KEYS) {
    known.add(key);
    if (key in json) init[field] = json[key];
  }
  const extra = Object.fromEntries(Object.entries(json).filter(([k]) => !known.has(k)));
  return new BertConfig({ ...(init as BertConfigInit), extra });
}

/** The object transformers writes to config.json for this config, with snake_case keys. */
export function toHfConfig(config: BertConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config.extra };
  for (const [field, key] of KEYS) {
    if (field === 'numLabels') continue;
    const v = config[field as keyof BertConfig];
    if (OMIT_WHEN_NULL.has(field) && v === null) continue;
    out[key] = v;
  }
  out.model_type = 'bert';
  return out;
}

/** config.json text exactly as transformers' `save_pretrained` formats it (sorted keys, indent 2). */
export function toHfConfigJson(config: BertConfig): string {
  return toHfJson(toHfConfig(config), FLOAT_KEYS);
}

export type BertHead =
  | 'pretraining'
  | 'masked-lm'
  | 'base'
  | 'sequence-classification'
  | 'token-classification'
  | 'question-answering';

/**
 * The number of parameters of a BERT model for a config, from shapes alone, without allocating
 * (tied decoder counted once): bert-base `BertForPreTraining` → 110,106,428.
 */
export function countParameters(config: BertConfigInit | BertConfig, head: BertHead = 'pretraining'): number {
  const c = config instanceof BertConfig ? config : new BertConfig(config);
  const h = c.hiddenSize;
  const i = c.intermediateSize;
  const embeddings = (c.vocabSize + c.maxPositionEmbeddings + c.typeVocabSize) * h + 2 * h;
  const layer = 4 * (h * h + h) + 2 * 2 * h + (h * i + i) + (i * h + h);
  const encoder = c.numHiddenLayers * layer;
  const pooler = h * h + h;
  const mlmHead = h * h + h + 2 * h + c.vocabSize;
  switch (head) {
    case 'base':
      return embeddings + encoder + pooler;
    case 'pretraining':
      return embeddings + encoder + pooler + mlmHead + 2 * h + 2;
    case 'masked-lm':
      return embeddings + encoder + mlmHead;
    case 'sequence-classification':
      return embeddings + encoder + pooler + c.numLabels * h + c.numLabels;
    case 'token-classification':
      return embeddings + encoder + c.numLabels * h + c.numLabels;
    case 'question-answering':
      return embeddings + encoder + 2 * h + 2;
  }
}
