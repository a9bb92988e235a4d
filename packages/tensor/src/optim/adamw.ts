import { noGrad } from '../autograd.ts';
import { keep, tidy } from '../engine.ts';
import { add, div, mul, sub } from '../ops/binary.ts';
import { zerosLike } from '../ops/create.ts';
import { sqrt } from '../ops/unary.ts';
import type { Tensor } from '../tensor.ts';
import { Optimizer, type ParamGroup } from './optimizer.ts';

export interface AdamWOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
}

/**
 * AdamW exactly as torch.optim.AdamW (decoupled weight decay applied first, bias correction, eps added after
 * the corrected square root):
 *   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
 *   p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps)
 * Parameters without a gradient are skipped (their state does not advance), as in PyTorch.
 */
export class AdamW extends Optimizer<AdamWOptions> {
  readonly state: Map<Tensor, { m: Tensor; v: Tensor; step: number }> = new Map();

  constructor(params: Tensor[] | ParamGroup<AdamWOptions>[], options: Partial<AdamWOptions> = {}) {
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, ...options });
  }

  step(): void {
    this.stepCount++;
    noGrad(() => {
      for (const { params, options } of this.groups) {
        const { lr, eps, weightDecay } = options;
        const [beta1, beta2] = options.betas;
        for (const p of params) {
          const g = p.grad;
          if (g === null) continue;
          let s = this.state.get(p);
          if (s === undefined) {
            s = { m: keep(zerosLike(p)), v: keep(zerosLike(p)), step: 0 };
            this.state.set(p, s);
          }
          const st = s;
          st.step++;
          const bc1 = 1 - beta1 ** st.step;
          const bc2Sqrt = Math.sqrt(1 - beta2 ** st.step);
          const fused = p.backend.fused;
          if (fused) {
            fused.adamw(p.storage, g.storage, st.m.storage, st.v.storage, p.size, {
              lr,
              beta1,
              beta2,
              eps,
              weightDecay,
              biasCorrection1: bc1,
              biasCorrection2Sqrt: bc2Sqrt,
            });
            continue;
          }
          tidy(() => {
            if (weightDecay !== 0) p.assign(mul(p, 1 - lr * weightDecay));
            st.m.assign(add(mul(st.m, beta1), mul(g, 1 - beta1)));
            st.v.assign(add(mul(st.v, beta2), mul(mul(g, g), 1 - beta2)));
            const denom = add(div(sqrt(st.v), bc2Sqrt), eps);
            p.assign(sub(p, mul(div(st.m, denom), lr / bc1)));
          });
        }
      }
    });
  }

  /** The moments and step counts by parameter index, for checkpoints. */
  stateDict(): { step: number; moments: Record<string, Tensor>; steps: number[] } {
    const moments: Record<string, Tensor> = {};
    const steps: number[] = [];
    this.groups
      .flatMap((g) => g.params)
      .forEach((p, i) => {
        const s = this.state.get(p);
        steps.push(s?.step ?? 0);
        if (s) {
          moments[`${i}.m`] = s.m;
          moments[`${i}.v`] = s.v;
        }
      });
    return { step: this.stepCount, moments, steps };
  }

  loadStateDict(state: { step: number; moments: Record<string, Tensor>; steps: number[] }): void {
    this.stepCount = state.step;
    this.groups
      .flatMap((g) => g.params)
      .forEach((p, i) => {
        const m = state.moments[`${i}.m`];
        const v = state.moments[`${i}.v`];
        if (m && v) this.state.set(p, { m: keep(m), v: keep(v), step: state.steps[i] ?? state.step });
      });
  }
}
