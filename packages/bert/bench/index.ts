// `pnpm bench`: @tsformer/bert on the CPU backend beside PyTorch in the same run: the forward pass of
// `bert-base-uncased`'s shape (feature extraction, one 128-token sequence and a batch of 8) and a pretraining step
// of a small BERT. Prints a table for people, or with --json exactly one JSON document { machine, results } on
// stdout (STYLE.md §10); progress goes to stderr. --quick times fewer runs; --only=forward|train runs one section.
import { availableParallelism } from 'node:os';
import { type CpuBackend, getBackend, noGrad, tensor, tidy } from '@tsformer/tensor';
import { AdamW } from '@tsformer/tensor/optim';
import { BertConfig, BertForPreTraining, BertModel } from '../src/index.ts';
import {
  type BenchResult,
  havePyTorch,
  machine,
  median,
  PYTHON_BLAS,
  peakMemoryMb,
  runPython,
  sampleMemory,
  table,
} from './harness.ts';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const out = (line: string): void => void process.stdout.write(`${line}\n`);
const log = json ? (line: string) => void process.stderr.write(`${line}\n`) : out;

// the pretraining shape: 4 layers, width 256, 4 heads, length 128, batch 32 (BERT-Mini, bert-base vocabulary)
const SHAPE = { layers: 4, hidden: 256, heads: 4, length: 128, batch: 32, vocab: 30522 };
const NAME = 'bert pretraining step 4L/256/4H len128 B32 V30522 (MLM+NSP fwd+bwd+AdamW)';

function threads(): number {
  return (getBackend() as Partial<CpuBackend>).gemm?.threads ?? availableParallelism();
}

