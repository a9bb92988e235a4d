// Writing a complete Hugging Face folder: config.json, model.safetensors (or shards + index),
// generation_config.json for GPT-2, and the tokenizer files. Tensors are streamed one at a time through a
// sink, so a multi-gigabyte model is never serialised into one buffer.
import { BertConfig, toHfConfigJson as bertConfigJson } from '@tsformer/bert';
import { GPT2Config, toHfConfigJson as gptConfigJson } from '@tsformer/gpt';
import type { Tensor } from '@tsformer/tensor';
import type { Module } from '@tsformer/tensor/nn';
import { dtypeSize, type TensorRecord, type WriteDType, writeSafetensors } from './safetensors.ts';
import { type AnyTokenizer, hfJson, type PipelineTokenizer, tokenizerFiles } from './tokenizers.ts';

/** Receives files one at a time; `open` returns a writer for one file's bytes. */
export interface FileSink {
  open(name: string): Promise<{ write(bytes: Uint8Array): Promise<void>; close(): Promise<void> }>;
}

/** A model with its config (any tsformer BERT or GPT-2 class). */
export interface SavableModel extends Module {
  readonly config: BertConfig | GPT2Config;
}

export interface SaveOptions {
  /** Split the weights into shards of at most this size: bytes, or "500MB" / "5GB" (default "5GB", as transformers). */
  maxShardSize?: number | string;
  /** store floats as F32 (default), F16 or BF16 */
  dtype?: WriteDType;
  /** the transformers class name for config.json `architectures` (default: the model class's) */
  architecture?: string;
  /** tokenizer_config.json `model_max_length` (default: the model's positions) */
  modelMaxLength?: number;
  /** keys to write into generation_config.json (GPT-2), e.g. { do_sample: true, temperature: 0.8 } */
  generationConfig?: Record<string, unknown>;
}

/** What to save: a model, and usually its tokenizer. */
export interface SaveInput {
  model: SavableModel;
  tokenizer?: AnyTokenizer | PipelineTokenizer | null;
}

/** "5GB" → 5e9, "500MiB" → 500·2^20, as transformers' `convert_file_size_to_int`. */
export function parseSize(size: number | string): number {
  if (typeof size === 'number') return size;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)?\s*$/i.exec(size);
  if (!m) throw new Error(`maxShardSize: cannot read ${JSON.stringify(size)} (use bytes or e.g. "5GB")`);
  const unit = (m[2] ?? 'B').toUpperCase();
  const scale: Record<string, number> = {
    B: 1,
    KB: 1e3,
    MB: 1e6,
    GB: 1e9,
    TB: 1e12,
    KIB: 2 ** 10,
    MIB: 2 ** 20,
    GIB: 2 ** 30,
    TIB: 2 ** 40,
  };
  return Math.floor(Number(m[1]) * scale[unit]!);
}

function architectureOf(model: SavableModel, options: SaveOptions): string {
  if (options.architecture) return options.architecture;
  const a = (model.constructor as { architecture?: string }).architecture;
  if (!a)
    throw new Error(
      `savePretrained: ${model.constructor.name} has no transformers architecture name; pass { architecture }`,
    );
  return a;
}

function configJson(model: SavableModel, architecture: string): string {
  const c = model.config;
  if (c instanceof BertConfig) {
    const saved = c.with({ architectures: [architecture] });
    if (!('dtype' in saved.extra)) saved.extra.dtype = 'float32';
    return bertConfigJson(saved);
  }
  if (c instanceof GPT2Config) {
    const saved = c.with({ architectures: [architecture] });
    if (!('dtype' in saved.extra)) saved.extra.dtype = 'float32';
    return gptConfigJson(saved);
  }
  throw new Error('savePretrained: the model has neither a BertConfig nor a GPT2Config');
}

/** One record per distinct parameter, in state-dict order; data read when written. */
function records(model: Module): TensorRecord[] {
  return model.namedParameters().map(([name, t]: [string, Tensor]) => ({
    name,
    shape: t.shape,
    data: async () => {
      try {
        const s = t.storage as unknown;
        if (t.backend.name === 'cpu' && s instanceof Float32Array && s.length === t.size) return s;
      } catch {
        // fall through to a read
      }
      return (await t.data()) as Float32Array;
    },
  }));
}

