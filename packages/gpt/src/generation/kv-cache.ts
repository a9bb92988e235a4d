import { KVCache } from '@tsformer/attention';
import { noGrad, readAndDispose, type Tensor, tensor, tidy } from '@tsformer/tensor';

export { KVCache };

/** What generation needs from a causal language model (GPT2LMHeadModel has it). */
export interface CausalLM {
  readonly config: {
    readonly vocabSize: number;
    readonly nPositions: number;
    readonly eosTokenId: number | null;
    readonly padTokenId: number | null;
  };
  training: boolean;
  train(on?: boolean): unknown;
  forward(input: {
    inputIds: Tensor;
    attentionMask?: Tensor | null;
    positionIds?: Tensor | null;
    pastKeyValues?: KVCache | null;
    useCache?: boolean;
    logitsToKeep?: number;
  }): { logits: Tensor; pastKeyValues?: KVCache };
}

/**
 * Feeds a batch of left-padded rows to the model one step at a time and returns the next-token logits
 * [B·V]. With the cache, the first step runs the whole prompt and later steps only the newest token
 * (positions from the attention mask, as transformers: cumsum(mask) − 1); without it every step recomputes
 * the whole sequence. Both give the same logits.
 */
export class Decoder {
  private readonly cache: KVCache | null;
  private fed = 0;

  constructor(
    private readonly model: CausalLM,
    useCache: boolean,
  ) {
    this.cache = useCache ? new KVCache({ maxLength: model.config.nPositions }) : null;
  }

  /**
   * `rows` [B][T] are the full sequences so far; `mask` [B][T] their attention masks (null = all ones). The
   * logits are read with `await data()`, so this works on a backend that reads only asynchronously (WebGPU).
   */
  async next(
    rows: readonly (readonly number[])[],
    mask: readonly (readonly number[])[] | null,
  ): Promise<Float32Array> {
    const b = rows.length;
    const t = rows[0]!.length;
    const start = this.cache ? this.fed : 0;
    const n = t - start;
    const ids = new Int32Array(b * n);
    for (let i = 0; i < b; i++) for (let j = 0; j < n; j++) ids[i * n + j] = rows[i]![start + j]!;
    let maskData: Int32Array | null = null;
    let positions: Int32Array | null = null;
    if (mask) {
      maskData = new Int32Array(b * t);
      positions = new Int32Array(b * n);
      for (let i = 0; i < b; i++) {
        let count = 0;
        for (let j = 0; j < t; j++) {
          const m = mask[i]![j]!;
          maskData[i * t + j] = m;
          count += m;
          // transformers: position = cumsum(mask) − 1, and 1 where the mask is 0
          if (j >= start) positions[i * n + j - start] = m === 0 ? 1 : count - 1;
        }
      }
    }
    const wasTraining = this.model.training;
    if (wasTraining) this.model.train(false);
    let logits: Tensor;
    try {
      logits = noGrad(() =>
        tidy(() => {
          const out = this.model.forward({
            inputIds: tensor(ids, [b, n]),
            attentionMask: maskData ? tensor(maskData, [b, t]) : null,
            positionIds: positions ? tensor(positions, [b, n]) : null,
            pastKeyValues: this.cache,
            logitsToKeep: 1,
          });
          this.fed = t;
          return out.logits; // [B,1,V]
        }),
      );
    } finally {
      if (wasTraining) this.model.train(true);
    }
    return (await readAndDispose(logits)) as Float32Array;
  }

  dispose(): void {
    this.cache?.dispose();
  }
}
