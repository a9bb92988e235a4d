import { describe, expect, it } from 'vitest';
import { WasmGemmEngine } from '../gemm/wasm-engine.ts';
import { cpuFused } from './fused.ts';
import { createWasmFused } from './wasm-kernels.ts';

// Both ways operands reach the kernels: in place, as views of the engine's shared memory (how tensors live);
// and copied in and out of scratch blocks, from heap arrays on an ordinary memory (runtimes without
// SharedArrayBuffer).
// Three threads with no minimum size split every kernel into shares run side by side on the pool.
for (const [resident, threads] of [
  [true, 1],
  [false, 1],
  [true, 3],
] as const) {
  const host = new WasmGemmEngine({ threads, shared: resident, parallelElements: 0 });
  await host.ready;
  const wasm = createWasmFused(host);
  const data = (n: number, seed: number, scale = 3) => {
    const values = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * scale);
    if (!resident) return values;
    const view = host.memory.alloc('float32', n) as Float32Array;
    view.set(values);
    return view;
  };
  const maxDiff = (a: unknown, b: unknown) => {
    const x = a as Float32Array;
    const y = b as Float32Array;
    let m = 0;
    for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
    return m;
  };

  // The float64 TypeScript kernels (fused.ts) are the reference for the float32 SIMD ones.
  describe(`WebAssembly SIMD fused kernels agree with the float64 TypeScript kernels (${resident ? 'in place' : 'copied'}, ${threads} thread${threads > 1 ? 's' : ''})`, () => {
    it(
      resident ? 'runs on a shared memory, results in it' : 'runs on an ordinary memory, results on the heap',
      () => {
        expect(host.memory.shared).toBe(resident);
        const y = wasm.softmax(data(8, 1), 2, 4, false) as Float32Array;
        expect(host.memory.isResident(y)).toBe(resident);
      },
    );
    for (const [rows, cols] of [
      [3, 7],
      [5, 256],
      [2, 4099],
    ] as const) {
      it(`softmax and log-softmax, forward and backward [${rows},${cols}]`, () => {
        const x = data(rows * cols, 1, 8);
        const g = data(rows * cols, 2, 1);
        for (const log of [false, true]) {
          const ref = cpuFused.softmax(x, rows, cols, log);
          expect(maxDiff(wasm.softmax(x, rows, cols, log), ref)).toBeLessThan(log ? 2e-6 : 2e-7);
          expect(
            maxDiff(
              wasm.softmaxBackward(ref, g, rows, cols, log),
              cpuFused.softmaxBackward(ref, g, rows, cols, log),
            ),
          ).toBeLessThan(1e-6);
        }
      });
    }
    it('masked scores (float32 min) get exactly zero probability', () => {
      const x = Float32Array.from([1, -3.4028234663852886e38, 2, -3.4028234663852886e38, 0]);
      const y = wasm.softmax(x, 1, 5, false) as Float32Array;
      expect(y[1]).toBe(0);
      expect(y[3]).toBe(0);
    });
    it('GELU (erf and tanh), forward and backward, to float32 precision', () => {
      const x = data(1001, 3, 6);
      const g = data(1001, 4, 1);
      for (const kind of ['erf', 'tanh'] as const) {
        expect(maxDiff(wasm.gelu(kind, x, x.length), cpuFused.gelu(kind, x, x.length))).toBeLessThan(3e-6);
        expect(
          maxDiff(wasm.geluBackward(kind, x, g, x.length), cpuFused.geluBackward(kind, x, g, x.length)),
        ).toBeLessThan(3e-6);
      }
    });
    for (const [rows, cols] of [
      [3, 7],
      [4096, 128],
      [5, 1030],
    ] as const) {
      it(`layerNorm forward and backward [${rows},${cols}]`, () => {
        const x = data(rows * cols, 6, 2);
        const w = data(cols, 7, 1);
        const b = data(cols, 8, 1);
        const g = data(rows * cols, 9, 1);
        for (const [wt, bs] of [
          [w, b],
          [null, null],
        ] as const) {
          const ref = cpuFused.layerNorm(x, wt, bs, rows, cols, 1e-12);
          const got = wasm.layerNorm(x, wt, bs, rows, cols, 1e-12);
          expect(maxDiff(got.y, ref.y)).toBeLessThan(2e-6);
          expect(maxDiff(got.mean, ref.mean)).toBe(0);
          expect(maxDiff(got.rstd, ref.rstd)).toBe(0);
          const r = cpuFused.layerNormBackward(g, x, wt, ref.mean, ref.rstd, rows, cols);
          const q = wasm.layerNormBackward(g, x, wt, ref.mean, ref.rstd, rows, cols);
          expect(maxDiff(q.dx, r.dx)).toBeLessThan(2e-6);
          // sums over rows, accumulated in float64 by both
          expect(maxDiff(q.dWeight, r.dWeight)).toBeLessThan(1e-5 * Math.sqrt(rows));
          expect(maxDiff(q.dBias, r.dBias)).toBeLessThan(1e-6 * rows);
        }
      });
    }
    it('AdamW updates in place, bit for bit as the TypeScript kernel', () => {
      for (const n of [1, 7, 1001]) {
        const [p, g, m, v] = [data(n, 11), data(n, 12), data(n, 13, 0.1), data(n, 14, 0.01)];
        for (let i = 0; i < n; i++) v[i] = Math.abs(v[i]!);
        const copies = [p, g, m, v].map((a) => Float32Array.from(a as Float32Array));
        const h = {
          lr: 1e-3,
          beta1: 0.9,
          beta2: 0.999,
          eps: 1e-8,
          weightDecay: 0.1,
          biasCorrection1: 1 - 0.9 ** 3,
          biasCorrection2Sqrt: Math.sqrt(1 - 0.999 ** 3),
        };
        wasm.adamw(p, g, m, v, n, h);
        cpuFused.adamw(copies[0]!, copies[1]!, copies[2]!, copies[3]!, n, h);
        expect([...(p as Float32Array)]).toEqual([...copies[0]!]);
        expect([...(m as Float32Array)]).toEqual([...copies[2]!]);
        expect([...(v as Float32Array)]).toEqual([...copies[3]!]);
      }
    });
    it('dropout draws the same Philox stream bit for bit', () => {
      const x = data(1003, 5);
      for (const [seed, offset] of [
        [0, 0],
        [12345, 77],
        [2 ** 40 + 3, 2 ** 33 + 5],
        [9, 2 ** 32 - 6],
        [3, 2 ** 33 - 2],
      ] as const) {
        expect([...(wasm.dropout(x, x.length, 0.3, seed, offset) as Float32Array)]).toEqual([
          ...(cpuFused.dropout(x, x.length, 0.3, seed, offset) as Float32Array),
        ]);
      }
    });
  });
}
