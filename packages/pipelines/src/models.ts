// From config.json to a model with its weights. The architecture comes from `architectures` (else from
// `model_type`); the model is built without initialisation and without touching its memory, then every
// checkpoint tensor is read from the (possibly sharded) safetensors files straight into its parameter, so
// loading peaks at about one copy of the weights plus one 16 MiB conversion buffer.
import {
  BertConfig,
  BertForMaskedLM,
  BertForPreTraining,
  BertForQuestionAnswering,
  BertForSequenceClassification,
  BertForTokenClassification,
  BertModel,
  fromHfConfig as bertFromHfConfig,
  isIgnoredBertTensor,
} from '@tsformer/bert';
import {
  GPT2Config,
  GPT2ForSequenceClassification,
  GPT2LMHeadModel,
  fromHfConfig as gptFromHfConfig,
  isIgnoredGpt2Tensor,
} from '@tsformer/gpt';
import { Generator, hostArray, noGrad, type Tensor, tensor } from '@tsformer/tensor';
import { type Module, normal_, withoutInit } from '@tsformer/tensor/nn';
import { type HeaderEntry, readHeader, readTensorInto } from './safetensors.ts';
import { MissingFileError, type ModelSource } from './source.ts';

export type ModelFamily = 'bert' | 'gpt2';

/** The transformers classes this package builds. */
export type Architecture =
  | 'BertModel'
  | 'BertForPreTraining'
  | 'BertForMaskedLM'
  | 'BertForNextSentencePrediction'
  | 'BertForSequenceClassification'
  | 'BertForTokenClassification'
  | 'BertForQuestionAnswering'
  | 'GPT2Model'
  | 'GPT2LMHeadModel'
  | 'GPT2ForSequenceClassification';

/** Any model a pipeline runs. */
export type AnyModel =
  | BertModel
  | BertForPreTraining
  | BertForMaskedLM
  | BertForSequenceClassification
  | BertForTokenClassification
  | BertForQuestionAnswering
  | GPT2LMHeadModel
  | GPT2ForSequenceClassification;

export const ARCHITECTURES: Record<Architecture, ModelFamily> = {
  BertModel: 'bert',
  BertForPreTraining: 'bert',
  BertForMaskedLM: 'bert',
  BertForNextSentencePrediction: 'bert',
  BertForSequenceClassification: 'bert',
  BertForTokenClassification: 'bert',
  BertForQuestionAnswering: 'bert',
  GPT2Model: 'gpt2',
  GPT2LMHeadModel: 'gpt2',
  GPT2ForSequenceClassification: 'gpt2',
};

/** What config.json says about the model. */
export interface ModelInfo {
  family: ModelFamily;
  architecture: Architecture;
  /** config.json as parsed */
  json: Record<string, unknown>;
}

/** Picks the architecture from config.json: `architectures[0]`, else the `model_type`'s base class. */
export function modelInfo(json: Record<string, unknown>, where: string): ModelInfo {
  const archs = Array.isArray(json.architectures) ? (json.architectures as unknown[]) : [];
  const known = archs.find((a): a is Architecture => typeof a === 'string' && a in ARCHITECTURES);
  if (known) return { family: ARCHITECTURES[known], architecture: known, json };
  if (archs.length > 0) {
    throw new Error(
      `${where}: architectures ${JSON.stringify(archs)} are not supported (supported: ${Object.keys(ARCHITECTURES).join(', ')})`,
    );
  }
  if (json.model_type === 'bert') return { family: 'bert', architecture: 'BertForPreTraining', json };
  if (json.model_type === 'gpt2') return { family: 'gpt2', architecture: 'GPT2LMHeadModel', json };
  throw new Error(
    `${where}: model_type ${JSON.stringify(json.model_type)} is not supported (bert and gpt2 are) and there is no known "architectures" entry`,
  );
}

/** The weight files of a folder: one model.safetensors, or the shards named by model.safetensors.index.json. */
export async function weightFiles(
  source: ModelSource,
  task: string,
): Promise<{ files: string[]; indexed: boolean }> {
  if (await source.has('model.safetensors.index.json')) {
    const text = await source.readText('model.safetensors.index.json');
    let index: { weight_map?: Record<string, string> };
    try {
      index = JSON.parse(text) as { weight_map?: Record<string, string> };
    } catch (e) {
      throw new Error(
        `${source.description}: model.safetensors.index.json is not JSON (${(e as Error).message})`,
      );
    }
    if (!index.weight_map || typeof index.weight_map !== 'object') {
      throw new Error(`${source.description}: model.safetensors.index.json has no "weight_map"`);
    }
    const files = [...new Set(Object.values(index.weight_map))];
    for (const f of files) {
      if (!(await source.has(f))) {
        throw new MissingFileError(
          f,
          `${source.description}: ${f} is missing: model.safetensors.index.json lists it as a shard, and ${task} needs the weights`,
        );
      }
    }
    return { files, indexed: true };
  }
  if (await source.has('model.safetensors')) return { files: ['model.safetensors'], indexed: false };
  const other = ['pytorch_model.bin', 'tf_model.h5', 'model.onnx'];
  const found: string[] = [];
  for (const f of other) if (await source.has(f)) found.push(f);
  throw new MissingFileError(
    'model.safetensors',
    `${source.description}: ${task} needs the weights in model.safetensors (or model.safetensors.index.json with its shards)` +
      (found.length
        ? `; found ${found.join(', ')}, which this package does not read (convert with safetensors' convert script)`
        : ''),
  );
}

