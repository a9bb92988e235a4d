// Streaming safetensors: the header alone is read first, then each tensor's byte range straight into its
// destination float32 array (F16/BF16/F64 converted chunk by chunk), so loading needs no second copy of the
// weights. Writing builds the header from shapes and streams the data in the order the `safetensors` library
// writes it (dtype alignment descending, then name), so a file is byte-identical to Python's `save_file`.
// (`@tsformer/tensor` has the same format in memory; these are the pieces a multi-gigabyte file needs.)
import type { ModelSource } from './source.ts';

export type StoredDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const SIZE: Record<StoredDType, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export interface HeaderEntry {
  dtype: StoredDType;
  shape: number[];
  /** absolute byte offsets in the file */
  start: number;
  end: number;
}

export interface SafetensorsIndex {
  file: string;
  entries: Map<string, HeaderEntry>;
  metadata: Record<string, string>;
}

const MAX_HEADER = 100_000_000;

/** Reads and checks the header of `file` (8-byte length, JSON), without touching the data. */
export async function readHeader(source: ModelSource, file: string): Promise<SafetensorsIndex> {
  const where = `${source.description}: ${file}`;
  const size = await source.size(file);
  if (size < 8) throw new Error(`${where}: ${size} bytes is too short for a safetensors file`);
  const prefix = await source.read(file, 0, 8);
  const n = Number(new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true));
  if (n === 0 || n > MAX_HEADER || 8 + n > size) {
    throw new Error(
      `${where}: header length ${n} does not fit the ${size}-byte file (not safetensors, or truncated)`,
    );
  }
  const text = new TextDecoder().decode(await source.read(file, 8, n));
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${where}: header is not JSON (${(e as Error).message})`);
  }
  const dataStart = 8 + n;
  const entries = new Map<string, HeaderEntry>();
  let metadata: Record<string, string> = {};
  let covered = 0;
  for (const [name, v] of Object.entries(json)) {
    if (name === '__metadata__') {
      metadata = (v ?? {}) as Record<string, string>;
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = e?.dtype as StoredDType;
    if (typeof dtype !== 'string' || !(dtype in SIZE)) {
      throw new Error(
        `${where}: tensor '${name}' has dtype ${JSON.stringify(e?.dtype)}, which is not supported`,
      );
    }
    const shape = e.shape as number[];
    const off = e.data_offsets as [number, number];
    if (!Array.isArray(shape) || !Array.isArray(off) || off.length !== 2) {
      throw new Error(`${where}: tensor '${name}' lacks shape or data_offsets`);
    }
    const numel = shape.reduce((p, d) => p * d, 1);
    if (off[1] - off[0] !== numel * SIZE[dtype] || off[0] < 0 || dataStart + off[1] > size) {
      throw new Error(
        `${where}: tensor '${name}' data_offsets [${off[0]}, ${off[1]}] do not fit shape [${shape.join(',')}] ${dtype} in a ${size}-byte file`,
      );
    }
    covered += off[1] - off[0];
    entries.set(name, { dtype, shape, start: dataStart + off[0], end: dataStart + off[1] });
  }
  if (covered !== size - dataStart) {
    throw new Error(
      `${where}: the tensors cover ${covered} bytes of a ${size - dataStart}-byte data section`,
    );
  }
  return { file, entries, metadata };
}

function float16ToFloat32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m === 0 ? s * Infinity : Number.NaN;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

let f16Table: Float32Array | null = null;
function f16(): Float32Array {
  if (f16Table === null) {
    f16Table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) f16Table[i] = float16ToFloat32(i);
  }
  return f16Table;
}

const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const CONVERT_CHUNK = 16 * 2 ** 20; // bytes read per step when converting

/**
 * Reads one tensor into `out` (float32, `numel` elements). F32 bytes land in `out` directly; other float dtypes
 * are read in 16 MiB pieces and converted, so the extra memory is one piece.
 */
export async function readTensorInto(
  source: ModelSource,
  file: string,
  name: string,
  entry: HeaderEntry,
  out: Float32Array,
): Promise<void> {
  const numel = (entry.end - entry.start) / SIZE[entry.dtype];
  if (numel !== out.length) {
    throw new Error(
      `${source.description}: ${file}: tensor '${name}' has ${numel} elements, expected ${out.length}`,
    );
  }
  if (entry.dtype === 'F32' && LITTLE) {
    await source.read(
      file,
      entry.start,
      entry.end - entry.start,
      new Uint8Array(out.buffer, out.byteOffset, out.byteLength),
    );
    return;
  }
  const size = SIZE[entry.dtype];
  const perChunk = Math.floor(CONVERT_CHUNK / size);
  const buf = new Uint8Array(Math.min(perChunk, numel) * size);
  const view = new DataView(buf.buffer);
  const table = entry.dtype === 'F16' ? f16() : null;
  for (let i = 0; i < numel; i += perChunk) {
    const n = Math.min(perChunk, numel - i);
    await source.read(file, entry.start + i * size, n * size, buf);
    switch (entry.dtype) {
      case 'F16':
        for (let k = 0; k < n; k++) out[i + k] = table![view.getUint16(2 * k, true)]!;
        break;
      case 'BF16': {
        const bits = new Uint32Array(out.buffer, out.byteOffset + 4 * i, n);
        for (let k = 0; k < n; k++) bits[k] = (view.getUint16(2 * k, true) << 16) >>> 0;
        break;
      }
      case 'F32':
        for (let k = 0; k < n; k++) out[i + k] = view.getFloat32(4 * k, true);
        break;
      case 'F64':
        for (let k = 0; k < n; k++) out[i + k] = view.getFloat64(8 * k, true);
        break;
      default:
        throw new Error(
          `${source.description}: ${file}: tensor '${name}' is ${entry.dtype}, but model weights must be floating point`,
        );
    }
  }
}

/** A tensor to write: float32 data (kept as F32 or narrowed to F16/BF16). */
export interface TensorRecord {
  name: string;
  shape: readonly number[];
  /** read lazily, one tensor at a time, so a save holds one tensor's copy at most */
  data: () => Float32Array | Promise<Float32Array>;
}

export type WriteDType = 'F32' | 'F16' | 'BF16';

/** Orders names by Unicode code point (UTF-8 byte order), as Rust sorts `String`s. */
function compareNames(a: string, b: string): number {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** The header bytes (length prefix included) and the tensors in file order, for `tensors` of one dtype. */
export function buildHeader(
  tensors: readonly TensorRecord[],
  dtype: WriteDType,
  metadata: Record<string, string> = { format: 'pt' },
): { header: Uint8Array; order: TensorRecord[]; dataBytes: number } {
  const order = [...tensors].sort((a, b) => compareNames(a.name, b.name));
  const parts = [
    `"__metadata__":{${Object.entries(metadata)
      .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
      .join(',')}}`,
  ];
  let offset = 0;
  for (const t of order) {
    const bytes = t.shape.reduce((p, d) => p * d, 1) * SIZE[dtype];
    parts.push(
      `${JSON.stringify(t.name)}:{"dtype":"${dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + bytes}]}`,
    );
    offset += bytes;
  }
  const text = new TextEncoder().encode(`{${parts.join(',')}}`);
  const n = Math.ceil(text.length / 8) * 8;
  const header = new Uint8Array(8 + n).fill(0x20);
  new DataView(header.buffer).setBigUint64(0, BigInt(n), true);
  header.set(text, 8);
  return { header, order, dataBytes: offset };
}

