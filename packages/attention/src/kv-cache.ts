import { concat, keep, type Tensor } from '@tsformer/tensor';

/** One layer's cached keys and values, [B,H,T,D] each. */
export interface LayerKV {
  key: Tensor;
  value: Tensor;
}

/**
 * Keys and values of the tokens seen so far, per layer, for incremental decoding: a step with one new token
 * computes only that token's q, k and v, appends k and v here and attends over the whole cache, so each new
 * token costs work proportional to the context instead of its square. Tensors held here are kept out of any
 * `tidy` scope; the previous (shorter) ones are disposed when replaced. Call `dispose()` when done.
 */
export class KVCache {
  readonly layers: (LayerKV | undefined)[] = [];

  /** The number of cached positions (of layer 0; every layer agrees between forward passes). */
  get length(): number {
    const first = this.layers[0];
    return first ? first.key.shape[first.key.rank - 2]! : 0;
  }

  /** The batch size of the cached tensors (0 when empty). */
  get batchSize(): number {
    return this.layers[0]?.key.shape[0] ?? 0;
  }

  /**
   * Appends `key` and `value` [B,H,Tnew,D] to `layer`'s cache and returns the full keys and values
   * [B,H,Tpast+Tnew,D].
   */
  update(layer: number, key: Tensor, value: Tensor): LayerKV {
    const past = this.layers[layer];
    if (past && (past.key.rank !== key.rank || past.key.shape[0] !== key.shape[0])) {
      throw new Error(
        `KVCache.update: layer ${layer} holds keys [${past.key.shape.join(',')}] but got [${key.shape.join(',')}]`,
      );
    }
    const next: LayerKV = past
      ? { key: concat([past.key, key], 2), value: concat([past.value, value], 2) } // [B,H,Tp,D] + [B,H,Tn,D] → [B,H,Tp+Tn,D]
      : { key, value };
    keep(next.key);
    keep(next.value);
    if (past) {
      // the old tensors are only referenced here unless a graph still needs them (training through a cache)
      if (!past.key.requiresGrad) past.key.dispose();
      if (!past.value.requiresGrad) past.value.dispose();
    }
    this.layers[layer] = next;
    return next;
  }

  /** Frees every cached tensor; the cache is empty afterwards. */
  dispose(): void {
    for (const kv of this.layers) {
      if (!kv) continue;
      kv.key.dispose();
      kv.value.dispose();
    }
    this.layers.length = 0;
  }
}
