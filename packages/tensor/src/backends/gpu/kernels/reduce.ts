import type { ReduceOp } from '../../../backend.ts';
import { isNan, type KernelSpec, kernel, TEX } from './common.ts';

/**
 * Reduces the middle axis of x viewed as [outer, len, inner]; one thread per output element loops over `len`.
 * Sums accumulate in blocks of 64 (a two-level sum), which keeps the float32 rounding error near that of a
 * pairwise sum (the CPU backend sums in float64; see the README for the tolerance this gives).
 */
export function reduceSpec(op: ReduceOp): KernelSpec {
  // the first element reduced, an integer expression (see common.ts); `li` = len · inner
  const base = '(idiv(this.thread.x, inner) * li + imod(this.thread.x, inner))';
  const args: [string, string][] = [
    ['x', TEX],
    ['len', 'Integer'],
    ['inner', 'Integer'],
    ['li', 'Integer'],
  ];
  if (op === 'sum') {
    return kernel(
      args,
      `let acc = 0.0;
  let part = 0.0;
  let cnt = 0.0;
  for (let j = 0; j < len; j++) {
    part = part + x[${base} + j * inner];
    cnt = cnt + 1.0;
    if (cnt >= 64.0) { acc = acc + part; part = 0.0; cnt = 0.0; }
  }
  return acc + part;`,
    );
  }
  const better = op === 'min' ? 'v < best' : 'v > best';
  return kernel(
    args,
    `let best = x[${base}];
  let at = 0.0;
  let nan = ${isNan('best')} ? 1.0 : 0.0;
  for (let j = 1; j < len; j++) {
    if (nan == 0.0) {
      let v = x[${base} + j * inner];
      if (${better} || ${isNan('v')}) { best = v; at = j * 1.0; }
      if (${isNan('v')}) { nan = 1.0; }
    }
  }
  return ${op === 'argmax' ? 'at' : 'best'};`,
  );
}
