// safetensors reader and writer (https://github.com/huggingface/safetensors).
// File layout: u64 LE header length N, N bytes of UTF-8 JSON
//   {"__metadata__": {string: string}, "<name>": {"dtype", "shape", "data_offsets": [begin, end]}, ...}
// then the little-endian data section; offsets are relative to its start. The reader validates like the Rust
// library's `read_metadata` + `Metadata::validate` (tensors cover the data section contiguously, sizes match) before
// allocating anything. The writer reproduces the Rust `serialize`/`prepare` byte for byte.

import { bfloat16ToFloat32, float16ToFloat32, float32ToBfloat16, float32ToFloat16 } from './float16.ts';

export { bfloat16ToFloat32, float16ToFloat32, float32ToBfloat16, float32ToFloat16 };

export type SafetensorsDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export interface RawTensor {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
  /** The dtype stored in the file, before conversion. */
  sourceDType: SafetensorsDType;
}

export interface ParsedSafetensors {
  /** In file (data offset) order, or in the order of `names` when given. */
  tensors: Map<string, RawTensor>;
  metadata: Record<string, string>;
}

export interface SafetensorsHeaderEntry {
  dtype: SafetensorsDType;
  shape: number[];
  /** Byte offsets relative to the start of the data section, which begins at `8 + headerLength`. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** N, the JSON header's byte length (padding included); the data section starts at byte 8 + N. */
  headerLength: number;
  /** In data offset order. */
  entries: Map<string, SafetensorsHeaderEntry>;
  metadata: Record<string, string>;
}

export interface TensorToWrite {
  shape: readonly number[];
  data: Float32Array | Int32Array;
  /** Default F32 for a Float32Array, I32 for an Int32Array. F16/BF16 need a Float32Array, I64 an Int32Array. */
  dtype?: 'F32' | 'F16' | 'BF16' | 'I32' | 'I64';
}

/** The Rust library's limit on the header length (`MAX_HEADER_SIZE`). */
const MAX_HEADER_SIZE = 100_000_000;

// Bytes per element, and the position in the Rust `Dtype` enum (declared in increasing alignment order), which is
// what `prepare()` sorts on, descending.
const DTYPE_INFO: Record<SafetensorsDType, { size: number; rank: number }> = {
  BOOL: { size: 1, rank: 0 },
  U8: { size: 1, rank: 4 },
  I8: { size: 1, rank: 5 },
  I16: { size: 2, rank: 11 },
  F16: { size: 2, rank: 13 },
  BF16: { size: 2, rank: 14 },
  I32: { size: 4, rank: 15 },
  F32: { size: 4, rank: 17 },
  F64: { size: 8, rank: 19 },
  I64: { size: 8, rank: 20 },
};

function isDType(s: string): s is SafetensorsDType {
  return Object.hasOwn(DTYPE_INFO, s);
}

function readError(file: string, message: string): Error {
  return new Error(`safetensors: ${file}: ${message}`);
}

function writeError(message: string): Error {
  return new Error(`safetensors: serialize: ${message}`);
}

