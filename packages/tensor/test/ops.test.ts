import { describe, expect, it } from 'vitest';
import {
  abs,
  add,
  arange,
  argmax,
  canCopyInto,
  cast,
  concat,
  copyInto_,
  crossEntropy,
  div,
  dropout,
  embedding,
  eq,
  erf,
  exp,
  expand,
  full,
  Generator,
  gelu,
  geluNew,
  indexSelect,
  layerNorm,
  linear,
  log,
  logSoftmax,
  maskedFill,
  matmul,
  max,
  maximum,
  mean,
  min,
  mul,
  narrow,
  neg,
  permute,
  pow,
  rand,
  randn,
  relu,
  reshape,
  rsqrt,
  sigmoid,
  slice,
  softmax,
  split,
  sqrt,
  square,
  sub,
  sum,
  tanh,
  tensor,
  transpose,
  where,
  zeros,
} from '../src/index.ts';
import { describeBackends, expectClose, gradcheck } from '../src/testing/index.ts';

/** x ~ U(lo, hi) of a shape, from a seed (values independent of any op under test) */
const u = (shape: number[], seed: number, lo = -2, hi = 2) => add(mul(rand(shape, { seed }), hi - lo), lo);

describeBackends(['cpu', 'cpu-js', 'gpu'], () => {
  describe('elementwise values', () => {
    it('arithmetic with broadcasting matches hand-computed values', () => {
      const a = tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]);
      const b = tensor([10, 20, 30]);
      expect(add(a, b).toArray()).toEqual([
        [11, 22, 33],
        [14, 25, 36],
      ]);
      expect(sub(a, tensor([[1], [2]])).toArray()).toEqual([
        [0, 1, 2],
        [2, 3, 4],
      ]);
      expect(mul(a, 2).toArray()).toEqual([
        [2, 4, 6],
        [8, 10, 12],
      ]);
      expect(div(tensor([1, 3]), tensor([4, 8])).toArray()).toEqual([0.25, 0.375]);
      expect(pow(tensor([2, 3]), 2).toArray()).toEqual([4, 9]);
      expect(maximum(tensor([1, 5]), tensor([3, 2])).toArray()).toEqual([3, 5]);
      // [2,1,3] + [4,1] → [2,4,3]
      const c = add(
        reshape(arange(6, undefined, 1, { dtype: 'float32' }), [2, 1, 3]),
        reshape(tensor([0, 10, 20, 30]), [4, 1]),
      );
      expect(c.shape).toEqual([2, 4, 3]);
      expect((c.toArray() as number[][][])[1]![2]).toEqual([23, 24, 25]);
    });

    it('unary functions match Math and Python math.erf', () => {
      const xs = [-3, -1.5, -0.7, -0.2, -1e-3, 0, 1e-4, 0.3, 0.49, 0.5, 0.51, 1, 2, 3.5, 5];
      // Python 3 math.erf of xs
      const ref = [
        -0.9999779095030014, -0.9661051464753108, -0.6778011938374184, -0.22270258921047847,
        -0.0011283787909692365, 0, 0.00011283791633342487, 0.3286267594591274, 0.511668261188523,
        0.5204998778130465, 0.5292436198411704, 0.8427007929497149, 0.9953222650189527, 0.9999992569016276,
        0.9999999999984626,
      ];
      expectClose(erf(tensor(xs)), ref, { atol: 1e-7, rtol: 2e-7 });
      const x = tensor([0.25, 1, 2.5]);
      expectClose(exp(x), [Math.exp(0.25), Math.E, Math.exp(2.5)], { rtol: 1e-6 });
      expectClose(log(x), [Math.log(0.25), 0, Math.log(2.5)], { rtol: 1e-6, atol: 1e-7 });
      expectClose(sqrt(x), [0.5, 1, Math.sqrt(2.5)], { rtol: 1e-6 });
      expectClose(rsqrt(x), [2, 1, 1 / Math.sqrt(2.5)], { rtol: 1e-6 });
      expectClose(tanh(x), [Math.tanh(0.25), Math.tanh(1), Math.tanh(2.5)], { rtol: 1e-6 });
      expectClose(sigmoid(tensor([0, 2])), [0.5, 1 / (1 + Math.exp(-2))], { rtol: 1e-6 });
      expect(relu(tensor([-1, 0, 2])).toArray()).toEqual([0, 0, 2]);
      expect(abs(tensor([-1.5, 2])).toArray()).toEqual([1.5, 2]);
      expect(neg(tensor([1, -2])).toArray()).toEqual([-1, 2]);
      expect(square(tensor([3])).toArray()).toEqual([9]);
    });

    it('GELU in both forms matches the formulas evaluated in float64', () => {
      // Python: 0.5*x*(1+math.erf(x/math.sqrt(2)))
      const xs = [-2, -0.5, 0.1, 1, 3];
      const exact = xs.map(
        (x) =>
          0.5 *
          x *
          (1 +
            [
              -0.9544997361036416, -0.3829249225480262, 0.0796556745682, 0.6826894921370859,
              0.9973002039367398,
            ][xs.indexOf(x)]!),
      );
      expectClose(gelu(tensor(xs)), exact, { atol: 1e-6, rtol: 1e-6 });
      // Python: 0.5*x*(1+math.tanh(math.sqrt(2/math.pi)*(x+0.044715*x**3)))
      expectClose(
        geluNew(tensor(xs)),
        [
          -0.04540230591222494, -0.15428599017485606, 0.053982751045435165, 0.8411919906082768,
          2.996362607918227,
        ],
        {
          atol: 1e-6,
          rtol: 1e-6,
        },
      );
    });

    it('numbers outside int32 promote an int32 operand to float32', () => {
      const i = tensor([1, 0], [2], { dtype: 'int32' });
      const w = where(i, 0, -3.4028234663852886e38);
      expect(w.dtype).toBe('float32');
      expect(w.toArray()).toEqual([0, -3.4028234663852886e38]);
      expect(add(i, -1e10).toArray()).toEqual([Math.fround(1 - 1e10), Math.fround(-1e10)]);
      expect(add(i, 2).dtype).toBe('int32');
    });

    it('where, maskedFill, comparisons and casts', () => {
      const cond = tensor([1, 0, 1]);
      expect(where(cond, tensor([1, 2, 3]), tensor([-1, -2, -3])).toArray()).toEqual([1, -2, 3]);
      expect(
        maskedFill(
          tensor([
            [1, 2],
            [3, 4],
          ]),
          tensor([[0], [1]]),
          -9,
        ).toArray(),
      ).toEqual([
        [1, 2],
        [-9, -9],
      ]);
      expect(eq(tensor([1, 2]), tensor([1, 3])).toArray()).toEqual([1, 0]);
      const i = cast(tensor([1.7, -1.7, 3]), 'int32');
      expect(i.dtype).toBe('int32');
      expect(i.toArray()).toEqual([1, -1, 3]);
    });
  });

  describe('reductions', () => {
    const x = () =>
      tensor([
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        [
          [7, 8],
          [9, 10],
          [11, 12],
        ],
      ]); // [2,3,2]
    it('sum/mean/max/min over axes, keepDims', () => {
      expect(sum(x()).item()).toBe(78);
      expect(sum(x(), { axis: 1 }).toArray()).toEqual([
        [9, 12],
        [27, 30],
      ]);
      expect(sum(x(), { axis: [0, 2] }).toArray()).toEqual([18, 26, 34]);
      expect(sum(x(), { axis: -1, keepDims: true }).shape).toEqual([2, 3, 1]);
      expect(mean(x(), { axis: 0 }).toArray()).toEqual([
        [4, 5],
        [6, 7],
        [8, 9],
      ]);
      expect(max(x(), { axis: 1 }).toArray()).toEqual([
        [5, 6],
        [11, 12],
      ]);
      expect(min(x(), { axis: [1, 2] }).toArray()).toEqual([1, 7]);
      expect(
        argmax(
          tensor([
            [1, 9, 3],
            [7, 2, 7],
          ]),
        ).toArray(),
      ).toEqual([1, 0]);
    });
    it('softmax and logSoftmax are stable for large inputs', () => {
      const s = softmax(tensor([[1000, 1001, 1002]]));
      const e = [Math.exp(-2), Math.exp(-1), 1];
      const z = e.reduce((a, b) => a + b);
      expectClose(s, [e.map((v) => v / z)].flat(), { rtol: 1e-6 });
      expectClose(
        logSoftmax(tensor([[1000, 1001, 1002]])),
        e.map((v) => Math.log(v / z)),
        { rtol: 1e-6 },
      );
    });
  });

  describe('matmul', () => {
    const naive = (a: number[], b: number[], m: number, k: number, n: number) => {
      const out = new Array<number>(m * n).fill(0);
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++)
          for (let p = 0; p < k; p++) out[i * n + j]! += a[i * k + p]! * b[p * n + j]!;
      return out;
    };
    it('2-D, transposed operands and batched with broadcasting equal a float64 reference', () => {
      const a = u([5, 7], 1);
      const b = u([7, 3], 2);
      const ref = naive([...a.dataSync()], [...b.dataSync()], 5, 7, 3);
      expectClose(matmul(a, b), ref, { rtol: 1e-5, atol: 1e-5 });
      expectClose(matmul(transpose(a), b, { transA: true }), ref, { rtol: 1e-5, atol: 1e-5 });
      expectClose(matmul(a, transpose(b), { transB: true }), ref, { rtol: 1e-5, atol: 1e-5 });
      expectClose(matmul(transpose(a), transpose(b), { transA: true, transB: true }), ref, {
        rtol: 1e-5,
        atol: 1e-5,
      });
      // [2,1,5,7] × [3,7,3] → [2,3,5,3]
      const A = u([2, 1, 5, 7], 3);
      const B = u([3, 7, 3], 4);
      const C = matmul(A, B);
      expect(C.shape).toEqual([2, 3, 5, 3]);
      const Ad = A.dataSync();
      const Bd = B.dataSync();
      const Cd = C.dataSync();
      for (let i = 0; i < 2; i++)
        for (let j = 0; j < 3; j++) {
          const r = naive([...Ad.slice(i * 35, i * 35 + 35)], [...Bd.slice(j * 21, j * 21 + 21)], 5, 7, 3);
          expectClose(Cd.slice((i * 3 + j) * 15, (i * 3 + j + 1) * 15), r, { rtol: 1e-5, atol: 1e-5 });
        }
    });
    it("bRows reads a prefix of each of b's matrices (a filled buffer), in both layouts", () => {
      // b: 2 heads × 9 stored rows, of which 5 are filled
      const q = u([2, 3, 4], 5);
      const keys = u([2, 9, 4], 6);
      const ref = matmul(q, narrow(keys, 1, 0, 5), { transB: true });
      expectClose(matmul(q, keys, { transB: true, bRows: 5 }), ref.dataSync(), { atol: 1e-6 });
      const w = u([2, 3, 5], 7);
      const values = u([2, 9, 4], 8);
      expectClose(matmul(w, values, { bRows: 5 }), matmul(w, narrow(values, 1, 0, 5)).dataSync(), {
        atol: 1e-6,
      });
      expect(() => matmul(w, values, { bRows: 10 })).toThrow(/bRows 10 is outside b's 9 stored rows/);
      values.requiresGrad_();
      expect(() => matmul(w, values, { bRows: 5 })).toThrow(/no gradient; call it under noGrad/);
    });
    it('names the op and the shapes on a mismatch', () => {
      expect(() => matmul(tensor([[1, 2, 3]]), tensor([[1, 2, 3]]))).toThrow(
        'matmul: inner dims differ (3 vs 1), [1,3] × [1,3]',
      );
      expect(() => matmul(randn([2, 3, 4]), randn([3, 4, 5]))).toThrow(
        /matmul: batch dims cannot be broadcast/,
      );
      expect(() => add(randn([2, 3]), randn([4]))).toThrow(
        'add: shapes [2,3] and [4] cannot be broadcast together',
      );
      expect(() => reshape(randn([2, 3]), [4, 2])).toThrow(
        'reshape: cannot view [2,3] (6 elements) as [4,2]',
      );
    });
  });

  describe('shape ops', () => {
    it('permute/transpose/slice/concat/split/expand', () => {
      const x = reshape(arange(24, undefined, 1, { dtype: 'float32' }), [2, 3, 4]);
      const p = permute(x, [2, 0, 1]);
      expect(p.shape).toEqual([4, 2, 3]);
      expect((p.toArray() as number[][][])[1]![1]).toEqual([13, 17, 21]);
      expect(transpose(reshape(arange(6, undefined, 1, { dtype: 'float32' }), [2, 3])).toArray()).toEqual([
        [0, 3],
        [1, 4],
        [2, 5],
      ]);
      expect(slice(x, [1, 1, 2], [1, 2, 2]).toArray()).toEqual([
        [
          [18, 19],
          [22, 23],
        ],
      ]);
      const [a, b] = split(x, [1, 3], 2);
      expect(a!.shape).toEqual([2, 3, 1]);
      expect(concat([a!, b!], 2).toArray()).toEqual(x.toArray());
      expect(narrow(x, 1, 2, 1).toArray()).toEqual([[[8, 9, 10, 11]], [[20, 21, 22, 23]]]);
      expect(expand(tensor([[1], [2]]), [2, 3]).toArray()).toEqual([
        [1, 1, 1],
        [2, 2, 2],
      ]);
    });
    it('copyInto_ writes in place along an axis where the backend can, and refuses clearly where not', () => {
      const buffer = zeros([2, 3, 4]);
      const src = reshape(arange(12, undefined, 1, { dtype: 'float32' }), [2, 3, 2]);
      if (!canCopyInto(buffer)) {
        expect(() => copyInto_(buffer, 2, 1, src)).toThrow(/cannot write in place/);
        return;
      }
      expect(copyInto_(buffer, 2, 1, src)).toBe(buffer);
      expect(buffer.toArray()).toEqual([
        [
          [0, 0, 1, 0],
          [0, 2, 3, 0],
          [0, 4, 5, 0],
        ],
        [
          [0, 6, 7, 0],
          [0, 8, 9, 0],
          [0, 10, 11, 0],
        ],
      ]);
      copyInto_(buffer, 0, 1, full([1, 3, 4], 7));
      expect(
        narrow(buffer, 0, 1, 1)
          .dataSync()
          .every((x) => x === 7),
      ).toBe(true);
      expect(() => copyInto_(buffer, 2, 3, src)).toThrow(
        'copyInto_: [2,3,2] float32 does not fit [2,3,4] float32 at 3 along axis 2',
      );
    });
    it('embedding lookups and out-of-range indices', () => {
      const w = reshape(arange(6, undefined, 1, { dtype: 'float32' }), [3, 2]);
      const ids = tensor([[2, 0]], undefined, { dtype: 'int32' });
      expect(embedding(w, ids).toArray()).toEqual([
        [
          [4, 5],
          [0, 1],
        ],
      ]);
      expect(() => indexSelect(w, tensor([3], undefined, { dtype: 'int32' }))).toThrow(
        /index 3 .* out of range for 3 rows/,
      );
    });
  });

  describe('losses and normalisation', () => {
    it('crossEntropy matches -log softmax averaged over kept targets', () => {
      const logits = [
        [1, 2, 3],
        [1, 1, 1],
        [5, 0, 0],
      ];
      const targets = tensor([2, 1, -100], undefined, { dtype: 'int32' });
      const lse = (r: number[]) => Math.log(r.reduce((s, v) => s + Math.exp(v), 0));
      const ref = (lse(logits[0]!) - 3 + (lse(logits[1]!) - 1)) / 2;
      expectClose(crossEntropy(tensor(logits), targets), [ref], { rtol: 1e-6 });
      expect(
        Number.isNaN(crossEntropy(tensor([[1, 2]]), tensor([-100], undefined, { dtype: 'int32' })).item()),
      ).toBe(true);
    });
    it('layerNorm matches the formula with biased variance', () => {
      const x = [1, 2, 4, 7];
      const m = 3.5;
      const v = x.reduce((s, a) => s + (a - m) ** 2, 0) / 4;
      const ref = x.map((a, i) => ((a - m) / Math.sqrt(v + 1e-5)) * [1, 2, 3, 4][i]! + 0.5);
      expectClose(layerNorm(tensor([x]), tensor([1, 2, 3, 4]), tensor([0.5, 0.5, 0.5, 0.5]), 1e-5), ref, {
        rtol: 1e-5,
        atol: 1e-6,
      });
    });
    it('dropout zeroes about p of the elements, rescales the rest, and is seeded', () => {
      const x = full([10000], 1);
      const y = dropout(x, 0.25, { generator: new Generator(7) });
      const d = y.dataSync();
      const zeros = d.filter((v) => v === 0).length;
      expect(zeros / 10000).toBeGreaterThan(0.23);
      expect(zeros / 10000).toBeLessThan(0.27);
      expect(d.filter((v) => v !== 0).every((v) => Math.abs(v - 4 / 3) < 1e-6)).toBe(true);
      const again = dropout(x, 0.25, { generator: new Generator(7) }).dataSync();
      expect([...again]).toEqual([...d]);
      expect(dropout(x, 0.5, { training: false })).toBe(x);
    });
  });

  describe('gradients (central differences)', () => {
    const cases: [string, () => void][] = [
      [
        'add/sub/mul/div with broadcasting',
        () =>
          gradcheck(
            (a, b) => div(mul(add(a!, b!), sub(a!, b!)), add(mul(b!, b!), 1)),
            [u([2, 3], 1), u([3], 2)],
          ),
      ],
      ['pow', () => gradcheck((a, b) => pow(a!, b!), [u([4], 3, 0.5, 2), u([4], 4, -1, 2)])],
      ['maximum', () => gradcheck((a, b) => maximum(a!, b!), [u([6], 5), u([6], 6)])],
      [
        'exp/log/sqrt/rsqrt',
        () => gradcheck((a) => add(add(exp(a!), log(a!)), add(sqrt(a!), rsqrt(a!))), [u([5], 7, 0.5, 2)]),
      ],
      ['tanh/erf/sigmoid', () => gradcheck((a) => add(add(tanh(a!), erf(a!)), sigmoid(a!)), [u([6], 8)])],
      [
        'relu/abs/square/neg',
        () => gradcheck((a) => add(add(relu(a!), abs(a!)), neg(square(a!))), [u([6], 9)]),
      ],
      ['gelu / geluNew', () => gradcheck((a) => add(gelu(a!), geluNew(a!)), [u([8], 10, -3, 3)])],
      [
        'matmul, all transposes, batched + broadcast',
        () => {
          gradcheck((a, b) => matmul(a!, b!), [u([3, 4], 11), u([4, 5], 12)]);
          gradcheck((a, b) => matmul(a!, b!, { transA: true, transB: true }), [u([4, 3], 13), u([5, 4], 14)]);
          gradcheck((a, b) => matmul(a!, b!, { transB: true }), [u([2, 3, 4], 15), u([5, 4], 16)]);
          gradcheck((a, b) => matmul(a!, b!, { transA: true }), [u([2, 1, 4, 3], 17), u([3, 4, 2], 18)]);
        },
      ],
      [
        'linear',
        () => gradcheck((x, w, b) => linear(x!, w!, b!), [u([2, 3, 4], 19), u([5, 4], 20), u([5], 21)]),
      ],
      [
        'sum/mean/max/min',
        () =>
          gradcheck(
            (a) =>
              add(
                add(sum(a!, { axis: 1 }), mean(a!, { axis: 1 })),
                add(max(a!, { axis: 1 }), min(a!, { axis: 1 })),
              ),
            [u([3, 4, 2], 22)],
          ),
      ],
      [
        'softmax/logSoftmax',
        () => gradcheck((a) => add(softmax(a!, 1), logSoftmax(a!, 1)), [u([2, 5, 3], 23)]),
      ],
      [
        'layerNorm',
        () =>
          gradcheck((x, w, b) => layerNorm(x!, w!, b!, 1e-5), [u([3, 6], 24), u([6], 25), u([6], 26)], {
            atol: 2e-3,
          }),
      ],
      [
        'crossEntropy with ignore index',
        () =>
          gradcheck(
            (l) => crossEntropy(l!, tensor([1, -100, 3, 0], undefined, { dtype: 'int32' })),
            [u([4, 5], 27)],
          ),
      ],
      [
        'reshape/permute/transpose/expand',
        () =>
          gradcheck(
            (a) =>
              mul(
                permute(reshape(a!, [3, 2, 2]), [2, 0, 1]),
                expand(reshape(sum(transpose(reshape(a!, [3, 4])), { axis: 0 }), [1, 3, 1]), [2, 3, 2]),
              ),
            [u([12], 28)],
          ),
      ],
      [
        'slice/narrow/concat/split',
        () =>
          gradcheck(
            (a, b) => {
              const [p, q] = split(concat([a!, b!], 1), [2, 5], 1);
              return mul(slice(p!, [0, 1], [2, 1]), narrow(q!, 1, 1, 1));
            },
            [u([2, 3], 29), u([2, 4], 30)],
          ),
      ],
      [
        'embedding (scatter-add, repeated ids)',
        () =>
          gradcheck(
            (w) =>
              embedding(
                w!,
                tensor(
                  [
                    [1, 3, 1],
                    [0, 1, 2],
                  ],
                  undefined,
                  { dtype: 'int32' },
                ),
              ),
            [u([4, 3], 31)],
          ),
      ],
      [
        'where/maskedFill',
        () =>
          gradcheck(
            (a, b) => add(where(tensor([1, 0, 1, 0]), a!, b!), maskedFill(a!, tensor([0, 1, 0, 0]), 2)),
            [u([4], 32), u([4], 33)],
          ),
      ],
    ];
    for (const [name, run] of cases) it(name, run);
  });

  it('padding index rows get no gradient from the lookup', () => {
    const w = u([3, 2], 40);
    w.requiresGrad_();
    sum(indexSelect(w, tensor([0, 2, 0], undefined, { dtype: 'int32' }), { paddingIdx: 0 })).backward();
    expect(w.grad!.toArray()).toEqual([
      [0, 0],
      [0, 0],
      [1, 1],
    ]);
  });
});
