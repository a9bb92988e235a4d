// Property names in this file equal the Hugging Face checkpoint keys
// (`bert.encoder.layer.0.attention.self.query.weight`, `cls.predictions.transform.LayerNorm.weight`, …), so
// `stateDict()` reads and writes HF files name for name. They break camelCase on purpose (`LayerNorm`,
// `seq_relationship`), and the naming lint is off for this file.

import {
  activation,
  mergeHeads,
  type PretrainedFiles,
  paddingMask,
  scaledDotProductAttentionWithWeights,
  splitHeads,
  toAdditiveMask,
  validLengthMask,
} from '@tsformer/attention';
import {
  add,
  arange,
  crossEntropy,
  eq,
  full,
  Generator,
  isGradEnabled,
  matmul,
  narrow,
  reshape,
  type Tensor,
  tanh,
  tidy,
  where,
  zeros,
} from '@tsformer/tensor';
import { Dropout, Embedding, LayerNorm, Linear, Module, normal_, parameter } from '@tsformer/tensor/nn';
import type { BertConfig } from './config.ts';
import {
  loadPretrained,
  type PretrainedLoadOptions,
  readPretrained,
  savePretrainedFiles,
  toPretrainedFiles,
} from './pretrained.ts';

/** How a model's weights start. */
export interface ModelInitOptions {
  /** seed of the generator that draws the initial weights and, later, the dropout masks (default 0) */
  seed?: number;
  /** a generator to use instead of `seed` */
  generator?: Generator;
  /** false skips the random initialisation (weights come from a checkpoint next) */
  init?: boolean;
}

export function generatorOf(options: ModelInitOptions): Generator {
  return options.generator ?? new Generator(options.seed ?? 0);
}

/**
 * Hugging Face's `_init_weights` for BERT: Linear and Embedding weights N(0, initializer_range), the padding
 * row of the word embeddings zero, biases zero (`cls.predictions.bias` too), LayerNorms 1 / 0.
 */
export function initBertWeights(model: Module, config: BertConfig, generator: Generator): void {
  const std = config.initializerRange;
  for (const [name, p] of model.namedParameters()) {
    if (/LayerNorm\.weight$/.test(name)) p.assign(full(p.shape, 1));
    else if (name.endsWith('bias')) p.assign(zeros(p.shape));
    else normal_(p, std, { generator });
  }
  for (const [, m] of model.namedModules()) {
    if (m instanceof Embedding && m.paddingIdx !== null) {
      const n = m.weight.shape[0]!;
      const rows = reshape(arange(n), [n, 1]); // [V,1]
      m.weight.assign(where(eq(rows, m.paddingIdx), 0, m.weight));
    }
  }
}

// ---- the encoder ---------------------------------------------------------------------------------------

export class BertEmbeddings extends Module {
  word_embeddings: Embedding;
  position_embeddings: Embedding;
  token_type_embeddings: Embedding;
  LayerNorm: LayerNorm;
  dropout: Dropout;

  constructor(config: BertConfig, generator?: Generator) {
    super();
    const h = config.hiddenSize;
    this.word_embeddings = new Embedding(config.vocabSize, h, { paddingIdx: config.padTokenId, generator });
    this.position_embeddings = new Embedding(config.maxPositionEmbeddings, h, { generator });
    this.token_type_embeddings = new Embedding(config.typeVocabSize, h, { generator });
    this.LayerNorm = new LayerNorm(h, { eps: config.layerNormEps });
    this.dropout = new Dropout(config.hiddenDropoutProb, { generator });
  }

  /** ids, token types [B,T] and positions [1|B,T] → LayerNorm(word + type + position) [B,T,C] */
  forward(inputIds: Tensor, tokenTypeIds: Tensor | null, positionIds: Tensor): Tensor {
    const words = this.word_embeddings.forward(inputIds);
    const types = this.token_type_embeddings.forward(
      tokenTypeIds ?? zeros(inputIds.shape, { dtype: 'int32' }),
    );
    const e = add(add(words, types), this.position_embeddings.forward(positionIds));
    return this.dropout.forward(this.LayerNorm.forward(e));
  }
}

/** `attention.self`: the query, key and value projections and scaled dot-product attention. */
export class BertSelfAttention extends Module {
  query: Linear;
  key: Linear;
  value: Linear;
  dropout: Dropout;
  readonly numHeads: number;

