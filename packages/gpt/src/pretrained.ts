import {
  type CheckpointReport,
  loadCheckpoint,
  type PretrainedFiles,
  readPretrainedFolder,
  writePretrainedFolder,
} from '@tsformer/attention';
import { fromSafetensors, toSafetensors } from '@tsformer/tensor';
import { type Module, withoutInit } from '@tsformer/tensor/nn';
import { fromHfConfig, type GPT2Config, toHfConfigJson } from './config.ts';

export interface PretrainedLoadOptions {
  /**
   * true (default): a parameter missing from the checkpoint or a tensor the model has no place for throws,
   * naming them. false: missing parameters keep their random initialisation (a new head on a pretrained
   * body), and `loadPretrained` reports both lists. A wrongly shaped tensor always throws.
   */
  strict?: boolean;
}

/**
 * Tensors in GPT-2 checkpoints that are not parameters: the causal-mask buffers of old checkpoints
 * (`attn.bias`, `attn.masked_bias`) and the tied copy of the embeddings (`lm_head.weight`).
 */
export function isIgnoredGpt2Tensor(name: string): boolean {
  return /(^|\.)attn\.(bias|masked_bias)$/.test(name) || name === 'lm_head.weight';
}

/**
 * A model from `config.json` text and `model.safetensors` bytes, with what the loader found: missing,
 * unexpected, ignored (tied copies and buffers) and renamed tensors. Accepts transformers' layouts:
 * GPT-2's hub files (no `transformer.` prefix, `attn.bias` buffers), legacy `gamma`/`beta` names, and a tied
 * `lm_head.weight` when present.
 */
export function loadPretrained<M extends Module>(
  create: (config: GPT2Config, init: boolean) => M,
  files: PretrainedFiles,
  options: PretrainedLoadOptions = {},
): { model: M; config: GPT2Config; report: CheckpointReport } {
  const config = fromHfConfig(JSON.parse(files.configJson) as Record<string, unknown>);
  const strict = options.strict ?? true;
  // with strict off, parameters the file lacks must start from HF's initialisation, so initialise first
  const model = strict ? withoutInit(() => create(config, false)) : create(config, true);
  const tensors = fromSafetensors(files.safetensors, { fileName: 'model.safetensors' });
  const report = loadCheckpoint(model, tensors, {
    basePrefix: 'transformer',
    ignore: isIgnoredGpt2Tensor,
    strict,
    source: 'model.safetensors',
  });
  for (const t of Object.values(tensors)) t.dispose();
  model.eval(); // like transformers' from_pretrained
  return { model, config, report };
}

/** Reads a Hugging Face model folder (Node). */
export function readPretrained(folder: string): Promise<PretrainedFiles> {
  return readPretrainedFolder(folder);
}

/**
 * `config.json` and `model.safetensors` as transformers' `save_pretrained` writes them: `architectures` set
 * to the model class, `dtype` float32, parameters under their HF names with the tied `lm_head.weight` left out.
 */
export function toPretrainedFiles(model: Module, config: GPT2Config, architecture: string): PretrainedFiles {
  const saved = config.with({ architectures: [architecture] });
  if (!('dtype' in saved.extra)) saved.extra.dtype = 'float32';
  return { configJson: toHfConfigJson(saved), safetensors: toSafetensors(model.stateDict()) };
}

/** Writes the two files into `folder`, each through a temporary file renamed into place (Node). */
export function savePretrainedFiles(folder: string, files: PretrainedFiles): Promise<void> {
  return writePretrainedFolder(folder, files);
}
