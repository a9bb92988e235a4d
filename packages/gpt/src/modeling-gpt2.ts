// Property names in this file equal the Hugging Face checkpoint keys (`transformer.h.0.attn.c_attn.weight`,
// `transformer.ln_f.bias`, …), so `stateDict()` reads and writes HF files name for name. They break camelCase
// on purpose, and the naming lint is off for this file.

import {
  type AttentionOptions,
  activation,
  causalAttentionMask,
  classificationLoss,
  KVCache,
  mergeHeads,
  type PretrainedFiles,
  scaledDotProductAttentionWithWeights,
} from '@tsformer/attention';
import {
  add,
  arange,
  argmax,
  concat,
  crossEntropy,
  full,
  Generator,
  indexSelect,
  isGradEnabled,
  matmul,
  mul,
  narrow,
  ne,
  permute,
  reshape,
  split,
  type Tensor,
  tidy,
  zeros,
} from '@tsformer/tensor';
import { Dropout, Embedding, LayerNorm, Linear, Module, normal_, parameter } from '@tsformer/tensor/nn';
import type { GPT2Config } from './config.ts';
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

/** GPT-2's Conv1D: a linear layer with the weight stored [in, out], y = x·W + b (HF `pytorch_utils.Conv1D`). */
export class Conv1D extends Module {
  weight: Tensor;
  bias: Tensor;
  readonly nf: number;
  /** `nf` outputs from `nx` inputs (Hugging Face's argument order). */
  constructor(nf: number, nx: number) {
    super();
    this.nf = nf;
    this.weight = parameter(zeros([nx, nf]));
    this.bias = parameter(zeros([nf]));
  }
  forward(x: Tensor): Tensor {
    const nx = this.weight.shape[0]!;
    if (x.shape[x.rank - 1] !== nx) {
      throw new Error(
        `Conv1D: input [${x.shape.join(',')}] does not match weight [${this.weight.shape.join(',')}] ([in, out])`,
      );
    }
    const lead = x.shape.slice(0, -1);
    const flat = x.rank === 2 ? x : reshape(x, [-1, nx]); // [...,nx] → [N,nx]
    const y = add(matmul(flat, this.weight), this.bias); // [N,nx]·[nx,nf] → [N,nf]
    return x.rank === 2 ? y : reshape(y, [...lead, this.nf]); // [N,nf] → [...,nf]
  }
}

export interface GPT2AttentionInput {
  /** additive mask [B|1,1,T,Tk] of 0 / MASK_MIN, or null for none */
  mask: Tensor | null;
  cache?: KVCache;
  outputAttentions?: boolean;
}

export class GPT2Attention extends Module {
  c_attn: Conv1D;
  c_proj: Conv1D;
  attn_dropout: Dropout;
  resid_dropout: Dropout;
  readonly nHead: number;
  readonly layerIdx: number;
  readonly scale: number;

  constructor(config: GPT2Config, layerIdx: number, generator?: Generator) {
    super();
    const e = config.nEmbd;
    this.c_attn = new Conv1D(3 * e, e);
    this.c_proj = new Conv1D(e, e);
    this.attn_dropout = new Dropout(config.attnPdrop, { generator });
    this.resid_dropout = new Dropout(config.residPdrop, { generator });
    this.nHead = config.nHead;
    this.layerIdx = layerIdx;
    let scale = config.scaleAttnWeights ? 1 / Math.sqrt(config.headDim) : 1;
    if (config.scaleAttnByInverseLayerIdx) scale /= layerIdx + 1;
    this.scale = scale;
  }

