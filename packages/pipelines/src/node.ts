// Node only: read a model folder from disk and write one back, file by file and tensor by tensor.
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createFolderSource } from './node-source.ts';
import { type SaveInput, type SaveOptions, writePretrained } from './save.ts';

export { createFolderSource };

/**
 * Writes a complete Hugging Face folder: config.json, model.safetensors (or `model-0000i-of-0000n.safetensors`
 * shards with model.safetensors.index.json past `maxShardSize`), generation_config.json for GPT-2, and the
 * tokenizer files (tokenizer.json, tokenizer_config.json, special_tokens_map.json, vocab files). Each file is
 * streamed into a temporary name and renamed into place, so an interrupted save never leaves a truncated file
 * where a good one was. Returns the paths written.
 */
export async function savePretrained(
  folder: string,
  input: SaveInput,
  options: SaveOptions = {},
): Promise<string[]> {
  await mkdir(folder, { recursive: true });
  const stamp = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const names = await writePretrained(
    input,
    {
      async open(name) {
        const tmp = join(folder, `.${name}.tmp-${stamp}`);
        const fh = await open(tmp, 'w');
        let failed = true;
        return {
          async write(bytes) {
            let done = 0;
            while (done < bytes.length) {
              const { bytesWritten } = await fh.write(
                bytes,
                done,
                Math.min(bytes.length - done, 256 * 2 ** 20),
              );
              done += bytesWritten;
            }
          },
          async close() {
            try {
              await fh.close();
              await rename(tmp, join(folder, name));
              failed = false;
            } finally {
              if (failed) await rm(tmp, { force: true });
            }
          },
        };
      },
    },
    options,
  );
  // a single file replaces stale shards of an earlier save, and shards replace a stale single file
  const { readdir } = await import('node:fs/promises');
  for (const f of await readdir(folder)) {
    const stale =
      (/^model-\d{5}-of-\d{5}\.safetensors$/.test(f) ||
        f === 'model.safetensors' ||
        f === 'model.safetensors.index.json') &&
      !names.includes(f);
    if (stale) await rm(join(folder, f), { force: true });
  }
  return names.map((n) => join(folder, n));
}
