// The model worker: every tensor runs here, so the page never freezes. It holds the active backend, the loaded
// BERT and GPT (as @tsformer/pipelines pipelines), the reference tokenizers of the Tokenize panel, and runs one
// long job at a time (generation, training) that a `cancel` message stops between two steps.
import type { BertForPreTraining } from '@tsformer/bert';
import { GPT2Config, GPT2LMHeadModel } from '@tsformer/gpt';
import {
  baseModel,
  type FeatureExtractionPipeline,
  type FillMaskPipeline,
  type FillMaskResult,
  type NextSentencePredictionPipeline,
  pipeline,
  type SourceInput,
  type TextGenerationPipeline,
} from '@tsformer/pipelines';
import { causalLmBatch, causalLmLoss, trainStepAsync } from '@tsformer/pretraining-objectives';
import {
  type Backend,
  createCpuBackend,
  Generator,
  getBackend,
  matmul,
  noGrad,
  randn,
  readAndDispose,
  setBackend,
  type Tensor,
  tensor,
  tidy,
} from '@tsformer/tensor';
import { AdamW, cosineWithWarmup } from '@tsformer/tensor/optim';
import { ByteLevelBpeTokenizer, CharTokenizer, WordPieceTokenizer } from '@tsformer/tokenizer';
import { importGpu } from './gpu-import.js';
import type {
  ActiveBackend,
  AttentionMap,
  BackendKind,
  BackendStatus,
  FillMaskCandidate,
  FromWorker,
  ModelSummary,
  Request,
  TokenizeResult,
  TokenView,
  ToWorker,
  TrainConfig,
  WorkerEvent,
} from './protocol.ts';

interface Scope {
  postMessage(message: FromWorker): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  crossOriginIsolated?: boolean;
  navigator: { hardwareConcurrency?: number };
}
const scope = self as unknown as Scope;
const post = (m: FromWorker): void => scope.postMessage(m);

/** Lets queued messages (a cancel) in between two steps of a long job. */
const breathe = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

// ---- backends --------------------------------------------------------------------------------------------

type GpuModule = {
  createGpuBackend?: (o: { mode?: string; GPU?: unknown }) => Backend & {
    ready: Promise<void>;
    mode: string;
  };
  unavailable?: string;
};

let gpuModule: Promise<GpuModule> | null = null;
/** `@tsformer/tensor/gpu`, or the reason it is not in this build (see vite.config.ts). */
function loadGpu(): Promise<GpuModule> {
  gpuModule ??= importGpu().then(
    (m) => m as unknown as GpuModule,
    (e: unknown) => ({ unavailable: `gpu.js backend failed to load: ${(e as Error).message}` }),
  );
  return gpuModule;
}

const LABELS: Record<BackendKind, string> = {
  webgl2: 'gpu.js WebGL2',
  webgpu: 'gpu.js WebGPU',
  wasm: 'WebAssembly',
  js: 'plain JS',
};

async function createBackend(kind: BackendKind): Promise<{ backend: Backend; detail: string }> {
  if (kind === 'wasm' || kind === 'js') {
    const b = createCpuBackend(kind === 'js' ? { wasm: false, threads: 1 } : {});
    // no wait for the worker threads: products run on this thread until they are up (saves the first token ~0.1 s)
    void b.ready;
    if (kind === 'wasm' && b.gemm.kind !== 'wasm-simd') {
      b.dispose?.();
      throw new Error('this browser has no WebAssembly SIMD');
    }
    const threads = b.gemm.threads;
    const why =
      kind === 'js'
        ? 'TypeScript loops, one thread'
        : scope.crossOriginIsolated
          ? `SIMD, ${threads} thread${threads === 1 ? '' : 's'}`
          : 'SIMD, 1 thread (the page is not cross-origin isolated: serve it with COOP/COEP for threads)';
    return { backend: b, detail: why };
  }
  const gpu = await loadGpu();
  if (!gpu.createGpuBackend) throw new Error(gpu.unavailable ?? 'gpu.js backend not available in this build');
  const b = gpu.createGpuBackend({ mode: kind });
  await b.ready;
  return {
    backend: b,
    detail: `${b.mode}${/swiftshader/i.test(rendererName()) ? ' (SwiftShader: emulated on the CPU)' : ''}`,
  };
}

