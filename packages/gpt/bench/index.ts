// `pnpm bench`: training and generation speed of @tsformer/gpt on the CPU backend, and training on the gpu.js
// backend beside it where a GPU path works (bench/gpu.ts; `xvfb-run -a pnpm bench --only=gpu` for headless-gl in
// Node). Prints a table for people, or with --json exactly one JSON document { machine, results } on stdout
// (STYLE.md §10); progress goes to stderr. --quick shortens every section (fewer steps and tokens) for a smoke
// run; --only=train|generate|gpu runs one section.
import { availableParallelism } from 'node:os';
import { type CpuBackend, getBackend } from '@tsformer/tensor';
import { GPT2Config, GPT2LMHeadModel, generate, gpt2Presets } from '../src/index.ts';
import { gpuTraining } from './gpu.ts';
import {
  type BenchResult,
  havePyTorch,
  machine,
  peakMemoryMb,
  runPython,
  sampleMemory,
  table,
} from './harness.ts';
import { GPU_SHAPES, stepSeconds } from './train-step.ts';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const out = (line: string): void => void process.stdout.write(`${line}\n`);
const log = json ? (line: string) => void process.stderr.write(`${line}\n`) : out;

function threads(): number {
  const b = getBackend() as Partial<CpuBackend>;
  return b.gemm?.threads ?? availableParallelism();
}

async function trainingTokensPerSecond(results: BenchResult[]): Promise<void> {
  // the training shape: 6 layers, width 384, 6 heads, context 256, vocab 4096, batch 8
  const shape = GPU_SHAPES.find((s) => s.key === 'issue')!;
  sampleMemory();
  const seconds = await stepSeconds(shape, quick ? 1 : 3, Number.POSITIVE_INFINITY, log, sampleMemory);
  results.push({
    name: `gpt train step 6L/384/6H ctx256 V4096 B8 (fwd+bwd+AdamW)`,
    impl: 'tsformer',
    backend: 'cpu',
    threads: threads(),
    unit: 'tokens/s',
    value: (shape.batch * shape.nPositions) / seconds,
  });
}

async function generationTokensPerSecond(results: BenchResult[]): Promise<void> {
  const config = new GPT2Config(gpt2Presets.gpt2);
  log('  building gpt2 (124M, random weights)…');
  const model = new GPT2LMHeadModel(config, { seed: 0 }).eval();
  sampleMemory();
  for (const context of [64, 256, 1024]) {
    for (const useCache of [true, false]) {
      const newTokens = useCache ? (quick ? 3 : 8) : quick ? 2 : 3;
      const prompt = Array.from({ length: context - newTokens }, (_, i) => (i * 31 + 7) % config.vocabSize);
      const stamps: number[] = [];
      const t0 = performance.now();
      await generate(model, prompt, {
        maxNewTokens: newTokens,
        eosTokenId: null,
        useCache,
        onToken: () => stamps.push(performance.now()),
      });
      sampleMemory();
      // with the cache the first token includes the prompt's prefill: report the decode rate after it
      const decodeMs = useCache ? stamps.at(-1)! - stamps[0]! : stamps.at(-1)! - t0;
      const counted = useCache ? newTokens - 1 : newTokens;
      const rate = counted / (decodeMs / 1000);
      log(
        `  gpt2 generate ctx ${context} ${useCache ? 'cache' : 'no cache'}: ${rate.toFixed(2)} tokens/s (prefill ${useCache ? ((stamps[0]! - t0) / 1000).toFixed(2) : '-'} s)`,
      );
      results.push({
        name: `gpt2 generate ctx ${context} ${useCache ? 'with KV cache (decode)' : 'without cache'}`,
        impl: 'tsformer',
        backend: 'cpu',
        threads: threads(),
        unit: 'tokens/s',
        value: rate,
      });
      if (useCache) {
        results.push({
          name: `gpt2 prefill ctx ${context - newTokens}`,
          impl: 'tsformer',
          backend: 'cpu',
          threads: threads(),
          unit: 'tokens/s',
          value: (context - newTokens) / ((stamps[0]! - t0) / 1000),
        });
      }
    }
  }
}

