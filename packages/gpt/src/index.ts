export type { CheckpointReport, PretrainedFiles } from '@tsformer/attention';
export { activation, KVCache } from '@tsformer/attention';
export type { GPT2ConfigInit } from './config.ts';
export {
  countParameters,
  fromHfConfig,
  GPT2Config,
  toHfConfig,
  toHfConfigJson,
} from './config.ts';
export type { FinishReason, GenerateOptions, GenerateResult } from './generation/generate.ts';
export { GenerationRun, generate } from './generation/generate.ts';
export { type CausalLM, Decoder } from './generation/kv-cache.ts';
export {
  applyRepetitionPenalty,
  applyTemperature,
  argmaxOf,
  pickToken,
  type SamplingOptions,
  sampleFrom,
  softmaxOf,
  topKFilter,
  topPFilter,
} from './generation/sampling.ts';
export type {
  GPT2AttentionInput,
  GPT2ForSequenceClassificationInput,
  GPT2ForSequenceClassificationOutput,
  GPT2LMHeadModelInput,
  GPT2LMHeadModelOutput,
  GPT2ModelInput,
  GPT2ModelOutput,
  ModelInitOptions,
} from './modeling-gpt2.ts';
export {
  Conv1D,
  causalLmLoss,
  GPT2Attention,
  GPT2Block,
  GPT2ForSequenceClassification,
  GPT2LMHeadModel,
  GPT2MLP,
  GPT2Model,
} from './modeling-gpt2.ts';
export { gpt2Presets } from './presets.ts';
export type { PretrainedLoadOptions } from './pretrained.ts';
export { isIgnoredGpt2Tensor, loadPretrained, readPretrained, toPretrainedFiles } from './pretrained.ts';