function trainingTokensPerSecond(results: BenchResult[]): void {
  const { layers, hidden, heads, length, batch, vocab } = SHAPE;
  const config = new BertConfig({
    vocabSize: vocab,
    hiddenSize: hidden,
    numHiddenLayers: layers,
    numAttentionHeads: heads,
    intermediateSize: 4 * hidden,
    maxPositionEmbeddings: 512,
    hiddenDropoutProb: 0,
    attentionProbsDropoutProb: 0,
  });
  const model = new BertForPreTraining(config, { seed: 0 });
  const n = batch * length;
  const ids = Int32Array.from({ length: n }, (_, i) => 100 + ((i * 7919) % (vocab - 100)));
  // 15 % of positions are MLM targets, the rest -100; half the pairs are IsNext
  const labels = Int32Array.from({ length: n }, (_, i) => (i % 7 === 3 ? ids[i]! : -100));
  const types = Int32Array.from({ length: n }, (_, i) => (i % length < length / 2 ? 0 : 1));
  const input = {
    inputIds: tensor(ids, [batch, length]),
    tokenTypeIds: tensor(types, [batch, length]),
    attentionMask: tensor(new Int32Array(n).fill(1), [batch, length]),
    labels: tensor(labels, [batch, length]),
    nextSentenceLabel: tensor(
      Int32Array.from({ length: batch }, (_, i) => i % 2),
      [batch],
    ),
  };
  const opt = new AdamW(model.parameters(), { lr: 1e-4, weightDecay: 0.01 });
  const step = (): number =>
    tidy(() => {
      opt.zeroGrad();
      const loss = model.forward(input).loss!;
      loss.backward();
      opt.step();
      return loss.item();
    });
  let t0 = performance.now();
  step();
  sampleMemory();
  log(`  bert train warm-up step: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const steps = quick ? 2 : 5;
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    t0 = performance.now();
    step();
    times.push(performance.now() - t0);
    sampleMemory();
    log(`  bert train step ${i + 1}/${steps}: ${(times.at(-1)! / 1000).toFixed(1)} s`);
  }
  results.push({
    name: NAME,
    impl: 'tsformer',
    backend: 'cpu',
    threads: threads(),
    unit: 'tokens/s',
    value: n / (median(times) / 1000),
  });
}

// bert-base-uncased's shape: 12 layers, width 768, 12 heads, FFN 3072, vocabulary 30522 (random weights)
const BASE = { layers: 12, hidden: 768, heads: 12, vocab: 30522 };
const forwardName = (batch: number): string => `bert-base forward (feature extraction) ${batch} × 128 tokens`;

/** BertModel's forward at bert-base's shape, batch 1 and 8 of 128 tokens: the median of timed runs. */
function forwardSequencesPerSecond(results: BenchResult[]): void {
  const model = new BertModel(
    new BertConfig({
      vocabSize: BASE.vocab,
      hiddenSize: BASE.hidden,
      numHiddenLayers: BASE.layers,
      numAttentionHeads: BASE.heads,
      intermediateSize: 4 * BASE.hidden,
    }),
    { seed: 0 },
  ).eval();
  for (const batch of [1, 8]) {
    const n = batch * 128;
    const ids = tensor(
      Int32Array.from({ length: n }, (_, i) => 100 + ((i * 7919) % (BASE.vocab - 100))),
      [batch, 128],
    );
    const mask = tensor(new Int32Array(n).fill(1), [batch, 128]);
    const run = (): number => {
      const t0 = performance.now();
      noGrad(() =>
        tidy(() => {
          model.forward({ inputIds: ids, attentionMask: mask }).lastHiddenState.dataSync();
        }),
      );
      return (performance.now() - t0) / 1000;
    };
    run(); // warm-up
    const times: number[] = [];
    for (let i = 0; i < (quick ? 1 : 7); i++) times.push(run());
    sampleMemory();
    const perSecond = batch / median(times);
    log(
      `  bert-base forward ${batch} × 128: ${median(times).toFixed(3)} s (${perSecond.toFixed(1)} sequences/s)`,
    );
    results.push({
      name: forwardName(batch),
      impl: 'tsformer',
      backend: 'cpu',
      threads: threads(),
      unit: 'sequences/s',
      value: perSecond,
    });
    ids.dispose();
    mask.dispose();
  }
  for (const p of model.parameters()) p.dispose();
}

// The same forward in PyTorch: a post-LN BERT encoder written with torch.nn, under no_grad, attention mask added.
const PYTORCH_FORWARD = `${PYTHON_BLAS}
import json, sys, time, torch, torch.nn as nn, torch.nn.functional as F
threads, batch, runs = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
L, C, H, T, V = 12, 768, 12, 128, 30522
D = C // H
torch.manual_seed(0)
class Layer(nn.Module):
    def __init__(s):
        super().__init__(); s.qkv = nn.Linear(C, 3 * C); s.o = nn.Linear(C, C); s.ln1 = nn.LayerNorm(C, eps=1e-12)
        s.i = nn.Linear(C, 4 * C); s.out = nn.Linear(4 * C, C); s.ln2 = nn.LayerNorm(C, eps=1e-12)
    def forward(s, x, mask):
        B = x.shape[0]
        q, k, v = (t.view(B, T, H, D).transpose(1, 2) for t in s.qkv(x).split(C, dim=2))
        att = ((q @ k.transpose(-2, -1)) * (1.0 / D ** 0.5) + mask).softmax(-1)
        a = s.ln1(x + s.o((att @ v).transpose(1, 2).reshape(B, T, C)))
        return s.ln2(a + s.out(F.gelu(s.i(a))))
class Bert(nn.Module):
    def __init__(s):
        super().__init__(); s.word = nn.Embedding(V, C, padding_idx=0); s.pos = nn.Embedding(512, C); s.typ = nn.Embedding(2, C)
        s.ln = nn.LayerNorm(C, eps=1e-12); s.layers = nn.ModuleList(Layer() for _ in range(L))
    def forward(s, ids, attention_mask):
        mask = (1.0 - attention_mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        x = s.ln(s.word(ids) + s.typ(torch.zeros_like(ids)) + s.pos(torch.arange(T)))
        for l in s.layers: x = l(x, mask)
        return x
m = Bert().eval()
ids = torch.randint(100, V, (batch, T)); am = torch.ones(batch, T, dtype=torch.long)
times = []
with torch.no_grad():
    m(ids, am)
    for _ in range(runs):
        t0 = time.perf_counter(); m(ids, am); times.append(time.perf_counter() - t0)
times.sort()
med = times[len(times) // 2] if len(times) % 2 else (times[len(times) // 2 - 1] + times[len(times) // 2]) / 2
print(json.dumps({"sequences_per_s": batch / med, "threads": torch.get_num_threads(), "torch": torch.__version__, "blas": blas()}))
`;

function pytorchForward(results: BenchResult[]): void {
  if (!havePyTorch()) {
    log(
      '  PyTorch forward skipped: `python3 -c "import torch"` fails here (install python3-torch to run it)',
    );
    return;
  }
  for (const batch of [1, 8]) {
    let best = 0;
    for (const t of [1, 2]) {
      const r = runPython(PYTORCH_FORWARD, [String(t), String(batch), String(quick ? 3 : 7)]) as {
        sequences_per_s: number;
        threads: number;
        torch: string;
        blas: string;
      };
      log(
        `  pytorch ${r.torch} (${r.blas}) forward ${batch} × 128 on ${r.threads} thread(s): ${r.sequences_per_s.toFixed(1)} sequences/s`,
      );
      results.push({
        name: forwardName(batch),
        impl: 'pytorch',
        backend: 'cpu',
        threads: r.threads,
        unit: 'sequences/s',
        value: r.sequences_per_s,
      });
      best = Math.max(best, r.sequences_per_s);
    }
    const ours = results.find((x) => x.impl === 'tsformer' && x.name === forwardName(batch));
    if (ours)
      results.push({
        name: forwardName(batch),
        impl: 'tsformer/pytorch',
        unit: 'ratio',
        value: ours.value / best,
      });
  }
}

// The same step in PyTorch: a post-LN BERT encoder with tied MLM decoder and NSP head, AdamW.
const PYTORCH_STEP = `${PYTHON_BLAS}
import json, sys, time, torch, torch.nn as nn, torch.nn.functional as F
L, C, H, T, B, V, steps = 4, 256, 4, 128, 32, 30522, int(sys.argv[1])
torch.set_num_threads(int(sys.argv[2]))
torch.manual_seed(0)
class Layer(nn.Module):
    def __init__(s):
        super().__init__(); s.qkv = nn.Linear(C, 3 * C); s.o = nn.Linear(C, C); s.ln1 = nn.LayerNorm(C, eps=1e-12)
        s.i = nn.Linear(C, 4 * C); s.out = nn.Linear(4 * C, C); s.ln2 = nn.LayerNorm(C, eps=1e-12)
    def forward(s, x):
        q, k, v = (t.view(B, T, H, C // H).transpose(1, 2) for t in s.qkv(x).split(C, dim=2))
        # written out: PyTorch 1.13 (Debian's) has no F.scaled_dot_product_attention
        att = ((q @ k.transpose(-2, -1)) * (1.0 / (C // H) ** 0.5)).softmax(-1)
        a = s.ln1(x + s.o((att @ v).transpose(1, 2).reshape(B, T, C)))
        return s.ln2(a + s.out(F.gelu(s.i(a))))
class Bert(nn.Module):
    def __init__(s):
        super().__init__(); s.word = nn.Embedding(V, C, padding_idx=0); s.pos = nn.Embedding(512, C); s.typ = nn.Embedding(2, C)
        s.ln = nn.LayerNorm(C, eps=1e-12); s.layers = nn.ModuleList(Layer() for _ in range(L)); s.pool = nn.Linear(C, C)
        s.t = nn.Linear(C, C); s.tln = nn.LayerNorm(C, eps=1e-12); s.bias = nn.Parameter(torch.zeros(V)); s.nsp = nn.Linear(C, 2)
    def forward(s, ids, tt):
        x = s.ln(s.word(ids) + s.typ(tt) + s.pos(torch.arange(T)))
        for l in s.layers: x = l(x)
        mlm = s.tln(F.gelu(s.t(x))) @ s.word.weight.T + s.bias
        return mlm, s.nsp(torch.tanh(s.pool(x[:, 0])))
m = Bert(); opt = torch.optim.AdamW(m.parameters(), lr=1e-4, weight_decay=0.01)
ids = torch.randint(100, V, (B, T)); tt = (torch.arange(T) >= T // 2).long().expand(B, T)
labels = torch.where(torch.arange(B * T).view(B, T) % 7 == 3, ids, torch.full_like(ids, -100)); nsp = torch.arange(B) % 2
def step():
    opt.zero_grad(); mlm, ns = m(ids, tt)
    loss = F.cross_entropy(mlm.view(-1, V), labels.view(-1)) + F.cross_entropy(ns, nsp); loss.backward(); opt.step()
step()
times = []
for _ in range(steps):
    t0 = time.perf_counter(); step(); times.append(time.perf_counter() - t0)
times.sort()
dt = times[len(times) // 2] if len(times) % 2 else (times[len(times) // 2 - 1] + times[len(times) // 2]) / 2
print(json.dumps({"tokens_per_s": B * T / dt, "threads": torch.get_num_threads(), "torch": torch.__version__, "blas": blas()}))
`;

function pytorchComparison(results: BenchResult[]): void {
  if (!havePyTorch()) {
    log(
      '  PyTorch comparison skipped: `python3 -c "import torch"` fails here (install python3-torch to run it)',
    );
    return;
  }
  let best = 0;
  for (const t of [1, 2]) {
    const r = runPython(PYTORCH_STEP, [String(quick ? 2 : 5), String(t)]) as {
      tokens_per_s: number;
      threads: number;
      torch: string;
      blas: string;
    };
    log(`  pytorch ${r.torch} (${r.blas}): ${r.tokens_per_s.toFixed(0)} tokens/s on ${r.threads} thread(s)`);
    results.push({
      name: NAME,
      impl: 'pytorch',
      backend: 'cpu',
      threads: r.threads,
      unit: 'tokens/s',
      value: r.tokens_per_s,
    });
    best = Math.max(best, r.tokens_per_s);
  }
  const ours = results.find((x) => x.impl === 'tsformer' && x.name === NAME);
  if (ours) results.push({ name: NAME, impl: 'tsformer/pytorch', unit: 'ratio', value: ours.value / best });
}

async function main(): Promise<void> {
  if (json) console.log = console.info = console.warn = (...args: unknown[]) => log(args.join(' '));
  await (getBackend() as Partial<CpuBackend>).ready; // worker threads up before timing
  const info = machine();
  if (!json) out(`${info.cpu}, ${info.cores} cores, Node ${info.node}, ${info.date}\n`);
  const results: BenchResult[] = [];
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
  if (!only || only === 'forward') {
    log('forward, bert-base shape…');
    forwardSequencesPerSecond(results);
    pytorchForward(results);
  }
  const memory = (getBackend() as Partial<CpuBackend>).memory;
  const mib = (x: number): string => `${(x / 2 ** 20).toFixed(0)} MiB`;
  const stats = (when: string): void => {
    const s = memory?.stats();
    if (s)
      log(
        `  engine memory ${when}: ${mib(s.inUse)} in use (peak ${mib(s.peakInUse)}), ${mib(s.free)} free, ${mib(s.committed)} committed, ${s.heapFallbacks} on the heap`,
      );
  };
  stats('after the forward section');
  if (!only || only === 'train') {
    log('pretraining step, 4L/256/4H len128 B32 V30522…');
    trainingTokensPerSecond(results);
    stats('after the training section');
    pytorchComparison(results);
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
