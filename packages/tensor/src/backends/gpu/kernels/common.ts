/**
 * Helpers that write gpu.js kernel sources. Kernels are JavaScript function *text* (gpu.js transpiles it to GLSL
 * for WebGL/headless-gl and to WGSL for WebGPU), built here as strings so one template serves every op, and so
 * no TypeScript or bundler transform can change what gpu.js parses.
 *
 * Every tensor is a flat texture (or storage buffer) of `size` float32 values (gpu.js output `[size]`; gpu.js
 * lays a texture out in two dimensions no wider than the device allows, so a 50257-wide row never exceeds the
 * maximum texture size).
 *
 * **Index arithmetic is 32-bit integer arithmetic.** gpu.js types every `let` as a float, and a float32 holds
 * integers exactly only below 2^24 (16.7M), fewer elements than GPT-2's 50257 × 768 embedding or a batch of
 * 50257-wide logits. So an element's index is never stored in a variable: it is one integer expression inside the
 * brackets of `x[...]`, built from `this.thread.x`, `Integer` kernel arguments (dims, strides, offsets) and the
 * integer functions of `nativeFunctions` (`idiv`, `imod`, `toI`), which gpu.js cannot express (its `/` is always
 * fractional and its variables are floats) and which are therefore written as native GLSL and WGSL functions.
 * Quantities that stay small (a coordinate along one axis, a counter) may live in float variables.
 */

/** A NaN test that survives GLSL compilers (no isnan in GLSL ES 1.00; `x != x` may be folded away). */
export const isNan = (x: string): string => `(!(${x} < 0.0) && !(${x} >= 0.0))`;

/** A native function for gpu.js (`nativeFunctions` setting), typed so that gpu.js need not parse its source. */
export interface NativeFunction {
  name: string;
  source: string;
  argumentTypes: Record<string, string>;
  returnType: string;
}

const II = { a: 'Integer', b: 'Integer' };

/**
 * The integer helpers, in the shading language of each mode. `idiv(a, b)` = ⌊a / b⌋ and `imod(a, b)` = a mod b
 * for a ≥ 0, b > 0, corrected once in case a GPU's integer division is inexact (GLSL ES 1.00 allows emulating
 * integers in floats); `toI(v)` turns a float holding an integer into an int. WGSL names take gpu.js's `fn_`
 * prefix for native calls.
 */
export function nativeFunctions(wgsl: boolean): NativeFunction[] {
  if (wgsl) {
    return [
      {
        name: 'idiv',
        source: 'fn fn_idiv(a : i32, b : i32) -> i32 { return a / b; }',
        argumentTypes: II,
        returnType: 'Integer',
      },
      {
        name: 'imod',
        source: 'fn fn_imod(a : i32, b : i32) -> i32 { return a % b; }',
        argumentTypes: II,
        returnType: 'Integer',
      },
      {
        name: 'toI',
        source: 'fn fn_toI(v : f32) -> i32 { return i32(floor(v + 0.5)); }',
        argumentTypes: { v: 'Float' },
        returnType: 'Integer',
      },
    ];
  }
  return [
    {
      name: 'idiv',
      source: `int idiv(int a, int b) {
  int q = a / b;
  int r = a - q * b;
  if (r < 0) { q = q - 1; } else if (r >= b) { q = q + 1; }
  return q;
}`,
      argumentTypes: II,
      returnType: 'Integer',
    },
    {
      name: 'imod',
      source: `int imod(int a, int b) {
  int r = a - (a / b) * b;
  if (r < 0) { r = r + b; } else if (r >= b) { r = r - b; }
  return r;
}`,
      argumentTypes: II,
      returnType: 'Integer',
    },
    {
      name: 'toI',
      source: 'int toI(float v) { return int(floor(v + 0.5)); }',
      argumentTypes: { v: 'Float' },
      returnType: 'Integer',
    },
  ];
}

/**
 * Integer expressions for the coordinates of the output element `this.thread.x` over a shape of `rank` dims:
 * `c[a]` uses the `Integer` arguments `p{a}` (the product of the dims after axis a) and `d{a}` (axis a's length).
 */
export function coordinates(rank: number): string[] {
  const t = 'this.thread.x';
  if (rank === 1) return [t];
  return Array.from({ length: rank }, (_, a) => {
    if (a === 0) return `idiv(${t}, p0)`;
    if (a === rank - 1) return `imod(${t}, d${a})`;
    return `imod(idiv(${t}, p${a}), d${a})`;
  });
}

/** For each strided input k, its element index `o{k} + Σ c_a·s{k}_a` as an integer expression. */
export function stridedIndices(rank: number, inputs: number): string[] {
  const c = coordinates(rank);
  return Array.from(
    { length: inputs },
    (_, k) => `(o${k} + ${c.map((x, a) => `${x} * s${k}_${a}`).join(' + ')})`,
  );
}

/** Argument names and types for `stridedIndices`: products and dims, then each input's offset and strides. */
export function stridedArgs(rank: number, inputs: number): [string, string][] {
  const out: [string, string][] = [];
  for (let a = 0; a < rank - 1; a++) out.push([`p${a}`, 'Integer']);
  for (let a = 1; a < rank; a++) out.push([`d${a}`, 'Integer']);
  for (let k = 0; k < inputs; k++) {
    out.push([`o${k}`, 'Integer']);
    for (let a = 0; a < rank; a++) out.push([`s${k}_${a}`, 'Integer']);
  }
  return out;
}

/** The values for `stridedArgs`. */
export function stridedValues(
  shape: readonly number[],
  inputs: readonly { offset: number; strides: readonly number[] }[],
): number[] {
  const out: number[] = [];
  let p = 1;
  const products: number[] = [];
  for (let a = shape.length - 1; a >= 1; a--) {
    p *= shape[a]!;
    products.unshift(p);
  }
  out.push(...products);
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
