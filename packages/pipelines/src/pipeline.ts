// pipeline(task, source): a model folder (or Files, ArrayBuffers, a URL, or a model + tokenizer in memory) to a
// callable that takes text and gives answers, as transformers.js's `pipeline()`.
import { BertForPreTraining } from '@tsformer/bert';
import {
  type AnyModel,
  ARCHITECTURES,
  type Architecture,
  type LoadModelOptions,
  type LoadReport,
  loadModel,
  type ModelInfo,
  modelInfo,
} from './models.ts';
import {
  MissingFileError,
  type ModelSource,
  resolveSource,
  type SourceInput,
  type UrlSourceOptions,
} from './source.ts';
import type { PipelineParts, TextInput } from './tasks/common.ts';
import {
  extractFeatures,
  type FeatureExtractionOptions,
  type FeatureTensor,
} from './tasks/feature-extraction.ts';
import { type FillMaskOptions, type FillMaskResult, fillMask } from './tasks/fill-mask.ts';
import { type NextSentenceResult, nextSentence } from './tasks/next-sentence-prediction.ts';
import {
  answer,
  type QuestionAnsweringOptions,
  type QuestionAnsweringResult,
} from './tasks/question-answering.ts';
import {
  classify,
  type TextClassificationOptions,
  type TextClassificationResult,
} from './tasks/text-classification.ts';
import {
  generateText,
  streamText,
  type TextGenerationOptions,
  type TextGenerationResult,
} from './tasks/text-generation.ts';
import {
  classifyTokens,
  type TokenClassificationGroup,
  type TokenClassificationOptions,
  type TokenClassificationResult,
} from './tasks/token-classification.ts';
import { type AnyTokenizer, loadTokenizer, PipelineTokenizer } from './tokenizers.ts';

export type Task =
  | 'fill-mask'
  | 'text-generation'
  | 'feature-extraction'
  | 'text-classification'
  | 'token-classification'
  | 'question-answering'
  | 'next-sentence-prediction';

/** transformers' other names for the same tasks. */
export type TaskAlias = 'sentiment-analysis' | 'ner' | 'embeddings';

const ALIASES: Record<TaskAlias, Task> = {
  'sentiment-analysis': 'text-classification',
  ner: 'token-classification',
  embeddings: 'feature-extraction',
};

/** The architectures that can do each task. */
export const TASK_ARCHITECTURES: Readonly<Record<Task, readonly Architecture[]>> = {
  'fill-mask': ['BertForMaskedLM', 'BertForPreTraining'],
  'text-generation': ['GPT2LMHeadModel', 'GPT2Model'],
  'feature-extraction': Object.keys(ARCHITECTURES) as Architecture[],
  'text-classification': ['BertForSequenceClassification', 'GPT2ForSequenceClassification'],
  'token-classification': ['BertForTokenClassification'],
  'question-answering': ['BertForQuestionAnswering'],
  'next-sentence-prediction': ['BertForPreTraining', 'BertForNextSentencePrediction'],
};

export interface PipelineOptions extends UrlSourceOptions {
  /** use this tokenizer instead of the folder's */
  tokenizer?: AnyTokenizer | PipelineTokenizer;
  /** where warnings go (truncated inputs, clamped lengths); default: process.emitWarning in Node, console.warn elsewhere */
  onWarning?: (message: string) => void;
  /** called as weight tensors load */
  onProgress?: LoadModelOptions['onProgress'];
  /** throw on missing or unexpected checkpoint tensors (default true) */
  strict?: boolean;
}

/** A model and tokenizer already in memory (a model just trained, say). */
export interface InMemoryModel {
  model: AnyModel;
  tokenizer: AnyTokenizer | PipelineTokenizer;
  /** generation defaults (generation_config.json's keys) */
  generationConfig?: Record<string, unknown>;
}

