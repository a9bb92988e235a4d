export { Dropout, Embedding, type InitOptions, LayerNorm, Linear, normal_, uniform_ } from './layers.ts';
export { isParameter, Module, parameter } from './module.ts';
