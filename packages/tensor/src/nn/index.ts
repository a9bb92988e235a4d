export {
  Dropout,
  Embedding,
  type InitOptions,
  LayerNorm,
  Linear,
  normal_,
  uniform_,
  withoutInit,
} from './layers.ts';
export { isParameter, Module, parameter } from './module.ts';