function show(value: unknown): string {
  try {
    const s = JSON.stringify(value);
    if (s === undefined) return String(value);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(value);
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hostIsLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/** Reverses the bytes of each `size`-byte element in place (big-endian hosts only). */
function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Parses and validates the header only. `bytes` is normally the whole file; for streamed loading it may be a prefix
 * holding at least the first 8 + N bytes, with `fileSize` giving the full file's length.
 */
export function readSafetensorsHeader(
  bytes: Uint8Array,
  options: { fileName?: string; fileSize?: number } = {},
): SafetensorsHeader {
  const file = options.fileName ?? '<bytes>';
  if (!(bytes instanceof Uint8Array)) throw readError(file, 'expected a Uint8Array');
  const fileSize = options.fileSize ?? bytes.length;
  if (!Number.isSafeInteger(fileSize) || fileSize < bytes.length) {
    throw readError(file, `fileSize must be an integer >= the ${bytes.length} bytes given, got ${fileSize}`);
  }
  if (fileSize < 8) {
    throw readError(file, `file is ${fileSize} bytes, shorter than the 8-byte header length prefix`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 === 0n) throw readError(file, 'header length is 0');
  if (n64 > BigInt(MAX_HEADER_SIZE)) {
    throw readError(file, `header length ${n64} exceeds the ${MAX_HEADER_SIZE}-byte limit`);
  }
  const headerLength = Number(n64);
  if (headerLength > fileSize - 8) {
    throw readError(
      file,
      `header length ${headerLength} exceeds the ${fileSize - 8} bytes after the length prefix (truncated file?)`,
    );
  }
  if (8 + headerLength > bytes.length) {
    throw readError(file, `the ${headerLength}-byte header is not within the ${bytes.length} bytes given`);
  }

  let text: string;
  try {
    // ignoreBOM keeps a BOM in the text, so JSON.parse rejects it as the Rust library does.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(
      bytes.subarray(8, 8 + headerLength),
    );
  } catch {
    throw readError(file, 'header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw readError(file, `header is not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(json)) {
    throw readError(
      file,
      `header must be a JSON object, got ${json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json}`,
    );
  }

  const dataLength = fileSize - 8 - headerLength;
  let metadata: Record<string, string> = {};
  const list: Array<[string, SafetensorsHeaderEntry]> = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === '__metadata__') {
      metadata = readMetadata(file, value);
      continue;
    }
    list.push([name, readEntry(file, name, value, dataLength)]);
  }

  // Mirror `Metadata::validate`: sorted by offsets, the tensors must tile [0, dataLength) exactly.
  const order = list.map((_, i) => i);
  order.sort((a, b) => {
    const ea = list[a]![1];
    const eb = list[b]![1];
    return ea.begin - eb.begin || ea.end - eb.end || a - b;
  });
  let cursor = 0;
  let previous = '';
  const entries = new Map<string, SafetensorsHeaderEntry>();
  for (const i of order) {
    const [name, entry] = list[i]!;
    if (entry.begin < cursor) {
      const prev = entries.get(previous)!;
      throw readError(
        file,
        `tensor '${name}' data_offsets [${entry.begin}, ${entry.end}] overlap tensor '${previous}' [${prev.begin}, ${prev.end}]`,
      );
    }
    if (entry.begin > cursor) {
      throw readError(
        file,
        `gap in the data section: bytes [${cursor}, ${entry.begin}) before tensor '${name}' belong to no tensor`,
      );
    }
    cursor = entry.end;
    previous = name;
    entries.set(name, entry);
  }
  if (cursor !== dataLength) {
    throw readError(
      file,
      `the tensors cover ${cursor} bytes but the data section is ${dataLength} bytes (${dataLength - cursor} trailing bytes)`,
    );
  }
  return { headerLength, entries, metadata };
}

function readMetadata(file: string, value: unknown): Record<string, string> {
  if (value === null) return {}; // serde's Option accepts null
  if (!isPlainObject(value))
    throw readError(file, `__metadata__ must be an object of strings, got ${show(value)}`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      throw readError(file, `__metadata__ value for key '${k}' must be a string, got ${show(v)}`);
    }
  }
  // fromEntries defines own properties, so a key like "__proto__" survives.
  return Object.fromEntries(Object.entries(value as Record<string, string>));
}

