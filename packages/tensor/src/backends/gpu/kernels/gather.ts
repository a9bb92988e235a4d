import { divmod, type KernelSpec, kernel, TEX } from './common.ts';

/** out[i, j] = table[indices[i], j] */
export const gatherSpec: KernelSpec = kernel(
  [
    ['table', TEX],
    ['idx', TEX],
    ['rowLen', 'Float'],
  ],
  `let t = this.thread.x * 1.0;
  ${divmod('i', 'j', 't', 'rowLen')}return table[idx[i] * rowLen + j];`,
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
    ['rowLen', 'Float'],
  ],
  `let t = this.thread.x * 1.0;
  ${divmod('r', 'j', 't', 'rowLen')}let s = starts[r];
  let e = starts[r + 1.0];
  let acc = 0.0;
  for (let p = s; p < e; p = p + 1.0) {
    acc = acc + src[rows[p] * rowLen + j];
  }
  return acc;`,
);

/** scatterAdd when the indices cannot be read on the host (WebGPU): each output element scans every index. */
export const scatterAddScanSpec: KernelSpec = kernel(
  [
    ['src', TEX],
    ['idx', TEX],
    ['numIndices', 'Float'],
    ['rowLen', 'Float'],
    ['skip', 'Float'],
  ],
  `let t = this.thread.x * 1.0;
  ${divmod('r', 'j', 't', 'rowLen')}let acc = 0.0;
  if (r != skip) {
    for (let p = 0.0; p < numIndices; p = p + 1.0) {
      if (idx[p] == r) { acc = acc + src[p * rowLen + j]; }
    }
  }
  return acc;`,
);

/** Concatenates up to four parts, each viewed as [outer, w_p], along the last axis. */
export function concatSpec(parts: number): KernelSpec {
  const args: [string, string][] = [];
  for (let p = 0; p < parts; p++) args.push([`p${p}`, TEX]);
  for (let p = 0; p < parts; p++) args.push([`w${p}`, 'Float']);
  args.push(['total', 'Float']);
  let body = `let t = this.thread.x * 1.0;\n  ${divmod('o', 'c', 't', 'total')}let r = 0.0;\n`;
  let start = '0.0';
  for (let p = 0; p < parts; p++) {
    const cond = p === parts - 1 ? '' : `if (c < (${start}) + w${p}) `;
    body += `  ${p === 0 ? '' : 'else '}${cond}{ r = p${p}[o * w${p} + c - (${start})]; }\n`;
    start = `${start} + w${p}`;
  }
  return kernel(args, `${body}  return r;`);
}
