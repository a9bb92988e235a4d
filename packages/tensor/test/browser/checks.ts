// The op conformance checks the browser suite runs in a page (WebGL2 and WebGPU through SwiftShader): each builds
// the same computation on the pure-JS cpu backend and on the gpu backend and compares the values, read with
// `await data()` so they also run where reads are asynchronous (WebGPU). Every primitive kernel is reached,
// forward and through backward. Sizes stay small: SwiftShader runs shaders on the CPU.
import type { Backend } from '../../src/backend.ts';
import {
  add,
  arange,
  argmax,
  cast,
  concat,
  crossEntropy,
  div,
  dropout,
  embedding,
  eq,
  erf,
  exp,
  Generator,
  gelu,
  geluNew,
  gt,
  layerNorm,
  log,
  logSoftmax,
  matmul,
  max,
  maximum,
  mean,
  min,
  mul,
  neg,
  permute,
  pow,
  rand,
  randn,
  relu,
  reshape,
  rsqrt,
  setBackend,
  sigmoid,
  slice,
  softmax,
  sqrt,
  sub,
  sum,
  type Tensor,
  tanh,
  tensor,
  tidy,
  transpose,
  where,
} from '../../src/index.ts';

export interface CheckResult {
  name: string;
  ok: boolean;
  message: string;
  ms: number;
}

type Case = [name: string, fn: () => Tensor[], tol: { atol: number; rtol: number }];

const EXACT = { atol: 0, rtol: 0 };
const F32 = { atol: 1e-5, rtol: 1e-5 };
const u = (shape: number[], seed: number, lo = -2, hi = 2): Tensor =>
  add(mul(rand(shape, { seed }), hi - lo), lo);
const ids = (v: number[]): Tensor => tensor(v, undefined, { dtype: 'int32' });

/** value and gradients of a scalar function of fresh leaves */
function grads(make: () => Tensor[], f: (...x: Tensor[]) => Tensor): Tensor[] {
  const leaves = make().map((t) => t.requiresGrad_());
  const y = f(...leaves);
  y.backward();
  return [y, ...leaves.map((l) => l.grad!)];
}

