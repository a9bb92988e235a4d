// The messages between the page (main.ts) and the model worker (worker.ts). Every request has an id; the worker
// answers with any number of `event`s, then one `done` or `error`. `cancel` aborts the request with that id.

export type BackendKind = 'webgl2' | 'webgpu' | 'wasm' | 'js';

export interface BackendStatus {
  kind: BackendKind;
  label: string;
  /** whether it can run the models here */
  available: boolean;
  /** why not, or how it runs (threads, emulation) */
  detail: string;
  /** a 256³ matrix product, in GFLOP/s, when measured */
  gflops?: number;
}

export interface ActiveBackend {
  kind: BackendKind;
  label: string;
  detail: string;
  /** why the requested backend was not used, when it was not */
  fallback?: string;
}

export interface TokenView {
  /** the text the token covers (or the token itself for special tokens) */
  text: string;
  /** the token as the vocabulary spells it */
  token: string;
  id: number;
  offset: [number, number];
  /** segment (token_type_id), for pairs */
  segment?: number;
}

export interface TokenizeResult {
  wordpiece: TokenView[];
  bpe: TokenView[];
  /** [CLS] A [SEP] B [SEP] when a second sentence is given */
  pair: TokenView[] | null;
}

export interface ModelSummary {
  which: 'bert' | 'gpt';
  source: string;
  architecture: string;
  parameters: number;
  layers: number;
  heads: number;
  width: number;
  vocabSize: number;
  context: number;
  tokenizer: string;
  loadMs: number;
}

export interface AttentionMap {
  tokens: string[];
  /** [layer][head] → T×T row-major (row = query token, column = key token) */
  maps: Float32Array[][];
}

export interface FillMaskCandidate {
  token: string;
  score: number;
  sequence: string;
}

export interface TrainConfig {
  text: string;
  steps: number;
  layers: number;
  width: number;
  heads: number;
  context: number;
  batchSize: number;
  lr: number;
  sampleEvery: number;
  seed: number;
}

export type Request =
  | { type: 'backends' }
  | { type: 'use-backend'; kind: BackendKind | 'auto' }
  | { type: 'load'; which: 'bert' | 'gpt'; url?: string; files?: File[]; shipped?: boolean }
  | { type: 'tokenize'; text: string; pair?: string }
  | { type: 'fill-mask'; text: string; topK: number }
  | { type: 'nsp'; a: string; b: string }
  | { type: 'similarity'; text: string }
  | {
      type: 'generate';
      prompt: string;
      maxNewTokens: number;
      temperature: number;
      topK: number;
      topP: number;
      greedy: boolean;
      seed: number;
    }
  | { type: 'attention'; text: string }
  | ({ type: 'train' } & TrainConfig);

export type RequestType = Request['type'];

/** page → worker */
export type ToWorker = { id: number; request: Request } | { id: number; cancel: true };

/** worker → page */
export type FromWorker =
  | { id: number; kind: 'event'; event: WorkerEvent }
  | { id: number; kind: 'done'; result: unknown }
  | { id: number; kind: 'error'; message: string }
  /** unsolicited: the worker is ready, or a status line changed */
  | { id: 0; kind: 'status'; text: string; backend?: ActiveBackend };

export type WorkerEvent =
  | { type: 'progress'; text: string; fraction?: number }
  | { type: 'token'; text: string; tokens: number; tokensPerSecond: number; firstTokenMs: number }
  | {
      type: 'train-step';
      step: number;
      loss: number;
      tokensPerSecond: number;
      elapsedMs: number;
    }
  | { type: 'sample'; step: number; text: string };
