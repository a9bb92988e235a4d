// What the shared conformance suite (test/ops.test.ts) does not cover for the gpu backend: the Philox stream bit for
// bit against the CPU, outputs wider than the maximum texture side, memory that stays flat through training steps
// under tidy, and AdamW on the hf-tiny fixtures (PyTorch's numbers). Runs through vitest.gpu.config.ts, under
// xvfb-run with TSFORMER_GPU=headlessgl (scripts/test-gpu.mjs); skipped elsewhere.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createCpuBackend } from '../../src/backends/cpu/index.ts';
import { createGpuBackend, type GpuBackend, type GpuMode } from '../../src/backends/gpu/index.ts';
import {
  add,
  crossEntropy,
  fromSafetensors,
  Generator,
  gelu,
  indexSelect,
  layerNorm,
  matmul,
  rand,
  randn,
  setBackend,
  sum,
  type Tensor,
  tensor,
  tidy,
  zeros,
} from '../../src/index.ts';
import { parameter } from '../../src/nn/index.ts';
import { AdamW } from '../../src/optim/index.ts';
import { maxAbsDiff } from '../../src/testing/index.ts';

const mode = process.env.TSFORMER_GPU as GpuMode | 'auto' | undefined;
const cpu = createCpuBackend({ threads: 1 });
let gpu: GpuBackend | null = null;
let reason = 'TSFORMER_GPU is not set';
if (mode) {
  try {
    gpu = createGpuBackend({ mode });
  } catch (e) {
    reason = (e as Error).message;
    if (process.env.CI) throw e; // under CI a missing gpu path fails loudly
  }
}

/** the same computation on the cpu and the gpu backend, as host arrays */
function both(fn: () => Tensor): { c: Float32Array | Int32Array; g: Float32Array | Int32Array } {
  setBackend(cpu);
  const c = tidy(() => fn().dataSync());
  setBackend(gpu!);
  const g = tidy(() => fn().dataSync());
  return { c, g };
}

describe.skipIf(gpu === null)(
  `[gpu] ${mode ?? ''} backend specifics${gpu ? '' : ` (skipped: ${reason})`}`,
  () => {
    it('reads synchronously on GL modes and reports its mode', () => {
      expect(gpu!.mode).toBe(mode === 'auto' ? gpu!.mode : mode);
      expect(gpu!.syncReads).toBe(true);
      expect(gpu!.maxTextureSize).toBeGreaterThanOrEqual(4096);
    });

    it('uniform random values equal the CPU stream bit for bit (seeds and offsets past 2^32)', () => {
      for (const seed of [0, 7, 123456789, 2 ** 40 + 5]) {
        const { c, g } = both(() => rand([1001], { seed }));
        expect([...g]).toEqual([...c]);
      }
      // a generator far along its stream: counters above 2^32 carry into the high word
      const { c, g } = both(() => rand([517], { generator: new Generator(3, 2 ** 32 - 100) }));
      expect([...g]).toEqual([...c]);
    });

    it('normal random values match the CPU to float32 rounding of log/cos/sin', () => {
      const { c, g } = both(() => randn([999], { seed: 11 }));
      let worst = 0;
      for (let i = 0; i < c.length; i++) worst = Math.max(worst, Math.abs(c[i]! - g[i]!));
      expect(worst).toBeLessThan(2e-5);
    });

    it('a 50257-wide vocabulary output is wider than a texture and still exact', () => {
      const V = 50257;
      expect(V).toBeGreaterThan(gpu!.maxTextureSize);
      const { c, g } = both(() => {
        const h = rand([3, 16], { seed: 1 });
        const w = rand([V, 16], { seed: 2 });
        return matmul(h, w, { transB: true }); // [3, V]
      });
      expect(maxAbsDiff(g, c)).toBeLessThan(1e-5);
      const sums = both(() => sum(add(rand([3, V], { seed: 4 }), 1), { axis: 1 }));
      expect(maxAbsDiff(sums.g, sums.c)).toBeLessThan(1e-5 * V);
      const rows = both(() =>
        indexSelect(rand([V, 4], { seed: 3 }), tensor([0, 50256, 12345], undefined, { dtype: 'int32' })),
      );
      expect([...rows.g]).toEqual([...rows.c]);
    });

    it('training steps under tidy keep the number of live textures flat', () => {
      setBackend(gpu!);
      const w = parameter(randn([8, 5], { seed: 4 }));
      const b = parameter(randn([5], { seed: 5 }));
      const opt = new AdamW([w, b], { lr: 1e-2 });
      const x = randn([6, 8], { seed: 6 });
      const y = tensor([0, 1, 2, 3, 4, 0], undefined, { dtype: 'int32' });
      const losses: number[] = [];
      const liveAfter: number[] = [];
      for (let step = 0; step < 6; step++) {
        tidy(() => {
          const loss = crossEntropy(gelu(layerNorm(add(matmul(x, w), b), null, null)), y);
          loss.backward();
          opt.step();
          opt.zeroGrad();
          losses.push(loss.item());
        });
        liveAfter.push(gpu!.liveStorages());
      }
      expect(losses[5]!).toBeLessThan(losses[0]!);
      expect(liveAfter[5]).toBe(liveAfter[2]);
    });

    it('a tensor larger than one texture fails with the op, its size and the device limit, before allocating', () => {
      const side = gpu!.maxTextureSize;
      const live = gpu!.liveStorages();
      setBackend(gpu!);
      expect(() => zeros([side, side])).toThrow(
        new RegExp(
          `fill: a tensor of ${side * side} elements exceeds this device's largest texture \\(${side} × ${side}`,
        ),
      );
      expect(() => zeros([2 ** 31])).toThrow(/exceeds 2\^31 - 1, the range of the shaders' integer indices/);
      expect(gpu!.liveStorages()).toBe(live);
    });
  },
);

const FIXTURES =
  process.env.TSFORMER_HF_FIXTURES ??
  resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../../../shared/fixtures/hf-tiny');
const present = existsSync(join(FIXTURES, 'gpt2', 'model.safetensors'));

describe.skipIf(gpu === null || !present)('[gpu] AdamW on the hf-tiny fixtures (PyTorch numbers)', () => {
  for (const model of ['bert', 'gpt2']) {
    it(`${model}: one step from the fixture's gradients is within 1e-6 of PyTorch`, () => {
      setBackend(gpu!);
      const load = (rel: string): Record<string, Tensor> =>
        fromSafetensors(new Uint8Array(readFileSync(join(FIXTURES, rel))), { fileName: rel });
      const weights = load(`${model}/model.safetensors`);
      const ref = load(`${model}/reference.safetensors`);
      const names = Object.keys(weights);
      const params = names.map((n) => parameter(weights[n]!));
      params.forEach((p, i) => {
        p.grad = ref[`grad.${names[i]}`]!;
      });
      new AdamW(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 }).step();
      for (const [i, name] of names.entries()) {
        expect(maxAbsDiff(params[i]!, ref[`after_adamw.${name}`]!), name).toBeLessThanOrEqual(1e-6);
      }
    });
  }
});
