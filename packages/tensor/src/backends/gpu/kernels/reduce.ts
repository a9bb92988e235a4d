import type { ReduceOp } from '../../../backend.ts';
import { divmod, isNan, type KernelSpec, kernel, TEX } from './common.ts';

/**
 * Reduces the middle axis of x viewed as [outer, len, inner]; one thread per output element loops over `len`.
 * Sums accumulate in blocks of 64 (a two-level sum), which keeps the float32 rounding error near that of a
 * pairwise sum (the CPU backend sums in float64; see the README for the tolerance this gives).
 */
export function reduceSpec(op: ReduceOp): KernelSpec {
  const head = `let t = this.thread.x * 1.0;\n  ${divmod('o', 'i', 't', 'inner')}let base = o * len * inner + i;\n`;
  if (op === 'sum') {
    return kernel(
      [
        ['x', TEX],
        ['len', 'Float'],
        ['inner', 'Float'],
      ],
      `${head}let acc = 0.0;
  let part = 0.0;
  let cnt = 0.0;
  for (let j = 0.0; j < len; j = j + 1.0) {
    part = part + x[base + j * inner];
    cnt = cnt + 1.0;
    if (cnt >= 64.0) { acc = acc + part; part = 0.0; cnt = 0.0; }
  }
  return acc + part;`,
    );
  }
  const better = op === 'min' ? 'v < best' : 'v > best';
  return kernel(
    [
      ['x', TEX],
      ['len', 'Float'],
      ['inner', 'Float'],
    ],
    `${head}let best = x[base];
  let at = 0.0;
  let nan = ${isNan('best')} ? 1.0 : 0.0;
  for (let j = 1.0; j < len; j = j + 1.0) {
    if (nan == 0.0) {
      let v = x[base + j * inner];
      if (${better} || ${isNan('v')}) { best = v; at = j; }
      if (${isNan('v')}) { nan = 1.0; }
    }
  }
  return ${op === 'argmax' ? 'at' : 'best'};`,
  );
}
