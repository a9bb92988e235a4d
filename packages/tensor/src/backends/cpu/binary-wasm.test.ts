import { describe, expect, it } from 'vitest';
import type { BinaryOp, StridedInput } from '../../backend.ts';
import { stridesOf } from '../../shape.ts';
import { createCpuBackend } from './index.ts';

// The WebAssembly path of `binary` (float32 add/sub/mul/div) against the JavaScript loops, bit for bit.
const wasm = createCpuBackend({ threads: 1 });
// every product and kernel split into three shares on the pool
const split = createCpuBackend({ threads: 3, parallelElements: 0 });
await split.ready;
const js = createCpuBackend({ threads: 1, wasm: false });
const data = (n: number, seed: number) =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 3 + (i % 5 === 0 ? 0 : 0.25));

/** x of `shape` broadcast to `out` (strides 0 on the broadcast axes), as the ops pass it. */
function input(x: Float32Array, shape: number[], out: number[]): StridedInput {
  const own = stridesOf(shape);
  const lead = out.length - shape.length;
  const strides = out.map((_, i) => (i < lead || shape[i - lead] === 1 ? 0 : own[i - lead]!));
  return { storage: x, dtype: 'float32', offset: 0, strides };
}

describe('cpu binary: WebAssembly SIMD path equals the JavaScript loops', () => {
  const cases: [number[], number[], number[]][] = [
    [
      [4096, 128],
      [4096, 128],
      [4096, 128],
    ], // residual, gradient sums
    [[4099], [4099], [4099]], // a tail that is not a whole vector
    [[1000, 130], [130], [1000, 130]], // bias
    [[130], [1000, 130], [1000, 130]], // bias first (swapped for add/mul; sub/div stay in JS)
    [[64, 8, 37], [], [64, 8, 37]], // scalar second
    [[], [64, 8, 37], [64, 8, 37]], // scalar first
    [
      [8, 2, 37, 37],
      [8, 1, 1, 37],
      [8, 2, 37, 37],
    ], // attention mask [B,1,1,T] over [B,H,T,T]
    [
      [4, 3, 50],
      [4, 1, 50],
      [4, 3, 50],
    ],
    [
      [4, 3, 50],
      [1, 3, 1],
      [4, 3, 50],
    ], // a layout the kernel does not take
  ];
  for (const [sa, sb, so] of cases) {
    it(`[${sa}] op [${sb}] → [${so}]`, () => {
      const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
      const a = data(size(sa), 1);
      const b = data(size(sb), 2);
      for (const op of ['add', 'sub', 'mul', 'div'] as BinaryOp[]) {
        const got = wasm.binary(op, input(a, sa, so), input(b, sb, so), so, 'float32') as Float32Array;
        const want = js.binary(op, input(a, sa, so), input(b, sb, so), so, 'float32') as Float32Array;
        const shared = split.binary(op, input(a, sa, so), input(b, sb, so), so, 'float32') as Float32Array;
        for (const result of [got, shared]) {
          expect(result.length).toBe(want.length);
          expect(
            Buffer.from(result.buffer, result.byteOffset, result.byteLength).equals(
              Buffer.from(want.buffer, want.byteOffset, want.byteLength),
            ),
          ).toBe(true);
        }
      }
    });
  }
});

describe('cpu reduce sum: WebAssembly SIMD path equals the JavaScript loop', () => {
  for (const [outer, len, inner] of [
    [1, 4096, 128],
    [3, 100, 130],
    [2, 700, 5],
  ] as const) {
    it(`[${outer},${len},${inner}] over the middle axis`, () => {
      const x = data(outer * len * inner, 3);
      const got = wasm.reduce('sum', x, 'float32', outer, len, inner) as Float32Array;
      const want = js.reduce('sum', x, 'float32', outer, len, inner) as Float32Array;
      expect([...got]).toEqual([...want]);
    });
  }
});
