/**
 * Helpers that write gpu.js kernel sources. Kernels are JavaScript function *text* (gpu.js transpiles it to GLSL
 * for WebGL/headless-gl and to WGSL for WebGPU), built here as strings so one template serves every op, and so
 * no TypeScript or bundler transform can change what gpu.js parses.
 *
 * Every tensor is a flat texture of `size` float32 values (gpu.js output `[size]`; gpu.js lays it out in a 2-D
 * texture no wider than the device allows, so a 50257-wide row never exceeds the maximum texture size). Index
 * arithmetic is done in float32, which is exact for integers below 2^24: a tensor may hold up to 16,777,216
 * elements on this backend. Division results are corrected explicitly, since GPU division is not exactly rounded.
 */

/** A NaN test that survives GLSL compilers (no isnan in GLSL ES 1.00; `x != x` may be folded away). */
export const isNan = (x: string): string => `(!(${x} < 0.0) && !(${x} >= 0.0))`;

/** Statements: `q = floor(num / den)` and `m = num - q·den`, exact for non-negative integers below 2^24. */
export function divmod(q: string, m: string, num: string, den: string): string {
  return `let ${q} = Math.floor(${num} / ${den});
  let ${m} = ${num} - ${q} * ${den};
  if (${m} < 0.0) { ${q} = ${q} - 1.0; ${m} = ${m} + ${den}; }
  if (${m} >= ${den}) { ${q} = ${q} + 1.0; ${m} = ${m} - ${den}; }
`;
}

/**
 * Statements that split the flat output index into coordinates c0..c{rank-1} over dims d0..d{rank-1} (kernel
 * arguments), then set `i{k}` = o{k} + Σ c·s{k}_axis for each strided input k.
 */
export function stridedIndex(rank: number, inputs: number): string {
  let s = 'let r0 = this.thread.x * 1.0;\n';
  for (let a = rank - 1; a >= 1; a--) {
    s += divmod(`r${rank - a}`, `c${a}`, `r${rank - a - 1}`, `d${a}`);
  }
  s += `let c0 = r${rank - 1};\n`;
  for (let k = 0; k < inputs; k++) {
    const terms = Array.from({ length: rank }, (_, a) => `c${a} * s${k}_${a}`).join(' + ');
    s += `let i${k} = o${k} + ${terms};\n`;
  }
  return s;
}

/** Argument names and types for `stridedIndex`: dims, then each input's offset and strides. */
export function stridedArgs(rank: number, inputs: number): [string, string][] {
  const out: [string, string][] = [];
  for (let a = 1; a < rank; a++) out.push([`d${a}`, 'Float']);
  for (let k = 0; k < inputs; k++) {
    out.push([`o${k}`, 'Float']);
    for (let a = 0; a < rank; a++) out.push([`s${k}_${a}`, 'Float']);
  }
  return out;
}

/** The values for `stridedArgs`. */
export function stridedValues(
  shape: readonly number[],
  inputs: readonly { offset: number; strides: readonly number[] }[],
): number[] {
  const out: number[] = [];
  for (let a = 1; a < shape.length; a++) out.push(shape[a]!);
  for (const x of inputs) {
    out.push(x.offset);
    for (let a = 0; a < shape.length; a++) out.push(x.strides[a]!);
  }
  return out;
}

/** A kernel: its source text and its arguments' gpu.js types, in order. */
export interface KernelSpec {
  source: string;
  args: [string, string][];
}

export function kernel(args: [string, string][], body: string): KernelSpec {
  return { source: `function (${args.map((a) => a[0]).join(', ')}) {\n${body}\n}`, args };
}

/** A texture argument. */
export const TEX = 'ArrayTexture(1)';
