// feature-extraction: the hidden states of the base transformer (BERT or GPT-2), per token or pooled.
import { BertModel } from '@tsformer/bert';
import { tensor } from '@tsformer/tensor';
import { type AnyModel, baseModel } from '../models.ts';
import type { Encoding } from '../tokenizers.ts';
import { encodeInput, type PipelineParts, runRead, type TextInput } from './common.ts';

export interface FeatureExtractionOptions {
  /** 'none' (default): one vector per token; 'mean': the average over real tokens; 'cls': the first token's; 'last': the last real token's (GPT-2) */
  pooling?: 'none' | 'mean' | 'cls' | 'last';
  /** scale each vector to unit length (L2) */
  normalize?: boolean;
}

/** A dense float32 array with its dimensions (transformers.js returns a Tensor with the same fields). */
export class FeatureTensor {
  readonly dims: number[];
  readonly data: Float32Array;
  readonly type: 'float32' = 'float32';
  constructor(data: Float32Array, dims: number[]) {
    this.data = data;
    this.dims = dims;
  }
  get size(): number {
    return this.data.length;
  }
  /** Nested arrays ([B][T][C] or [B][C]). */
  tolist(): unknown[] {
    const build = (d: number, offset: number): unknown[] | number => {
      if (d === this.dims.length) return this.data[offset]!;
      const step = this.dims.slice(d + 1).reduce((p, x) => p * x, 1);
      return Array.from({ length: this.dims[d]! }, (_, i) => build(d + 1, offset + i * step));
    };
    return build(0, 0) as unknown[];
  }
}

async function hidden(
  model: AnyModel,
  ids: Int32Array,
  types: Int32Array,
  mask: Int32Array,
  b: number,
  t: number,
): Promise<Float32Array> {
  const [h] = await runRead(model, () => {
    const base = baseModel(model);
    const inputIds = tensor(ids, [b, t]);
    const attentionMask = tensor(mask, [b, t]);
    const out =
      base instanceof BertModel
        ? base.forward({ inputIds, attentionMask, tokenTypeIds: tensor(types, [b, t]) })
        : base.forward({ inputIds, attentionMask });
    return [out.lastHiddenState];
  });
  return h;
}

export async function extractFeatures(
  parts: PipelineParts,
  inputs: readonly TextInput[],
  options: FeatureExtractionOptions = {},
): Promise<FeatureTensor> {
  const pooling = options.pooling ?? 'none';
  if (!['none', 'mean', 'cls', 'last'].includes(pooling)) {
    throw new RangeError(
      `feature-extraction: pooling must be 'none', 'mean', 'cls' or 'last', got ${JSON.stringify(pooling)}`,
    );
  }
  const encs: Encoding[] = inputs.map((x) => encodeInput(parts, x));
  const b = encs.length;
  const t = Math.max(1, ...encs.map((e) => e.inputIds.length));
  const pad =
    parts.tokenizer.padTokenId ??
    (parts.config.padTokenId !== null && parts.config.padTokenId < parts.config.vocabSize
      ? parts.config.padTokenId
      : 0);
  const ids = new Int32Array(b * t).fill(pad);
  const types = new Int32Array(b * t);
  const mask = new Int32Array(b * t);
  encs.forEach((e, i) => {
    ids.set(e.inputIds, i * t);
    types.set(e.tokenTypeIds, i * t);
    mask.set(e.attentionMask, i * t);
  });
  const h = await hidden(parts.model, ids, types, mask, b, t);
  const c = h.length / (b * t);
  let out: FeatureTensor;
  if (pooling === 'none') out = new FeatureTensor(h, [b, t, c]);
  else {
    const pooled = new Float32Array(b * c);
    for (let i = 0; i < b; i++) {
      const n = encs[i]!.inputIds.length;
      const row = pooled.subarray(i * c, (i + 1) * c);
      if (pooling === 'cls' || pooling === 'last') {
        const at = pooling === 'cls' ? 0 : n - 1;
        row.set(h.subarray((i * t + at) * c, (i * t + at + 1) * c));
      } else {
        let count = 0;
        for (let j = 0; j < t; j++) {
          if (mask[i * t + j] !== 1) continue;
          count++;
          for (let k = 0; k < c; k++) row[k]! += h[(i * t + j) * c + k]!;
        }
        for (let k = 0; k < c; k++) row[k] = row[k]! / Math.max(1, count);
      }
    }
    out = new FeatureTensor(pooled, [b, c]);
  }
  if (options.normalize) {
    const d = out.data;
    for (let o = 0; o < d.length; o += c) {
      let s = 0;
      for (let k = 0; k < c; k++) s += d[o + k]! * d[o + k]!;
      const norm = Math.max(Math.sqrt(s), 1e-12);
      for (let k = 0; k < c; k++) d[o + k] = d[o + k]! / norm;
    }
  }
  return out;
}
