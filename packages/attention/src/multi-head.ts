import type { Tensor } from '@tsformer/tensor';
import { Dropout, type InitOptions, Linear, Module } from '@tsformer/tensor/nn';
import { mergeHeads, splitHeads } from './heads.ts';
import type { KVCache } from './kv-cache.ts';
import { scaledDotProductAttentionWithWeights } from './sdpa.ts';

export interface MultiHeadAttentionOptions extends InitOptions {
  /** dropout on the attention weights while training (default 0) */
  dropout?: number;
  /** biases on the four projections (default true) */
  bias?: boolean;
}

export interface MultiHeadAttentionInput {
  /** [B,Tq,C] */
  query: Tensor;
  /** [B,Tk,C] (default: `query`, self-attention) */
  key?: Tensor;
  /** [B,Tk,C] (default: `key`) */
  value?: Tensor;
  /** additive float32 or 0/1 int32 mask broadcasting to [B,H,Tq,Tk] */
  mask?: Tensor | null;
  /** [B] or [B,Tq] valid key lengths */
  validLens?: Tensor | null;
  causal?: boolean;
  /** append this call's keys and values to a cache (incremental decoding) */
  cache?: KVCache;
  /** which cache layer this module owns (default 0) */
  layer?: number;
  /** return the attention weights [B,H,Tq,Tk] */
  outputAttentions?: boolean;
}

/**
 * Multi-head attention with four projections (query, key, value, output), in the shape of the classic
 * "Attention Is All You Need" block: project, split into heads, scaled dot-product attention, merge, project.
 * Model packages build their own modules to match checkpoint names; this one is for new models and teaching.
 */
export class MultiHeadAttention extends Module {
  query: Linear;
  key: Linear;
  value: Linear;
  output: Linear;
  attention_dropout: Dropout;
  readonly numHeads: number;

  constructor(hiddenSize: number, numHeads: number, options: MultiHeadAttentionOptions = {}) {
    super();
    if (hiddenSize % numHeads !== 0) {
      throw new Error(
        `MultiHeadAttention: hiddenSize ${hiddenSize} is not divisible by numHeads ${numHeads}`,
      );
    }
    const linear = { bias: options.bias ?? true, generator: options.generator };
    this.query = new Linear(hiddenSize, hiddenSize, linear);
    this.key = new Linear(hiddenSize, hiddenSize, linear);
    this.value = new Linear(hiddenSize, hiddenSize, linear);
    this.output = new Linear(hiddenSize, hiddenSize, linear);
    this.attention_dropout = new Dropout(options.dropout ?? 0, options);
    this.numHeads = numHeads;
  }

  forward(input: MultiHeadAttentionInput): { output: Tensor; attentions?: Tensor } {
    const keyInput = input.key ?? input.query;
    const valueInput = input.value ?? keyInput;
    const q = splitHeads(this.query.forward(input.query), this.numHeads); // [B,Tq,C] → [B,H,Tq,D]
    let k = splitHeads(this.key.forward(keyInput), this.numHeads); // [B,Tk,C] → [B,H,Tk,D]
    let v = splitHeads(this.value.forward(valueInput), this.numHeads); // [B,Tk,C] → [B,H,Tk,D]
    let keyLength: number | undefined;
    if (input.cache) ({ key: k, value: v, length: keyLength } = input.cache.update(input.layer ?? 0, k, v));
    const { output, weights } = scaledDotProductAttentionWithWeights(q, k, v, {
      keyLength,
      mask: input.mask,
      validLens: input.validLens,
      causal: input.causal,
      dropout: this.attention_dropout.p,
      training: this.training,
      generator: this.attention_dropout.generator,
    });
    const merged = mergeHeads(output); // [B,H,Tq,D] → [B,Tq,C]
    const out = this.output.forward(merged);
    return input.outputAttentions ? { output: out, attentions: weights } : { output: out };
  }
}
