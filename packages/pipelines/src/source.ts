// Where a model's files come from. A pipeline reads a Hugging Face folder through this small interface, so the
// same code loads from a folder on disk (Node, ./node-source.ts), from `File`s a user picked or dropped, from
// `{ name → ArrayBuffer }` maps built in memory, and from URLs. Reads are by byte range: a multi-gigabyte
// safetensors file is never held in one buffer.

/** Random access to the files of one model folder. */
export interface ModelSource {
  /** names this source in messages: a folder path, a URL, "files" */
  readonly description: string;
  /** whether the folder has `name` (a file name, no directories) */
  has(name: string): Promise<boolean>;
  /** the size of `name` in bytes */
  size(name: string): Promise<number>;
  /**
   * `length` bytes of `name` from `offset`, written into `into` when given (it must be at least `length` long),
   * else into a new array. Implementations read large ranges in chunks.
   */
  read(name: string, offset: number, length: number, into?: Uint8Array): Promise<Uint8Array>;
  /** the whole of a (small) text file */
  readText(name: string): Promise<string>;
}

/** What a file can be given as in memory: bytes, text, or a Blob/File. */
export type FileData = ArrayBuffer | ArrayBufferView | string | Blob;

/** Anything `pipeline()` accepts as a model. */
export type SourceInput =
  /** a folder path (Node) or an http(s) URL of a folder */
  | string
  | URL
  /** picked or dropped files (a folder's contents; only base names count) */
  | readonly File[]
  | FileList
  /** files in memory by name */
  | Readonly<Record<string, FileData>>
  | ReadonlyMap<string, FileData>
  | ModelSource;

/** A missing file, named with what needed it. */
export class MissingFileError extends Error {
  override name = 'MissingFileError';
  readonly file: string;
  constructor(file: string, message: string) {
    super(message);
    this.file = file;
  }
}

function baseName(name: string): string {
  const i = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
  return i >= 0 ? name.slice(i + 1) : name;
}

function toBytes(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return data instanceof ArrayBuffer
    ? new Uint8Array(data)
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function checkRange(source: string, name: string, offset: number, length: number, size: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new RangeError(`${source}: ${name}: bad range ${offset} + ${length}`);
  }
  if (offset + length > size) {
    throw new RangeError(
      `${source}: ${name}: bytes ${offset}..${offset + length} are past its end (${size} bytes; truncated file?)`,
    );
  }
}

/** A source over files held in memory (`ArrayBuffer`s, typed arrays, strings, Blobs or `File`s). */
export function createMemorySource(
  files: Readonly<Record<string, FileData>> | ReadonlyMap<string, FileData> | Iterable<File>,
  description = 'files',
): ModelSource {
  const map = new Map<string, FileData>();
  if (files instanceof Map) {
    for (const [k, v] of files) map.set(baseName(k), v);
  } else if (typeof (files as Iterable<File>)[Symbol.iterator] === 'function') {
    for (const f of files as Iterable<File>) map.set(baseName(f.name), f);
  } else {
    for (const [k, v] of Object.entries(files as Record<string, FileData>)) map.set(baseName(k), v);
  }
  const encoder = new TextEncoder();
  const get = (name: string): FileData => {
    const v = map.get(name);
    if (v === undefined) {
      throw new MissingFileError(
        name,
        `${description}: there is no ${name} (have: ${[...map.keys()].join(', ')})`,
      );
    }
    return v;
  };
  const bytesOf = (v: FileData): Uint8Array | null =>
    typeof v === 'string' ? encoder.encode(v) : v instanceof Blob ? null : toBytes(v);
  return {
    description,
    has: (name) => Promise.resolve(map.has(name)),
    size: async (name) => {
      const v = get(name);
      return v instanceof Blob ? v.size : bytesOf(v)!.length;
    },
    async read(name, offset, length, into) {
      const v = get(name);
      const size = v instanceof Blob ? v.size : bytesOf(v)!.length;
      checkRange(description, name, offset, length, size);
      const out = into ?? new Uint8Array(length);
      if (v instanceof Blob) {
        // in slices, so a multi-gigabyte File is never one ArrayBuffer
        const chunk = 64 * 2 ** 20;
        for (let done = 0; done < length; done += chunk) {
          const n = Math.min(chunk, length - done);
          const buf = await v.slice(offset + done, offset + done + n).arrayBuffer();
          out.set(new Uint8Array(buf), done);
        }
      } else {
        out.set(bytesOf(v)!.subarray(offset, offset + length));
      }
      return out;
    },
    async readText(name) {
      const v = get(name);
      if (typeof v === 'string') return v;
      if (v instanceof Blob) return v.text();
      return new TextDecoder().decode(toBytes(v));
    },
  };
}

