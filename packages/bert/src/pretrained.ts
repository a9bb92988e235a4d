import {
  type CheckpointReport,
  loadCheckpoint,
  type PretrainedFiles,
  readPretrainedFolder,
  writePretrainedFolder,
} from '@tsformer/attention';
import { fromSafetensors, toSafetensors } from '@tsformer/tensor';
import { type Module, withoutInit } from '@tsformer/tensor/nn';
import { type BertConfig, fromHfConfig, toHfConfigJson } from './config.ts';

export interface PretrainedLoadOptions {
  /**
   * true (default): a parameter missing from the checkpoint or a tensor the model has no place for throws,
   * naming them. false: missing parameters keep their random initialisation (a new head on a pretrained
   * body) and unexpected tensors are skipped; `loadPretrained` reports both lists. A wrongly shaped tensor
   * always throws.
   */
  strict?: boolean;
}

/**
 * Tensors in BERT checkpoints that are not parameters here: the tied decoder copies
 * (`cls.predictions.decoder.weight` = the word embeddings, `.bias` = `cls.predictions.bias`) and the
 * `position_ids` / `token_type_ids` buffers of older files.
 */
export function isIgnoredBertTensor(name: string): boolean {
  return (
    /(^|\.)embeddings\.(position_ids|token_type_ids)$/.test(name) ||
    name === 'cls.predictions.decoder.weight' ||
    name === 'cls.predictions.decoder.bias'
  );
}

/**
 * A model from `config.json` text and `model.safetensors` bytes, with what the loader found (missing,
 * unexpected, ignored and renamed tensors). Accepts legacy `LayerNorm.gamma`/`beta` names, the tied decoder
 * copies when present, and checkpoints of the bare `BertModel` (no `bert.` prefix) or of a model with heads.
 * Loading into `BertModel` skips the `cls.*` heads of a pretraining checkpoint.
 */
export function loadPretrained<M extends Module>(
  create: (config: BertConfig, init: boolean) => M,
  files: PretrainedFiles,
  options: PretrainedLoadOptions & { skipHeads?: boolean } = {},
): { model: M; config: BertConfig; report: CheckpointReport } {
  const config = fromHfConfig(JSON.parse(files.configJson) as Record<string, unknown>);
  const strict = options.strict ?? true;
  const model = strict ? withoutInit(() => create(config, false)) : create(config, true);
  const tensors = fromSafetensors(files.safetensors, { fileName: 'model.safetensors' });
  const report = loadCheckpoint(model, tensors, {
    basePrefix: 'bert',
    ignore: (n) => isIgnoredBertTensor(n) || (options.skipHeads === true && n.startsWith('cls.')),
    strict,
    source: 'model.safetensors',
  });
  for (const t of Object.values(tensors)) t.dispose();
  model.eval(); // like transformers' from_pretrained
  return { model, config, report };
}

export function readPretrained(folder: string): Promise<PretrainedFiles> {
  return readPretrainedFolder(folder);
}

/**
 * `config.json` and `model.safetensors` as transformers' `save_pretrained` writes them: `architectures` set
 * to the model class, `dtype` float32, parameters under their HF names with the tied decoder left out.
 */
export function toPretrainedFiles(model: Module, config: BertConfig, architecture: string): PretrainedFiles {
  const saved = config.with({ architectures: [architecture] });
  if (!('dtype' in saved.extra)) saved.extra.dtype = 'float32';
  return { configJson: toHfConfigJson(saved), safetensors: toSafetensors(model.stateDict()) };
}

export function savePretrainedFiles(folder: string, files: PretrainedFiles): Promise<void> {
  return writePretrainedFolder(folder, files);
}