// The same training step in PyTorch (a GPT-2 block stack written with torch.nn, tied head, AdamW).
const PYTORCH_STEP = `
import json, sys, time, torch, torch.nn as nn, torch.nn.functional as F
L, C, H, T, V, B, steps = 6, 384, 6, 256, 4096, 8, int(sys.argv[1])
torch.manual_seed(0)
class Block(nn.Module):
    def __init__(s):
        super().__init__(); s.ln_1 = nn.LayerNorm(C); s.c_attn = nn.Linear(C, 3 * C); s.c_proj = nn.Linear(C, C)
        s.ln_2 = nn.LayerNorm(C); s.c_fc = nn.Linear(C, 4 * C); s.m_proj = nn.Linear(4 * C, C)
    def forward(s, x):
        q, k, v = s.c_attn(s.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, H, C // H).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / (C // H) ** 0.5)
        att = att.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float('-inf')).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)  # PyTorch 1.13 (Debian) has no scaled_dot_product_attention
        x = x + s.c_proj(y)
        return x + s.m_proj(F.gelu(s.c_fc(s.ln_2(x)), approximate='tanh'))
class GPT(nn.Module):
    def __init__(s):
        super().__init__(); s.wte = nn.Embedding(V, C); s.wpe = nn.Embedding(T, C)
        s.h = nn.ModuleList(Block() for _ in range(L)); s.ln_f = nn.LayerNorm(C)
    def forward(s, idx):
        x = s.wte(idx) + s.wpe(torch.arange(T))
        for b in s.h: x = b(x)
        return s.ln_f(x) @ s.wte.weight.T
m = GPT(); opt = torch.optim.AdamW(m.parameters(), lr=3e-4, weight_decay=0.1)
idx = torch.randint(0, V, (B, T))
def step():
    opt.zero_grad(); logits = m(idx)
    loss = F.cross_entropy(logits[:, :-1].reshape(-1, V), idx[:, 1:].reshape(-1)); loss.backward(); opt.step()
step()
t0 = time.perf_counter()
for _ in range(steps): step()
dt = (time.perf_counter() - t0) / steps
print(json.dumps({"tokens_per_s": B * T / dt, "threads": torch.get_num_threads(), "torch": torch.__version__}))
`;

function pytorchComparison(results: BenchResult[]): void {
  if (!havePyTorch()) {
    log(
      '  PyTorch comparison skipped: `python3 -c "import torch"` fails here (install python3-torch to run it)',
    );
    return;
  }
  const r = runPython(PYTORCH_STEP, [String(quick ? 1 : 3)]) as {
    tokens_per_s: number;
    threads: number;
    torch: string;
  };
  log(`  pytorch ${r.torch}: ${r.tokens_per_s.toFixed(0)} tokens/s on ${r.threads} threads`);
  results.push({
    name: `gpt train step 6L/384/6H ctx256 V4096 B8 (fwd+bwd+AdamW)`,
    impl: 'pytorch',
    backend: 'cpu',
    threads: r.threads,
    unit: 'tokens/s',
    value: r.tokens_per_s,
  });
  const ours = results.find((x) => x.impl === 'tsformer' && x.name.startsWith('gpt train step'));
  if (ours) {
    results.push({
      name: `gpt train step 6L/384/6H ctx256 V4096 B8 (fwd+bwd+AdamW)`,
      impl: 'tsformer/pytorch',
      unit: 'ratio',
      value: ours.value / r.tokens_per_s,
    });
  }
}

async function main(): Promise<void> {
  if (json) console.log = console.info = console.warn = (...args: unknown[]) => log(args.join(' '));
  await (getBackend() as Partial<CpuBackend>).ready; // worker threads up before timing
  const info = machine();
  if (!json) out(`${info.cpu}, ${info.cores} cores, Node ${info.node}, ${info.date}\n`);
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
  const results: BenchResult[] = [];
  if (!only || only === 'train') {
    log('training step (the issue shape)…');
    await trainingTokensPerSecond(results);
    pytorchComparison(results);
  }
  if (!only || only === 'generate') {
    log('generation, gpt2 shape…');
    await generationTokensPerSecond(results);
  }
  if (!only || only === 'gpu') {
    log('training on the gpu.js backend beside the cpu backend…');
    await gpuTraining(results, log, quick);
  }
  results.push({
    name: 'peak memory (rss)',
    impl: 'tsformer',
    backend: 'cpu',
    unit: 'MB',
    value: peakMemoryMb(),
  });
  if (json) out(JSON.stringify({ machine: info, results }, null, 2));
  else out(`\n${table(results)}`);
  process.exit(0); // worker pools may hold the event loop
}

await main();
