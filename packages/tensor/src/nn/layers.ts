import { noGrad } from '../autograd.ts';
import { tidy } from '../engine.ts';
import { eq, mul, sub } from '../ops/binary.ts';
import { dropout } from '../ops/composite/dropout.ts';
import { layerNorm } from '../ops/composite/layer-norm.ts';
import { arange, full, rand, randn, zeros } from '../ops/create.ts';
import { indexSelect } from '../ops/gather.ts';
import { linear } from '../ops/matmul.ts';
import { reshape } from '../ops/shape-ops.ts';
import { where } from '../ops/where.ts';
import { type Generator, getDefaultGenerator } from '../random.ts';
import type { Tensor } from '../tensor.ts';
import { Module, parameter } from './module.ts';

export interface InitOptions {
  generator?: Generator;
}

let initEnabled = true;

/**
 * Builds modules without drawing initial values: parameters are allocated (lazily zeroed memory on the CPU)
 * and `normal_` / `uniform_` do nothing. For models whose weights are loaded from a checkpoint next, so that a
 * gpt2-sized model is ready in milliseconds instead of seconds of random draws.
 */
export function withoutInit<T>(build: () => T): T {
  const prev = initEnabled;
  initEnabled = false;
  try {
    return build();
  } finally {
    initEnabled = prev;
  }
}

/** Fills `t` with N(0, std²) in place (the Hugging Face initialisation of weights). */
export function normal_(t: Tensor, std: number, options: InitOptions = {}): Tensor {
  if (!initEnabled) return t;
  // tidy frees the draws (t keeps the scaled one's storage)
  return noGrad(() =>
    tidy(() =>
      t.assign(
        mul(
          randn(t.shape, { generator: options.generator ?? getDefaultGenerator(), backend: t.backend }),
          std,
        ),
      ),
    ),
  );
}

/** Fills `t` with U(-bound, bound) in place. */
export function uniform_(t: Tensor, bound: number, options: InitOptions = {}): Tensor {
  if (!initEnabled) return t;
  return noGrad(() =>
    tidy(() => {
      const u = rand(t.shape, { generator: options.generator ?? getDefaultGenerator(), backend: t.backend });
      return t.assign(mul(sub(u, 0.5), 2 * bound));
    }),
  );
}

/** y = x·Wᵀ + b with weight [out, in], like torch.nn.Linear (and its default init, U(±1/√in)). */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  constructor(inFeatures: number, outFeatures: number, options: InitOptions & { bias?: boolean } = {}) {
    super();
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = parameter(uniform_(zeros([outFeatures, inFeatures]), bound, options));
    this.bias = options.bias === false ? null : parameter(uniform_(zeros([outFeatures]), bound, options));
  }
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

/** A lookup table [num, dim]; `paddingIdx`'s row starts at zero and gets no gradient from lookups. */
export class Embedding extends Module {
  weight: Tensor;
  readonly paddingIdx: number | null;
  constructor(
    numEmbeddings: number,
    dim: number,
    options: InitOptions & { paddingIdx?: number | null } = {},
  ) {
    super();
    this.paddingIdx = options.paddingIdx ?? null;
    const w = normal_(zeros([numEmbeddings, dim]), 1, options);
    if (this.paddingIdx !== null && initEnabled) {
      noGrad(() =>
        tidy(() => {
          const row = reshape(arange(numEmbeddings, undefined, 1, { backend: w.backend }), [
            numEmbeddings,
            1,
          ]);
          w.assign(where(eq(row, this.paddingIdx!), 0, w));
        }),
      );
    }
    this.weight = parameter(w);
  }
  forward(ids: Tensor): Tensor {
    return indexSelect(this.weight, ids, { paddingIdx: this.paddingIdx });
  }
}

/** LayerNorm over the last axis with a learned scale (ones) and shift (zeros). */
export class LayerNorm extends Module {
  weight: Tensor;
  bias: Tensor;
  readonly eps: number;
  constructor(dim: number, options: { eps?: number } = {}) {
    super();
    this.eps = options.eps ?? 1e-5;
    this.weight = parameter(full([dim], 1));
    this.bias = parameter(zeros([dim]));
  }
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}

/** Dropout that is active only while the module is training. */
export class Dropout extends Module {
  readonly p: number;
  generator: Generator | undefined;
  constructor(p: number, options: InitOptions = {}) {
    super();
    this.p = p;
    this.generator = options.generator;
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training, generator: this.generator });
  }
}
