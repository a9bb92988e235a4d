// Node only: a model folder on disk. Safetensors ranges are read through a file handle in chunks straight into
// their destination arrays, so files over 2 GiB (where `readFile` fails) load without one big buffer.
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MissingFileError, type ModelSource } from './source.ts';

/** The most bytes one `read()` call asks for (Node caps a single read below 2 GiB). */
const CHUNK = 256 * 2 ** 20;

/** A source over the files of `folder`. */
export function createFolderSource(folder: string | URL): ModelSource {
  const dir = folder instanceof URL ? fileURLToPath(folder) : folder;
  const pathOf = (name: string): string => join(dir, name);
  const missing = (name: string, e: unknown): never => {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new MissingFileError(name, `${dir}: there is no ${name}`);
    }
    throw e;
  };
  return {
    description: dir,
    async has(name) {
      try {
        return (await stat(pathOf(name))).isFile();
      } catch {
        return false;
      }
    },
    async size(name) {
      try {
        return (await stat(pathOf(name))).size;
      } catch (e) {
        return missing(name, e);
      }
    },
    async read(name, offset, length, into) {
      const out = into ?? new Uint8Array(length);
      const fh = await open(pathOf(name), 'r').catch((e: unknown) => missing(name, e));
      try {
        let done = 0;
        while (done < length) {
          const n = Math.min(CHUNK, length - done);
          const { bytesRead } = await fh.read(out, done, n, offset + done);
          if (bytesRead === 0) {
            throw new RangeError(
              `${pathOf(name)}: ended after ${offset + done} bytes, but bytes up to ${offset + length} were expected (truncated file?)`,
            );
          }
          done += bytesRead;
        }
      } finally {
        await fh.close();
      }
      return out;
    },
    async readText(name) {
      try {
        return await readFile(pathOf(name), 'utf8');
      } catch (e) {
        return missing(name, e);
      }
    },
  };
}