  constructor(config: BertConfig, generator?: Generator) {
    super();
    const h = config.hiddenSize;
    this.query = new Linear(h, h, { generator });
    this.key = new Linear(h, h, { generator });
    this.value = new Linear(h, h, { generator });
    this.dropout = new Dropout(config.attentionProbsDropoutProb, { generator });
    this.numHeads = config.numAttentionHeads;
  }

  forward(x: Tensor, mask: Tensor | null): { context: Tensor; weights: Tensor } {
    const q = splitHeads(this.query.forward(x), this.numHeads); // [B,T,C] → [B,H,T,D]
    const k = splitHeads(this.key.forward(x), this.numHeads);
    const v = splitHeads(this.value.forward(x), this.numHeads);
    const { output, weights } = scaledDotProductAttentionWithWeights(q, k, v, {
      mask,
      dropout: this.dropout.p,
      training: this.training,
      generator: this.dropout.generator,
    });
    return { context: mergeHeads(output), weights }; // [B,H,T,D] → [B,T,C]
  }
}

/** `attention.output` and `output`: LayerNorm(dropout(dense(x)) + residual). */
export class BertSelfOutput extends Module {
  dense: Linear;
  LayerNorm: LayerNorm;
  dropout: Dropout;

  constructor(inFeatures: number, config: BertConfig, generator?: Generator) {
    super();
    this.dense = new Linear(inFeatures, config.hiddenSize, { generator });
    this.LayerNorm = new LayerNorm(config.hiddenSize, { eps: config.layerNormEps });
    this.dropout = new Dropout(config.hiddenDropoutProb, { generator });
  }

  forward(x: Tensor, residual: Tensor): Tensor {
    return this.LayerNorm.forward(add(this.dropout.forward(this.dense.forward(x)), residual));
  }
}

export class BertAttention extends Module {
  self: BertSelfAttention;
  output: BertSelfOutput;

  constructor(config: BertConfig, generator?: Generator) {
    super();
    this.self = new BertSelfAttention(config, generator);
    this.output = new BertSelfOutput(config.hiddenSize, config, generator);
  }

  forward(x: Tensor, mask: Tensor | null): { output: Tensor; weights: Tensor } {
    const { context, weights } = this.self.forward(x, mask);
    return { output: this.output.forward(context, x), weights };
  }
}

export class BertIntermediate extends Module {
  dense: Linear;
  readonly act: (x: Tensor) => Tensor;

  constructor(config: BertConfig, generator?: Generator) {
    super();
    this.dense = new Linear(config.hiddenSize, config.intermediateSize, { generator });
    this.act = activation(config.hiddenAct);
  }

  forward(x: Tensor): Tensor {
    return this.act(this.dense.forward(x)); // [B,T,C] → [B,T,I]
  }
}

/** A post-LN encoder layer: a = LN(attn(x) + x); LN(dense2(act(dense1(a))) + a). */
export class BertLayer extends Module {
  attention: BertAttention;
  intermediate: BertIntermediate;
  output: BertSelfOutput;

  constructor(config: BertConfig, generator?: Generator) {
    super();
    this.attention = new BertAttention(config, generator);
    this.intermediate = new BertIntermediate(config, generator);
    this.output = new BertSelfOutput(config.intermediateSize, config, generator);
  }

  forward(x: Tensor, mask: Tensor | null): { output: Tensor; weights: Tensor } {
    const a = this.attention.forward(x, mask);
    return { output: this.output.forward(this.intermediate.forward(a.output), a.output), weights: a.weights };
  }
}

export class BertEncoder extends Module {
  layer: BertLayer[];

  constructor(config: BertConfig, generator?: Generator) {
    super();
    this.layer = Array.from({ length: config.numHiddenLayers }, () => new BertLayer(config, generator));
  }
}

/** tanh(dense(h[:, 0])): the `[CLS]` summary used by next-sentence prediction and sequence classification. */
export class BertPooler extends Module {
  dense: Linear;

  constructor(config: BertConfig, generator?: Generator) {
    super();
    this.dense = new Linear(config.hiddenSize, config.hiddenSize, { generator });
  }

  forward(hidden: Tensor): Tensor {
    const [b, , c] = hidden.shape as [number, number, number];
    const first = reshape(narrow(hidden, 1, 0, 1), [b, c]); // [B,T,C] → [B,C]
    return tanh(this.dense.forward(first));
  }
}