function rendererName(): string {
  try {
    const c = new OffscreenCanvas(1, 1).getContext('webgl2');
    if (!c) return '';
    const ext = c.getExtension('WEBGL_debug_renderer_info');
    return String(c.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : c.RENDERER));
  } catch {
    return '';
  }
}

/** GFLOP/s of a 256³ product on the current backend (after one warm-up), the result read back each time. */
async function measure(): Promise<number> {
  const n = 256;
  const a = randn([n, n], { seed: 1 });
  const b = randn([n, n], { seed: 2 });
  let reps = 0;
  let ms: number;
  try {
    await readAndDispose(matmul(a, b));
    const start = performance.now();
    while (performance.now() - start < 150 || reps < 2) {
      await readAndDispose(matmul(a, b));
      reps++;
    }
    ms = (performance.now() - start) / reps;
  } finally {
    a.dispose();
    b.dispose();
  }
  return (2 * n * n * n) / (ms * 1e6);
}

let active: ActiveBackend | null = null;
let activeBackend: Backend | null = null;

async function probe(kind: BackendKind): Promise<BackendStatus> {
  const previous = getBackend();
  try {
    const { backend, detail } = await createBackend(kind);
    setBackend(backend);
    try {
      const gflops = await measure();
      return { kind, label: LABELS[kind], available: true, detail, gflops };
    } finally {
      setBackend(previous);
      if (backend !== activeBackend) backend.dispose?.();
    }
  } catch (e) {
    setBackend(previous);
    return { kind, label: LABELS[kind], available: false, detail: (e as Error).message };
  }
}

let statuses: Promise<BackendStatus[]> | null = null;
function backendStatuses(): Promise<BackendStatus[]> {
  statuses ??= (async () => {
    const out: BackendStatus[] = [];
    for (const kind of ['webgl2', 'webgpu', 'wasm', 'js'] as const) out.push(await probe(kind));
    return out;
  })();
  return statuses;
}

async function useBackend(kind: BackendKind | 'auto'): Promise<ActiveBackend> {
  let chosen: BackendKind;
  let fallback: string | undefined;
  if (kind === 'auto') {
    const all = (await backendStatuses()).filter((s) => s.available);
    all.sort((a, b) => (b.gflops ?? 0) - (a.gflops ?? 0));
    chosen = all[0]?.kind ?? 'js';
    const skipped = (await backendStatuses()).filter((s) => s.kind !== chosen && !s.available);
    fallback = skipped.length
      ? `fastest that works here (${skipped.map((s) => `${s.label}: ${s.detail}`).join('; ')})`
      : 'fastest that works here';
  } else chosen = kind;
  let made: { backend: Backend; detail: string };
  try {
    made = await createBackend(chosen);
  } catch (e) {
    fallback = `${LABELS[chosen]} failed (${(e as Error).message}); using WebAssembly`;
    chosen = 'wasm';
    made = await createBackend('wasm');
  }
  const old = activeBackend;
  setBackend(made.backend);
  activeBackend = made.backend;
  active = { kind: chosen, label: LABELS[chosen], detail: made.detail, fallback };
  // the models' weights live on the old backend: load them again on the new one
  const reload = [...sources.entries()];
  disposeModels();
  if (old && old !== made.backend) old.dispose?.();
  for (const [which, src] of reload) await loadModel(which, src);
  return active;
}

// ---- models ----------------------------------------------------------------------------------------------

interface Bert {
  fill: FillMaskPipeline;
  nsp: NextSentencePredictionPipeline;
  features: FeatureExtractionPipeline;
}
let bert: Bert | null = null;
let gpt: TextGenerationPipeline | null = null;
const summaries = new Map<'bert' | 'gpt', ModelSummary>();
type Src = { url?: string; files?: File[]; shipped?: boolean };
const sources = new Map<'bert' | 'gpt', Src>();

function disposeModels(): void {
  bert?.fill.dispose();
  gpt?.dispose();
  bert = null;
  gpt = null;
}

