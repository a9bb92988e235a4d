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

/**
 * One optimisation step, model- and objective-agnostic (minGPT's trainer loop body): zero the gradients,
 * compute the loss, backpropagate, clip, step. All tensors it creates are freed. A NaN or infinite loss or
 * gradient norm leaves the parameters as they were and comes back as `finite: false`, for the caller to stop.
 */
export function trainStep<M, B>(options: TrainStepOptions<M, B>): TrainStepResult {
  const { optimizer } = options;
  optimizer.zeroGrad();
  const result = tidy((): TrainStepResult => {
    const out = options.lossFn(options.model, options.batch);
    const lossTensor = 'loss' in out && !('shape' in out) ? out.loss : (out as Tensor);
    const parts: Record<string, number> = {};
    if (!('shape' in out)) {
      for (const [k, v] of Object.entries(out)) if (k !== 'loss' && v.size === 1) parts[k] = v.item();
    }
    const loss = lossTensor.item();
    if (!Number.isFinite(loss)) return { loss, parts, gradNorm: null, finite: false };
    lossTensor.backward();
    return { loss, parts, gradNorm: null, finite: true };
  });
  if (!result.finite) {
    optimizer.zeroGrad();
    return result;
  }
  if (options.gradClip !== undefined && options.gradClip > 0) {
    const params = options.params ?? optimizer.groups.flatMap((g) => g.params);
    const norm = clipGradNorm(params, options.gradClip);
    result.gradNorm = norm.item();
    norm.dispose();
    if (!Number.isFinite(result.gradNorm)) {
      optimizer.zeroGrad();
      return { ...result, finite: false };
    }
  }
  if (options.lr !== undefined) optimizer.setLr(options.lr);
  optimizer.step();
  return result;
}

/** the key of the gradient norm among the scalars read at once (not a name a loss part can have) */
const NORM = ' gradNorm';

/**
 * `trainStep` for backends that read only asynchronously (gpu.js WebGPU), and faster wherever a read stalls
 * the GPU queue: it backpropagates and clips before reading anything, then reads the loss, its parts and the
 * gradient norm together with `await data()`, and steps the optimizer only when they are finite. The same
 * parameters, losses and norms as `trainStep` (a non-finite loss costs one backward pass that is thrown away).
 */
export async function trainStepAsync<M, B>(options: TrainStepOptions<M, B>): Promise<TrainStepResult> {
  const { optimizer } = options;
  optimizer.zeroGrad();
  const scalars = tidy((): Record<string, Tensor> => {
    const out = options.lossFn(options.model, options.batch);
    const lossTensor = 'loss' in out && !('shape' in out) ? out.loss : (out as Tensor);
    const kept: Record<string, Tensor> = { loss: lossTensor };
    if (!('shape' in out))
      for (const [k, v] of Object.entries(out)) if (k !== 'loss' && v.size === 1) kept[k] = v;
    lossTensor.backward();
    return kept;
  });
  const clip = options.gradClip !== undefined && options.gradClip > 0;
  if (clip) {
    scalars[NORM] = clipGradNorm(
      options.params ?? optimizer.groups.flatMap((g) => g.params),
      options.gradClip!,
    );
  }
  const values: Record<string, number> = {};
  try {
    for (const [k, t] of Object.entries(scalars)) values[k] = (await t.data())[0]!;
  } finally {
    for (const t of Object.values(scalars)) t.dispose();
  }
  const { loss, [NORM]: norm, ...parts } = values;
  const result: TrainStepResult = { loss: loss!, parts, gradNorm: clip ? norm! : null, finite: true };
  if (!Number.isFinite(result.loss) || (clip && !Number.isFinite(norm!))) {
    optimizer.zeroGrad();
    return { ...result, finite: false, gradNorm: Number.isFinite(result.loss) ? result.gradNorm : null };
  }
  if (options.lr !== undefined) optimizer.setLr(options.lr);
  optimizer.step();
  return result;
}
