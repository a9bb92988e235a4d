import {
  canCopyInto,
  concat,
  copyInto_,
  isGradEnabled,
  keep,
  narrow,
  noGrad,
  type Tensor,
  zeros,
} from '@tsformer/tensor';

/** One layer's cached keys and values, [B,H,capacity,D] each; positions [0, length) along axis 2 are filled. */
export interface LayerKV {
  key: Tensor;
  value: Tensor;
  /** filled positions; attention reads only these (`keyLength`) */
  length: number;
}

export interface KVCacheOptions {
  /** the most positions the cache will hold (a model's context): buffers are never allocated larger */
  maxLength?: number;
}

/** Positions a buffer starts with: enough for a short prompt without regrowing at once. */
const MIN_CAPACITY = 64;

/**
 * Keys and values of the tokens seen so far, per layer, for incremental decoding: a step with one new token
 * computes only that token's q, k and v, appends k and v here and attends over the whole cache, so each new
 * token costs work proportional to the context instead of its square.
 *
 * Where the backend writes in place (the CPU backend) and no gradient is recorded, each layer's keys and values
 * live in preallocated buffers [B,H,capacity,D] that new positions are written into (`copyInto_`), doubling
 * when full (at most `maxLength`): appending a token copies only that token's keys and values, and attention
 * reads the filled prefix in place (`keyLength`). Otherwise (a GPU backend, or training through a cache) each
 * update concatenates, and the buffers are exactly `length` long. Tensors held here are kept out of any `tidy`
 * scope; replaced ones are disposed. Call `dispose()` when done.
 */
export class KVCache {
  readonly layers: (LayerKV | undefined)[] = [];
  private readonly maxLength: number;

  constructor(options: KVCacheOptions = {}) {
    this.maxLength = options.maxLength ?? Number.POSITIVE_INFINITY;
  }

  /** The number of cached positions (of layer 0; every layer agrees between forward passes). */
  get length(): number {
    return this.layers[0]?.length ?? 0;
  }

  /** The batch size of the cached tensors (0 when empty). */
  get batchSize(): number {
    return this.layers[0]?.key.shape[0] ?? 0;
  }

  /**
   * Appends `key` and `value` [B,H,Tnew,D] to `layer`'s cache and returns the layer's buffers with their
   * filled length, Tpast + Tnew.
   */
  update(layer: number, key: Tensor, value: Tensor): LayerKV {
    const past = this.layers[layer];
    if (past && (past.key.rank !== key.rank || past.key.shape[0] !== key.shape[0])) {
      throw new Error(
        `KVCache.update: layer ${layer} holds keys [${past.key.shape.join(',')}] but got [${key.shape.join(',')}]`,
      );
    }
    const pastLength = past?.length ?? 0;
    const length = pastLength + key.shape[2]!;
    const graph =
      isGradEnabled() && (key.requiresGrad || value.requiresGrad || past?.key.requiresGrad === true);
    if (graph || !canCopyInto(key)) {
      // [B,H,Tp,D] + [B,H,Tn,D] → [B,H,Tp+Tn,D]
      const prefix = (t: Tensor): Tensor => (t.shape[2] === pastLength ? t : narrow(t, 2, 0, pastLength));
      const next: LayerKV = past
        ? { key: concat([prefix(past.key), key], 2), value: concat([prefix(past.value), value], 2), length }
        : { key, value, length };
      this.replace(layer, next);
      return next;
    }
    return noGrad(() => {
      let buffers = past;
      if (!buffers || buffers.key.shape[2]! < length) {
        // a new pair of buffers, twice what is needed (at most maxLength), holding what was cached
        const capacity = Math.max(
          length,
          Math.min(this.maxLength, Math.max(MIN_CAPACITY, 2 ** Math.ceil(Math.log2(length)))),
        );
        const grown = (t: Tensor, old: Tensor | undefined): Tensor => {
          const shape = [...t.shape];
          shape[2] = capacity;
          const buffer = zeros(shape, { backend: t.backend });
          if (old && pastLength > 0) {
            const filled = old.shape[2] === pastLength ? old : narrow(old, 2, 0, pastLength);
            copyInto_(buffer, 2, 0, filled);
            if (filled !== old) filled.dispose();
          }
          return buffer;
        };
        buffers = { key: grown(key, past?.key), value: grown(value, past?.value), length: pastLength };
      }
      copyInto_(buffers.key, 2, pastLength, key);
      copyInto_(buffers.value, 2, pastLength, value);
      const next: LayerKV = { key: buffers.key, value: buffers.value, length };
      this.replace(layer, next);
      return next;
    });
  }

  private replace(layer: number, next: LayerKV): void {
    const past = this.layers[layer];
    keep(next.key);
    keep(next.value);
    if (past) {
      // the old tensors are only referenced here unless a graph still needs them (training through a cache)
      if (past.key !== next.key && !past.key.requiresGrad) past.key.dispose();
      if (past.value !== next.value && !past.value.requiresGrad) past.value.dispose();
    }
    this.layers[layer] = next;
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