function readEntry(file: string, name: string, value: unknown, dataLength: number): SafetensorsHeaderEntry {
  const where = `tensor '${name}'`;
  if (!isPlainObject(value)) throw readError(file, `${where}: entry must be an object, got ${show(value)}`);
  for (const key of ['dtype', 'shape', 'data_offsets']) {
    if (!Object.hasOwn(value, key)) throw readError(file, `${where}: entry lacks "${key}"`);
  }
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string')
    throw readError(file, `${where}: dtype must be a string, got ${show(dtype)}`);
  if (!isDType(dtype)) {
    throw readError(
      file,
      `${where}: unknown or unsupported dtype '${dtype}' (supported: ${Object.keys(DTYPE_INFO).join(', ')})`,
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw readError(file, `${where}: shape must be an array of non-negative integers, got ${show(shape)}`);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  ) {
    throw readError(
      file,
      `${where}: data_offsets must be [begin, end] integers with 0 <= begin <= end, got ${show(offsets)}`,
    );
  }
  const [begin, end] = offsets as [number, number];
  if (end > dataLength) {
    throw readError(
      file,
      `${where}: data_offsets [${begin}, ${end}] end past the data section (${dataLength} bytes)`,
    );
  }
  const dims = shape as number[];
  const itemSize = DTYPE_INFO[dtype].size;
  let numel = 1;
  if (!dims.includes(0)) {
    for (const d of dims) {
      numel *= d;
      if (numel * itemSize > Number.MAX_SAFE_INTEGER) {
        throw readError(file, `${where}: shape ${show(dims)} is too large`);
      }
    }
  } else {
    numel = 0;
  }
  const expected = numel * itemSize;
  if (end - begin !== expected) {
    throw readError(
      file,
      `${where}: byte length ${end - begin} (data_offsets [${begin}, ${end}]) but shape ${show(dims)} x ${dtype} needs ${expected}`,
    );
  }
  return { dtype, shape: dims.slice(), begin, end };
}

/**
 * Parses a safetensors file. Floating dtypes become float32 (F16/BF16 exactly, F64 rounded), integer and BOOL dtypes
 * become int32 (I64 values must fit). Data is always copied: the result never aliases `bytes`.
 */
export function parseSafetensors(
  bytes: Uint8Array,
  options: { fileName?: string; names?: readonly string[] } = {},
): ParsedSafetensors {
  const file = options.fileName ?? '<bytes>';
  const header = readSafetensorsHeader(bytes, { fileName: file });
  let selected: Iterable<[string, SafetensorsHeaderEntry]>;
  if (options.names === undefined) {
    selected = header.entries;
  } else {
    const picked: Array<[string, SafetensorsHeaderEntry]> = [];
    for (const name of options.names) {
      const entry = header.entries.get(name);
      if (entry === undefined) {
        const known = [...header.entries.keys()];
        const list = known.length > 10 ? `${known.slice(0, 10).join(', ')}, ...` : known.join(', ');
        throw readError(file, `tensor '${name}' not found (the file has ${known.length} tensors: ${list})`);
      }
      picked.push([name, entry]);
    }
    selected = picked;
  }
  const dataStart = 8 + header.headerLength;
  const tensors = new Map<string, RawTensor>();
  for (const [name, entry] of selected) {
    // a fresh, aligned copy (Uint8Array.prototype.slice: a Node Buffer's own slice() would be a view into the file)
    const raw = Uint8Array.prototype.slice.call(bytes, dataStart + entry.begin, dataStart + entry.end);
    tensors.set(name, decodeTensor(file, name, entry, raw));
  }
  return { tensors, metadata: header.metadata };
}

function decodeTensor(file: string, name: string, entry: SafetensorsHeaderEntry, raw: Uint8Array): RawTensor {
  const { dtype, shape } = entry;
  const buffer = raw.buffer as ArrayBuffer;
  if (dtype === 'I64') {
    // Endian-independent: read both halves little-endian, the value fits iff the high word is the sign extension.
    const view = new DataView(buffer);
    const n = raw.length / 8;
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const lo = view.getInt32(8 * i, true);
      const hi = view.getInt32(8 * i + 4, true);
      if (hi !== lo >> 31) {
        const value = view.getBigInt64(8 * i, true);
        throw readError(file, `tensor '${name}': I64 value ${value} at index ${i} does not fit in int32`);
      }
      out[i] = lo;
    }
    return { dtype: 'int32', shape, data: out, sourceDType: dtype };
  }
  if (!hostIsLittleEndian()) swapBytes(raw, DTYPE_INFO[dtype].size);
  switch (dtype) {
    case 'F32':
      return { dtype: 'float32', shape, data: new Float32Array(buffer), sourceDType: dtype };
    case 'F64':
      return {
        dtype: 'float32',
        shape,
        data: new Float32Array(new Float64Array(buffer)),
        sourceDType: dtype,
      };
    case 'F16':
      return { dtype: 'float32', shape, data: float16ToFloat32(new Uint16Array(buffer)), sourceDType: dtype };
    case 'BF16':
      return {
        dtype: 'float32',
        shape,
        data: bfloat16ToFloat32(new Uint16Array(buffer)),
        sourceDType: dtype,
      };
    case 'I32':
      return { dtype: 'int32', shape, data: new Int32Array(buffer), sourceDType: dtype };
    case 'I16':
      return { dtype: 'int32', shape, data: new Int32Array(new Int16Array(buffer)), sourceDType: dtype };
    case 'I8':
      return { dtype: 'int32', shape, data: new Int32Array(new Int8Array(buffer)), sourceDType: dtype };
    case 'U8':
      return { dtype: 'int32', shape, data: new Int32Array(raw), sourceDType: dtype };
    case 'BOOL': {
      const bad = raw.findIndex((b) => b > 1);
      if (bad >= 0)
        throw readError(file, `tensor '${name}': BOOL byte ${raw[bad]} at index ${bad} is not 0 or 1`);
      return { dtype: 'int32', shape, data: new Int32Array(raw), sourceDType: dtype };
    }
  }
}

/** Orders strings by Unicode code point, which is the byte order of their UTF-8 encodings (Rust's `str` order). */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates (0xD800-0xDFFF) encode code points above every BMP unit, including 0xE000-0xFFFF.
      x = x >= 0xd800 ? (x <= 0xdfff ? x + 0x2000 : x - 0x800) : x;
      y = y >= 0xd800 ? (y <= 0xdfff ? y + 0x2000 : y - 0x800) : y;
      return x - y;
    }
  }
  return a.length - b.length;
}

/**
 * Serializes tensors as the `safetensors` library does (Python `save_file` / Rust `serialize`): tensors sorted by
 * dtype alignment descending then name, header JSON without spaces ("__metadata__" first), padded with spaces to a
 * multiple of 8 bytes, little-endian data. `metadata` defaults to {"format":"pt"} (what transformers writes); pass
 * null to write no "__metadata__" at all. Metadata keys are written in their object order (the Rust library uses a
 * HashMap there, so with more than one key its own order is arbitrary).
 */
