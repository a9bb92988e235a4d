import type { Backend } from '../backend.ts';
import { getBackend } from '../engine.ts';
import { makeTensor, type Tensor } from '../tensor.ts';
import { parseSafetensors, serializeSafetensors, type TensorToWrite } from './safetensors.ts';

export interface SafetensorsLoadOptions {
  /** named in error messages */
  fileName?: string;
  /** load only these tensors */
  names?: readonly string[];
  backend?: Backend;
}

/** Tensors from safetensors bytes (F16/BF16/F64 become float32, I64 and smaller ints become int32). */
export function fromSafetensors(
  bytes: Uint8Array,
  options: SafetensorsLoadOptions = {},
): Record<string, Tensor> {
  const parsed = parseSafetensors(bytes, { fileName: options.fileName, names: options.names });
  const backend = options.backend ?? getBackend();
  const out: Record<string, Tensor> = {};
  for (const [name, raw] of parsed.tensors) {
    out[name] = makeTensor(backend, backend.upload(raw.data), raw.shape, raw.dtype);
  }
  return out;
}

/**
 * safetensors bytes for `tensors`, as Hugging Face writes them (`{"format":"pt"}` metadata unless given).
 * `dtype` stores float32 tensors as F16 or BF16 to halve the file.
 */
export function toSafetensors(
  tensors: Record<string, Tensor>,
  options: { metadata?: Record<string, string>; dtype?: 'F32' | 'F16' | 'BF16' } = {},
): Uint8Array {
  const entries: Record<string, TensorToWrite> = {};
  for (const [name, t] of Object.entries(tensors)) {
    const data = t.dataSync();
    entries[name] = { shape: t.shape, data, dtype: t.dtype === 'float32' ? (options.dtype ?? 'F32') : 'I32' };
  }
  return serializeSafetensors(entries, options.metadata);
}

/** Reads a .safetensors file (Node). */
export async function loadSafetensorsFile(
  path: string,
  options: Omit<SafetensorsLoadOptions, 'fileName'> = {},
): Promise<Record<string, Tensor>> {
  const { readFile } = await import('node:fs/promises');
  const bytes = await readFile(path);
  return fromSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
    ...options,
    fileName: path,
  });
}

/**
 * Writes a .safetensors file atomically (a temporary file renamed into place), so an interrupted write
 * never leaves a truncated file where a good one was (Node).
 */
export async function saveSafetensorsFile(
  path: string,
  tensors: Record<string, Tensor>,
  options: { metadata?: Record<string, string>; dtype?: 'F32' | 'F16' | 'BF16' } = {},
): Promise<void> {
  const { writeFile, rename } = await import('node:fs/promises');
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  await writeFile(tmp, toSafetensors(tensors, options));
  await rename(tmp, path);
}
