import type { GPT2ConfigInit } from './config.ts';

/**
 * Named GPT-2 shapes (plain objects: spread them into `new GPT2Config({...})` and override what differs).
 * `nano`, `micro` and `mini` train on a laptop CPU; the others are the published OpenAI shapes, for loading
 * checkpoints and for size math.
 */
export const gpt2Presets: {
  readonly nano: GPT2ConfigInit;
  readonly micro: GPT2ConfigInit;
  readonly mini: GPT2ConfigInit;
  readonly gpt2: GPT2ConfigInit;
  readonly 'gpt2-medium': GPT2ConfigInit;
  readonly 'gpt2-large': GPT2ConfigInit;
  readonly 'gpt2-xl': GPT2ConfigInit;
} = {
  nano: { nLayer: 2, nHead: 2, nEmbd: 64, nPositions: 128, vocabSize: 512 },
  micro: { nLayer: 4, nHead: 4, nEmbd: 128, nPositions: 256, vocabSize: 2048 },
  mini: { nLayer: 6, nHead: 6, nEmbd: 384, nPositions: 256, vocabSize: 4096 },
  gpt2: { nLayer: 12, nHead: 12, nEmbd: 768, nPositions: 1024, vocabSize: 50257 },
  'gpt2-medium': { nLayer: 24, nHead: 16, nEmbd: 1024, nPositions: 1024, vocabSize: 50257 },
  'gpt2-large': { nLayer: 36, nHead: 20, nEmbd: 1280, nPositions: 1024, vocabSize: 50257 },
  'gpt2-xl': { nLayer: 48, nHead: 25, nEmbd: 1600, nPositions: 1024, vocabSize: 50257 },
};
