import type { Tensor } from '@tsformer/tensor';
import type { Module } from '@tsformer/tensor/nn';

/**
 * Shared by the model packages (bert and gpt never import each other): how Hugging Face writes config.json,
 * how its checkpoint names map onto a module's parameter names, and atomic folder writes.
 */

/** A Python float repr: shortest round-trip digits, exponent form below 1e-4 or from 1e16 (`1e-05`, `0.02`). */
export function pythonFloat(x: number, forceFloat = false): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
  if (Number.isInteger(x) && !forceFloat && Math.abs(x) < 1e16) return String(x);
  const [mantissa, expText] = x.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const fixed = String(x);
  return Number.isInteger(x) ? `${fixed}.0` : fixed;
}

function pythonString(s: string): string {
  // json.dumps(ensure_ascii=True): non-ASCII as \uXXXX (UTF-16 units, so astral characters become pairs)
  return JSON.stringify(s).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * `json.dumps(value, indent=2, sort_keys=True) + "\n"`, the text transformers' `save_pretrained` writes to
 * config.json. Numbers whose key is in `floatKeys` print as Python floats (`1.0`, `1e-05`), the others as
 * JavaScript reads them (an integral float from a file prints as an int: JSON has no such distinction).
 */
export function toHfJson(value: unknown, floatKeys: ReadonlySet<string> = new Set()): string {
  const write = (v: unknown, indent: string, key: string | null): string => {
    if (v === null || v === undefined) return 'null';
    if (typeof v === 'number') return pythonFloat(v, key !== null && floatKeys.has(key));
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'string') return pythonString(v);
    const inner = `${indent}  `;
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      return `[\n${v.map((x) => inner + write(x, inner, key)).join(',\n')}\n${indent}]`;
    }
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([k, x]) => `${inner}${pythonString(k)}: ${write(x, inner, k)}`).join(',\n')}\n${indent}}`;
  };
  return `${write(value, '', null)}\n`;
}

/** What loading a checkpoint found, by tensor name. */
export interface CheckpointReport {
  /** parameters of the model that the checkpoint does not hold (left as initialised) */
  missing: string[];
  /** checkpoint tensors the model has no place for */
  unexpected: string[];
  /** checkpoint tensors skipped on purpose: tied copies and buffers (`attn.bias`, `position_ids`, …) */
  ignored: string[];
  /** checkpoint name → model name, where they differ (legacy `gamma`/`beta`, a missing or extra prefix) */
  renamed: Record<string, string>;
}

export interface LoadCheckpointOptions {
  /** the base model's property name (`transformer`, `bert`): accepted missing or extra on checkpoint names */
  basePrefix?: string;
  /** names of tensors to skip without complaint (tied copies, buffers) */
  ignore?: (name: string) => boolean;
  /** throw when a parameter is missing or a tensor is unexpected (default true); wrong shapes always throw */
  strict?: boolean;
  /** names the source in errors */
  source?: string;
}

/**
 * Copies checkpoint tensors into `model`'s parameters by Hugging Face name, accepting the layouts
 * transformers accepts: legacy `LayerNorm.gamma`/`beta`, checkpoints saved from the base model (no
 * `transformer.` / `bert.` prefix) or from a model with a head (an extra prefix), tied copies and buffers.
 * Every missing, unexpected or wrongly shaped tensor is named.
 */
export function loadCheckpoint(
  model: Module,
  tensors: Record<string, Tensor>,
  options: LoadCheckpointOptions = {},
): CheckpointReport {
  const strict = options.strict ?? true;
  const source = options.source ? `${options.source}: ` : '';
  const expected = new Map(model.allNamedParameters().map(([n, t]) => [n, t.shape] as const));
  const prefix = options.basePrefix ? `${options.basePrefix}.` : null;
  const state: Record<string, Tensor> = {};
  const report: CheckpointReport = { missing: [], unexpected: [], ignored: [], renamed: {} };
  const wrongShape: string[] = [];
  for (const [fileName, t] of Object.entries(tensors)) {
    const legacy = fileName.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias');
    const candidates = [legacy];
    if (prefix !== null) {
      candidates.push(prefix + legacy);
      if (legacy.startsWith(prefix)) candidates.push(legacy.slice(prefix.length));
    }
    const name = candidates.find((c) => expected.has(c));
    if (name === undefined) {
      if (options.ignore?.(legacy) || options.ignore?.(candidates[1] ?? legacy))
        report.ignored.push(fileName);
      else report.unexpected.push(fileName);
      continue;
    }
    if (name !== fileName) report.renamed[fileName] = name;
    const want = expected.get(name)!;
    if (want.length !== t.shape.length || want.some((d, i) => d !== t.shape[i])) {
      wrongShape.push(
        `${fileName} has shape [${t.shape.join(',')}] but the model expects [${want.join(',')}]`,
      );
      continue;
    }
    state[name] = t;
  }
  report.missing = [...expected.keys()].filter(
    (n) => !(n in state) && !wrongShape.some((w) => w.includes(n)),
  );
  if (wrongShape.length > 0) throw new Error(`${source}wrong shapes: ${wrongShape.join('; ')}`);
  if (strict && (report.missing.length > 0 || report.unexpected.length > 0)) {
    const parts = [];
    if (report.missing.length) parts.push(`missing ${report.missing.join(', ')}`);
    if (report.unexpected.length) parts.push(`unexpected ${report.unexpected.join(', ')}`);
    throw new Error(`${source}checkpoint does not match the model: ${parts.join('; ')}`);
  }
  model.loadStateDict(state, { strict: false });
  return report;
}

/** The two files of a Hugging Face model folder, as bytes and text. */
export interface PretrainedFiles {
  configJson: string;
  safetensors: Uint8Array;
}

/** Reads `config.json` and `model.safetensors` from a folder (Node). */
export async function readPretrainedFolder(folder: string): Promise<PretrainedFiles> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const [configJson, bytes] = await Promise.all([
    readFile(join(folder, 'config.json'), 'utf8'),
    readFile(join(folder, 'model.safetensors')),
  ]);
  return { configJson, safetensors: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

/**
 * Writes `config.json` and `model.safetensors` into `folder` (created if needed), each through a temporary
 * file renamed into place, so an interrupted save never leaves a truncated file where a good one was (Node).
 */
export async function writePretrainedFolder(folder: string, files: PretrainedFiles): Promise<void> {
  const { mkdir, rename, writeFile, rm } = await import('node:fs/promises');
  const { join } = await import('node:path');
  await mkdir(folder, { recursive: true });
  const stamp = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const write = async (name: string, data: string | Uint8Array): Promise<void> => {
    const tmp = join(folder, `.${name}.tmp-${stamp}`);
    try {
      await writeFile(tmp, data);
      await rename(tmp, join(folder, name));
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  };
  await write('model.safetensors', files.safetensors);
  await write('config.json', files.configJson);
}