function narrow(data: Float32Array, dtype: WriteDType): Uint8Array {
  if (dtype === 'F32') {
    if (LITTLE) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const out = new Uint8Array(data.length * 4);
    const v = new DataView(out.buffer);
    for (let i = 0; i < data.length; i++) v.setFloat32(4 * i, data[i]!, true);
    return out;
  }
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const out = new Uint8Array(data.length * 2);
  const v = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    const u = bits[i]!;
    v.setUint16(2 * i, dtype === 'BF16' ? bf16Bits(u) : f16Bits(u), true);
  }
  return out;
}

function bf16Bits(u: number): number {
  if ((u & 0x7fffffff) > 0x7f800000) return 0x7fc0;
  return (u + (0x7fff + ((u >>> 16) & 1))) >>> 16;
}

function f16Bits(u: number): number {
  const sign = (u >>> 16) & 0x8000;
  const abs = u & 0x7fffffff;
  if (abs > 0x7f800000) return sign | 0x7e00;
  if (abs >= 0x477ff000) return sign | 0x7c00;
  const e = abs >>> 23;
  if (e >= 113) {
    let h = ((e - 112) << 10) | ((abs >>> 13) & 0x3ff);
    const rest = abs & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (h & 1) === 1)) h++;
    return sign | h;
  }
  if (e < 102) return sign;
  const m = (abs & 0x7fffff) | 0x800000;
  const shift = 126 - e;
  let q = m >>> shift;
  const rest = m & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && (q & 1) === 1)) q++;
  return sign | q;
}

/** Streams one safetensors file: the header, then each tensor's bytes, through `write`. */
export async function writeSafetensors(
  tensors: readonly TensorRecord[],
  write: (bytes: Uint8Array) => Promise<void> | void,
  options: { dtype?: WriteDType; metadata?: Record<string, string> } = {},
): Promise<number> {
  const dtype = options.dtype ?? 'F32';
  const { header, order, dataBytes } = buildHeader(tensors, dtype, options.metadata);
  await write(header);
  for (const t of order) {
    const data = await t.data();
    const numel = t.shape.reduce((p, d) => p * d, 1);
    if (data.length !== numel) {
      throw new Error(
        `safetensors: tensor '${t.name}' has ${data.length} values for shape [${t.shape.join(',')}]`,
      );
    }
    await write(narrow(data, dtype));
  }
  return header.length + dataBytes;
}

/** Bytes per element of a dtype written to disk. */
export function dtypeSize(dtype: WriteDType | StoredDType): number {
  return SIZE[dtype];
}
