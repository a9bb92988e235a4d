import { toHfJson } from '@tsformer/attention';

/** The fields of Hugging Face's `GPT2Config`, camelCased (`n_embd` → `nEmbd`), nothing renamed. */
export interface GPT2ConfigInit {
  vocabSize?: number;
  nPositions?: number;
  nEmbd?: number;
  nLayer?: number;
  nHead?: number;
  /** MLP width; null = 4·nEmbd */
  nInner?: number | null;
  activationFunction?: string;
  residPdrop?: number;
  embdPdrop?: number;
  attnPdrop?: number;
  layerNormEpsilon?: number;
  initializerRange?: number;
  scaleAttnWeights?: boolean;
  scaleAttnByInverseLayerIdx?: boolean;
  reorderAndUpcastAttn?: boolean;
  bosTokenId?: number | null;
  eosTokenId?: number | null;
  padTokenId?: number | null;
  tieWordEmbeddings?: boolean;
  /** classification heads: the number of labels (default: the size of id2label, else 2) */
  numLabels?: number;
  id2label?: Record<string, string> | null;
  label2id?: Record<string, number> | null;
  /** 'regression' | 'single_label_classification' | 'multi_label_classification' | null (inferred) */
  problemType?: string | null;
  architectures?: string[] | null;
  /** keys of config.json this class does not know, kept so that a load → save round trip loses nothing */
  extra?: Record<string, unknown>;
}

const DEFAULTS: Required<Omit<GPT2ConfigInit, 'extra' | 'numLabels' | 'id2label' | 'label2id'>> = {
  vocabSize: 50257,
  nPositions: 1024,
  nEmbd: 768,
  nLayer: 12,
  nHead: 12,
  nInner: null,
  activationFunction: 'gelu_new',
  residPdrop: 0.1,
  embdPdrop: 0.1,
  attnPdrop: 0.1,
  layerNormEpsilon: 1e-5,
  initializerRange: 0.02,
  scaleAttnWeights: true,
  scaleAttnByInverseLayerIdx: false,
  reorderAndUpcastAttn: false,
  bosTokenId: 50256,
  eosTokenId: 50256,
  padTokenId: null,
  tieWordEmbeddings: true,
  problemType: null,
  architectures: null,
};

/** config.json key ↔ field, for the fields above (the rest of the file goes to `extra`). */
const KEYS: [keyof GPT2ConfigInit, string][] = [
  ['vocabSize', 'vocab_size'],
  ['nPositions', 'n_positions'],
  ['nEmbd', 'n_embd'],
  ['nLayer', 'n_layer'],
  ['nHead', 'n_head'],
  ['nInner', 'n_inner'],
  ['activationFunction', 'activation_function'],
  ['residPdrop', 'resid_pdrop'],
  ['embdPdrop', 'embd_pdrop'],
  ['attnPdrop', 'attn_pdrop'],
  ['layerNormEpsilon', 'layer_norm_epsilon'],
  ['initializerRange', 'initializer_range'],
  ['scaleAttnWeights', 'scale_attn_weights'],
  ['scaleAttnByInverseLayerIdx', 'scale_attn_by_inverse_layer_idx'],
  ['reorderAndUpcastAttn', 'reorder_and_upcast_attn'],
  ['bosTokenId', 'bos_token_id'],
  ['eosTokenId', 'eos_token_id'],
  ['padTokenId', 'pad_token_id'],
  ['tieWordEmbeddings', 'tie_word_embeddings'],
  ['problemType', 'problem_type'],
  ['architectures', 'architectures'],
  ['id2label', 'id2label'],
  ['label2id', 'label2id'],
  ['numLabels', 'num_labels'],
];

const FLOAT_KEYS = new Set([
  'resid_pdrop',
  'embd_pdrop',
  'attn_pdrop',
  'layer_norm_epsilon',
  'initializer_range',
  'summary_first_dropout',
]);

/** A GPT-2 shape and its Hugging Face settings; defaults are `gpt2`'s (124M). */
export class GPT2Config {
  vocabSize: number;
  nPositions: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nInner: number | null;
  activationFunction: string;
  residPdrop: number;
  embdPdrop: number;
  attnPdrop: number;
  layerNormEpsilon: number;
  initializerRange: number;
  scaleAttnWeights: boolean;
  scaleAttnByInverseLayerIdx: boolean;
  reorderAndUpcastAttn: boolean;
  bosTokenId: number | null;
  eosTokenId: number | null;
  padTokenId: number | null;
  tieWordEmbeddings: boolean;
  id2label: Record<string, string> | null;
  label2id: Record<string, number> | null;
  problemType: string | null;
  architectures: string[] | null;
  extra: Record<string, unknown>;

