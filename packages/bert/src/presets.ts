import type { BertConfigInit } from './config.ts';

/**
 * Named BERT shapes (plain objects: spread them into `new BertConfig({...})`). `nano`, `micro`, `mini` and
 * `small` train on a laptop CPU (the last three are Google's BERT-Tiny/Mini/Small shapes from "Well-Read
 * Students Learn Better"); `bert-base` and `bert-large` are the published shapes.
 */
export const bertPresets: {
  readonly nano: BertConfigInit;
  readonly micro: BertConfigInit;
  readonly mini: BertConfigInit;
  readonly small: BertConfigInit;
  readonly 'bert-base': BertConfigInit;
  readonly 'bert-large': BertConfigInit;
} = {
  nano: {
    numHiddenLayers: 2,
    numAttentionHeads: 2,
    hiddenSize: 64,
    intermediateSize: 256,
    maxPositionEmbeddings: 128,
    vocabSize: 1024,
  },
  micro: {
    numHiddenLayers: 2,
    numAttentionHeads: 2,
    hiddenSize: 128,
    intermediateSize: 512,
    maxPositionEmbeddings: 512,
  },
  mini: {
    numHiddenLayers: 4,
    numAttentionHeads: 4,
    hiddenSize: 256,
    intermediateSize: 1024,
    maxPositionEmbeddings: 512,
  },
  small: {
    numHiddenLayers: 4,
    numAttentionHeads: 8,
    hiddenSize: 512,
    intermediateSize: 2048,
    maxPositionEmbeddings: 512,
  },
  'bert-base': {
    numHiddenLayers: 12,
    numAttentionHeads: 12,
    hiddenSize: 768,
    intermediateSize: 3072,
    maxPositionEmbeddings: 512,
    vocabSize: 30522,
  },
  'bert-large': {
    numHiddenLayers: 24,
    numAttentionHeads: 16,
    hiddenSize: 1024,
    intermediateSize: 4096,
    maxPositionEmbeddings: 512,
    vocabSize: 30522,
  },
};