export interface UrlSourceOptions {
  /** the fetch to use (default globalThis.fetch); pass one that adds headers, for instance */
  fetch?: typeof fetch;
}

/**
 * A source over `base/<file>` URLs. Small files are fetched whole; safetensors ranges use HTTP Range requests
 * when the server honours them (status 206), and otherwise the file is fetched once and kept.
 */
export function createUrlSource(base: string | URL, options: UrlSourceOptions = {}): ModelSource {
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== 'function') throw new Error(`pipeline: no fetch() to read ${String(base)}`);
  const root = String(base).endsWith('/') ? String(base) : `${String(base)}/`;
  const urlOf = (name: string): string => new URL(name, root).toString();
  const whole = new Map<string, Promise<Uint8Array | null>>();
  const sizes = new Map<string, Promise<number | null>>();
  const fetchWhole = (name: string): Promise<Uint8Array | null> => {
    let p = whole.get(name);
    if (!p) {
      p = (async () => {
        const r = await doFetch(urlOf(name));
        if (r.status === 404) return null;
        if (!r.ok) throw new Error(`${urlOf(name)}: HTTP ${r.status} ${r.statusText}`);
        return new Uint8Array(await r.arrayBuffer());
      })();
      whole.set(name, p);
    }
    return p;
  };
  const sizeOf = (name: string): Promise<number | null> => {
    let p = sizes.get(name);
    if (!p) {
      p = (async () => {
        const r = await doFetch(urlOf(name), { method: 'HEAD' }).catch(() => null);
        if (r?.status === 404) return null;
        const len = r?.ok ? r.headers.get('content-length') : null;
        if (len !== null && len !== undefined && /^\d+$/.test(len)) return Number(len);
        const bytes = await fetchWhole(name);
        return bytes === null ? null : bytes.length;
      })();
      sizes.set(name, p);
    }
    return p;
  };
  const missing = (name: string): never => {
    throw new MissingFileError(name, `${root}: there is no ${name} (HTTP 404)`);
  };
  return {
    description: root,
    has: async (name) => (await sizeOf(name)) !== null,
    size: async (name) => (await sizeOf(name)) ?? missing(name),
    async read(name, offset, length, into) {
      const out = into ?? new Uint8Array(length);
      if (length === 0) return out;
      if (!whole.has(name)) {
        const r = await doFetch(urlOf(name), {
          headers: { Range: `bytes=${offset}-${offset + length - 1}` },
        });
        if (r.status === 206) {
          const got = new Uint8Array(await r.arrayBuffer());
          if (got.length !== length) {
            throw new RangeError(`${urlOf(name)}: asked for ${length} bytes at ${offset}, got ${got.length}`);
          }
          out.set(got);
          return out;
        }
        if (r.status === 404) missing(name);
        await r.body?.cancel();
      }
      const bytes = (await fetchWhole(name)) ?? missing(name);
      checkRange(root, name, offset, length, bytes.length);
      out.set(bytes.subarray(offset, offset + length));
      return out;
    },
    async readText(name) {
      const bytes = (await fetchWhole(name)) ?? missing(name);
      return new TextDecoder().decode(bytes);
    },
  };
}

function isModelSource(x: unknown): x is ModelSource {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as ModelSource).read === 'function' &&
    typeof (x as ModelSource).has === 'function' &&
    typeof (x as ModelSource).readText === 'function'
  );
}

/** Turns what the user passed into a source: paths load through `node:fs` (imported only then). */
export async function resolveSource(
  input: SourceInput,
  options: UrlSourceOptions = {},
): Promise<ModelSource> {
  if (isModelSource(input)) return input;
  if (input instanceof URL) return createUrlSource(input, options);
  if (typeof input === 'string') {
    if (/^https?:\/\//i.test(input)) return createUrlSource(input, options);
    if (/^file:\/\//i.test(input)) {
      const { createFolderSource } = await import('./node-source.ts');
      return createFolderSource(new URL(input));
    }
    if (typeof process === 'undefined' || !process.versions?.node) {
      throw new Error(
        `pipeline: "${input}" looks like a folder path, which only Node can read; in a browser pass Files, ArrayBuffers or a URL`,
      );
    }
    const { createFolderSource } = await import('./node-source.ts');
    return createFolderSource(input);
  }
  if (typeof FileList !== 'undefined' && input instanceof FileList) {
    return createMemorySource(Array.from(input));
  }
  if (Array.isArray(input)) return createMemorySource(input as File[]);
  if (input instanceof Map) return createMemorySource(input);
  if (typeof input === 'object' && input !== null) {
    return createMemorySource(input as Readonly<Record<string, FileData>>);
  }
  throw new TypeError(`pipeline: cannot read a model from ${String(input)}`);
}
