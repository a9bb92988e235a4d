export {
  bertPairBatch,
  bertPretrainingBatch,
  type MlmBatchOptions,
  type MlmPairBatch,
  maskPairBatch,
  type PairBatch,
  type PairBatchOptions,
  type SplitByLengthOptions,
  splitByLength,
} from './batches.ts';
export {
  type CausalLmBatch,
  type CausalLmBatchOptions,
  type CausalLmWindow,
  causalLmBatch,
  causalLmWindows,
} from './clm.ts';
export {
  accuracyCounts,
  causalLmLoss,
  countCorrect,
  mlmAndNspLoss,
  mlmLoss,
  nspLoss,
  type PretrainingLosses,
  selectMaskedPositions,
} from './losses.ts';
export { IGNORE_INDEX, type MlmExample, type MlmOptions, mlmMask, wordIdsFromContinuations } from './mlm.ts';
export {
  type Documents,
  IS_NEXT,
  NOT_NEXT,
  type NspOptions,
  type NspPair,
  nspPairs,
  sampleNspPairs,
  truncatePair,
} from './nsp.ts';
export { shuffleInPlace } from './random.ts';
export {
  type LossOutput,
  type TrainStepOptions,
  type TrainStepResult,
  trainStep,
  trainStepAsync,
} from './train-step.ts';
