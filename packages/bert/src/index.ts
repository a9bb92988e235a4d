export type { CheckpointReport, PretrainedFiles } from '@tsformer/attention';
export { activation } from '@tsformer/attention';
export type { BertConfigInit, BertHead } from './config.ts';
export { BertConfig, countParameters, fromHfConfig, toHfConfig, toHfConfigJson } from './config.ts';
export type {
  BertClassifierOutput,
  BertForQuestionAnsweringInput,
  BertForQuestionAnsweringOutput,
  BertForSequenceClassificationInput,
  BertForTokenClassificationInput,
} from './heads.ts';
export {
  BertForQuestionAnswering,
  BertForSequenceClassification,
  BertForTokenClassification,
} from './heads.ts';
export type {
  BertForMaskedLMInput,
  BertForMaskedLMOutput,
  BertForPreTrainingInput,
  BertForPreTrainingOutput,
  BertModelInput,
  BertModelOutput,
  ModelInitOptions,
} from './modeling-bert.ts';
export {
  BertAttention,
  BertEmbeddings,
  BertEncoder,
  BertForMaskedLM,
  BertForPreTraining,
  BertIntermediate,
  BertLayer,
  BertLMPredictionHead,
  BertModel,
  BertOnlyMLMHead,
  BertPooler,
  BertPredictionHeadTransform,
  BertPreTrainedModel,
  BertPreTrainingHeads,
  BertSelfAttention,
  BertSelfOutput,
  initBertWeights,
} from './modeling-bert.ts';
export { bertPresets } from './presets.ts';
export type { PretrainedLoadOptions } from './pretrained.ts';
export { isIgnoredBertTensor, loadPretrained, readPretrained, toPretrainedFiles } from './pretrained.ts';