  forward(x: Tensor, input: GPT2AttentionInput): { output: Tensor; weights: Tensor | null } {
    const [b, t, c] = x.shape as [number, number, number];
    const h = this.nHead;
    const d = c / h;
    const qkv = this.c_attn.forward(x); // [B,T,C] → [B,T,3C], columns q | k | v
    const heads = permute(reshape(qkv, [b, t, 3, h, d]), [2, 0, 3, 1, 4]); // [B,T,3,H,D] → [3,B,H,T,D]
    const [q3, k3, v3] = split(heads, 3, 0) as [Tensor, Tensor, Tensor];
    const q = reshape(q3, [b, h, t, d]); // [1,B,H,T,D] → [B,H,T,D]
    let k = reshape(k3, [b, h, t, d]);
    let v = reshape(v3, [b, h, t, d]);
    let keyLength: number | undefined;
    // → the cache's [B,H,capacity,D] buffers, filled to keyLength
    if (input.cache) ({ key: k, value: v, length: keyLength } = input.cache.update(this.layerIdx, k, v));
    const options: AttentionOptions = {
      keyLength,
      mask: input.mask,
      scale: this.scale,
      dropout: this.attn_dropout.p,
      training: this.training,
      generator: this.attn_dropout.generator,
    };
    const { output, weights } = scaledDotProductAttentionWithWeights(q, k, v, options);
    const merged = mergeHeads(output); // [B,H,T,D] → [B,T,C]
    const y = this.resid_dropout.forward(this.c_proj.forward(merged));
    return { output: y, weights: input.outputAttentions ? weights : null };
  }
}

export class GPT2MLP extends Module {
  c_fc: Conv1D;
  c_proj: Conv1D;
  dropout: Dropout;
  readonly act: (x: Tensor) => Tensor;

  constructor(config: GPT2Config, generator?: Generator) {
    super();
    this.c_fc = new Conv1D(config.innerSize, config.nEmbd);
    this.c_proj = new Conv1D(config.nEmbd, config.innerSize);
    this.dropout = new Dropout(config.residPdrop, { generator });
    this.act = activation(config.activationFunction);
  }

  forward(x: Tensor): Tensor {
    return this.dropout.forward(this.c_proj.forward(this.act(this.c_fc.forward(x)))); // [B,T,C] → [B,T,4C] → [B,T,C]
  }
}

/** A pre-LN transformer block: x + attn(ln_1(x)), then x + mlp(ln_2(x)). */
export class GPT2Block extends Module {
  ln_1: LayerNorm;
  attn: GPT2Attention;
  ln_2: LayerNorm;
  mlp: GPT2MLP;

  constructor(config: GPT2Config, layerIdx: number, generator?: Generator) {
    super();
    this.ln_1 = new LayerNorm(config.nEmbd, { eps: config.layerNormEpsilon });
    this.attn = new GPT2Attention(config, layerIdx, generator);
    this.ln_2 = new LayerNorm(config.nEmbd, { eps: config.layerNormEpsilon });
    this.mlp = new GPT2MLP(config, generator);
  }

  forward(x: Tensor, input: GPT2AttentionInput): { output: Tensor; weights: Tensor | null } {
    const a = this.attn.forward(this.ln_1.forward(x), input);
    const h = add(x, a.output);
    return { output: add(h, this.mlp.forward(this.ln_2.forward(h))), weights: a.weights };
  }
}

export interface GPT2ModelInput {
  /** [B,T] int32 token ids */
  inputIds: Tensor;
  /** [B,Tpast+T] 1 = attend, 0 = padding (covers the cached positions too) */
  attentionMask?: Tensor | null;
  /** [B,T] or [1,T] int32 positions (default Tpast … Tpast+T-1) */
  positionIds?: Tensor | null;
  /** a cache to read the past from and append this call's keys and values to */
  pastKeyValues?: KVCache | null;
  /** return a cache (a new one when `pastKeyValues` is not given) */
  useCache?: boolean;
  /** return each layer's attention weights [B,H,T,Tk] */
  outputAttentions?: boolean;
  /** return the input of every block and the final output ([B,T,C] each, nLayer + 1 of them) */
  outputHiddenStates?: boolean;
}

export interface GPT2ModelOutput {
  /** [B,T,C], the output of `ln_f` */
  lastHiddenState: Tensor;
  pastKeyValues?: KVCache;
  hiddenStates?: Tensor[];
  attentions?: Tensor[];
}

/** Seeds a generator from the options (seed 0 by default). */
function generatorOf(options: ModelInitOptions): Generator {
  return options.generator ?? new Generator(options.seed ?? 0);
}

