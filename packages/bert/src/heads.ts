// Property names in this file equal the Hugging Face checkpoint keys (`bert.…`, `classifier.weight`,
// `qa_outputs.bias`), so `stateDict()` reads and writes HF files name for name.

import { classificationLoss } from '@tsformer/attention';
import { add, clamp, crossEntropy, div, reshape, split, squeeze, type Tensor } from '@tsformer/tensor';
import { Dropout, Linear } from '@tsformer/tensor/nn';
import type { BertConfig } from './config.ts';
import {
  BertModel,
  type BertModelInput,
  type BertModelOutput,
  BertPreTrainedModel,
  generatorOf,
  initBertWeights,
  type ModelInitOptions,
} from './modeling-bert.ts';

export interface BertForSequenceClassificationInput extends BertModelInput {
  /** [B] int32 class ids; float32 targets for regression (numLabels 1) or multi-label [B,L] */
  labels?: Tensor | null;
}

export interface BertClassifierOutput extends BertModelOutput {
  /** [B,L] for sequences, [B,T,L] for tokens */
  logits: Tensor;
  loss?: Tensor;
}

/**
 * BERT with a linear classifier on the pooled `[CLS]` state, for single sentences and sentence pairs (pass
 * `tokenTypeIds`) (HF `BertForSequenceClassification`).
 */
export class BertForSequenceClassification extends BertPreTrainedModel {
  bert: BertModel;
  dropout: Dropout;
  classifier: Linear;
  static override readonly architecture: string = 'BertForSequenceClassification';

  constructor(config: BertConfig, options: ModelInitOptions = {}) {
    super(config);
    const generator = generatorOf(options);
    this.bert = new BertModel(config, { ...options, generator, init: false });
    this.dropout = new Dropout(config.classifierDropout ?? config.hiddenDropoutProb, { generator });
    this.classifier = new Linear(config.hiddenSize, config.numLabels, { generator });
    if (options.init !== false) initBertWeights(this, config, generator);
  }

  forward(input: BertForSequenceClassificationInput): BertClassifierOutput {
    const out = this.bert.forward(input);
    const logits = this.classifier.forward(this.dropout.forward(out.poolerOutput!)); // [B,C] → [B,L]
    const result: BertClassifierOutput = { ...out, logits };
    if (input.labels) {
      result.loss = classificationLoss(logits, input.labels, {
        numLabels: this.config.numLabels,
        problemType: this.config.problemType,
      });
    }
    return result;
  }
}

export interface BertForTokenClassificationInput extends BertModelInput {
  /** [B,T] int32 tag ids; -100 = not scored (padding, sub-word continuations) */
  labels?: Tensor | null;
}

/** BERT with a linear classifier on every token, e.g. for NER (HF `BertForTokenClassification`; no pooler). */
export class BertForTokenClassification extends BertPreTrainedModel {
  bert: BertModel;
  dropout: Dropout;
  classifier: Linear;
  static override readonly architecture: string = 'BertForTokenClassification';

  constructor(config: BertConfig, options: ModelInitOptions = {}) {
    super(config);
    const generator = generatorOf(options);
    this.bert = new BertModel(config, { ...options, generator, init: false, addPoolingLayer: false });
    this.dropout = new Dropout(config.classifierDropout ?? config.hiddenDropoutProb, { generator });
    this.classifier = new Linear(config.hiddenSize, config.numLabels, { generator });
    if (options.init !== false) initBertWeights(this, config, generator);
  }

  forward(input: BertForTokenClassificationInput): BertClassifierOutput {
    const out = this.bert.forward(input);
    const logits = this.classifier.forward(this.dropout.forward(out.lastHiddenState)); // [B,T,C] → [B,T,L]
    const result: BertClassifierOutput = { ...out, logits };
    if (input.labels) {
      const n = this.config.numLabels;
      result.loss = crossEntropy(reshape(logits, [-1, n]), reshape(input.labels, [-1]));
    }
    return result;
  }
}

export interface BertForQuestionAnsweringInput extends BertModelInput {
  /** [B] int32 index of the answer's first token */
  startPositions?: Tensor | null;
  /** [B] int32 index of the answer's last token */
  endPositions?: Tensor | null;
}

export interface BertForQuestionAnsweringOutput extends BertModelOutput {
  /** [B,T] */
  startLogits: Tensor;
  /** [B,T] */
  endLogits: Tensor;
  /** (CE(start) + CE(end)) / 2, positions outside the sequence ignored, as transformers */
  loss?: Tensor;
}

/** BERT with a span head: start and end logits per token (HF `BertForQuestionAnswering`; no pooler). */
export class BertForQuestionAnswering extends BertPreTrainedModel {
  bert: BertModel;
  qa_outputs: Linear;
  static override readonly architecture: string = 'BertForQuestionAnswering';

  constructor(config: BertConfig, options: ModelInitOptions = {}) {
    super(config);
    const generator = generatorOf(options);
    this.bert = new BertModel(config, { ...options, generator, init: false, addPoolingLayer: false });
    this.qa_outputs = new Linear(config.hiddenSize, 2, { generator });
    if (options.init !== false) initBertWeights(this, config, generator);
  }

  forward(input: BertForQuestionAnsweringInput): BertForQuestionAnsweringOutput {
    const out = this.bert.forward(input);
    const logits = this.qa_outputs.forward(out.lastHiddenState); // [B,T,C] → [B,T,2]
    const [start, end] = split(logits, 2, -1) as [Tensor, Tensor];
    const startLogits = squeeze(start, -1); // [B,T,1] → [B,T]
    const endLogits = squeeze(end, -1);
    const result: BertForQuestionAnsweringOutput = { ...out, startLogits, endLogits };
    if (input.startPositions && input.endPositions) {
      const t = startLogits.shape[1]!;
      // positions outside [0, T) are clamped to T and ignored, as transformers does
      const ignore = (p: Tensor) => clamp(reshape(p, [-1]), 0, t);
      const ls = crossEntropy(startLogits, ignore(input.startPositions), { ignoreIndex: t });
      const le = crossEntropy(endLogits, ignore(input.endPositions), { ignoreIndex: t });
      result.loss = div(add(ls, le), 2);
    }
    return result;
  }
}
