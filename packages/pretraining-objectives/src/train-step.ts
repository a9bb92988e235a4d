import { type Tensor, tidy } from '@tsformer/tensor';
import { clipGradNorm, type Optimizer } from '@tsformer/tensor/optim';

/** What a loss function returns: the loss, or an object with `loss` and other scalar parts to report. */
export type LossOutput = Tensor | ({ loss: Tensor } & Record<string, Tensor>);

export interface TrainStepOptions<M, B> {
  model: M;
  /** builds the loss of `batch` (any model, any objective) */
  lossFn: (model: M, batch: B) => LossOutput;
  optimizer: Optimizer<{ lr: number }>;
  batch: B;
  /** clip the global gradient norm to this (0 or undefined = no clipping) */
  gradClip?: number;
  /** the learning rate for this step (a schedule's value); default: leave the optimizer's */
  lr?: number;
  /** the parameters to clip (default: every parameter the optimizer holds) */
  params?: readonly Tensor[];
}

export interface TrainStepResult {
  loss: number;
  /** the other scalar parts `lossFn` returned (mlmLoss, nspLoss, …) */
  parts: Record<string, number>;
  /** the global gradient norm before clipping (null without clipping) */
  gradNorm: number | null;
  /** false when the loss or the gradient norm was NaN or infinite: then no update was made */
  finite: boolean;
}

/** The loss and the other scalar parts of what `lossFn` returned. */
function lossParts(out: LossOutput): { loss: Tensor; parts: [string, Tensor][] } {
  if ('shape' in out) return { loss: out as Tensor, parts: [] };
  return { loss: out.loss, parts: Object.entries(out).filter(([k, v]) => k !== 'loss' && v.size === 1) };
}

/** Clips the gradients of `options.params` (default: every parameter the optimizer holds); null without clipping. */
function clip<M, B>(options: TrainStepOptions<M, B>): Tensor | null {
  if (options.gradClip === undefined || options.gradClip <= 0) return null;
  return clipGradNorm(options.params ?? options.optimizer.groups.flatMap((g) => g.params), options.gradClip);
}

function update<M, B>(options: TrainStepOptions<M, B>): void {
  if (options.lr !== undefined) options.optimizer.setLr(options.lr);
  options.optimizer.step();
}

/**
 * One optimisation step, model- and objective-agnostic (minGPT's trainer loop body): zero the gradients,
 * compute the loss, backpropagate, clip, step. All tensors it creates are freed. A NaN or infinite loss or
 * gradient norm leaves the parameters as they were and comes back as `finite: false`, for the caller to stop.
 */
export function trainStep<M, B>(options: TrainStepOptions<M, B>): TrainStepResult {
  const { optimizer } = options;
  optimizer.zeroGrad();
  const result = tidy((): TrainStepResult => {
    const out = lossParts(options.lossFn(options.model, options.batch));
    const parts = Object.fromEntries(out.parts.map(([k, v]) => [k, v.item()]));
    const loss = out.loss.item();
    if (!Number.isFinite(loss)) return { loss, parts, gradNorm: null, finite: false };
    out.loss.backward();
    return { loss, parts, gradNorm: null, finite: true };
  });
  if (!result.finite) {
    optimizer.zeroGrad();
    return result;
  }
  const norm = clip(options);
  if (norm !== null) {
    result.gradNorm = norm.item();
    norm.dispose();
    if (!Number.isFinite(result.gradNorm)) {
      optimizer.zeroGrad();
      return { ...result, finite: false };
    }
  }
  update(options);
  return result;
}

/**
 * `trainStep` for backends that read only asynchronously (gpu.js WebGPU), and faster wherever a read stalls
 * the GPU queue: it backpropagates and clips before reading anything, then reads the loss, its parts and the
 * gradient norm with `await data()`, and steps the optimizer only when they are finite. The same parameters,
 * losses and norms as `trainStep` (a non-finite loss costs one backward pass that is thrown away).
 */
export async function trainStepAsync<M, B>(options: TrainStepOptions<M, B>): Promise<TrainStepResult> {
  const { optimizer } = options;
  optimizer.zeroGrad();
  // detached handles: the step frees its own references only, even to a loss or part made outside `lossFn`
  const out = tidy(() => {
    const o = lossParts(options.lossFn(options.model, options.batch));
    o.loss.backward();
    return { loss: o.loss.detach(), parts: o.parts.map(([k, v]) => [k, v.detach()] as const) };
  });
  let norm: Tensor | null = null;
  let result: TrainStepResult;
  try {
    norm = clip(options);
    const read = async (t: Tensor): Promise<number> => (await t.data())[0]!;
    const [loss, gradNorm, ...values] = await Promise.all([
      read(out.loss),
      norm && read(norm),
      ...out.parts.map(([, v]) => read(v)),
    ]);
    const parts = Object.fromEntries(out.parts.map(([k], i) => [k, values[i]!]));
    result = { loss: loss!, parts, gradNorm: gradNorm ?? null, finite: true };
  } finally {
    for (const t of [out.loss, norm, ...out.parts.map(([, v]) => v)]) t?.dispose();
  }
  if (!Number.isFinite(result.loss)) {
    optimizer.zeroGrad();
    return { ...result, gradNorm: null, finite: false };
  }
  if (result.gradNorm !== null && !Number.isFinite(result.gradNorm)) {
    optimizer.zeroGrad();
    return { ...result, finite: false };
  }
  update(options);
  return result;
}