/** Hugging Face's `_init_weights` for GPT-2: N(0, 0.02) weights (c_proj: 0.02/√(2·nLayer)), zero biases, unit LayerNorms. */
function initGpt2Weights(model: Module, config: GPT2Config, generator: Generator): void {
  const std = config.initializerRange;
  for (const [name, p] of model.namedParameters()) {
    if (/(^|\.)ln_[^.]*\.weight$/.test(name) || /LayerNorm\.weight$/.test(name)) p.assign(full(p.shape, 1));
    else if (name.endsWith('.bias')) p.assign(zeros(p.shape));
    else if (name.endsWith('c_proj.weight')) normal_(p, std / Math.sqrt(2 * config.nLayer), { generator });
    else normal_(p, std, { generator });
  }
}

/** The GPT-2 transformer: embeddings, nLayer blocks, final LayerNorm (HF `GPT2Model`). */
export class GPT2Model extends Module {
  wte: Embedding;
  wpe: Embedding;
  drop: Dropout;
  h: GPT2Block[];
  ln_f: LayerNorm;
  readonly config: GPT2Config;

  constructor(config: GPT2Config, options: ModelInitOptions = {}) {
    super();
    const generator = generatorOf(options);
    this.config = config;
    this.wte = new Embedding(config.vocabSize, config.nEmbd, { generator });
    this.wpe = new Embedding(config.nPositions, config.nEmbd, { generator });
    this.drop = new Dropout(config.embdPdrop, { generator });
    this.h = Array.from({ length: config.nLayer }, (_, i) => new GPT2Block(config, i, generator));
    this.ln_f = new LayerNorm(config.nEmbd, { eps: config.layerNormEpsilon });
    if (options.init !== false) initGpt2Weights(this, config, generator);
  }

  forward(input: GPT2ModelInput): GPT2ModelOutput {
    const ids = input.inputIds;
    if (ids.rank !== 2 || ids.dtype !== 'int32') {
      throw new Error(`GPT2Model: inputIds must be [B,T] int32, got [${ids.shape.join(',')}] ${ids.dtype}`);
    }
    const [, t] = ids.shape as [number, number];
    const cache =
      input.pastKeyValues ??
      (input.useCache ? new KVCache({ maxLength: this.config.nPositions }) : undefined);
    const past = cache?.length ?? 0;
    if (past + t > this.config.nPositions) {
      throw new Error(`GPT2Model: ${past + t} positions exceed nPositions ${this.config.nPositions}`);
    }
    const positions = input.positionIds ?? reshape(arange(past, past + t), [1, t]); // [1,T]
    let x = add(this.wte.forward(ids), this.wpe.forward(positions)); // [B,T,C] + [1|B,T,C]
    x = this.drop.forward(x);

    const am = input.attentionMask ?? null;
    if (am && am.shape[1] !== past + t) {
      throw new Error(
        `GPT2Model: attentionMask [${am.shape.join(',')}] must cover ${past} cached + ${t} new positions`,
      );
    }
    // one additive mask for every layer: causal (and padding); a single new token with no padding needs none
    const mask =
      am || t > 1 ? causalAttentionMask({ queryLength: t, keyLength: past + t, attentionMask: am }) : null;

    const hiddenStates: Tensor[] = [];
    const attentions: Tensor[] = [];
    // without a graph (inference), each block's intermediates are freed as soon as the block is done, so a
    // long prompt holds one layer's attention scores at a time instead of every layer's
    const inference = !isGradEnabled();
    for (const block of this.h) {
      if (input.outputHiddenStates) hiddenStates.push(x);
      const run = () => block.forward(x, { mask, cache, outputAttentions: input.outputAttentions });
      const out = inference ? tidy(run) : run();
      if (inference && !input.outputHiddenStates) x.dispose(); // this forward's own tensor, no longer needed
      x = out.output;
      if (out.weights) attentions.push(out.weights);
    }
    x = this.ln_f.forward(x);
    if (input.outputHiddenStates) hiddenStates.push(x);
    const result: GPT2ModelOutput = { lastHiddenState: x };
    if (cache && (input.useCache || input.pastKeyValues)) result.pastKeyValues = cache;
    if (input.outputHiddenStates) result.hiddenStates = hiddenStates;
    if (input.outputAttentions) result.attentions = attentions;
    return result;
  }
}

