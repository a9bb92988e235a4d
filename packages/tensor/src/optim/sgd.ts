import { noGrad } from '../autograd.ts';
import { keep, tidy } from '../engine.ts';
import { add, mul, sub } from '../ops/binary.ts';
import { clone } from '../ops/cast.ts';
import type { Tensor } from '../tensor.ts';
import { Optimizer, type ParamGroup } from './optimizer.ts';

export interface SgdOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

/** SGD with momentum as torch.optim.SGD (the first step's buffer is the gradient itself). */
export class SGD extends Optimizer<SgdOptions> {
  readonly buffers: Map<Tensor, Tensor> = new Map();

  constructor(params: Tensor[] | ParamGroup<SgdOptions>[], options: Partial<SgdOptions> = {}) {
    super(params, { lr: 1e-2, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, ...options });
  }

  step(): void {
    this.stepCount++;
    noGrad(() => {
      for (const { params, options } of this.groups) {
        const { lr, momentum, dampening, weightDecay, nesterov } = options;
        for (const p of params) {
          if (p.grad === null) continue;
          const grad = p.grad;
          tidy(() => {
            let d = weightDecay !== 0 ? add(grad, mul(p, weightDecay)) : grad;
            if (momentum !== 0) {
              const buf = this.buffers.get(p);
              if (buf === undefined) this.buffers.set(p, keep(clone(d)));
              else buf.assign(add(mul(buf, momentum), mul(d, 1 - dampening)));
              const b = this.buffers.get(p)!;
              d = nesterov ? add(d, mul(b, momentum)) : b;
            }
            p.assign(sub(p, mul(d, lr)));
          });
        }
      }
    });
  }
}
