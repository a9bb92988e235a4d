export { activation } from './activations.ts';
export type { CheckpointReport, LoadCheckpointOptions, PretrainedFiles } from './checkpoint.ts';
export {
  loadCheckpoint,
  pythonFloat,
  readPretrainedFolder,
  toHfJson,
  writePretrainedFolder,
} from './checkpoint.ts';
export { mergeHeads, splitHeads } from './heads.ts';
export type { LayerKV } from './kv-cache.ts';
export { KVCache } from './kv-cache.ts';
export type { ProblemType } from './losses.ts';
export { classificationLoss } from './losses.ts';
export {
  causalAttentionMask,
  causalMask,
  combineMasks,
  MASK_MIN,
  paddingMask,
  toAdditiveMask,
  validLengthMask,
} from './masks.ts';
export type { MultiHeadAttentionInput, MultiHeadAttentionOptions } from './multi-head.ts';
export { MultiHeadAttention } from './multi-head.ts';
export type { AttentionOptions } from './sdpa.ts';
export { scaledDotProductAttention, scaledDotProductAttentionWithWeights } from './sdpa.ts';
