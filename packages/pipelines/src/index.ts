export type {
  AnyModel,
  Architecture,
  LoadedModel,
  LoadModelOptions,
  LoadReport,
  ModelFamily,
  ModelInfo,
} from './models.ts';
export { ARCHITECTURES, baseModel, loadModel, modelInfo } from './models.ts';
export type {
  FeatureExtractionPipeline,
  FillMaskPipeline,
  InMemoryModel,
  NextSentencePredictionPipeline,
  PipelineBase,
  PipelineByTask,
  PipelineOptions,
  QuestionAnsweringInput,
  QuestionAnsweringPipeline,
  Task,
  TaskAlias,
  TextClassificationPipeline,
  TextGenerationPipeline,
  TokenClassificationOutput,
  TokenClassificationPipeline,
} from './pipeline.ts';
export { pipeline, TASK_ARCHITECTURES } from './pipeline.ts';
export type { HeaderEntry, SafetensorsIndex, TensorRecord, WriteDType } from './safetensors.ts';
export { readHeader, writeSafetensors } from './safetensors.ts';
export type { FileSink, SavableModel, SaveInput, SaveOptions } from './save.ts';
export { parseSize, toPretrainedFiles, writePretrained } from './save.ts';
export type { FileData, ModelSource, SourceInput, UrlSourceOptions } from './source.ts';
export { createMemorySource, createUrlSource, MissingFileError, resolveSource } from './source.ts';
export type { TextInput } from './tasks/common.ts';
export type { FeatureExtractionOptions } from './tasks/feature-extraction.ts';
export { FeatureTensor } from './tasks/feature-extraction.ts';
export type { FillMaskOptions, FillMaskResult } from './tasks/fill-mask.ts';
export type { NextSentenceResult } from './tasks/next-sentence-prediction.ts';
export type { QuestionAnsweringOptions, QuestionAnsweringResult } from './tasks/question-answering.ts';
export type { TextClassificationOptions, TextClassificationResult } from './tasks/text-classification.ts';
export type { TextGenerationOptions, TextGenerationResult } from './tasks/text-generation.ts';
export type {
  AggregationStrategy,
  TokenClassificationGroup,
  TokenClassificationOptions,
  TokenClassificationResult,
} from './tasks/token-classification.ts';
export type { AnyTokenizer, Encoding, TokenizerConfig } from './tokenizers.ts';
export { loadTokenizer, PipelineTokenizer, tokenizerFiles } from './tokenizers.ts';