/** What every pipeline has besides being callable. */
export interface PipelineBase {
  readonly task: Task;
  readonly model: AnyModel;
  readonly tokenizer: PipelineTokenizer;
  readonly info: ModelInfo;
  /** what loading found (null for a model passed in memory) */
  readonly report: LoadReport | null;
  /** frees the model's weights */
  dispose(): void;
}

export interface FillMaskPipeline extends PipelineBase {
  /** One text → candidates (arrays of candidates, one per mask, when the text has several masks). */
  (text: TextInput, options?: FillMaskOptions): Promise<FillMaskResult[] | FillMaskResult[][]>;
  (
    texts: readonly TextInput[],
    options?: FillMaskOptions,
  ): Promise<(FillMaskResult[] | FillMaskResult[][])[]>;
}

export interface TextGenerationPipeline extends PipelineBase {
  (prompt: string, options?: TextGenerationOptions): Promise<TextGenerationResult[]>;
  (prompts: readonly string[], options?: TextGenerationOptions): Promise<TextGenerationResult[][]>;
  /** The generated text piece by piece; the generator's return value is the result. */
  stream(
    prompt: string,
    options?: TextGenerationOptions,
  ): AsyncGenerator<string, TextGenerationResult, undefined>;
}

export interface FeatureExtractionPipeline extends PipelineBase {
  /** [B,T,C] (pooling 'none') or [B,C]; B = 1 for one text. Batches are right-padded. */
  (texts: TextInput | readonly TextInput[], options?: FeatureExtractionOptions): Promise<FeatureTensor>;
}

export interface TextClassificationPipeline extends PipelineBase {
  (text: TextInput, options?: TextClassificationOptions): Promise<TextClassificationResult[]>;
  /** one best label per text with top_k 1 (default), else one list per text */
  (
    texts: readonly TextInput[],
    options?: TextClassificationOptions,
  ): Promise<TextClassificationResult[] | TextClassificationResult[][]>;
}

export type TokenClassificationOutput = TokenClassificationResult[] | TokenClassificationGroup[];

export interface TokenClassificationPipeline extends PipelineBase {
  (text: string, options?: TokenClassificationOptions): Promise<TokenClassificationOutput>;
  (texts: readonly string[], options?: TokenClassificationOptions): Promise<TokenClassificationOutput[]>;
}

export interface QuestionAnsweringInput {
  question: string;
  context: string;
}

export interface QuestionAnsweringPipeline extends PipelineBase {
  (
    question: string,
    context: string,
    options?: QuestionAnsweringOptions,
  ): Promise<QuestionAnsweringResult | QuestionAnsweringResult[]>;
  (
    input: QuestionAnsweringInput,
    options?: QuestionAnsweringOptions,
  ): Promise<QuestionAnsweringResult | QuestionAnsweringResult[]>;
}

export interface NextSentencePredictionPipeline extends PipelineBase {
  (a: string, b: string): Promise<NextSentenceResult>;
  (pair: { text: string; text_pair: string }): Promise<NextSentenceResult>;
  (pairs: readonly { text: string; text_pair: string }[]): Promise<NextSentenceResult[]>;
}

/** The pipeline type of each task. */
export interface PipelineByTask {
  'fill-mask': FillMaskPipeline;
  'text-generation': TextGenerationPipeline;
  'feature-extraction': FeatureExtractionPipeline;
  'text-classification': TextClassificationPipeline;
  'token-classification': TokenClassificationPipeline;
  'question-answering': QuestionAnsweringPipeline;
  'next-sentence-prediction': NextSentencePredictionPipeline;
  'sentiment-analysis': TextClassificationPipeline;
  ner: TokenClassificationPipeline;
  embeddings: FeatureExtractionPipeline;
}

function defaultWarn(message: string): void {
  if (typeof process !== 'undefined' && typeof process.emitWarning === 'function') {
    process.emitWarning(message, { code: 'TSFORMER_PIPELINE' });
  } else {
    console.warn(message);
  }
}

