// Text in, text out over a checkpoint folder: generate (GPT) and fill-mask / next-sentence (BERT). Kept in this
// one small module so that it can move into a `@tsformer/pipelines` package as it is.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BertForPreTraining } from '@tsformer/bert';
import { GPT2LMHeadModel, generate } from '@tsformer/gpt';
import { noGrad, readAndDispose, softmax, type Tensor, tensor, tidy } from '@tsformer/tensor';
import { ByteLevelBpeTokenizer, CharTokenizer, WordPieceTokenizer } from '@tsformer/tokenizer';
import { type AnyTokenizer, loadTokenizer } from '@tsformer/tokenizer/node';
import { findCheckpoint } from './checkpoint.ts';

export type LoadedModel =
  | { kind: 'gpt'; model: GPT2LMHeadModel; tokenizer: AnyTokenizer; folder: string }
  | { kind: 'bert'; model: BertForPreTraining; tokenizer: WordPieceTokenizer; folder: string };

export class InferenceError extends Error {
  override name = 'InferenceError';
}

/** Loads a checkpoint folder (or a run folder's checkpoint/) with its tokenizer. */
export async function loadCheckpointFolder(path: string): Promise<LoadedModel> {
  const folder = findCheckpoint(path);
  if (folder === null)
    throw new InferenceError(
      `${path} holds no checkpoint (config.json + model.safetensors, or a run's checkpoint/)`,
    );
  const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as { model_type?: string };
  let tokenizer: AnyTokenizer;
  try {
    tokenizer = loadTokenizer(folder);
  } catch (e) {
    throw new InferenceError(`${folder}: ${(e as Error).message}`);
  }
  if (config.model_type === 'gpt2')
    return { kind: 'gpt', model: await GPT2LMHeadModel.fromPretrained(folder), tokenizer, folder };
  if (config.model_type === 'bert') {
    if (!(tokenizer instanceof WordPieceTokenizer))
      throw new InferenceError(`${folder}: a BERT checkpoint needs a WordPiece tokenizer`);
    return {
      kind: 'bert',
      model: await BertForPreTraining.fromPretrained(folder, { strict: false }),
      tokenizer,
      folder,
    };
  }
  throw new InferenceError(
    `${folder}/config.json: model_type ${JSON.stringify(config.model_type)} is neither gpt2 nor bert`,
  );
}

export interface GenerateTextOptions {
  maxNewTokens?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  repetitionPenalty?: number;
  seed?: number;
  /** called with each new piece of text as it is generated */
  onText?: (text: string) => void;
  signal?: AbortSignal;
}

function encodePrompt(tokenizer: AnyTokenizer, prompt: string): number[] {
  if (tokenizer instanceof CharTokenizer) {
    try {
      return tokenizer.encode(prompt);
    } catch (e) {
      throw new InferenceError(`the prompt has a character the model does not know: ${(e as Error).message}`);
    }
  }
  return tokenizer.encode(prompt);
}

/** Continues `prompt` with a GPT; the prompt is cut to the model's last nPositions − maxNewTokens tokens. */
export async function generateText(
  model: GPT2LMHeadModel,
  tokenizer: AnyTokenizer,
  prompt: string,
  options: GenerateTextOptions = {},
): Promise<string> {
  const maxNewTokens = Math.min(options.maxNewTokens ?? 100, model.config.nPositions - 1);
  let ids = encodePrompt(tokenizer, prompt);
  if (ids.length === 0) {
    const eot =
      tokenizer instanceof ByteLevelBpeTokenizer ? tokenizer.specialTokens.get('<|endoftext|>') : undefined;
    ids = [eot ?? 0];
  }
  ids = ids.slice(-(model.config.nPositions - maxNewTokens));
  const temperature = options.temperature ?? 0.8;
  const wasTraining = model.training;
  const newIds: number[] = [];
  let shown = '';
  try {
    for await (const id of generate(model, ids, {
      maxNewTokens,
      temperature,
      topK: options.topK ?? 40,
      topP: options.topP ?? 1,
      repetitionPenalty: options.repetitionPenalty ?? 1,
      seed: options.seed ?? 0,
      doSample: temperature > 0,
      signal: options.signal,
    })) {
      newIds.push(id);
      if (options.onText) {
        const text = tokenizer.decode(newIds);
        // hold back a trailing replacement character: a multi-byte character may be half generated
        const stable = text.endsWith('\ufffd') ? text.slice(0, -1) : text;
        if (stable.length > shown.length && stable.startsWith(shown)) {
          options.onText(stable.slice(shown.length));
          shown = stable;
        }
      }
    }
  } finally {
    model.train(wasTraining);
  }
  const text = tokenizer.decode(newIds);
  if (options.onText && text.length > shown.length && text.startsWith(shown))
    options.onText(text.slice(shown.length));
  return text;
}

