import { type Generator, getDefaultGenerator } from '../../random.ts';
import type { Tensor } from '../../tensor.ts';
import { ge, mul } from '../binary.ts';
import { rand } from '../create.ts';

export interface DropoutOptions {
  /** when false (eval), dropout is the identity */
  training?: boolean;
  generator?: Generator;
}

/**
 * Zeroes each element with probability p and scales the rest by 1/(1-p). The mask comes from the
 * counter-based generator, so the same seed drops the same elements on every backend.
 */
export function dropout(x: Tensor, p: number, options: DropoutOptions = {}): Tensor {
  if (p < 0 || p >= 1) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  if (options.training === false || p === 0) return x;
  const u = rand(x.shape, { generator: options.generator ?? getDefaultGenerator(), backend: x.backend });
  const keep = ge(u, p);
  u.dispose();
  const out = mul(x, mul(keep, 1 / (1 - p)));
  keep.dispose();
  return out;
}