function isInMemory(x: unknown): x is InMemoryModel {
  return (
    typeof x === 'object' &&
    x !== null &&
    'model' in x &&
    typeof (x as InMemoryModel).model?.forward === 'function'
  );
}

function infoOf(model: AnyModel): ModelInfo {
  const arch = (model.constructor as { architecture?: string }).architecture as Architecture | undefined;
  if (!arch || !(arch in ARCHITECTURES))
    throw new Error(`pipeline: ${model.constructor.name} is not a model pipelines can run`);
  return { family: ARCHITECTURES[arch], architecture: arch, json: {} };
}

function checkTask(task: Task, info: ModelInfo, where: string): void {
  const ok = TASK_ARCHITECTURES[task];
  if (!ok.includes(info.architecture)) {
    throw new Error(
      `${task} needs a model with one of the architectures ${ok.join(', ')}; ${where} is ${info.architecture}` +
        (task === 'text-classification' || task === 'token-classification' || task === 'question-answering'
          ? ' (fine-tune one with a head for this task first)'
          : ''),
    );
  }
}

async function readJson(source: ModelSource, name: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await source.readText(name)) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof MissingFileError) throw e;
    throw new Error(`${source.description}: ${name} is not JSON (${(e as Error).message})`);
  }
}

/**
 * Loads a model with its tokenizer for `task` and returns a function that runs it on text:
 *
 * ```js
 * const generator = await pipeline('text-generation', './my-gpt');
 * const [{ generated_text }] = await generator('Call me', { max_new_tokens: 20 });
 * ```
 *
 * `source` is a folder path (Node), an http(s) URL of a folder, `File`s, a `{ name → ArrayBuffer }` map, a
 * `ModelSource`, or `{ model, tokenizer }` already in memory. The architecture comes from config.json; a task the
 * architecture cannot do, or a missing file, is an error that says which architectures or which file it needs.
 */
export async function pipeline<T extends Task | TaskAlias>(
  task: T,
  source: SourceInput | InMemoryModel,
  options: PipelineOptions = {},
): Promise<PipelineByTask[T]> {
  const name: Task = (ALIASES as Record<string, Task>)[task] ?? (task as Task);
  if (!(name in TASK_ARCHITECTURES)) {
    throw new Error(
      `pipeline: unknown task ${JSON.stringify(task)} (known: ${[...Object.keys(TASK_ARCHITECTURES), ...Object.keys(ALIASES)].join(', ')})`,
    );
  }
  const warn = options.onWarning ?? defaultWarn;
  let model: AnyModel;
  let tokenizer: PipelineTokenizer;
  let info: ModelInfo;
  let report: LoadReport | null = null;
  let generationConfig: Record<string, unknown> = {};
  if (isInMemory(source)) {
    model = source.model;
    info = infoOf(model);
    checkTask(name, info, model.constructor.name);
    const t = source.tokenizer;
    tokenizer =
      t instanceof PipelineTokenizer ? t : new PipelineTokenizer(t, { model_max_length: undefined });
    generationConfig = source.generationConfig ?? {};
  } else {
    const src = await resolveSource(source as SourceInput, options);
    if (!(await src.has('config.json'))) {
      throw new MissingFileError(
        'config.json',
        `${src.description}: ${name} needs config.json (the model's architecture and sizes), which is missing`,
      );
    }
    info = modelInfo(await readJson(src, 'config.json'), `${src.description}/config.json`);
    checkTask(name, info, `${src.description} (config.json)`);
    // the tokenizer first: a missing tokenizer fails before gigabytes of weights are read
    const t = options.tokenizer;
    tokenizer =
      t === undefined
        ? await loadTokenizer(src, name)
        : t instanceof PipelineTokenizer
          ? t
          : new PipelineTokenizer(t);
    if (await src.has('generation_config.json'))
      generationConfig = await readJson(src, 'generation_config.json');
    const loaded = await loadModel(src, {
      task: name,
      strict: options.strict,
      onProgress: options.onProgress,
    });
    model = loaded.model;
    info = loaded.info;
    report = loaded.report;
  }
  const config = model.config;
  if (tokenizer.vocabSize > config.vocabSize) {
    warn(
      `${name}: the tokenizer has ${tokenizer.vocabSize} tokens but the model only ${config.vocabSize}; ids past ${config.vocabSize - 1} will fail`,
    );
  }
  if (name === 'next-sentence-prediction' && !(model instanceof BertForPreTraining)) {
    throw new Error(
      `next-sentence-prediction needs BertForPreTraining or BertForNextSentencePrediction, not ${info.architecture}`,
    );
  }
  const parts: PipelineParts = { task: name, model, tokenizer, config, info, report, generationConfig, warn };
  const base: PipelineBase = {
    task: name,
    model,
    tokenizer,
    info,
    report,
    dispose: () => {
      for (const [, p] of model.namedParameters()) p.dispose();
    },
  };
  const call = makeCall(name, parts);
  const fn = Object.assign(call, base) as unknown as PipelineByTask[T];
  if (name === 'text-generation') {
    Object.assign(fn, {
      stream: (prompt: string, o?: TextGenerationOptions) => streamText(parts, prompt, o),
    });
  }
  return fn;
}