export interface BertModelInput {
  /** [B,T] int32 token ids */
  inputIds: Tensor;
  /** [B,T] 1 = token, 0 = padding */
  attentionMask?: Tensor | null;
  /** [B] valid lengths (the classic `valid_lens` form), instead of an attention mask */
  validLens?: Tensor | null;
  /** [B,T] int32 segment ids (0 = sentence A, 1 = sentence B; default all 0) */
  tokenTypeIds?: Tensor | null;
  /** [B,T] or [1,T] int32 positions (default 0 … T-1) */
  positionIds?: Tensor | null;
  /** return each layer's attention weights [B,H,T,T] */
  outputAttentions?: boolean;
  /** return the embeddings output and every layer's output ([B,T,C] each, numHiddenLayers + 1) */
  outputHiddenStates?: boolean;
}

export interface BertModelOutput {
  /** [B,T,C]: the contextual feature of every token */
  lastHiddenState: Tensor;
  /** [B,C]: tanh(dense(h[CLS])), when the model has a pooler */
  poolerOutput?: Tensor;
  hiddenStates?: Tensor[];
  attentions?: Tensor[];
}

function fromFiles<T extends BertPreTrainedModel>(
  Model: (new (config: BertConfig, options?: ModelInitOptions) => T) & { architecture: string },
  files: PretrainedFiles,
  options: PretrainedLoadOptions,
): T {
  return loadPretrained((c, init) => new Model(c, { init }), files, {
    ...options,
    skipHeads: Model.architecture === 'BertModel',
  }).model;
}

/** What the Hugging Face BERT classes share: a config, the architecture name, and checkpoint I/O. */
export abstract class BertPreTrainedModel extends Module {
  readonly config: BertConfig;
  /** the transformers class name written to `architectures` */
  static readonly architecture: string = 'BertModel';

  constructor(config: BertConfig) {
    super();
    this.config = config;
  }

  /** Reads `config.json` + `model.safetensors` from a Hugging Face model folder (Node). */
  static async fromPretrained<T extends BertPreTrainedModel>(
    this: (new (config: BertConfig, options?: ModelInitOptions) => T) & { architecture: string },
    folder: string,
    options: PretrainedLoadOptions = {},
  ): Promise<T> {
    const files = await readPretrained(folder);
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass the method was called on
    return fromFiles(this, files, options);
  }

  /** Builds the model from the two files' contents (works anywhere: browser, worker, Node). */
  static fromPretrainedBytes<T extends BertPreTrainedModel>(
    this: (new (config: BertConfig, options?: ModelInitOptions) => T) & { architecture: string },
    files: PretrainedFiles,
    options: PretrainedLoadOptions = {},
  ): T {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass the method was called on
    return fromFiles(this, files, options);
  }

  /** `config.json` text and `model.safetensors` bytes, as `save_pretrained` writes them (tied copies left out). */
  toPretrainedBytes(): PretrainedFiles {
    const architecture = (this.constructor as typeof BertPreTrainedModel).architecture;
    return toPretrainedFiles(this, this.config, architecture);
  }

  /** Writes `config.json` + `model.safetensors` into `folder`, atomically (Node). */
  savePretrained(folder: string): Promise<void> {
    return savePretrainedFiles(folder, this.toPretrainedBytes());
  }
}

/** The BERT encoder: embeddings, the layer stack and (optionally) the pooler (HF `BertModel`). */
export class BertModel extends BertPreTrainedModel {
  embeddings: BertEmbeddings;
  encoder: BertEncoder;
  pooler: BertPooler | null;
  static override readonly architecture: string = 'BertModel';

  constructor(config: BertConfig, options: ModelInitOptions & { addPoolingLayer?: boolean } = {}) {
    super(config);
    const generator = generatorOf(options);
    this.embeddings = new BertEmbeddings(config, generator);
    this.encoder = new BertEncoder(config, generator);
    this.pooler = options.addPoolingLayer === false ? null : new BertPooler(config, generator);
    if (options.init !== false) initBertWeights(this, config, generator);
  }