const CASES: Case[] = [
  [
    'unary ops',
    () => {
      const x = u([37], 1, 0.1, 3);
      const s = u([37], 2, -4, 4);
      return [exp(s), log(x), sqrt(x), rsqrt(x), tanh(s), erf(s), relu(s), sigmoid(s), mul(s, s)];
    },
    F32,
  ],
  [
    'binary ops with broadcasting',
    () => {
      const a = u([2, 3, 5], 3);
      const b = u([3, 1], 4);
      return [
        add(a, b),
        sub(a, b),
        mul(a, b),
        div(a, add(b, 3)),
        maximum(a, b),
        eq(a, a),
        pow(u([6], 5, 0.5, 2), 2.5),
      ];
    },
    F32,
  ],
  [
    'int32 arithmetic',
    () => [
      div(ids([7, -7, 9, 100]), ids([2, 2, 3, 7])),
      mul(ids([3, -4]), ids([5, 6])),
      cast(u([8], 6, -5, 5), 'int32'),
    ],
    EXACT,
  ],
  ['where', () => [where(ids([1, 0, 1, 0]), u([4], 7), u([2, 4], 8))], EXACT],
  [
    'reductions',
    () => {
      const x = u([3, 4, 5], 9);
      return [
        sum(x, { axis: 1 }),
        max(x, { axis: 2 }),
        min(x, { axis: [0, 2] }),
        mean(x),
        cast(argmax(x, -1), 'float32'),
      ];
    },
    F32,
  ],
  [
    'matmul: transposes, batch and broadcast',
    () => {
      const a = u([2, 5, 7], 10);
      const b = u([7, 3], 11);
      return [
        matmul(a, b),
        matmul(transpose(a), u([2, 5, 4], 12), { transA: false }),
        matmul(u([3, 7], 13), b, { transA: true, transB: true }),
      ];
    },
    { atol: 1e-5, rtol: 1e-4 },
  ],
  [
    'gather, scatterAdd (embedding forward and backward)',
    () =>
      grads(
        () => [u([10, 4], 14)],
        (w) => sum(mul(embedding(w!, ids([3, 0, 3, 9, 1])), u([5, 4], 15))),
      ),
    F32,
  ],
  [
    'strided copies: permute, slice, transpose, concat',
    () => {
      const x = u([2, 3, 4, 5], 16);
      return [
        permute(x, [0, 2, 1, 3]),
        slice(x, [0, 1, 1, 0], [2, 2, 3, 5]),
        concat([x, x, x, x, x], 3),
        concat([u([3, 1], 17), u([3, 2], 18)], 1),
      ];
    },
    EXACT,
  ],
  [
    'random: uniform bit for bit',
    () => [rand([1003], { seed: 5 }), rand([77], { generator: new Generator(9, 2 ** 32 - 3) })],
    EXACT,
  ],
  ['random: normal', () => [randn([1001], { seed: 6 })], { atol: 2e-5, rtol: 1e-5 }],
  [
    'dropout masks equal the CPU',
    () => [dropout(u([400], 19), 0.3, { generator: new Generator(3) })],
    { atol: 1e-6, rtol: 1e-6 },
  ],
  [
    'softmax, logSoftmax, layerNorm, gelu, geluNew: values and gradients',
    () =>
      grads(
        () => [u([3, 8], 20), u([8], 21), u([8], 22)],
        (x, w, b) =>
          sum(
            mul(
              add(add(softmax(x!), logSoftmax(x!)), add(gelu(layerNorm(x!, w!, b!, 1e-5)), geluNew(x!))),
              u([3, 8], 23),
            ),
          ),
      ),
    { atol: 2e-5, rtol: 1e-4 },
  ],
  [
    'a two-layer MLP: crossEntropy loss and every gradient',
    () =>
      grads(
        () => [u([6, 16], 24, -0.5, 0.5), u([16], 25, -0.1, 0.1), u([16, 11], 26, -0.5, 0.5)],
        (w1, b1, w2) =>
          crossEntropy(matmul(tanh(add(matmul(u([5, 6], 27), w1!), b1!)), w2!), ids([1, 10, 0, 3, 3])),
      ),
    { atol: 1e-5, rtol: 1e-4 },
  ],
  [
    'a 50257-wide output (wider than a texture)',
    () => {
      const logits = matmul(rand([2, 8], { seed: 28 }), rand([50257, 8], { seed: 29 }), { transB: true });
      return [logits, sum(logits, { axis: 1 }), cast(argmax(logits, 1), 'float32')];
    },
    { atol: 1e-4, rtol: 1e-5 },
  ],
  ['arange and index math', () => [cast(arange(100), 'float32')], EXACT],
  [
    'tensors beyond 2^24 elements (GPT-2-sized tables): every kernel indexes them exactly',
    () => {
      // 16,400 × 1,024 = 2^24 + 16,384 elements: rows from 16,384 on lie beyond 2^24, where float32 index
      // arithmetic can no longer tell neighbouring elements apart; each result reads or writes there
      const R = 16400;
      const C = 1024;
      // made by broadcasting (the random kernel costs ~15 s per 2^24 elements on a software renderer), so that
      // every row and column differs
      const x = add(mul(rand([R, 1], { seed: 30 }), rand([C], { seed: 31 })), rand([C], { seed: 36 }));
      const tail = (t: Tensor): Tensor => slice(t, [t.shape[0]! - 3]);
      // indices computed on the device (no host copy): WebGPU's scatterAdd scans them on the GPU
      const [, grad] = grads(
        () => [x],
        (t) => sum(mul(embedding(t!, add(ids([R - 1, 5, R - 1]), 0)), u([3, C], 32))),
      );
      return [
        tail(x), // broadcasting binary ops
        tail(rand([R * C], { seed: 33 })), // random numbers at counters beyond 2^24 / 4
        slice(add(transpose(x), 0), [0, R - 3]), // a transposed input
        tail(where(gt(x, 0.5), x, neg(x))),
        tail(concat([x, slice(x, [0, 0], [2, C])], 0)),
        tail(concat([x, slice(x, [0, 0], [R, 1])], 1)), // rows of C + 1: the part offsets pass 2^24 too
        embedding(x, ids([R - 1, 3, R - 2])), // gather
        tail(grad!), // scatterAdd (embedding backward)
        matmul(u([2, C], 34), x, { transB: true }), // the tied LM head's read of the embedding
        matmul(u([2, 2, C], 37), reshape(x, [2, R / 2, C]), { transB: true }), // batch 1 ends past 2^24
        slice(sum(x, { axis: 1 }), [R - 8]),
        sum(x, { axis: 0 }),
        slice(cast(argmax(x, 1), 'float32'), [R - 8]),
      ];
    },
    { atol: 1e-4, rtol: 1e-5 },
  ],
];

async function valuesOn(backend: Backend, fn: () => Tensor[]): Promise<Float32Array[]> {
  setBackend(backend);
  const outs = tidy(() => fn());
  const vals = await Promise.all(outs.map(async (t) => Float32Array.from(await t.data())));
  for (const t of outs) t.dispose();
  return vals;
}

function compare(a: Float32Array[], b: Float32Array[], tol: { atol: number; rtol: number }): string {
  if (a.length !== b.length) return `${a.length} outputs vs ${b.length}`;
  for (let k = 0; k < a.length; k++) {
    const x = a[k]!;
    const y = b[k]!;
    if (x.length !== y.length) return `output ${k}: ${x.length} elements vs ${y.length}`;
    for (let i = 0; i < x.length; i++) {
      const e = x[i]!;
      const g = y[i]!;
      if (Number.isNaN(e) && Number.isNaN(g)) continue;
      if (!(Math.abs(e - g) <= tol.atol + tol.rtol * Math.abs(e))) {
        return `output ${k} element ${i}: gpu ${g} vs cpu ${e}`;
      }
    }
  }
  return '';
}

/** Runs every case on both backends; `cpu` is the reference. */
export async function runChecks(gpu: Backend, cpu: Backend): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const [name, fn, tol] of CASES) {
    const t0 = performance.now();
    let message = '';
    try {
      const ref = await valuesOn(cpu, fn);
      const got = await valuesOn(gpu, fn);
      message = compare(ref, got, tol);
    } catch (e) {
      message = `threw: ${(e as Error).stack ?? e}`;
    }
    results.push({ name, ok: message === '', message, ms: Math.round(performance.now() - t0) });
  }
  return results;
}