export interface GPT2LMHeadModelInput extends GPT2ModelInput {
  /** [B,T] int32 next-token labels, = inputIds for plain LM training (shifted inside; -100 = ignored) */
  labels?: Tensor | null;
  /** compute logits only for the last n positions (generation needs 1); 0 = all */
  logitsToKeep?: number;
}

export interface GPT2LMHeadModelOutput extends GPT2ModelOutput {
  /** [B,T,V] (or [B,logitsToKeep,V]) */
  logits: Tensor;
  /** the shifted causal-LM cross-entropy, when `labels` is given */
  loss?: Tensor;
}

/**
 * Hugging Face's shifted causal-LM loss (`ForCausalLMLoss`): labels shifted left and padded with -100 on the
 * right, cross-entropy averaged over every position that is not -100. logits [B,T,V], labels [B,T].
 */
export function causalLmLoss(logits: Tensor, labels: Tensor): Tensor {
  const [b, t, v] = logits.shape as [number, number, number];
  const ids = labels.dtype === 'int32' ? labels : labels.cast('int32');
  if (ids.shape[0] !== b || ids.shape[1] !== t) {
    throw new Error(
      `causalLmLoss: labels [${labels.shape.join(',')}] do not match logits [${logits.shape.join(',')}]`,
    );
  }
  const pad = full([b, 1], -100, { dtype: 'int32' });
  const shifted = t > 1 ? concat([narrow(ids, 1, 1, t - 1), pad], 1) : pad; // [B,T]: labels[:, 1:] + [-100]
  return crossEntropy(reshape(logits, [b * t, v]), reshape(shifted, [b * t]));
}

/** GPT-2 with its language-model head tied to the token embeddings (HF `GPT2LMHeadModel`). */
export class GPT2LMHeadModel extends Module {
  transformer: GPT2Model;
  readonly config: GPT2Config;
  static readonly architecture: string = 'GPT2LMHeadModel';

  constructor(config: GPT2Config, options: ModelInitOptions = {}) {
    super();
    if (!config.tieWordEmbeddings)
      throw new Error('GPT2LMHeadModel: untied word embeddings are not supported');
    this.config = config;
    this.transformer = new GPT2Model(config, options);
  }

  /** `lm_head.weight`: the token embeddings themselves (tied; not a separate parameter). */
  get lm_head(): Tensor {
    return this.transformer.wte.weight;
  }

  forward(input: GPT2LMHeadModelInput): GPT2LMHeadModelOutput {
    const out = this.transformer.forward(input);
    let hs = out.lastHiddenState;
    const [b, t, c] = hs.shape as [number, number, number];
    const keep = input.logitsToKeep ?? 0;
    if (keep > 0 && keep < t) {
      if (input.labels)
        throw new Error('GPT2LMHeadModel: labels need the logits of every position (logitsToKeep 0)');
      hs = narrow(hs, 1, t - keep, keep); // [B,T,C] → [B,keep,C]
    }
    const n = hs.shape[1]!;
    const flat = reshape(hs, [b * n, c]);
    const logits = reshape(matmul(flat, this.lm_head, { transB: true }), [b, n, this.config.vocabSize]); // [B·T,C]·[V,C]ᵀ → [B,T,V]
    const result: GPT2LMHeadModelOutput = { ...out, logits };
    if (input.labels) result.loss = causalLmLoss(logits, input.labels);
    return result;
  }

  /** Reads `config.json` + `model.safetensors` from a Hugging Face model folder (Node). */
  static async fromPretrained(folder: string, options: PretrainedLoadOptions = {}): Promise<GPT2LMHeadModel> {
    return GPT2LMHeadModel.fromPretrainedBytes(await readPretrained(folder), options);
  }

