import { type KernelSpec, kernel, TEX } from './common.ts';

// Index arithmetic is integer throughout (see common.ts): `R`/`J` are the output element's row and column.
const R = 'idiv(this.thread.x, rowLen)';
const J = 'imod(this.thread.x, rowLen)';

/** out[i, j] = table[indices[i], j] */
export const gatherSpec: KernelSpec = kernel(
  [
    ['table', TEX],
    ['idx', TEX],
    ['rowLen', 'Integer'],
  ],
  // (the row is read into a variable first: gpu.js hoists a texture read inside an index into a float variable)
  `let row = idx[${R}];
  return table[toI(row) * rowLen + ${J}];`,
);

/**
 * scatterAdd as a gather: the host sorts the source rows by destination (a CSR list: `starts[r]..starts[r+1]`
 * index `rows`), so each output element sums only its own sources, in a fixed order (deterministic, unlike
 * atomics), and no two threads write one element.
 */
export const scatterAddCsrSpec: KernelSpec = kernel(
  [
    ['src', TEX],
    ['rows', 'Array'],
    ['starts', 'Array'],
    ['rowLen', 'Integer'],
  ],
  `let s = starts[${R}];
  let e = starts[${R} + 1];
  let j = ${J};
  let acc = 0.0;
  for (let q = 0; q < toI(e - s); q++) {
    let from = rows[toI(s) + q];
    acc = acc + src[toI(from) * rowLen + toI(j)];
  }
  return acc;`,
);

/** scatterAdd when the indices cannot be read on the host (WebGPU): each output element scans every index. */
export const scatterAddScanSpec: KernelSpec = kernel(
  [
    ['src', TEX],
    ['idx', TEX],
    ['numIndices', 'Integer'],
    ['rowLen', 'Integer'],
    ['skip', 'Float'],
  ],
  `let r = ${R};
  let j = ${J};
  let acc = 0.0;
  if (r != skip) {
    for (let p = 0; p < numIndices; p++) {
      if (idx[p] == r) { acc = acc + src[p * rowLen + toI(j)]; }
    }
  }
  return acc;`,
);

/** Concatenates up to four parts, each viewed as [outer, w_p], along the last axis (`total` = Σ w_p). */
export function concatSpec(parts: number): KernelSpec {
  const args: [string, string][] = [];
  for (let p = 0; p < parts; p++) args.push([`p${p}`, TEX]);
  for (let p = 0; p < parts; p++) args.push([`w${p}`, 'Integer']);
  args.push(['total', 'Integer']);
  const o = 'idiv(this.thread.x, total)';
  const c = 'imod(this.thread.x, total)';
  let body = 'let r = 0.0;\n';
  let start = '';
  for (let p = 0; p < parts; p++) {
    const cond = p === parts - 1 ? '' : `if (${c} < ${start}w${p}) `;
    const at = start === '' ? c : `${c} - (${start.slice(0, -3)})`;
    body += `  ${p === 0 ? '' : 'else '}${cond}{ r = p${p}[${o} * w${p} + ${at}]; }\n`;
    start += `w${p} + `;
  }
  return kernel(args, `${body}  return r;`);
}