export interface MaskPrediction {
  /** index of the [MASK] among the masks of the text */
  mask: number;
  candidates: { token: string; id: number; score: number }[];
}

function bertInputs(tokenizer: WordPieceTokenizer, a: string, b: string | undefined, maxLength: number) {
  const enc = tokenizer.encodePair(a, b, { specialTokens: 'allow', maxLength, truncation: 'longest-first' });
  const t = enc.inputIds.length;
  return {
    ids: enc.inputIds,
    inputIds: tensor(Int32Array.from(enc.inputIds), [1, t]),
    tokenTypeIds: tensor(Int32Array.from(enc.tokenTypeIds), [1, t]),
    attentionMask: tensor(Int32Array.from(enc.attentionMask), [1, t]),
  };
}

/** The top-k tokens for each [MASK] of `text`, with their probabilities. */
export async function fillMask(
  model: BertForPreTraining,
  tokenizer: WordPieceTokenizer,
  text: string,
  topK = 5,
): Promise<MaskPrediction[]> {
  const maskId = tokenizer.tokenToId('[MASK]');
  if (maskId === undefined) throw new InferenceError('the tokenizer has no [MASK] token');
  // special tokens are never the answer
  const special = new Set(
    ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].flatMap((t) => tokenizer.tokenToId(t) ?? []),
  );
  const wasTraining = model.training;
  model.eval();
  try {
    const { probsT, positions } = noGrad(() =>
      tidy(() => {
        const inp = bertInputs(tokenizer, text, undefined, model.config.maxPositionEmbeddings);
        const positions = inp.ids.flatMap((id, i) => (id === maskId ? [i] : []));
        if (positions.length === 0)
          throw new InferenceError(`the text has no [MASK]: ${JSON.stringify(text)}`);
        const out = model.bert.forward(inp);
        const logits = model.cls.predictions.forward(out.lastHiddenState); // [1,T,V]
        return { probsT: softmax(logits, -1), positions };
      }),
    );
    const probs = (await readAndDispose(probsT)) as Float32Array; // every backend's read (WebGPU too)
    const v = model.config.vocabSize;
    return positions.map((pos, mask) => {
      const row = probs.subarray(pos * v, (pos + 1) * v);
      const order = Array.from(row.keys())
        .filter((id) => !special.has(id))
        .sort((x, y) => row[y]! - row[x]!)
        .slice(0, topK);
      return {
        mask,
        candidates: order.map((id) => ({ id, token: tokenizer.decode([id]), score: row[id]! })),
      };
    });
  } finally {
    model.train(wasTraining);
  }
}

/** P(B follows A) from the NSP head (label 0 = IsNext). */
export async function nextSentenceProbability(
  model: BertForPreTraining,
  tokenizer: WordPieceTokenizer,
  a: string,
  b: string,
): Promise<number> {
  const wasTraining = model.training;
  model.eval();
  try {
    const probs = noGrad(() =>
      tidy(() => {
        const out = model.bert.forward(bertInputs(tokenizer, a, b, model.config.maxPositionEmbeddings));
        const logits: Tensor = model.cls.seq_relationship.forward(out.poolerOutput!); // [1,2]
        return softmax(logits, -1);
      }),
    );
    return (await readAndDispose(probs))[0]!;
  } finally {
    model.train(wasTraining);
  }
}