  forward(input: BertModelInput): BertModelOutput {
    const ids = input.inputIds;
    if (ids.rank !== 2 || ids.dtype !== 'int32') {
      throw new Error(`BertModel: inputIds must be [B,T] int32, got [${ids.shape.join(',')}] ${ids.dtype}`);
    }
    const [, t] = ids.shape as [number, number];
    if (t > this.config.maxPositionEmbeddings) {
      throw new Error(
        `BertModel: ${t} positions exceed maxPositionEmbeddings ${this.config.maxPositionEmbeddings}`,
      );
    }
    for (const [name, x] of [
      ['attentionMask', input.attentionMask],
      ['tokenTypeIds', input.tokenTypeIds],
    ] as const) {
      if (x && (x.rank !== 2 || x.shape[0] !== ids.shape[0] || x.shape[1] !== t)) {
        throw new Error(
          `BertModel: ${name} [${x.shape.join(',')}] does not match inputIds [${ids.shape.join(',')}]`,
        );
      }
    }
    const positions = input.positionIds ?? reshape(arange(t), [1, t]); // [1,T]
    let x = this.embeddings.forward(ids, input.tokenTypeIds ?? null, positions);
    // 0 for attended keys, MASK_MIN for padding, the same for every query row (HF's extended mask)
    let mask: Tensor | null = null;
    if (input.attentionMask)
      mask = toAdditiveMask(paddingMask(input.attentionMask)); // [B,1,1,T]
    else if (input.validLens) mask = toAdditiveMask(validLengthMask(input.validLens, t));

    const hiddenStates: Tensor[] = [x];
    const attentions: Tensor[] = [];
    // without a graph (inference), each layer's intermediates are freed as soon as the layer is done
    const inference = !isGradEnabled();
    for (const layer of this.encoder.layer) {
      const out = inference ? tidy(() => layer.forward(x, mask)) : layer.forward(x, mask);
      if (inference && !input.outputHiddenStates) x.dispose(); // this forward's own tensor, no longer needed
      if (inference && !input.outputAttentions) out.weights.dispose();
      x = out.output;
      hiddenStates.push(x);
      if (input.outputAttentions) attentions.push(out.weights);
    }
    const result: BertModelOutput = { lastHiddenState: x };
    if (this.pooler) result.poolerOutput = this.pooler.forward(x);
    if (input.outputHiddenStates) result.hiddenStates = hiddenStates;
    if (input.outputAttentions) result.attentions = attentions;
    return result;
  }
}

// ---- pretraining heads ---------------------------------------------------------------------------------

/** dense → activation → LayerNorm, before the tied decoder. */
export class BertPredictionHeadTransform extends Module {
  dense: Linear;
  LayerNorm: LayerNorm;
  readonly act: (x: Tensor) => Tensor;

  constructor(config: BertConfig, generator?: Generator) {
    super();
    this.dense = new Linear(config.hiddenSize, config.hiddenSize, { generator });
    this.LayerNorm = new LayerNorm(config.hiddenSize, { eps: config.layerNormEps });
    this.act = activation(config.hiddenAct);
  }

  forward(x: Tensor): Tensor {
    return this.LayerNorm.forward(this.act(this.dense.forward(x)));
  }
}

/**
 * `cls.predictions`: the transform, then a decoder whose weight is the word embeddings (tied, so it is not a
 * parameter of its own) plus `bias` [V]: logits = transform(h)·Eᵀ + bias.
 */
export class BertLMPredictionHead extends Module {
  transform: BertPredictionHeadTransform;
  bias: Tensor;
  /** the word embeddings the decoder is tied to (underscored: not walked as a sub-module) */
  private readonly _embeddings: Embedding;

  constructor(config: BertConfig, embeddings: Embedding, generator?: Generator) {
    super();
    this.transform = new BertPredictionHeadTransform(config, generator);
    this.bias = parameter(zeros([config.vocabSize]));
    this._embeddings = embeddings;
  }

  /** `cls.predictions.decoder.weight` (= `bert.embeddings.word_embeddings.weight`). */
  get decoderWeight(): Tensor {
    return this._embeddings.weight;
  }

  forward(hidden: Tensor): Tensor {
    const h = this.transform.forward(hidden);
    const [b, t, c] = h.shape as [number, number, number];
    const v = this.decoderWeight.shape[0]!;
    const flat = reshape(h, [b * t, c]); // [B,T,C] → [B·T,C]
    const logits = add(matmul(flat, this.decoderWeight, { transB: true }), this.bias); // [B·T,C]·[V,C]ᵀ → [B·T,V]
    return reshape(logits, [b, t, v]);
  }
}

export class BertPreTrainingHeads extends Module {
  predictions: BertLMPredictionHead;
  seq_relationship: Linear;