type AnyCall = (...args: unknown[]) => Promise<unknown>;

function makeCall(task: Task, parts: PipelineParts): AnyCall {
  const many =
    <I, O>(f: (x: I) => O | Promise<O>) =>
    async (input: I | readonly I[]): Promise<O | O[]> => {
      if (Array.isArray(input)) {
        const out: O[] = [];
        for (const x of input) out.push(await f(x));
        return out;
      }
      return f(input as I);
    };
  switch (task) {
    case 'fill-mask':
      return (input, options) =>
        many((x: TextInput) => fillMask(parts, x, options as FillMaskOptions))(input as TextInput);
    case 'text-generation':
      return (input, options) =>
        many((x: string) => generateText(parts, x, options as TextGenerationOptions))(input as string);
    case 'feature-extraction':
      return async (input, options) =>
        extractFeatures(
          parts,
          Array.isArray(input) ? (input as TextInput[]) : [input as TextInput],
          options as FeatureExtractionOptions,
        );
    case 'text-classification':
      return async (input, options) => {
        const o = (options ?? {}) as TextClassificationOptions;
        if (!Array.isArray(input)) return classify(parts, input as TextInput, o);
        const rows: TextClassificationResult[][] = [];
        for (const x of input as TextInput[]) rows.push(await classify(parts, x, o));
        return (o.top_k ?? 1) === 1 && o.top_k !== null ? rows.map((r) => r[0]!) : rows;
      };
    case 'token-classification':
      return (input, options) =>
        many((x: string) => classifyTokens(parts, x, options as TokenClassificationOptions))(input as string);
    case 'question-answering':
      return async (a, b, c) => {
        if (typeof a === 'object' && a !== null && !Array.isArray(a)) {
          const { question, context } = a as QuestionAnsweringInput;
          return answer(parts, question, context, (b ?? {}) as QuestionAnsweringOptions);
        }
        return answer(parts, a as string, b as string, (c ?? {}) as QuestionAnsweringOptions);
      };
    case 'next-sentence-prediction':
      return async (a, b) => {
        if (Array.isArray(a)) {
          const out: NextSentenceResult[] = [];
          for (const p of a as { text: string; text_pair: string }[])
            out.push(await nextSentence(parts, p.text, p.text_pair));
          return out;
        }
        if (typeof a === 'object' && a !== null) {
          const p = a as { text: string; text_pair: string };
          return nextSentence(parts, p.text, p.text_pair);
        }
        return nextSentence(parts, a as string, b as string);
      };
  }
}