type Config = BertConfig | GPT2Config;

function create(architecture: Architecture, config: Config): AnyModel {
  const init = { init: false };
  switch (architecture) {
    case 'BertModel':
      return new BertModel(config as BertConfig, init);
    case 'BertForPreTraining':
    case 'BertForNextSentencePrediction':
      return new BertForPreTraining(config as BertConfig, init);
    case 'BertForMaskedLM':
      return new BertForMaskedLM(config as BertConfig, init);
    case 'BertForSequenceClassification':
      return new BertForSequenceClassification(config as BertConfig, init);
    case 'BertForTokenClassification':
      return new BertForTokenClassification(config as BertConfig, init);
    case 'BertForQuestionAnswering':
      return new BertForQuestionAnswering(config as BertConfig, init);
    case 'GPT2Model':
    case 'GPT2LMHeadModel':
      return new GPT2LMHeadModel(config as GPT2Config, init);
    case 'GPT2ForSequenceClassification':
      return new GPT2ForSequenceClassification(config as GPT2Config, init);
  }
}

/**
 * Builds a model without computing its random initialisation (`withoutInit`): parameters are lazily zeroed
 * memory, so construction costs neither time nor resident memory. Every value is overwritten by the checkpoint
 * (missing parameters are initialised afterwards).
 */
function constructLazily<T>(make: () => T): T {
  return withoutInit(make);
}

/** What loading found, by tensor name (the report of `@tsformer/attention`'s loadCheckpoint, plus files). */
export interface LoadReport {
  /** model parameters the checkpoint lacks (initialised as transformers does) */
  missing: string[];
  /** checkpoint tensors the model has no place for (skipped) */
  unexpected: string[];
  /** tied copies and buffers skipped on purpose */
  ignored: string[];
  /** checkpoint name → model name where they differ */
  renamed: Record<string, string>;
  /** the safetensors files read */
  files: string[];
  /** the stored dtypes seen (F16/BF16 are converted to float32) */
  dtypes: string[];
}

export interface LoadModelOptions {
  /** the task, named in errors */
  task?: string;
  /**
   * Throw when a parameter is missing or a tensor is unexpected (default true, except where the task uses
   * only part of the model: a BertForNextSentencePrediction checkpoint has no masked-LM head).
   */
  strict?: boolean;
  /** called after each tensor is read (progress bars) */
  onProgress?: (progress: { loaded: number; total: number; name: string }) => void;
}

export interface LoadedModel {
  model: AnyModel;
  config: Config;
  info: ModelInfo;
  report: LoadReport;
}