const SHIPPED_FILES = ['config.json', 'model.safetensors', 'tokenizer.json'];

/** The shipped models: their three files fetched at once, in parallel (no HEAD or range round trips). */
async function shippedSource(url: string): Promise<SourceInput> {
  const base = url.endsWith('/') ? url : `${url}/`;
  const entries = await Promise.all(
    SHIPPED_FILES.map(async (name) => {
      const r = await fetch(base + name);
      if (!r.ok) throw new Error(`${base}${name}: HTTP ${r.status}`);
      return [name, await r.arrayBuffer()] as const;
    }),
  );
  return Object.fromEntries(entries);
}

async function loadModel(
  which: 'bert' | 'gpt',
  src: Src,
  report?: (e: WorkerEvent) => void,
): Promise<ModelSummary> {
  const start = performance.now();
  const input: SourceInput = src.files ? src.files : src.shipped ? await shippedSource(src.url!) : src.url!;
  const options = {
    onProgress: report
      ? (p: unknown) => {
          const q = p as { loaded?: number; total?: number; done?: number; name?: string };
          const done = q.loaded ?? q.done;
          report({
            type: 'progress',
            text: `loading ${which}${q.name ? `: ${q.name}` : ''}`,
            fraction: done !== undefined && q.total ? done / q.total : undefined,
          });
        }
      : undefined,
    onWarning: (m: string) => console.warn(m),
  };
  let summary: ModelSummary;
  const describe = src.files ? `${src.files.length} files` : (src.url ?? '');
  if (which === 'bert') {
    const fill = await pipeline('fill-mask', input, options);
    const inMemory = { model: fill.model, tokenizer: fill.tokenizer };
    const next = {
      fill,
      nsp: await pipeline('next-sentence-prediction', inMemory),
      features: await pipeline('feature-extraction', inMemory),
    };
    bert?.fill.dispose();
    bert = next;
    const c = fill.model.config as {
      numHiddenLayers: number;
      numAttentionHeads: number;
      hiddenSize: number;
      vocabSize: number;
      maxPositionEmbeddings: number;
    };
    summary = {
      which,
      source: describe,
      architecture: fill.info.architecture,
      parameters: countParams(fill.model),
      layers: c.numHiddenLayers,
      heads: c.numAttentionHeads,
      width: c.hiddenSize,
      vocabSize: c.vocabSize,
      context: c.maxPositionEmbeddings,
      tokenizer: `${fill.tokenizer.kind} ${fill.tokenizer.vocabSize}`,
      loadMs: performance.now() - start,
    };
  } else {
    const next = await pipeline('text-generation', input, options);
    gpt?.dispose();
    gpt = next;
    const c = next.model.config as GPT2Config;
    summary = {
      which,
      source: describe,
      architecture: next.info.architecture,
      parameters: countParams(next.model),
      layers: c.nLayer,
      heads: c.nHead,
      width: c.nEmbd,
      vocabSize: c.vocabSize,
      context: c.nPositions,
      tokenizer: `${next.tokenizer.kind} ${next.tokenizer.vocabSize}`,
      loadMs: performance.now() - start,
    };
  }
  sources.set(which, src);
  summaries.set(which, summary);
  return summary;
}

function countParams(model: { namedParameters(): [string, Tensor][] }): number {
  let n = 0;
  for (const [, p] of model.namedParameters()) n += p.size;
  return n;
}

function needBert(): Bert {
  if (!bert) throw new Error('no BERT loaded (Models panel)');
  return bert;
}
function needGpt(): TextGenerationPipeline {
  if (!gpt) throw new Error('no GPT loaded (Models panel)');
  return gpt;
}

// ---- tokenize ---------------------------------------------------------------------------------------------