  constructor(init: GPT2ConfigInit = {}) {
    const c = { ...DEFAULTS, ...stripUndefined(init) };
    this.vocabSize = c.vocabSize;
    this.nPositions = c.nPositions;
    this.nEmbd = c.nEmbd;
    this.nLayer = c.nLayer;
    this.nHead = c.nHead;
    this.nInner = c.nInner;
    this.activationFunction = c.activationFunction;
    this.residPdrop = c.residPdrop;
    this.embdPdrop = c.embdPdrop;
    this.attnPdrop = c.attnPdrop;
    this.layerNormEpsilon = c.layerNormEpsilon;
    this.initializerRange = c.initializerRange;
    this.scaleAttnWeights = c.scaleAttnWeights;
    this.scaleAttnByInverseLayerIdx = c.scaleAttnByInverseLayerIdx;
    this.reorderAndUpcastAttn = c.reorderAndUpcastAttn;
    this.bosTokenId = c.bosTokenId;
    this.eosTokenId = c.eosTokenId;
    this.padTokenId = c.padTokenId;
    this.tieWordEmbeddings = c.tieWordEmbeddings;
    this.problemType = c.problemType;
    this.architectures = c.architectures ? [...c.architectures] : null;
    this.extra = { ...(init.extra ?? {}) };
    // labels: id2label wins, as in transformers; numLabels alone makes LABEL_i names
    const n = init.numLabels ?? (init.id2label ? Object.keys(init.id2label).length : 2);
    this.id2label = init.id2label ?? (init.numLabels !== undefined ? labelNames(n) : null);
    this.label2id =
      init.label2id ??
      (this.id2label
        ? Object.fromEntries(Object.entries(this.id2label).map(([i, l]) => [l, Number(i)]))
        : null);
    if (this.nEmbd % this.nHead !== 0) {
      throw new Error(`GPT2Config: nEmbd ${this.nEmbd} is not divisible by nHead ${this.nHead}`);
    }
  }

  /** The number of labels of a classification head (id2label's size; 2 when unset, as transformers). */
  get numLabels(): number {
    return this.id2label ? Object.keys(this.id2label).length : 2;
  }

  /** The MLP width (nInner, or 4·nEmbd). */
  get innerSize(): number {
    return this.nInner ?? 4 * this.nEmbd;
  }

  get headDim(): number {
    return this.nEmbd / this.nHead;
  }

  /** A copy with some fields changed. */
  with(changes: GPT2ConfigInit): GPT2Config {
    const base = this.toInit();
    if (changes.numLabels !== undefined && changes.id2label === undefined) {
      base.id2label = undefined;
      base.label2id = undefined;
    }
    return new GPT2Config({ ...base, ...changes });
  }

  toInit(): GPT2ConfigInit {
    return {
      ...Object.fromEntries(KEYS.filter(([f]) => f !== 'numLabels').map(([f]) => [f, this[f as keyof this]])),
      extra: { ...this.extra },
    } as GPT2ConfigInit;
  }
}

function labelNames(n: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i), `LABEL_${i}`]));
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A config from the parsed object of a Hugging Face `config.json` (unknown keys go to `extra`). */
export function fromHfConfig(json: Record<string, unknown>): GPT2Config {
  if (json.model_type !== undefined && json.model_type !== 'gpt2') {
    throw new Error(`fromHfConfig: model_type is ${JSON.stringify(json.model_type)}, not "gpt2"`);
  }
  const init: Record<string, unknown> = {};
  const known = new Set<string>(['model_type']);
  for (const [field, key] of KEYS) {
    known.add(key);
    if (key in json) init[field] = json[key];
  }
  const extra = Object.fromEntries(Object.entries(json).filter(([k]) => !known.has(k)));
  return new GPT2Config({ ...(init as GPT2ConfigInit), extra });
}

/**
 * The object transformers would write to config.json for this config (model_type, every GPT2Config field,
 * the labels when set, and the kept unknown keys), with snake_case keys.
 */
export function toHfConfig(config: GPT2Config): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config.extra };
  for (const [field, key] of KEYS) {
    if (field === 'numLabels') continue;
    const v = config[field as keyof GPT2Config];
    if (
      (field === 'problemType' ||
        field === 'architectures' ||
        field === 'id2label' ||
        field === 'label2id') &&
      v === null
    )
      continue;
    out[key] = v;
  }
  out.model_type = 'gpt2';
  return out;
}

/** config.json text exactly as transformers' `save_pretrained` formats it (sorted keys, indent 2). */
export function toHfConfigJson(config: GPT2Config): string {
  return toHfJson(toHfConfig(config), FLOAT_KEYS);
}

/**
 * The number of parameters of `GPT2LMHeadModel` (tied head counted once) for a config, from shapes alone,
 * without allocating: `gpt2` → 124,439,808.
 */
export function countParameters(
  config: GPT2ConfigInit | GPT2Config,
  head: 'lm' | 'classification' = 'lm',
): number {
  const c = config instanceof GPT2Config ? config : new GPT2Config(config);
  const e = c.nEmbd;
  const inner = c.innerSize;
  const block = 2 * 2 * e + (e * 3 * e + 3 * e) + (e * e + e) + (e * inner + inner) + (inner * e + e);
  const base = c.vocabSize * e + c.nPositions * e + c.nLayer * block + 2 * e;
  return head === 'lm' ? base : base + c.numLabels * e;
}
