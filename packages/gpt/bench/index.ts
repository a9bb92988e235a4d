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
  PYTHON_BLAS,
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
  const seconds = await stepSeconds(shape, quick ? 2 : 5, Number.POSITIVE_INFINITY, log, sampleMemory);
  results.push({
    name: `gpt train step 6L/384/6H ctx256 V4096 B8 (fwd+bwd+AdamW)`,
    impl: 'tsformer',
    backend: 'cpu',
    threads: threads(),
    unit: 'tokens/s',
    value: (shape.batch * shape.nPositions) / seconds,
  });
  results.push({
    name: 'gpt train step: peak memory (rss)',
    impl: 'tsformer',
    backend: 'cpu',
    unit: 'MB',
    value: peakMemoryMb(),
  });
}

/** The median of a list of numbers. */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

interface DecodeTiming {
  /** seconds of the first token (the prompt's prefill and one token) */
  prefill: number;
  /** seconds of each later token */
  tokens: number[];
}

/** Greedy decoding of `newTokens` after a `promptLength`-token prompt; per-token times from `onToken`. */
async function decode(
  model: GPT2LMHeadModel,
  promptLength: number,
  newTokens: number,
  useCache: boolean,
): Promise<DecodeTiming> {
  const vocab = model.config.vocabSize;
  const prompt = Array.from({ length: promptLength }, (_, i) => (i * 31 + 7) % vocab);
  const stamps: number[] = [];
  const t0 = performance.now();
  await generate(model, prompt, {
    maxNewTokens: newTokens,
    eosTokenId: null,
    useCache,
    onToken: () => stamps.push(performance.now()),
  });
  const tokens = stamps.slice(1).map((t, i) => (t - stamps[i]!) / 1000);
  return { prefill: (stamps[0]! - t0) / 1000, tokens };
}

async function generationTokensPerSecond(results: BenchResult[]): Promise<void> {
  const config = new GPT2Config(gpt2Presets.gpt2);
  log('  building gpt2 (124M, random weights)…');
  const model = new GPT2LMHeadModel(config, { seed: 0 }).eval();
  sampleMemory();
  const row = (name: string, value: number, unit = 'tokens/s'): void => {
    results.push({ name, impl: 'tsformer', backend: 'cpu', threads: threads(), unit, value });
  };
  // the headline: a 16-token prompt and 50 new tokens, as the PyTorch run below; the median token after the
  // first (which includes the prompt's prefill), after two warm-up tokens
  await decode(model, 16, 3, true); // warm-up (tier-up of the WebAssembly and the JavaScript)
  const newTokens = quick ? 12 : 50;
  const main = await decode(model, 16, newTokens, true);
  const ours = 1 / median(main.tokens.slice(2));
  log(`  gpt2 decode, 16-token prompt, ${newTokens} new tokens: ${ours.toFixed(2)} tokens/s (median token)`);
  row(DECODE_ROW, ours);
  sampleMemory();
  // the cost of a token as the context grows: flat when the cache appends in place
  for (const context of [64, 256, 1024]) {
    const n = quick ? 6 : 12;
    const run = await decode(model, context - n, n, true);
    const rate = 1 / median(run.tokens.slice(1));
    log(
      `  gpt2 decode at context ${context}: ${rate.toFixed(2)} tokens/s (prefill of ${context - n}: ${run.prefill.toFixed(2)} s)`,
    );
    row(`gpt2 decode with KV cache at context ${context}`, rate);
    row(`gpt2 prefill ${context - n} tokens`, (context - n) / run.prefill);
    sampleMemory();
  }
  const noCache = await decode(model, 64 - 3, 3, false);
  const rate = 1 / median([noCache.prefill, ...noCache.tokens]);
  log(`  gpt2 generate at context 64 without the cache: ${rate.toFixed(2)} tokens/s`);
  row('gpt2 generate at context 64 without cache', rate);
  pytorchDecode(results, ours, newTokens);
}

const DECODE_ROW = 'gpt2 greedy decode with KV cache, 16-token prompt, 50 new tokens';