/** Reads config.json and the weights of `source` into the model its architecture names. */
export async function loadModel(source: ModelSource, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const task = options.task ?? 'this model';
  if (!(await source.has('config.json'))) {
    throw new MissingFileError(
      'config.json',
      `${source.description}: ${task} needs config.json (the model's architecture and sizes), which is missing`,
    );
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(await source.readText('config.json')) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${source.description}: config.json is not JSON (${(e as Error).message})`);
  }
  const info = modelInfo(json, `${source.description}/config.json`);
  const config = info.family === 'bert' ? bertFromHfConfig(json) : gptFromHfConfig(json);
  const { files } = await weightFiles(source, task);
  const model = constructLazily(() => create(info.architecture, config));
  const strict = options.strict ?? info.architecture !== 'BertForNextSentencePrediction';
  const report = await loadWeights(model, source, files, {
    basePrefix: info.family === 'bert' ? 'bert' : 'transformer',
    ignore: info.family === 'bert' ? isIgnoredBertTensor : isIgnoredGpt2Tensor,
    strict,
    onProgress: options.onProgress,
    initializerRange: config.initializerRange,
  });
  model.eval();
  return { model, config, info, report };
}

interface LoadWeightsOptions {
  basePrefix: string;
  ignore: (name: string) => boolean;
  strict: boolean;
  initializerRange: number;
  onProgress?: LoadModelOptions['onProgress'];
}

/** Streams the tensors of `files` into `model`'s parameters by Hugging Face name. */
export async function loadWeights(
  model: Module,
  source: ModelSource,
  files: readonly string[],
  options: LoadWeightsOptions,
): Promise<LoadReport> {
  const params = new Map(model.namedParameters());
  const prefix = `${options.basePrefix}.`;
  const report: LoadReport = {
    missing: [],
    unexpected: [],
    ignored: [],
    renamed: {},
    files: [...files],
    dtypes: [],
  };
  const plan: { file: string; fileName: string; name: string; entry: HeaderEntry }[] = [];
  const wrong: string[] = [];
  const seen = new Set<string>();
  const dtypes = new Set<string>();
  for (const file of files) {
    const header = await readHeader(source, file);
    for (const [fileName, entry] of header.entries) {
      const legacy = fileName.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias');
      const candidates = [legacy, prefix + legacy];
      if (legacy.startsWith(prefix)) candidates.push(legacy.slice(prefix.length));
      const name = candidates.find((c) => params.has(c));
      if (name === undefined) {
        if (options.ignore(legacy) || options.ignore(prefix + legacy)) report.ignored.push(fileName);
        else report.unexpected.push(fileName);
        continue;
      }
      const p = params.get(name)!;
      if (p.shape.length !== entry.shape.length || p.shape.some((d, i) => d !== entry.shape[i])) {
        wrong.push(
          `${fileName} is [${entry.shape.join(',')}] in ${file} but the model expects [${p.shape.join(',')}]`,
        );
        continue;
      }
      if (seen.has(name)) continue; // a tied copy stored twice
      seen.add(name);
      if (name !== fileName) report.renamed[fileName] = name;
      dtypes.add(entry.dtype);
      plan.push({ file, fileName, name, entry });
    }
  }
  report.dtypes = [...dtypes];
  report.missing = [...params.keys()].filter((n) => !seen.has(n));
  if (wrong.length) throw new Error(`${source.description}: wrong shapes: ${wrong.join('; ')}`);
  if (options.strict && (report.missing.length || report.unexpected.length)) {
    const parts: string[] = [];
    if (report.missing.length) parts.push(`missing ${report.missing.join(', ')}`);
    if (report.unexpected.length) parts.push(`unexpected ${report.unexpected.join(', ')}`);
    throw new Error(
      `${source.description}: the checkpoint does not match ${model.constructor.name}: ${parts.join('; ')}`,
    );
  }
  // a few reads in flight: the file system's threads copy (and fault in the destination pages) side by side
  let loaded = 0;
  let next = 0;
  const reader = async (): Promise<void> => {
    while (next < plan.length) {
      const { file, fileName, name, entry } = plan[next++]!;
      await readParameter(source, file, fileName, entry, params.get(name)!);
      loaded++;
      options.onProgress?.({ loaded, total: plan.length, name });
    }
  };
  await Promise.all(Array.from({ length: Math.min(READS_IN_FLIGHT, plan.length) }, reader));
  if (report.missing.length) initMissing(params, report.missing, options.initializerRange);
  return report;
}

/** Parameter reads in flight at once while loading (libuv's default pool has four threads). */
const READS_IN_FLIGHT = 4;

/**
 * Reads a tensor straight into the memory the backend keeps it in (`hostArray`: the CPU engine's memory) and hands
 * it to the parameter without another copy.
 */
async function readParameter(
  source: ModelSource,
  file: string,
  fileName: string,
  entry: HeaderEntry,
  p: Tensor,
): Promise<void> {
  const data = hostArray('float32', p.size, p.backend) as Float32Array;
  await readTensorInto(source, file, fileName, entry, data);
  noGrad(() => p.assign(tensor(data, p.shape, { backend: p.backend, copy: false })));
}

/** transformers' `_init_weights` for parameters the checkpoint lacks: N(0, range) weights, zero biases, unit norms. */
function initMissing(params: Map<string, Tensor>, names: readonly string[], range: number): void {
  const generator = new Generator(0);
  noGrad(() => {
    for (const n of names) {
      const p = params.get(n)!;
      if (/LayerNorm\.weight$|ln_[^.]*\.weight$/.test(n))
        p.assign(tensor(new Float32Array(p.size).fill(1), p.shape));
      else if (n.endsWith('.bias')) p.assign(tensor(new Float32Array(p.size), p.shape));
      else normal_(p, range, { generator });
    }
  });
}

/** The base transformer of a model (what feature-extraction reads). */
export function baseModel(model: AnyModel): BertModel | GPT2LMHeadModel['transformer'] {
  if (model instanceof BertModel) return model;
  if ('bert' in model) return model.bert;
  return model.transformer;
}

export { BertConfig, GPT2Config };
