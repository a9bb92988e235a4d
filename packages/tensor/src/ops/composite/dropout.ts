import { type Generator, getDefaultGenerator } from '../../random.ts';
import { makeTensor, type Tensor } from '../../tensor.ts';
import { ge, mul } from '../binary.ts';
import { rand } from '../create.ts';

export interface DropoutOptions {
  /** when false (eval), dropout is the identity */
  training?: boolean;
  generator?: Generator;
}

/**
 * Zeroes each element with probability p and scales the rest by 1/(1-p). The mask comes from the
 * counter-based generator, so the same seed drops the same elements on every backend; with a fused kernel the
 * backward regenerates the mask from (seed, offset) instead of storing it.
 */
export function dropout(x: Tensor, p: number, options: DropoutOptions = {}): Tensor {
  if (p < 0 || p >= 1) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  if (options.training === false || p === 0) return x;
  const generator = options.generator ?? getDefaultGenerator();
  const fused = x.backend.fused;
  if (fused) {
    const seed = generator.seed;
    const offset = generator.take(x.size + 1);
    return makeTensor(
      x.backend,
      fused.dropout(x.storage, x.size, p, seed, offset),
      x.shape,
      'float32',
      () => ({
        op: 'dropout',
        inputs: [x],
        backward: (g) => [
          makeTensor(x.backend, fused.dropout(g.storage, g.size, p, seed, offset), x.shape, 'float32'),
        ],
      }),
    );
  }
  const u = rand(x.shape, { generator, backend: x.backend });
  const keep = ge(u, p);
  return mul(x, mul(keep, 1 / (1 - p)));
}