export function serializeSafetensors(
  tensors: Record<string, TensorToWrite> | Map<string, TensorToWrite>,
  metadata: Record<string, string> | null = { format: 'pt' },
): Uint8Array {
  const items: Array<{
    name: string;
    shape: number[];
    data: Float32Array | Int32Array;
    dtype: SafetensorsDType;
  }> = [];
  const source = tensors instanceof Map ? tensors.entries() : Object.entries(tensors);
  for (const [name, t] of source) {
    if (typeof name !== 'string') throw writeError(`tensor names must be strings, got ${show(name)}`);
    if (name === '__metadata__') throw writeError(`a tensor cannot be named '__metadata__'`);
    if (LONE_SURROGATE.test(name)) throw writeError(`tensor name ${show(name)} is not valid Unicode`);
    const where = `tensor '${name}'`;
    if (!isPlainObject(t)) throw writeError(`${where}: expected { shape, data, dtype? }`);
    const { data, shape } = t;
    const isFloat = data instanceof Float32Array;
    if (!isFloat && !(data instanceof Int32Array))
      throw writeError(`${where}: data must be a Float32Array or Int32Array`);
    const dtype = t.dtype ?? (isFloat ? 'F32' : 'I32');
    const allowed = isFloat ? ['F32', 'F16', 'BF16'] : ['I32', 'I64'];
    if (!allowed.includes(dtype)) {
      throw writeError(
        `${where}: cannot write a ${isFloat ? 'Float32Array' : 'Int32Array'} as ${dtype} (allowed: ${allowed.join(', ')})`,
      );
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw writeError(`${where}: shape must be an array of non-negative integers, got ${show(shape)}`);
    }
    const numel = shape.reduce((p, d) => p * d, 1);
    if (numel !== data.length) {
      throw writeError(`${where}: shape ${show(shape)} has ${numel} elements but data has ${data.length}`);
    }
    items.push({ name, shape: shape.slice(), data, dtype });
  }
  if (metadata !== null) {
    if (!isPlainObject(metadata)) throw writeError(`metadata must be an object of strings or null`);
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string')
        throw writeError(`metadata value for key '${k}' must be a string, got ${show(v)}`);
      if (LONE_SURROGATE.test(k) || LONE_SURROGATE.test(v))
        throw writeError(`metadata key '${k}' is not valid Unicode`);
    }
  }

  items.sort(
    (a, b) => DTYPE_INFO[b.dtype].rank - DTYPE_INFO[a.dtype].rank || compareCodePoints(a.name, b.name),
  );

  // serde_json escapes exactly as JSON.stringify does for well-formed strings (", \, control characters, lowercase
  // \u00xx), and writes nothing else escaped.
  const parts: string[] = [];
  if (metadata !== null) {
    const kv = Object.entries(metadata).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
    parts.push(`"__metadata__":{${kv.join(',')}}`);
  }
  let offset = 0;
  for (const it of items) {
    const nbytes = it.data.length * DTYPE_INFO[it.dtype].size;
    parts.push(
      `${JSON.stringify(it.name)}:{"dtype":"${it.dtype}","shape":[${it.shape.join(',')}],"data_offsets":[${offset},${offset + nbytes}]}`,
    );
    offset += nbytes;
  }
  const headerText = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(headerText.length / 8) * 8;
  if (headerLength > MAX_HEADER_SIZE) {
    throw writeError(`header of ${headerLength} bytes exceeds the ${MAX_HEADER_SIZE}-byte limit`);
  }

  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  out.set(headerText, 8);
  out.fill(0x20, 8 + headerText.length, 8 + headerLength);
  const little = hostIsLittleEndian();
  let pos = 8 + headerLength;
  for (const it of items) {
    let chunk: Uint8Array;
    let size: number;
    if (it.dtype === 'I64') {
      const src = it.data as Int32Array;
      for (let i = 0; i < src.length; i++) {
        const v = src[i]!;
        view.setInt32(pos + 8 * i, v, true);
        view.setInt32(pos + 8 * i + 4, v < 0 ? -1 : 0, true);
      }
      pos += src.length * 8;
      continue;
    }
    if (it.dtype === 'F16' || it.dtype === 'BF16') {
      const h =
        it.dtype === 'F16'
          ? float32ToFloat16(it.data as Float32Array)
          : float32ToBfloat16(it.data as Float32Array);
      chunk = new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
      size = 2;
    } else {
      chunk = new Uint8Array(it.data.buffer, it.data.byteOffset, it.data.byteLength);
      size = 4;
    }
    out.set(chunk, pos);
    if (!little) swapBytes(out.subarray(pos, pos + chunk.length), size);
    pos += chunk.length;
  }
  return out;
}