/**
 * Shards as transformers' `split_torch_state_dict_into_shards`: tensors in state-dict order, a new shard when the
 * next tensor would push the current one past `max` (a tensor larger than `max` gets a shard of its own).
 */
function shard(tensors: readonly TensorRecord[], max: number, dtype: WriteDType): TensorRecord[][] {
  const shards: TensorRecord[][] = [];
  let current: TensorRecord[] = [];
  let size = 0;
  for (const t of tensors) {
    const bytes = t.shape.reduce((p, d) => p * d, 1) * dtypeSize(dtype);
    if (current.length > 0 && size + bytes > max) {
      shards.push(current);
      current = [];
      size = 0;
    }
    current.push(t);
    size += bytes;
  }
  if (current.length > 0) shards.push(current);
  return shards;
}

/** Writes every file of the folder into `sink`; returns the file names written. */
export async function writePretrained(
  input: SaveInput,
  sink: FileSink,
  options: SaveOptions = {},
): Promise<string[]> {
  const { model, tokenizer } = input;
  const architecture = architectureOf(model, options);
  const dtype = options.dtype ?? 'F32';
  const written: string[] = [];
  const put = async (name: string, data: string | Uint8Array): Promise<void> => {
    const w = await sink.open(name);
    await w.write(typeof data === 'string' ? new TextEncoder().encode(data) : data);
    await w.close();
    written.push(name);
  };
  const tensors = records(model);
  const shards = shard(tensors, parseSize(options.maxShardSize ?? '5GB'), dtype);
  if (shards.length <= 1) {
    const w = await sink.open('model.safetensors');
    await writeSafetensors(tensors, (b) => w.write(b), { dtype });
    await w.close();
    written.push('model.safetensors');
  } else {
    const weightMap: Record<string, string> = {};
    let total = 0;
    const n = shards.length;
    for (let i = 0; i < n; i++) {
      const file = `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;
      const w = await sink.open(file);
      await writeSafetensors(shards[i]!, (b) => w.write(b), { dtype });
      await w.close();
      written.push(file);
      for (const t of shards[i]!) {
        weightMap[t.name] = file;
        total += t.shape.reduce((p, d) => p * d, 1) * dtypeSize(dtype);
      }
    }
    await put(
      'model.safetensors.index.json',
      hfJson({ metadata: { total_size: total }, weight_map: weightMap }),
    );
  }
  await put('config.json', configJson(model, architecture));
  const config = model.config;
  if (config instanceof GPT2Config) {
    const gen: Record<string, unknown> = { _from_model_config: true, transformers_version: '5.17.0' };
    if (config.bosTokenId !== null) gen.bos_token_id = config.bosTokenId;
    if (config.eosTokenId !== null) gen.eos_token_id = config.eosTokenId;
    if (config.padTokenId !== null) gen.pad_token_id = config.padTokenId;
    if (options.generationConfig) {
      delete gen._from_model_config;
      Object.assign(gen, options.generationConfig);
    }
    await put('generation_config.json', hfJson(gen));
  }
  if (tokenizer) {
    const maxLength =
      options.modelMaxLength ??
      (config instanceof GPT2Config ? config.nPositions : config.maxPositionEmbeddings);
    for (const [name, text] of Object.entries(tokenizerFiles(tokenizer, { modelMaxLength: maxLength }))) {
      await put(name, text);
    }
  }
  return written;
}

/**
 * The folder's files in memory (browser downloads, IndexedDB, zips): name → bytes. Use `savePretrained` from
 * `@tsformer/pipelines/node` to write a folder on disk without holding the weights twice.
 */
export async function toPretrainedFiles(
  input: SaveInput,
  options: SaveOptions = {},
): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  await writePretrained(
    input,
    {
      async open(name) {
        const chunks: Uint8Array[] = [];
        return {
          async write(bytes) {
            chunks.push(bytes.slice());
          },
          async close() {
            const n = chunks.reduce((s, c) => s + c.length, 0);
            const all = new Uint8Array(n);
            let o = 0;
            for (const c of chunks) {
              all.set(c, o);
              o += c.length;
            }
            out.set(name, all);
          },
        };
      },
    },
    options,
  );
  return out;
}