  /** Builds the model from the two files' contents (works anywhere: browser, worker, Node). */
  static fromPretrainedBytes(files: PretrainedFiles, options: PretrainedLoadOptions = {}): GPT2LMHeadModel {
    return loadPretrained((c, init) => new GPT2LMHeadModel(c, { init }), files, options).model;
  }

  /** `config.json` text and `model.safetensors` bytes, as `save_pretrained` writes them (tied copy left out). */
  toPretrainedBytes(): PretrainedFiles {
    return toPretrainedFiles(this, this.config, GPT2LMHeadModel.architecture);
  }

  /** Writes `config.json` + `model.safetensors` into `folder`, atomically (Node). */
  savePretrained(folder: string): Promise<void> {
    return savePretrainedFiles(folder, this.toPretrainedBytes());
  }
}

export interface GPT2ForSequenceClassificationInput extends GPT2ModelInput {
  /** [B] int32 class ids, or float32 targets for regression / multi-label */
  labels?: Tensor | null;
}

export interface GPT2ForSequenceClassificationOutput extends GPT2ModelOutput {
  /** [B,numLabels], read at each row's last token that is not `padTokenId` */
  logits: Tensor;
  loss?: Tensor;
}

/** GPT-2 with a linear classifier (`score`, no bias) on the last non-padding token (HF `GPT2ForSequenceClassification`). */
export class GPT2ForSequenceClassification extends Module {
  transformer: GPT2Model;
  score: Linear;
  readonly config: GPT2Config;
  static readonly architecture: string = 'GPT2ForSequenceClassification';

  constructor(config: GPT2Config, options: ModelInitOptions = {}) {
    super();
    const generator = generatorOf(options);
    this.config = config;
    this.transformer = new GPT2Model(config, { ...options, generator });
    this.score = new Linear(config.nEmbd, config.numLabels, { bias: false, generator });
    if (options.init !== false) normal_(this.score.weight, config.initializerRange, { generator });
  }

  forward(input: GPT2ForSequenceClassificationInput): GPT2ForSequenceClassificationOutput {
    const out = this.transformer.forward(input);
    const [b, t, c] = out.lastHiddenState.shape as [number, number, number];
    const pad = this.config.padTokenId;
    if (pad === null && b !== 1) {
      throw new Error('GPT2ForSequenceClassification: batches of more than one need config.padTokenId');
    }
    // the last index whose token is not padding (0 when a row is all padding), as transformers does:
    // argmax(arange(T) · (ids != pad)), computed on the backend (no read-back)
    const positions = reshape(arange(t), [1, t]); // [1,T]
    const last =
      pad === null
        ? full([b], t - 1, { dtype: 'int32' })
        : argmax(mul(positions, ne(input.inputIds, pad)), -1); // [B,T] → [B]
    const rows = add(mul(arange(b), t), last); // flat row of each sequence's last token
    const pooled = indexSelect(reshape(out.lastHiddenState, [b * t, c]), rows); // [B·T,C] → [B,C]
    const logits = this.score.forward(pooled); // [B,C] → [B,L]
    const result: GPT2ForSequenceClassificationOutput = { ...out, logits };
    if (input.labels) {
      result.loss = classificationLoss(logits, input.labels, {
        numLabels: this.config.numLabels,
        problemType: this.config.problemType,
      });
    }
    return result;
  }

  static async fromPretrained(
    folder: string,
    options: PretrainedLoadOptions = {},
  ): Promise<GPT2ForSequenceClassification> {
    return GPT2ForSequenceClassification.fromPretrainedBytes(await readPretrained(folder), options);
  }

  static fromPretrainedBytes(
    files: PretrainedFiles,
    options: PretrainedLoadOptions = {},
  ): GPT2ForSequenceClassification {
    return loadPretrained((c, init) => new GPT2ForSequenceClassification(c, { init }), files, options).model;
  }

  toPretrainedBytes(): PretrainedFiles {
    return toPretrainedFiles(this, this.config, GPT2ForSequenceClassification.architecture);
  }

  savePretrained(folder: string): Promise<void> {
    return savePretrainedFiles(folder, this.toPretrainedBytes());
  }
}
