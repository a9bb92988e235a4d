import type { Tensor } from '../tensor.ts';

export interface ParamGroup<O> {
  params: Tensor[];
  /** options for this group, overriding the optimizer's defaults (e.g. weightDecay 0 for biases) */
  options?: Partial<O>;
}

/** Shared bookkeeping: parameter groups with their own options, the learning rate, zeroGrad. */
export abstract class Optimizer<O extends { lr: number }> {
  readonly groups: { params: Tensor[]; options: O }[];
  readonly defaults: O;
  /** steps taken */
  stepCount = 0;

  constructor(params: Tensor[] | ParamGroup<O>[], defaults: O) {
    this.defaults = defaults;
    const groups: ParamGroup<O>[] =
      params.length > 0 && !('params' in params[0]!)
        ? [{ params: params as Tensor[] }]
        : (params as ParamGroup<O>[]);
    this.groups = groups.map((g) => ({ params: g.params, options: { ...defaults, ...g.options } }));
  }

  /** Sets the learning rate of every group (a schedule calls this each step). */
  setLr(lr: number): void {
    for (const g of this.groups) g.options.lr = lr;
  }

  get lr(): number {
    return this.groups[0]?.options.lr ?? this.defaults.lr;
  }

  zeroGrad(): void {
    for (const g of this.groups) for (const p of g.params) p.zeroGrad();
  }

  abstract step(): void;
}
