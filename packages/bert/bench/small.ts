// Training speed at small shapes, where per-op overheads rather than FLOPs set the pace:
//   npx tsx --conditions=@tsformer/source bench/small.ts [pretrain|seqcls|tokcls|tokcls4|all] [--steps=N]
//     [--profile] [--dropout=0.1] [--threads=N]
// pretrain: BertForPreTraining 2L/128/2H FFN 512, vocab 8192, B32 × T64, MLM head on the masked rows only (as
// apps/trainer does), NSP; seqcls: BertForSequenceClassification 2L/128, B32 × T128; tokcls: BertForTokenClassification
// 2L/128, B32 × T48; tokcls4: the same at 4L/256/4H. Each step is forward + backward + AdamW inside `tidy`.
// --profile wraps the backend and prints where the time of one more step went, kernel by kernel.
import {
  type CpuBackend,
  createCpuBackend,
  crossEntropy as crossEntropyOf,
  getBackend,
  indexSelect,
  reshape,
  setBackend,
  tensor,
  tidy,
} from '@tsformer/tensor';
import { AdamW } from '@tsformer/tensor/optim';
import {
  BertConfig,
  BertForPreTraining,
  BertForSequenceClassification,
  BertForTokenClassification,
} from '../src/index.ts';

const args = process.argv.slice(2);
const flag = (name: string, dflt: number): number => {
  const a = args.find((x) => x.startsWith(`--${name}=`));
  return a === undefined ? dflt : Number(a.split('=')[1]);
};
const which = args.find((a) => !a.startsWith('--')) ?? 'all';
const steps = flag('steps', 5);
const dropout = flag('dropout', 0.1);
const profile = args.includes('--profile');
const threads = flag('threads', 0);

interface Case {
  name: string;
  batch: number;
  length: number;
  step: () => number;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function config(layers: number, hidden: number, heads: number, vocab: number, numLabels = 2): BertConfig {
  return new BertConfig({
    vocabSize: vocab,
    hiddenSize: hidden,
    numHiddenLayers: layers,
    numAttentionHeads: heads,
    intermediateSize: 4 * hidden,
    maxPositionEmbeddings: 512,
    hiddenDropoutProb: dropout,
    attentionProbsDropoutProb: dropout,
    numLabels,
  });
}

/** Padded batch: lengths between half and all of T, attention mask 1 on the tokens. */
function batchOf(batch: number, length: number, vocab: number, seed: number) {
  const r = rng(seed);
  const n = batch * length;
  const ids = new Int32Array(n);
  const mask = new Int32Array(n);
  const types = new Int32Array(n);
  const lens: number[] = [];
  for (let b = 0; b < batch; b++) {
    const len = Math.max(4, Math.floor(length * (0.5 + 0.5 * r())));
    lens.push(len);
    for (let t = 0; t < length; t++) {
      const i = b * length + t;
      if (t < len) {
        ids[i] = 5 + Math.floor(r() * (vocab - 5));
        mask[i] = 1;
        types[i] = t < len / 2 ? 0 : 1;
      }
    }
  }
  return { ids, mask, types, lens };
}

function pretrainCase(): Case {
  const [batch, length, vocab] = [32, 64, 8192];
  const cfg = config(2, 128, 2, vocab);
  const model = new BertForPreTraining(cfg, { seed: 0 });
  const opt = new AdamW(model.parameters(), { lr: 1e-4, weightDecay: 0.01 });
  const d = batchOf(batch, length, vocab, 1);
  const r = rng(2);
  const rows: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < d.ids.length; i++) {
    if (d.mask[i] === 1 && r() < 0.15) {
      rows.push(i);
      labels.push(d.ids[i]!);
    }
  }
  const shape = [batch, length];
  const step = (): number =>
    tidy(() => {
      opt.zeroGrad();
      const out = model.bert.forward({
        inputIds: tensor(d.ids, shape),
        tokenTypeIds: tensor(d.types, shape),
        attentionMask: tensor(d.mask, shape),
      });
      const flat = reshape(out.lastHiddenState, [batch * length, cfg.hiddenSize]);
      const sel = indexSelect(flat, tensor(Int32Array.from(rows), [rows.length]));
      const logits = model.cls.predictions.forward(reshape(sel, [1, rows.length, cfg.hiddenSize]));
      const nsp = model.cls.seq_relationship.forward(out.poolerOutput!);
      const mlm = crossEntropyOf(
        reshape(logits, [-1, vocab]),
        tensor(Int32Array.from(labels), [labels.length]),
      );
      const ns = crossEntropyOf(
        nsp,
        tensor(
          Int32Array.from({ length: batch }, (_, i) => i % 2),
          [batch],
        ),
      );
      const loss = mlm.add(ns);
      loss.backward();
      opt.step();
      return loss.item();
    });
  return { name: 'pretrain 2L/128 V8192 B32×T64', batch, length, step };
}

