// A random GPT-2-shaped checkpoint written straight to disk (tensor by tensor, no model in memory), and a child
// process that loads it and reports its time and peak memory (VmHWM), for the benchmark and the slow test.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GPT2Config, type GPT2ConfigInit, toHfConfigJson } from '@tsformer/gpt';
import { type TensorRecord, writeSafetensors } from '../src/safetensors.ts';

export function gpt2Shapes(c: GPT2ConfigInit): [string, number[]][] {
  const e = c.nEmbd!;
  const out: [string, number[]][] = [
    ['transformer.wte.weight', [c.vocabSize!, e]],
    ['transformer.wpe.weight', [c.nPositions!, e]],
  ];
  for (let i = 0; i < c.nLayer!; i++) {
    const p = `transformer.h.${i}`;
    out.push(
      [`${p}.ln_1.weight`, [e]],
      [`${p}.ln_1.bias`, [e]],
      [`${p}.attn.c_attn.weight`, [e, 3 * e]],
      [`${p}.attn.c_attn.bias`, [3 * e]],
      [`${p}.attn.c_proj.weight`, [e, e]],
      [`${p}.attn.c_proj.bias`, [e]],
      [`${p}.ln_2.weight`, [e]],
      [`${p}.ln_2.bias`, [e]],
      [`${p}.mlp.c_fc.weight`, [e, 4 * e]],
      [`${p}.mlp.c_fc.bias`, [4 * e]],
      [`${p}.mlp.c_proj.weight`, [4 * e, e]],
      [`${p}.mlp.c_proj.bias`, [e]],
    );
  }
  out.push(['transformer.ln_f.weight', [e]], ['transformer.ln_f.bias', [e]]);
  return out;
}

/** Writes config.json + model.safetensors (float32, or F16/BF16) of random N(0, ~0.02)-ish values; returns bytes written. */
export async function writeRandomGpt2(
  dir: string,
  init: GPT2ConfigInit,
  dtype: 'F32' | 'F16' | 'BF16' = 'F32',
): Promise<number> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'config.json'),
    toHfConfigJson(new GPT2Config({ ...init, architectures: ['GPT2LMHeadModel'] })),
  );
  let seed = 0x9e3779b9;
  const records: TensorRecord[] = gpt2Shapes(init).map(([name, shape]) => ({
    name,
    shape,
    data: () => {
      const n = shape.reduce((p, d) => p * d, 1);
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        a[i] = ((seed >>> 0) / 2 ** 32 - 0.5) * 0.07;
      }
      return a;
    },
  }));
  const fh = await open(join(dir, 'model.safetensors'), 'w');
  try {
    return await writeSafetensors(
      records,
      async (b) => {
        let done = 0;
        while (done < b.length)
          done += (await fh.write(b, done, Math.min(b.length - done, 256 * 2 ** 20))).bytesWritten;
      },
      { dtype },
    );
  } finally {
    await fh.close();
  }
}

export interface LoadMeasurement {
  ms: number;
  /** resident memory before loading, MiB */
  baseMb: number;
  /** the process's peak resident memory (VmHWM), MiB */
  peakMb: number;
  params: number;
}

/** Loads `dir` in a fresh Node process (so the peak is the load's own) and returns what it measured. */
export function measureLoad(dir: string): LoadMeasurement {
  const script = fileURLToPath(new URL('./load-child.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--conditions=@tsformer/source', script, dir], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`load child failed: ${r.stderr.slice(-2000)}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as LoadMeasurement;
}