// The same decoding in PyTorch: GPT-2 small written with torch.nn (random weights), a KV cache that grows by
// concatenation as transformers' DynamicCache does, greedy, under no_grad; per-token times, median after two.
const PYTORCH_DECODE = `${PYTHON_BLAS}
import json, sys, time, torch, torch.nn as nn, torch.nn.functional as F
threads, prompt_len, new_tokens = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
L, C, H, V, T = 12, 768, 12, 50257, 1024
D = C // H
torch.manual_seed(0)
class Block(nn.Module):
    def __init__(s):
        super().__init__(); s.ln_1 = nn.LayerNorm(C); s.c_attn = nn.Linear(C, 3 * C); s.c_proj = nn.Linear(C, C)
        s.ln_2 = nn.LayerNorm(C); s.c_fc = nn.Linear(C, 4 * C); s.m_proj = nn.Linear(4 * C, C)
    def forward(s, x, past):
        B, Tq, _ = x.shape
        q, k, v = s.c_attn(s.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, Tq, H, D).transpose(1, 2) for t in (q, k, v))
        if past is not None: k, v = torch.cat([past[0], k], 2), torch.cat([past[1], v], 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / D ** 0.5)
        Tk = k.shape[2]
        if Tq > 1: att = att.masked_fill(torch.ones(Tq, Tk, dtype=torch.bool).triu(Tk - Tq + 1), float('-inf'))
        y = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, Tq, C)
        x = x + s.c_proj(y)
        return x + s.m_proj(F.gelu(s.c_fc(s.ln_2(x)), approximate='tanh')), (k, v)
class GPT(nn.Module):
    def __init__(s):
        super().__init__(); s.wte = nn.Embedding(V, C); s.wpe = nn.Embedding(T, C)
        s.h = nn.ModuleList(Block() for _ in range(L)); s.ln_f = nn.LayerNorm(C)
    def forward(s, idx, start, cache):
        x = s.wte(idx) + s.wpe(torch.arange(start, start + idx.shape[1]))
        new = []
        for b, past in zip(s.h, cache or [None] * L):
            x, kv = b(x, past); new.append(kv)
        return s.ln_f(x[:, -1]) @ s.wte.weight.T, new
m = GPT().eval()
def run(n):
    ids = torch.tensor([[(i * 31 + 7) % V for i in range(prompt_len)]])
    times, cache, pos, nxt = [], None, 0, ids
    with torch.no_grad():
        for _ in range(n):
            t0 = time.perf_counter()
            logits, cache = m(nxt, pos, cache)
            pos += nxt.shape[1]
            nxt = logits.argmax(-1, keepdim=True)
            times.append(time.perf_counter() - t0)
    return times
run(3)
times = run(new_tokens)[1:]
times = sorted(times[2:])
med = times[len(times) // 2] if len(times) % 2 else (times[len(times) // 2 - 1] + times[len(times) // 2]) / 2
import resource
print(json.dumps({"tokens_per_s": 1 / med, "threads": torch.get_num_threads(), "torch": torch.__version__, "blas": blas(), "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
`;

/** PyTorch's decode at 1 and 2 threads, and the ratio against its faster setting. */
function pytorchDecode(results: BenchResult[], ours: number, newTokens: number): void {
  if (!havePyTorch()) {
    log('  PyTorch decode skipped: `python3 -c "import torch"` fails here (install python3-torch to run it)');
    return;
  }
  let best = 0;
  for (const t of [1, 2]) {
    const r = runPython(PYTORCH_DECODE, [String(t), '16', String(newTokens)]) as {
      tokens_per_s: number;
      threads: number;
      torch: string;
      blas: string;
    };
    log(
      `  pytorch ${r.torch} (${r.blas}) decode on ${r.threads} thread(s): ${r.tokens_per_s.toFixed(2)} tokens/s`,
    );
    results.push({
      name: DECODE_ROW,
      impl: 'pytorch',
      backend: 'cpu',
      threads: r.threads,
      unit: 'tokens/s',
      value: r.tokens_per_s,
    });
    best = Math.max(best, r.tokens_per_s);
  }
  results.push({ name: DECODE_ROW, impl: 'tsformer/pytorch', unit: 'ratio', value: ours / best });
}

// The same training step in PyTorch (a GPT-2 block stack written with torch.nn, tied head, AdamW).
const PYTORCH_STEP = `${PYTHON_BLAS}
import json, sys, time, torch, torch.nn as nn, torch.nn.functional as F
L, C, H, T, V, B, steps = 6, 384, 6, 256, 4096, 8, int(sys.argv[1])
torch.set_num_threads(int(sys.argv[2]))
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
times = []
for _ in range(steps):
    t0 = time.perf_counter(); step(); times.append(time.perf_counter() - t0)
times.sort()
dt = times[len(times) // 2] if len(times) % 2 else (times[len(times) // 2 - 1] + times[len(times) // 2]) / 2
import resource
print(json.dumps({"tokens_per_s": B * T / dt, "threads": torch.get_num_threads(), "torch": torch.__version__, "blas": blas(), "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
`;

function pytorchComparison(results: BenchResult[]): void {
  if (!havePyTorch()) {
    log(
      '  PyTorch comparison skipped: `python3 -c "import torch"` fails here (install python3-torch to run it)',
    );
    return;
  }
  const name = 'gpt train step 6L/384/6H ctx256 V4096 B8 (fwd+bwd+AdamW)';
  let best = 0;
  let rss = 0;
  for (const t of [1, 2]) {
    const r = runPython(PYTORCH_STEP, [String(quick ? 2 : 5), String(t)]) as {
      tokens_per_s: number;
      threads: number;
      torch: string;
      blas: string;
      peak_rss_mb: number;
    };
    log(
      `  pytorch ${r.torch} (${r.blas}): ${r.tokens_per_s.toFixed(0)} tokens/s on ${r.threads} thread(s), peak rss ${r.peak_rss_mb.toFixed(0)} MB`,
    );
    results.push({
      name,
      impl: 'pytorch',
      backend: 'cpu',
      threads: r.threads,
      unit: 'tokens/s',
      value: r.tokens_per_s,
    });
    if (r.tokens_per_s > best) [best, rss] = [r.tokens_per_s, r.peak_rss_mb];
  }
  results.push({
    name: 'gpt train step: peak memory (rss)',
    impl: 'pytorch',
    backend: 'cpu',
    unit: 'MB',
    value: rss,
  });
  const ours = results.find((x) => x.impl === 'tsformer' && x.name === name);
  if (ours) results.push({ name, impl: 'tsformer/pytorch', unit: 'ratio', value: ours.value / best });
  const ourRss = results.find((x) => x.impl === 'tsformer' && x.name === 'gpt train step: peak memory (rss)');
  if (ourRss) {
    results.push({
      name: 'gpt train step: peak memory (rss)',
      impl: 'tsformer/pytorch',
      unit: 'ratio',
      value: ourRss.value / rss,
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
    log('training step, 6L/384/6H ctx256 V4096 B8…');
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