function seqClsCase(layers: number, hidden: number, heads: number, length: number): Case {
  const batch = 32;
  const vocab = 8192;
  const model = new BertForSequenceClassification(config(layers, hidden, heads, vocab, 2), { seed: 0 });
  const opt = new AdamW(model.parameters(), { lr: 1e-4, weightDecay: 0.01 });
  const d = batchOf(batch, length, vocab, 3);
  const shape = [batch, length];
  const labels = Int32Array.from({ length: batch }, (_, i) => i % 2);
  const step = (): number =>
    tidy(() => {
      opt.zeroGrad();
      const out = model.forward({
        inputIds: tensor(d.ids, shape),
        tokenTypeIds: tensor(d.types, shape),
        attentionMask: tensor(d.mask, shape),
        labels: tensor(labels, [batch]),
      });
      out.loss!.backward();
      opt.step();
      return out.loss!.item();
    });
  return { name: `seqcls ${layers}L/${hidden} B32×T${length}`, batch, length, step };
}

function tokClsCase(layers: number, hidden: number, heads: number, length: number): Case {
  const batch = 32;
  const vocab = 8192;
  const model = new BertForTokenClassification(config(layers, hidden, heads, vocab, 9), { seed: 0 });
  const opt = new AdamW(model.parameters(), { lr: 1e-4, weightDecay: 0.01 });
  const d = batchOf(batch, length, vocab, 4);
  const shape = [batch, length];
  const labels = Int32Array.from(d.ids, (id, i) => (d.mask[i] === 1 ? id % 9 : -100));
  const step = (): number =>
    tidy(() => {
      opt.zeroGrad();
      const out = model.forward({
        inputIds: tensor(d.ids, shape),
        attentionMask: tensor(d.mask, shape),
        labels: tensor(labels, shape),
      });
      out.loss!.backward();
      opt.step();
      return out.loss!.item();
    });
  return { name: `tokcls ${layers}L/${hidden} B32×T${length}`, batch, length, step };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

// ---- kernel profile: wraps every backend method (and fused kernel) with a timer ----
const prof = new Map<string, { ms: number; calls: number }>();
let profiling = false;
function wrapBackend(): void {
  const b = getBackend() as unknown as Record<string, unknown>;
  const wrap = (obj: Record<string, unknown>, prefix: string) => {
    for (const key of Object.keys(obj)) {
      const f = obj[key];
      if (typeof f !== 'function' || key === 'dispose') continue;
      obj[key] = (...a: unknown[]) => {
        if (!profiling) return (f as (...x: unknown[]) => unknown).apply(obj, a);
        let label = prefix + key;
        if (key === 'binary' || key === 'unary' || key === 'reduce') label += `:${a[0] as string}`;
        if (key === 'matmul') {
          const i = a[2] as {
            batch: number;
            m: number;
            n: number;
            k: number;
            transA: boolean;
            transB: boolean;
          };
          label += ` ${i.batch}x${i.m}x${i.n}x${i.k}${i.transA ? 'T' : 'N'}${i.transB ? 'T' : 'N'}`;
        }
        const t0 = performance.now();
        const r = (f as (...x: unknown[]) => unknown).apply(obj, a);
        const e = prof.get(label) ?? { ms: 0, calls: 0 };
        e.ms += performance.now() - t0;
        e.calls++;
        prof.set(label, e);
        return r;
      };
    }
  };
  if (b.fused) wrap(b.fused as Record<string, unknown>, 'fused.');
  wrap(b, '');
}

async function main(): Promise<void> {
  if (threads > 0) setBackend(createCpuBackend({ threads }));
  await (getBackend() as Partial<CpuBackend>).ready;
  if (profile) wrapBackend();
  const cases: (() => Case)[] = [];
  if (which === 'pretrain' || which === 'all') cases.push(pretrainCase);
  if (which === 'seqcls' || which === 'all') cases.push(() => seqClsCase(2, 128, 2, 128));
  if (which === 'tokcls' || which === 'all') cases.push(() => tokClsCase(2, 128, 2, 48));
  if (which === 'seqcls4' || which === 'all') cases.push(() => seqClsCase(4, 256, 4, 128));
  if (which === 'tokcls4' || which === 'all') cases.push(() => tokClsCase(4, 256, 4, 48));
  for (const make of cases) {
    const c = make();
    c.step();
    c.step();
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      c.step();
      times.push(performance.now() - t0);
    }
    const med = median(times);
    console.log(
      `${c.name.padEnd(32)} median ${med.toFixed(1)} ms/step  ${((c.batch * 1000) / med).toFixed(1)} seq/s  (steps ${times.map((t) => t.toFixed(0)).join(' ')})`,
    );
    if (profile) {
      prof.clear();
      profiling = true;
      const t0 = performance.now();
      c.step();
      const total = performance.now() - t0;
      profiling = false;
      const rows = [...prof.entries()].sort((a, b) => b[1].ms - a[1].ms);
      const kernels = rows.reduce((s, [, e]) => s + e.ms, 0);
      console.log(`  profiled step ${total.toFixed(1)} ms, in kernels ${kernels.toFixed(1)} ms`);
      for (const [k, e] of rows.slice(0, 40))
        console.log(
          `  ${k.padEnd(44)} ${e.ms.toFixed(2).padStart(8)} ms ${String(e.calls).padStart(5)} calls`,
        );
    }
  }
  process.exit(0);
}

await main();
