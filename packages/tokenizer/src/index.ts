export type { TrainOptions, WordPieceTrainOptions } from './bpe-trainer.ts';
export { trainByteLevelBpe, trainWordPiece } from './bpe-trainer.ts';
export type { ByteLevelBpeOptions } from './byte-level-bpe.ts';
export { ByteLevelBpeTokenizer } from './byte-level-bpe.ts';
export type { CharTokenizerOptions } from './char.ts';
export { CharTokenizer } from './char.ts';
export type { BertNormalizerOptions } from './normalize.ts';
export type {
  EncodeOptions,
  ModelInputOptions,
  ModelInputs,
  SpecialTokenPolicy,
  Tokenizer,
  TokenizerJson,
  TokenSpans,
  TruncationStrategy,
} from './tokenizer.ts';
export { TokenizerFileError } from './tokenizer.ts';
export type { DecodeOptions, WordPieceOptions } from './wordpiece.ts';
export { bertPreTokenize, WordPieceTokenizer } from './wordpiece.ts';