  constructor(config: BertConfig, embeddings: Embedding, generator?: Generator) {
    super();
    this.predictions = new BertLMPredictionHead(config, embeddings, generator);
    this.seq_relationship = new Linear(config.hiddenSize, 2, { generator });
  }
}

export class BertOnlyMLMHead extends Module {
  predictions: BertLMPredictionHead;

  constructor(config: BertConfig, embeddings: Embedding, generator?: Generator) {
    super();
    this.predictions = new BertLMPredictionHead(config, embeddings, generator);
  }
}

export interface BertForPreTrainingInput extends BertModelInput {
  /** [B,T] int32 masked-LM targets; -100 = not predicted */
  labels?: Tensor | null;
  /** [B] int32: 0 = sentence B follows A (IsNext), 1 = B is random (Hugging Face's convention) */
  nextSentenceLabel?: Tensor | null;
}

export interface BertForPreTrainingOutput extends BertModelOutput {
  /** [B,T,V] masked-LM logits */
  predictionLogits: Tensor;
  /** [B,2] next-sentence logits */
  seqRelationshipLogits: Tensor;
  /** mlmLoss + nspLoss (whichever were asked for) */
  loss?: Tensor;
  mlmLoss?: Tensor;
  nspLoss?: Tensor;
}

/** BERT with the masked-LM and next-sentence heads of its pretraining (HF `BertForPreTraining`). */
export class BertForPreTraining extends BertPreTrainedModel {
  bert: BertModel;
  cls: BertPreTrainingHeads;
  static override readonly architecture: string = 'BertForPreTraining';

  constructor(config: BertConfig, options: ModelInitOptions = {}) {
    super(config);
    const generator = generatorOf(options);
    this.bert = new BertModel(config, { ...options, generator, init: false });
    this.cls = new BertPreTrainingHeads(config, this.bert.embeddings.word_embeddings, generator);
    if (options.init !== false) initBertWeights(this, config, generator);
  }

  forward(input: BertForPreTrainingInput): BertForPreTrainingOutput {
    const out = this.bert.forward(input);
    const predictionLogits = this.cls.predictions.forward(out.lastHiddenState);
    const seqRelationshipLogits = this.cls.seq_relationship.forward(out.poolerOutput!);
    const result: BertForPreTrainingOutput = { ...out, predictionLogits, seqRelationshipLogits };
    if (input.labels) {
      const v = this.config.vocabSize;
      result.mlmLoss = crossEntropy(reshape(predictionLogits, [-1, v]), reshape(input.labels, [-1]));
    }
    if (input.nextSentenceLabel) {
      result.nspLoss = crossEntropy(seqRelationshipLogits, reshape(input.nextSentenceLabel, [-1]));
    }
    if (result.mlmLoss && result.nspLoss) result.loss = add(result.mlmLoss, result.nspLoss);
    else if (result.mlmLoss ?? result.nspLoss) result.loss = result.mlmLoss ?? result.nspLoss;
    return result;
  }
}

export interface BertForMaskedLMInput extends BertModelInput {
  labels?: Tensor | null;
}

export interface BertForMaskedLMOutput extends BertModelOutput {
  /** [B,T,V] */
  logits: Tensor;
  loss?: Tensor;
}

/** BERT with only the masked-LM head (HF `BertForMaskedLM`; no pooler). */
export class BertForMaskedLM extends BertPreTrainedModel {
  bert: BertModel;
  cls: BertOnlyMLMHead;
  static override readonly architecture: string = 'BertForMaskedLM';

  constructor(config: BertConfig, options: ModelInitOptions = {}) {
    super(config);
    const generator = generatorOf(options);
    this.bert = new BertModel(config, { ...options, generator, init: false, addPoolingLayer: false });
    this.cls = new BertOnlyMLMHead(config, this.bert.embeddings.word_embeddings, generator);
    if (options.init !== false) initBertWeights(this, config, generator);
  }

  forward(input: BertForMaskedLMInput): BertForMaskedLMOutput {
    const out = this.bert.forward(input);
    const logits = this.cls.predictions.forward(out.lastHiddenState);
    const result: BertForMaskedLMOutput = { ...out, logits };
    if (input.labels) {
      result.loss = crossEntropy(reshape(logits, [-1, this.config.vocabSize]), reshape(input.labels, [-1]));
    }
    return result;
  }
}