let references: Promise<{ wp: WordPieceTokenizer; bpe: ByteLevelBpeTokenizer }> | null = null;
function referenceTokenizers(): Promise<{ wp: WordPieceTokenizer; bpe: ByteLevelBpeTokenizer }> {
  references ??= (async () => {
    const text = async (path: string): Promise<string> => {
      const r = await fetch(new URL(path, assetBase));
      if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
      return r.text();
    };
    const [vocab, encoder, merges] = await Promise.all([
      text('vocab/bert-base-uncased/vocab.txt'),
      text('vocab/gpt2/encoder.json'),
      text('vocab/gpt2/vocab.bpe'),
    ]);
    return {
      wp: WordPieceTokenizer.fromVocabText(vocab),
      bpe: ByteLevelBpeTokenizer.fromFiles(encoder, merges),
    };
  })();
  return references;
}

async function tokenize(text: string, pair?: string): Promise<TokenizeResult> {
  const { wp, bpe } = await referenceTokenizers();
  const w = wp.encodeWithOffsets(text);
  const b = bpe.encodeWithOffsets(text);
  const view = (
    t: string,
    ids: number[],
    offsets: [number, number][],
    name: (id: number) => string,
  ): TokenView[] =>
    ids.map((id, i) => {
      const o = offsets[i] ?? [0, 0];
      return { id, token: name(id), text: o[1] > o[0] ? t.slice(o[0], o[1]) : name(id), offset: o };
    });
  let pairView: TokenView[] | null = null;
  if (pair !== undefined && pair !== '') {
    const enc = wp.encodePair(text, pair);
    pairView = enc.inputIds.map((id, i) => {
      const o = enc.offsets[i] ?? [0, 0];
      const src = enc.sequenceIds[i] === 1 ? pair : text;
      const token = wp.tokens[id] ?? '?';
      return {
        id,
        token,
        text: enc.specialTokensMask[i] ? token : src.slice(o[0], o[1]),
        offset: o as [number, number],
        segment: enc.tokenTypeIds[i] ?? 0,
      };
    });
  }
  return {
    wordpiece: view(text, w.ids, w.offsets, (id) => wp.tokens[id] ?? '?'),
    bpe: view(text, b.ids, b.offsets, (id) => bpe.idToToken(id) ?? '?'),
    pair: pairView,
  };
}

// ---- BERT -------------------------------------------------------------------------------------------------

async function fillMask(text: string, topK: number): Promise<FillMaskCandidate[][]> {
  const { fill } = needBert();
  const out = await fill(text, { top_k: topK });
  const lists = (Array.isArray(out[0]) ? out : [out]) as FillMaskResult[][];
  return lists.map((l) => l.map((c) => ({ token: c.token_str, score: c.score, sequence: c.sequence })));
}

async function similarity(text: string): Promise<{ tokens: string[]; matrix: Float32Array }> {
  const { features, fill } = needBert();
  const enc = fill.tokenizer.encode(text);
  const tokens = enc.inputIds.map((id) => fill.tokenizer.tokenString(id));
  const f = await features(text, { pooling: 'none', normalize: true });
  const [, t, c] = f.dims as [number, number, number];
  const m = new Float32Array(t * t);
  for (let i = 0; i < t; i++)
    for (let j = 0; j < t; j++) {
      let s = 0;
      for (let k = 0; k < c; k++) s += f.data[i * c + k]! * f.data[j * c + k]!;
      m[i * t + j] = s;
    }
  return { tokens: tokens.slice(0, t), matrix: m };
}

// ---- attention --------------------------------------------------------------------------------------------

/** Each layer's attention [1,H,T,T], read and freed, as H maps of T·T. */
async function readAttentions(attentions: Tensor[]): Promise<Float32Array[][]> {
  try {
    const maps: Float32Array[][] = [];
    for (const a of attentions) {
      const [, h, t] = a.shape as [number, number, number, number];
      const data = await a.data();
      maps.push(
        Array.from({ length: h }, (_, k) => Float32Array.from(data.subarray(k * t * t, (k + 1) * t * t))),
      );
    }
    return maps;
  } finally {
    for (const a of attentions) a.dispose();
  }
}

