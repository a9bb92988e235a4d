export { AdamW, type AdamWOptions } from './adamw.ts';
export { clipGradNorm } from './clip-grad.ts';
export { Optimizer, type ParamGroup } from './optimizer.ts';
export {
  constantLr,
  cosineWithWarmup,
  linearWithWarmup,
  type Schedule,
  type WarmupDecayOptions,
} from './schedule.ts';
export { SGD, type SgdOptions } from './sgd.ts';
