// `pnpm bench`: loading a gpt2-shaped (124M) checkpoint from safetensors (time and peak memory, in a fresh
// process), and the pipeline's overhead over the bare model for 64 generated tokens of a small GPT. Prints a
// table, or with --json one JSON document { machine, results } (STYLE.md §10); progress goes to stderr.
// --quick uses a smaller checkpoint for a smoke run.
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { GPT2Config, GPT2LMHeadModel, generate, gpt2Presets } from '@tsformer/gpt';
import { trainByteLevelBpe } from '@tsformer/tokenizer';
import { pipeline } from '../src/index.ts';
import { measureLoad, writeRandomGpt2 } from './checkpoint.ts';

interface BenchResult {
  name: string;
  impl: string;
  backend?: string;
  threads?: number;
  unit: string;
  value: number;
}

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const log = (line: string): void => void (json ? process.stderr : process.stdout).write(`${line}\n`);
const results: BenchResult[] = [];
const threads = availableParallelism();

async function loading(): Promise<void> {
  const shape = quick ? gpt2Presets.mini : gpt2Presets.gpt2;
  const label = quick ? 'mini' : 'gpt2 124M';
  const dir = mkdtempSync(join(tmpdir(), 'tsformer-bench-load-'));
  try {
    const free = statfsSync(tmpdir());
    if (free.bavail * free.bsize < 2 * 2 ** 30) {
      log(`skipping the load benchmark: less than 2 GiB free in ${tmpdir()}`);
      return;
    }
    const bytes = await writeRandomGpt2(dir, shape);
    log(`wrote a random ${label} checkpoint (${(bytes / 2 ** 20).toFixed(0)} MiB) to ${dir}`);
    const runs = [measureLoad(dir), measureLoad(dir), measureLoad(dir)];
    const best = runs.reduce((a, b) => (a.ms < b.ms ? a : b));
    const f32Mb = (best.params * 4) / 2 ** 20;
    const peak = Math.max(...runs.map((r) => r.peakMb - r.baseMb));
    log(
      `  load: ${runs.map((r) => `${r.ms.toFixed(0)} ms`).join(', ')}; peak above baseline ${peak} MiB for ${f32Mb.toFixed(0)} MiB of float32`,
    );
    const name = `load ${label} from model.safetensors`;
    results.push({ name, impl: 'tsformer', backend: 'cpu', unit: 's', value: best.ms / 1000 });
    results.push({ name: `${name}: peak memory above baseline`, impl: 'tsformer', unit: 'MiB', value: peak });
    results.push({
      name: `${name}: peak / float32 size`,
      impl: 'tsformer',
      unit: 'ratio',
      value: peak / f32Mb,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function overhead(): Promise<void> {
  const text =
    'Call me Ishmael. Some years ago, never mind how long precisely, having little or no money in my purse, and nothing particular to interest me on shore, I thought I would sail about a little and see the watery part of the world.';
  const bpe = trainByteLevelBpe([text], { vocabSize: 512, specialTokens: ['<|endoftext|>'] });
  const preset = quick ? gpt2Presets.nano : gpt2Presets.micro;
  const model = new GPT2LMHeadModel(
    new GPT2Config({ ...preset, vocabSize: bpe.vocabSize, eosTokenId: null, bosTokenId: null }),
    { seed: 0 },
  );
  model.eval();
  const pipe = await pipeline('text-generation', { model, tokenizer: bpe });
  const prompt = 'Call me Ishmael.';
  const ids = bpe.encode(prompt);
  const n = 64;
  const bare = async (): Promise<number> => {
    const t0 = performance.now();
    let count = 0;
    for await (const _ of generate(model, ids, { maxNewTokens: n, doSample: false, eosTokenId: null }))
      count++;
    if (count !== n) throw new Error(`bare generate made ${count} tokens`);
    return performance.now() - t0;
  };
  const viaPipeline = async (): Promise<number> => {
    const t0 = performance.now();
    await pipe(prompt, { max_new_tokens: n, do_sample: false, eos_token_id: null });
    return performance.now() - t0;
  };
  await bare();
  await viaPipeline();
  const a: number[] = [];
  const b: number[] = [];
  // interleaved (ABBA) and the best of each: on a shared machine the minimum is the least noisy estimate
  const reps = quick ? 4 : 16;
  for (let i = 0; i < reps; i++) {
    if (i % 2 === 0) {
      a.push(await bare());
      b.push(await viaPipeline());
    } else {
      b.push(await viaPipeline());
      a.push(await bare());
    }
  }
  const ta = Math.min(...a);
  const tb = Math.min(...b);
  const label = quick ? 'nano' : 'micro';
  log(`  64 tokens (${label}): bare generate ${ta.toFixed(0)} ms, pipeline ${tb.toFixed(0)} ms`);
  const name = `generate 64 tokens, GPT ${label}`;
  results.push({ name, impl: 'tsformer/gpt generate', backend: 'cpu', threads, unit: 'ms', value: ta });
  results.push({ name, impl: 'tsformer/pipelines', backend: 'cpu', threads, unit: 'ms', value: tb });
  results.push({
    name: `${name}: pipeline overhead`,
    impl: 'tsformer/pipelines',
    unit: '%',
    value: ((tb - ta) / ta) * 100,
  });
}

await loading();
await overhead();
const machine = {
  cpu: cpus()[0]?.model.trim() ?? 'unknown',
  cores: threads,
  node: process.versions.node,
  date: new Date().toISOString().slice(0, 10),
};
if (json) process.stdout.write(`${JSON.stringify({ machine, results }, null, 2)}\n`);
else {
  log(`\n${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.date}\n`);
  const w = Math.max(...results.map((r) => r.name.length));
  for (const r of results)
    log(
      `${r.name.padEnd(w)}  ${r.impl.padEnd(22)} ${r.value.toFixed(r.value < 10 ? 3 : 1).padStart(9)} ${r.unit}`,
    );
}