async function attention(text: string): Promise<{ bert: AttentionMap | null; gpt: AttentionMap | null }> {
  let b: AttentionMap | null = null;
  let g: AttentionMap | null = null;
  if (bert) {
    const tok = bert.fill.tokenizer;
    const enc = tok.encode(text);
    const t = enc.inputIds.length;
    const maps = await readAttentions(
      noGrad(() =>
        tidy(() => {
          const base = baseModel(bert!.fill.model as BertForPreTraining) as BertForPreTraining['bert'];
          const out = base.forward({
            inputIds: tensor(Int32Array.from(enc.inputIds), [1, t]),
            tokenTypeIds: tensor(Int32Array.from(enc.tokenTypeIds), [1, t]),
            attentionMask: tensor(Int32Array.from(enc.attentionMask), [1, t]),
            outputAttentions: true,
          });
          return out.attentions ?? [];
        }),
      ),
    );
    b = { tokens: enc.inputIds.map((id) => tok.tokenString(id)), maps };
  }
  if (gpt) {
    const tok = gpt.tokenizer;
    const ids = tok.encodeText(text);
    const t = ids.length;
    if (t > 0) {
      const maps = await readAttentions(
        noGrad(() =>
          tidy(() => {
            const base = (gpt!.model as GPT2LMHeadModel).transformer;
            const out = base.forward({
              inputIds: tensor(Int32Array.from(ids), [1, t]),
              outputAttentions: true,
            });
            return out.attentions ?? [];
          }),
        ),
      );
      g = { tokens: ids.map((id) => tok.decode([id], true)), maps };
    }
  }
  return { bert: b, gpt: g };
}

// ---- GPT --------------------------------------------------------------------------------------------------

async function generate(
  r: Extract<Request, { type: 'generate' }>,
  signal: AbortSignal,
  emit: (e: WorkerEvent) => void,
): Promise<{ text: string; tokens: number; tokensPerSecond: number; firstTokenMs: number; finish: string }> {
  const g = needGpt();
  const start = performance.now();
  let first = 0;
  let pieces = 0;
  let text = '';
  const stream = g.stream(r.prompt, {
    max_new_tokens: r.maxNewTokens,
    do_sample: !r.greedy,
    temperature: r.temperature,
    top_k: r.topK,
    top_p: r.topP,
    seed: r.seed,
    signal,
    return_full_text: false,
  });
  let step = await stream.next();
  while (!step.done) {
    pieces++;
    if (pieces === 1) first = performance.now() - start;
    text += step.value;
    const elapsed = (performance.now() - start) / 1000;
    emit({
      type: 'token',
      text: step.value,
      tokens: pieces,
      tokensPerSecond: pieces / elapsed,
      firstTokenMs: first,
    });
    await breathe();
    step = await stream.next();
  }
  const tokens = g.tokenizer.encodeText(text).length;
  const secs = (performance.now() - start) / 1000;
  return {
    text,
    tokens,
    tokensPerSecond: tokens / secs,
    firstTokenMs: first,
    finish: step.value.finish_reason,
  };
}

// ---- train here -------------------------------------------------------------------------------------------

async function train(
  c: TrainConfig,
  signal: AbortSignal,
  emit: (e: WorkerEvent) => void,
): Promise<{ steps: number; first: number; last: number }> {
  const tok = CharTokenizer.fromText(c.text);
  const ids = tok.encode(c.text);
  if (ids.length < c.context + 2)
    throw new Error(`the text is too short: ${ids.length} characters, need ${c.context + 2}`);
  const model = new GPT2LMHeadModel(
    new GPT2Config({
      vocabSize: tok.vocabSize,
      nPositions: c.context,
      nEmbd: c.width,
      nLayer: c.layers,
      nHead: c.heads,
      residPdrop: 0,
      embdPdrop: 0,
      attnPdrop: 0,
      bosTokenId: null,
      eosTokenId: null,
    }),
    { seed: c.seed },
  );
  const sampler = await pipeline('text-generation', { model, tokenizer: tok });
  const opt = new AdamW(model.parameters(), { lr: c.lr, weightDecay: 0.01, betas: [0.9, 0.99] });
  const lrAt = cosineWithWarmup({
    warmupSteps: Math.min(10, Math.floor(c.steps / 10)),
    totalSteps: c.steps,
    maxLr: c.lr,
    minLr: c.lr / 10,
  });
  const rng = new Generator(c.seed + 1);
  const b = c.batchSize;
  const t = c.context;
  const start = performance.now();
  let trainMs = 0;
  let firstLoss = Number.NaN;
  let lastLoss = Number.NaN;
  let step = 0;
  const sample = async (): Promise<void> => {
    model.train(false);
    const seedText = c.text.slice(0, 12);
    const [out] = await sampler(seedText, {
      max_new_tokens: Math.max(1, Math.min(60, c.context - 13)),
      temperature: 0.8,
      top_k: 20,
      seed: step,
    });
    model.train(true);
    emit({ type: 'sample', step, text: out!.generated_text });
  };
  try {
    model.train(true);
    for (step = 1; step <= c.steps && !signal.aborted; step++) {
      const t0 = performance.now();
      const batch = causalLmBatch(ids, { blockSize: t, batchSize: b, rng });
      // reads the loss after the whole step is queued: the same step on every backend, WebGPU's included
      const r = await trainStepAsync({
        model,
        optimizer: opt,
        batch,
        gradClip: 1,
        lr: lrAt(step - 1),
        lossFn: (m, x) =>
          causalLmLoss(m.forward({ inputIds: tensor(x.inputIds, [b, t]) }).logits, tensor(x.targets, [b, t])),
      });
      trainMs += performance.now() - t0;
      if (!r.finite) throw new Error(`the loss is ${r.loss} at step ${step}; try a lower learning rate`);
      if (step === 1) firstLoss = r.loss;
      lastLoss = r.loss;
      emit({
        type: 'train-step',
        step,
        loss: r.loss,
        tokensPerSecond: (step * b * t) / (trainMs / 1000),
        elapsedMs: performance.now() - start,
      });
      if (c.sampleEvery > 0 && step % c.sampleEvery === 0) await sample();
      await breathe();
    }
    step--;
    if (c.sampleEvery > 0 && step % c.sampleEvery !== 0 && step > 0) await sample();
  } finally {
    for (const s of opt.state.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    sampler.dispose();
  }
  return { steps: step, first: firstLoss, last: lastLoss };
}

// ---- dispatch ---------------------------------------------------------------------------------------------

let assetBase = '';
const running = new Map<number, AbortController>();
const cancelled = new Set<number>();

async function handle(id: number, r: Request): Promise<unknown> {
  const controller = new AbortController();
  if (cancelled.delete(id)) controller.abort();
  running.set(id, controller);
  const emit = (event: WorkerEvent): void => post({ id, kind: 'event', event });
  try {
    switch (r.type) {
      case 'backends':
        return await backendStatuses();
      case 'use-backend':
        return await useBackend(r.kind);
      case 'load':
        return await loadModel(r.which, { url: r.url, files: r.files, shipped: r.shipped }, emit);
      case 'tokenize':
        return await tokenize(r.text, r.pair);
      case 'fill-mask':
        return await fillMask(r.text, r.topK);
      case 'nsp':
        return await needBert().nsp(r.a, r.b);
      case 'similarity':
        return await similarity(r.text);
      case 'attention':
        return await attention(r.text);
      case 'generate':
        return await generate(r, controller.signal, emit);
      case 'train':
        return await train(r, controller.signal, emit);
    }
  } finally {
    running.delete(id);
  }
}

// one request at a time, in order (a cancel skips the queue)
let queue: Promise<void> = Promise.resolve();
scope.onmessage = (e) => {
  const m = e.data;
  if ('cancel' in m) {
    const c = running.get(m.id);
    if (c) c.abort();
    else cancelled.add(m.id);
    return;
  }
  queue = queue.then(async () => {
    try {
      const result = await handle(m.id, m.request);
      post({ id: m.id, kind: 'done', result });
    } catch (err) {
      post({ id: m.id, kind: 'error', message: (err as Error).message ?? String(err) });
    }
  });
};

// the worker's script sits one folder below the site root (assets/ when built, src/ in dev), so the public
// files resolve from any host path
assetBase = new URL('..', location.href).toString();
post({ id: 0, kind: 'status', text: 'worker ready' });
