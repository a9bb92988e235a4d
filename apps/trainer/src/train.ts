// The training loop shared by GPT (causal LM) and BERT (MLM + NSP): data, model, AdamW with a schedule, a
// time budget turned into steps, evaluation, logs and the loss chart, checkpoints, --resume, Ctrl-C, NaN stops.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BertConfig, BertForPreTraining } from '@tsformer/bert';
import { GPT2Config, GPT2LMHeadModel } from '@tsformer/gpt';
import { tokenizerFiles as pipelineTokenizerFiles } from '@tsformer/pipelines';
import {
  bertPretrainingBatch,
  type CausalLmBatch,
  causalLmBatch,
  causalLmLoss,
  causalLmWindows,
  countCorrect,
  type LossOutput,
  type MlmBatchOptions,
  type MlmPairBatch,
  type NspPair,
  type PairBatchOptions,
  type SplitByLengthOptions,
  sampleNspPairs,
  selectMaskedPositions,
  splitByLength,
  trainStep,
  trainStepAsync,
} from '@tsformer/pretraining-objectives';
import {
  add,
  argmax,
  type Backend,
  concat,
  createCpuBackend,
  crossEntropy,
  fromSafetensors,
  Generator,
  getBackend,
  mul,
  noGrad,
  prefetch,
  readAndDispose,
  reshape,
  setBackend,
  type Tensor,
  tensor,
  tidy,
  toSafetensors,
  zeros,
} from '@tsformer/tensor';
import { Dropout, type Module } from '@tsformer/tensor/nn';
import { AdamW, constantLr, cosineWithWarmup, linearWithWarmup, type Schedule } from '@tsformer/tensor/optim';
import type { WordPieceTokenizer } from '@tsformer/tokenizer';
import { loadTokenizer } from '@tsformer/tokenizer/node';
import { lineChartSvg, smooth } from './chart.ts';
import {
  CheckpointError,
  findCheckpoint,
  type GeneratorState,
  readTrainerState,
  recoverCheckpoint,
  saveCheckpoint,
  type TrainerState,
} from './checkpoint.ts';
import {
  configDifferences,
  parseDuration,
  RESUMABLE_CHANGES,
  type TrainConfig,
  UsageError,
} from './config.ts';
import { DataError, type Document, loadCorpus, type Split, sentencesOf, splitCorpus } from './data.ts';
import { fillMask, generateText, nextSentenceProbability } from './inference.ts';
import { watchInterrupts } from './interrupt.ts';
import { formatTime, type Progress } from './progress.ts';
import {
  type AnyTokenizer,
  bertSpecialIds,
  buildTokenizer,
  continuationTable,
  encodeWithOffsets,
  endOfTextId,
  tokenizerFiles,
} from './tokenize.ts';

/**
 * The gpu.js backend (`@tsformer/tensor/gpu`) for `--device gpu` (the first that works of WebGPU and headless-gl),
 * `--device webgpu` (WebGPU through the optional `webgpu` package, Dawn on Vulkan: on a headless GPU server the
 * path that reaches the GPU) or `--device headlessgl` (WebGL through the `gl` package, under `xvfb-run -a` where
 * there is no display: on a headless server that is Mesa's renderer on the CPU, hence second). When none works,
 * the error names each path tried and why. `flag` is the option as the user gave it, for the message.
 */
export async function gpuBackend(
  device: 'gpu' | 'headlessgl' | 'webgpu' = 'gpu',
  flag = `--device ${device}`,
): Promise<Backend> {
  const { createGpuBackend, installNodeWebGpu } = await import('@tsformer/tensor/gpu');
  const tried: string[] = [];
  if (device !== 'headlessgl') {
    let gpu: ReturnType<typeof createGpuBackend> | null = null;
    try {
      await installNodeWebGpu();
      gpu = createGpuBackend({ mode: 'webgpu' });
      await gpu.ready;
      return gpu;
    } catch (e) {
      gpu?.dispose?.();
      tried.push(`WebGPU: ${(e as Error).message}`);
    }
  }
  if (device !== 'webgpu') {
    try {
      return createGpuBackend({ mode: 'headlessgl' });
    } catch (e) {
      tried.push(`headless-gl: ${(e as Error).message}`);
    }
  }
  throw new UsageError(
    `${flag}: no GPU path works here (${tried.join('; ')}). WebGPU needs the optional \`webgpu\` package and a Vulkan driver (without a GPU, VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json); headless-gl needs the gl package's system libraries (scripts/setup-gpu.sh) and a display, e.g. \`xvfb-run -a pnpm train --device gpu\`; or train on the CPU with --device cpu (the default).`,
  );
}

/** Seed of the fixed BERT validation pairs, the same for every run so that figures compare. */
const EVAL_SEED = 20_240_601;

export interface TrainIO {
  /** lines for people (evaluations, samples, the summary) */
  print: (line: string) => void;
  progress: Progress;
  /** the folder relative paths are read from (the user's, not the package's) */
  cwd: string;
  /** aborting it acts like Ctrl-C: save and stop after the current step */
  signal?: AbortSignal;
}

export interface TrainOptions {
  resume: boolean;
  /** the keys the command line set (compared with the stored run on --resume) */
  fromFlags: ReadonlySet<keyof TrainConfig>;
}

export interface TrainResult {
  /** 0 done, 1 stopped on a NaN/inf loss, 130 interrupted (checkpoint saved) */
  exitCode: number;
  out: string;
  step: number;
  final?: Record<string, number>;
}

type Metrics = Record<string, number>;

interface Objective<B> {
  model: Module & { toPretrainedBytes(): { configJson: string; safetensors: Uint8Array } };
  /** 'tok' or 'seq', for tokens/s or sequences/s */
  unit: string;
  unitsPerStep: number;
  makeBatch(rng: Generator): B;
  lossFn(model: Module, batch: B): LossOutput;
  /** validation figures; `full` scores the whole split */
  evaluate(full: boolean): Promise<Metrics>;
  /** a one-line summary of evaluation figures */
  describe(m: Metrics): string;
  /** printed at evaluations (GPT: a sample) */
  sample?(): Promise<string>;
  /** printed at the end (GPT: a sample; BERT: fill-mask predictions and NSP judgements) */
  finalReport(print: (line: string) => void): Promise<void>;
  title: string;
}

// ---- GPT -------------------------------------------------------------------------------------------------

function gptObjective(config: TrainConfig, split: Split, tokenizer: AnyTokenizer): Objective<CausalLmBatch> {
  const trainIds = Int32Array.from(tokenizer.encode(split.trainText));
  const t = config.context;
  if (trainIds.length < t + 1) {
    throw new DataError(
      `the training text is shorter than one block: ${trainIds.length} tokens, but --context is ${t} (plus one target). Give more text or a smaller --context.`,
    );
  }
  const val = encodeWithOffsets(tokenizer, split.validationText);
  if (val.ids.length < 2)
    throw new DataError('the validation text has fewer than 2 tokens: give more text or more --val-docs');
  const eot = endOfTextId(tokenizer);
  const gptConfig = new GPT2Config({
    vocabSize: tokenizer.vocabSize,
    nPositions: t,
    nEmbd: config.nEmbd,
    nLayer: config.nLayer,
    nHead: config.nHead,
    nInner: config.nInner,
    residPdrop: config.dropout,
    embdPdrop: config.dropout,
    attnPdrop: config.dropout,
    bosTokenId: eot,
    eosTokenId: eot,
  });
  const model = new GPT2LMHeadModel(gptConfig, { seed: config.seed });
  const windows = causalLmWindows(val.ids, t);
  const b = config.batchSize;

  const evaluate = async (full: boolean): Promise<Metrics> => {
    let use = windows;
    if (!full && config.evalTokens > 0) {
      let n = 0;
      use = [];
      for (const w of windows) {
        if (n >= config.evalTokens) break;
        use.push(w);
        n += w.targets.length;
      }
    }
    /** the summed cross-entropy of one forward pass, read with `await` (every backend's read) */
    const nll = async (
      ids: Int32Array | number[],
      targets: Int32Array | number[],
      rows: number,
      n: number,
    ) => {
      const sum = noGrad(() =>
        tidy(() => {
          const logits = model.forward({ inputIds: tensor(ids, [rows, n]) }).logits;
          return crossEntropy(reshape(logits, [-1, gptConfig.vocabSize]), tensor(targets, [targets.length]), {
            reduction: 'sum',
          });
        }),
      );
      return (await readAndDispose(sum))[0]!;
    };
    model.eval();
    let nats = 0;
    let count = 0;
    try {
      const fullWindows = use.filter((w) => w.inputIds.length === t);
      const chunk = Math.max(1, b * 2);
      for (let i = 0; i < fullWindows.length; i += chunk) {
        const group = fullWindows.slice(i, i + chunk);
        const ids = new Int32Array(group.length * t);
        const targets = new Int32Array(group.length * t);
        group.forEach((w, k) => {
          ids.set(w.inputIds, k * t);
          targets.set(w.targets, k * t);
        });
        nats += await nll(ids, targets, group.length, t);
        count += targets.length;
      }
      for (const w of use.filter((x) => x.inputIds.length < t)) {
        nats += await nll(w.inputIds, w.targets, 1, w.inputIds.length);
        count += w.inputIds.length;
      }
    } finally {
      model.train();
    }
    // the characters the predicted tokens (1 … count) cover
    const chars = val.ends[count]! - val.ends[0]!;
    const loss = nats / count;
    return {
      valLoss: loss,
      perplexity: Math.exp(loss),
      bitsPerChar: nats / chars / Math.LN2,
      valTokens: count,
      valChars: chars,
    };
  };

  const sample = (tokens: number): Promise<string> =>
    generateText(model, tokenizer, config.prompt, {
      maxNewTokens: tokens,
      temperature: 0.8,
      topK: 40,
      seed: 0,
    });

  return {
    model,
    unit: 'tok',
    unitsPerStep: b * t,
    title: `GPT ${config.nLayer}×${config.nEmbd}, ${config.tokenizer}-${tokenizer.vocabSize}, context ${t}`,
    makeBatch: (rng) => causalLmBatch(trainIds, { blockSize: t, batchSize: b, rng }),
    lossFn: (m, batch) =>
      causalLmLoss(
        (m as GPT2LMHeadModel).forward({ inputIds: tensor(batch.inputIds, [b, t]) }).logits,
        tensor(batch.targets, [b, t]),
      ),
    evaluate,
    describe: (m) =>
      `val loss ${m.valLoss!.toFixed(4)} | perplexity ${m.perplexity!.toFixed(2)} | ${m.bitsPerChar!.toFixed(4)} bits/char (${m.valTokens} tokens)`,
    sample: config.sampleTokens > 0 ? () => sample(config.sampleTokens) : undefined,
    finalReport: async (print) => {
      print('');
      print(`Sample (prompt ${JSON.stringify(config.prompt)}, temperature 0.8, top-k 40):`);
      print(`${config.prompt}${await sample(Math.max(config.sampleTokens, 120))}`);
    },
  };
}

// ---- BERT ------------------------------------------------------------------------------------------------

function sentenceDocuments(
  docs: readonly Document[],
  tokenizer: WordPieceTokenizer,
  what: string,
): number[][][] {
  const encode = (texts: string[]) => texts.map((s) => tokenizer.encode(s)).filter((ids) => ids.length > 0);
  let out = docs.map((d) => encode(sentencesOf(d.text)));
  if (out.filter((d) => d.length > 0).length < 2) {
    // one document: its paragraphs become the documents negatives are drawn from
    out = docs.flatMap((d) => d.text.split(/\n\s*\n/).map((p) => encode(sentencesOf(p))));
  }
  if (out.filter((d) => d.length > 0).length < 2 || !out.some((d) => d.length >= 2)) {
    throw new DataError(
      `BERT's next-sentence pairs need, in the ${what} split, two documents (or paragraphs) and one with two sentences: give more text${what === 'validation' ? ' or more --val-docs' : ''}`,
    );
  }
  return out;
}

/** BERT's data as the trainer builds it (exported for bench/export-pairs.ts, the PyTorch comparison). */
export interface BertData {
  ids: ReturnType<typeof bertSpecialIds>;
  /** documents → sentences → token ids */
  trainDocs: number[][][];
  valDocs: number[][][];
  /** what `bertPretrainingBatch` gets besides `rng` */
  batchOptions: Omit<PairBatchOptions & MlmBatchOptions, 'rng'>;
  /** the fixed validation pairs (seed EVAL_SEED) and their masked batches of 64 */
  evalPairs: NspPair[];
  evalBatches: MlmPairBatch[];
}

export function bertData(config: TrainConfig, split: Split, tokenizer: WordPieceTokenizer): BertData {
  const ids = bertSpecialIds(tokenizer);
  const trainDocs = sentenceDocuments(split.train, tokenizer, 'training');
  const valDocs = sentenceDocuments(split.validation, tokenizer, 'validation');
  const cont = continuationTable(tokenizer);
  const batchOptions = {
    clsId: ids.cls,
    sepId: ids.sep,
    padId: ids.pad,
    maxLength: config.context,
    maskTokenId: ids.mask,
    vocabSize: tokenizer.vocabSize,
    maskProb: config.mlmProb,
    specialIds: [ids.unk, ids.mask],
    isContinuation: config.wholeWordMask ? (id: number) => cont[id] === 1 : undefined,
  };
  // fixed validation pairs and masks, the same for every run and seed
  const evalRng = new Generator(EVAL_SEED);
  const evalPairs = sampleNspPairs(valDocs, config.evalPairs, { rng: evalRng });
  const evalBatches: MlmPairBatch[] = [];
  for (let i = 0; i < evalPairs.length; i += 64) {
    evalBatches.push(bertPretrainingBatch(evalPairs.slice(i, i + 64), { ...batchOptions, rng: evalRng }));
  }
  return { ids, trainDocs, valDocs, batchOptions, evalPairs, evalBatches };
}

/** The encoder over a pair batch: the final hidden states of the masked positions, their labels, and the pooler's [CLS]. */
function encodePairs(
  m: BertForPreTraining,
  batch: MlmPairBatch,
): { hidden: Tensor; labels: Tensor; pooled: Tensor } {
  const shape = [batch.batchSize, batch.seqLength];
  const out = m.bert.forward({
    inputIds: tensor(batch.inputIds, shape),
    tokenTypeIds: tensor(batch.tokenTypeIds, shape),
    attentionMask: tensor(batch.attentionMask, shape),
  });
  const sel = selectMaskedPositions(out.lastHiddenState, batch.labels); // [M,C]
  return { hidden: sel.hidden, labels: sel.labels, pooled: out.poolerOutput! };
}

/** BERT's two heads on a pair batch: the MLM logits of the masked positions only, and the NSP logits. */
export function bertPretrainingForward(
  m: BertForPreTraining,
  batch: MlmPairBatch,
): { mlmLogits: Tensor; mlmLabels: Tensor; nspLogits: Tensor; nspLabels: Tensor } {
  const e = encodePairs(m, batch);
  return {
    mlmLogits: mlmHead(m, e.hidden),
    mlmLabels: e.labels,
    nspLogits: m.cls.seq_relationship.forward(e.pooled), // [B,2]
    nspLabels: tensor(batch.nextSentenceLabel, [batch.batchSize]),
  };
}

/**
 * The MLM head only on the predicted positions, [M,C] → [1,M,V]: the same loss as the head over all [B·T]
 * positions, for a fraction of the work.
 */
function mlmHead(m: BertForPreTraining, hidden: Tensor): Tensor {
  return m.cls.predictions.forward(reshape(hidden, [1, ...hidden.shape]));
}

/** The tensors joined along their first axis (one is returned as it is). */
function joinRows(ts: readonly Tensor[]): Tensor {
  return ts.length === 1 ? ts[0]! : concat(ts);
}

/**
 * BERT's pretraining loss, MLM + w · NSP (each a mean; Hugging Face's BertForPreTraining has w = 1), with the
 * encoder run over sub-batches of similar length: sentence pairs vary so much in length that padding to the
 * longest row of a batch wastes about half the work; `splitByLength` cuts it to ~15 %. The sub-batches' masked
 * positions and [CLS] states are then joined and each head runs once: the MLM decoder (tied to the [V,C] word
 * embeddings) makes a dense [V,C] gradient per call, so one call instead of one per sub-batch. The loss and its
 * gradient are the unsplit batch's (up to float rounding).
 */
export function bertPretrainingLoss(
  model: BertForPreTraining,
  batch: MlmPairBatch,
  options: SplitByLengthOptions & { nspWeight?: number } = {},
): { loss: Tensor; mlmLoss: Tensor; nspLoss: Tensor } {
  const hidden: Tensor[] = [];
  const labels: Tensor[] = [];
  const pooled: Tensor[] = [];
  const nspLabels: number[] = [];
  for (const sub of splitByLength(batch, options)) {
    const e = encodePairs(model, sub);
    if (e.labels.size > 0) {
      hidden.push(e.hidden);
      labels.push(e.labels);
    }
    pooled.push(e.pooled);
    for (const l of sub.nextSentenceLabel) nspLabels.push(l);
  }
  // no masked token at all (a batch of one-token pairs): the MLM part is zero, as in a batch without labels
  let mlmLoss: Tensor = zeros([]);
  if (hidden.length > 0) {
    const logits = mlmHead(model, joinRows(hidden)); // [1,M,V]
    mlmLoss = crossEntropy(reshape(logits, [-1, logits.shape[2]!]), joinRows(labels));
  }
  const nspLogits = model.cls.seq_relationship.forward(joinRows(pooled));
  const nspLoss = crossEntropy(nspLogits, tensor(Int32Array.from(nspLabels), [nspLabels.length]));
  const w = options.nspWeight ?? 1;
  return { loss: add(mlmLoss, w === 1 ? nspLoss : mul(nspLoss, w)), mlmLoss, nspLoss };
}

function bertObjective(
  config: TrainConfig,
  split: Split,
  tokenizer: WordPieceTokenizer,
): Objective<MlmPairBatch> {
  const { ids, trainDocs, batchOptions, evalPairs, evalBatches } = bertData(config, split, tokenizer);
  const bertConfig = new BertConfig({
    vocabSize: tokenizer.vocabSize,
    hiddenSize: config.nEmbd,
    numHiddenLayers: config.nLayer,
    numAttentionHeads: config.nHead,
    intermediateSize: config.nInner ?? 4 * config.nEmbd,
    maxPositionEmbeddings: Math.max(config.context, 128),
    hiddenDropoutProb: config.dropout,
    attentionProbsDropoutProb: config.dropout,
    padTokenId: ids.pad,
  });
  const model = new BertForPreTraining(bertConfig, { seed: config.seed });

  const evaluate = async (): Promise<Metrics> => {
    model.eval();
    let mlmNats = 0;
    let masked = 0;
    let mlmCorrect = 0;
    let nspNats = 0;
    let nspCorrect = 0;
    let pairs = 0;
    try {
      for (const batch of evalBatches) {
        const r = noGrad(() =>
          tidy(() => {
            const o = bertPretrainingForward(model, batch);
            const mlmLogits = reshape(o.mlmLogits, [-1, bertConfig.vocabSize]);
            return [
              crossEntropy(mlmLogits, o.mlmLabels, { reduction: 'sum' }),
              crossEntropy(o.nspLogits, o.nspLabels, { reduction: 'sum' }),
              argmax(mlmLogits, -1),
              o.mlmLabels,
              argmax(o.nspLogits, -1),
              o.nspLabels,
            ];
          }),
        );
        const [mlmSum, nspSum, mlmPred, mlmGold, nspPred, nspGold] = await Promise.all(r.map(readAndDispose));
        mlmNats += mlmSum![0]!;
        nspNats += nspSum![0]!;
        mlmCorrect += countCorrect(mlmPred!, mlmGold!).correct;
        nspCorrect += countCorrect(nspPred!, nspGold!).correct;
        masked += mlmGold!.length;
        pairs += batch.batchSize;
      }
    } finally {
      model.train();
    }
    const mlm = mlmNats / masked;
    const nsp = nspNats / pairs;
    return {
      valLoss: mlm + nsp,
      mlmLoss: mlm,
      perplexity: Math.exp(mlm),
      mlmAccuracy: mlmCorrect / masked,
      nspLoss: nsp,
      nspAccuracy: nspCorrect / pairs,
      maskedTokens: masked,
      pairs,
    };
  };

  return {
    model,
    unit: 'seq',
    unitsPerStep: config.batchSize,
    title: `BERT ${config.nLayer}×${config.nEmbd}, wordpiece-${tokenizer.vocabSize}, length ≤ ${config.context}`,
    makeBatch: (rng) =>
      bertPretrainingBatch(
        sampleNspPairs(trainDocs, config.batchSize, {
          rng,
          segmentProb: config.nspSegments,
          cropProb: config.nspCrop,
          maxTokens: config.context - 3,
        }),
        { ...batchOptions, rng },
      ),
    lossFn: (m, batch) =>
      bertPretrainingLoss(m as BertForPreTraining, batch, { nspWeight: config.nspWeight }),
    evaluate: () => evaluate(),
    describe: (m) =>
      `val MLM loss ${m.mlmLoss!.toFixed(4)} | MLM acc ${(100 * m.mlmAccuracy!).toFixed(2)}% | NSP loss ${m.nspLoss!.toFixed(4)} | NSP acc ${(100 * m.nspAccuracy!).toFixed(1)}% (${m.pairs} pairs, ${m.maskedTokens} masked)`,
    finalReport: async (print) => {
      print('');
      print('Fill-mask on held-out sentences (top 5):');
      const sentences = split.validation
        .flatMap((d) => sentencesOf(d.text))
        .filter((s) => {
          const n = s.split(' ').length;
          return n >= 8 && n <= 18;
        });
      for (const s of sentences.filter((_, i) => i % 97 === 0).slice(0, 4)) {
        const words = s.split(' ');
        // mask the longest plain word
        let k = 0;
        words.forEach((w, i) => {
          if (/^[a-z]+$/i.test(w) && w.length > (words[k] ?? '').length) k = i;
        });
        const masked = words.map((w, i) => (i === k ? '[MASK]' : w)).join(' ');
        const preds = (await fillMask(model, tokenizer, masked, 5))[0]!;
        print(`  ${masked}`);
        print(
          `    answer: ${words[k]!.toLowerCase()} | ${preds.candidates.map((c) => `${c.token} ${(100 * c.score).toFixed(1)}%`).join(', ')}`,
        );
      }
      print('');
      print('Next-sentence judgements on held-out pairs (P(IsNext)):');
      for (const p of evalPairs.slice(0, 6)) {
        const a = tokenizer.decode(p.a);
        const b = tokenizer.decode(p.b);
        const prob = await nextSentenceProbability(model, tokenizer, a, b);
        const short = (s: string) => (s.length > 70 ? `${s.slice(0, 67)}…` : s);
        print(
          `  ${p.label === 0 ? 'IsNext ' : 'NotNext'} P=${prob.toFixed(2)} ${prob >= 0.5 === (p.label === 0) ? '✓' : '✗'}  A: ${short(a)}`,
        );
        print(`                      B: ${short(b)}`);
      }
    },
  };
}

// ---- the loop --------------------------------------------------------------------------------------------

/**
 * A file's bytes as a plain Uint8Array. (A Node Buffer would do, but `fromSafetensors` copies tensors with
 * `bytes.slice`, which on a Buffer is a view of the whole file: tensor data would be read from the file's
 * start. Copying into a Uint8Array works around it.)
 */
function readBytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

function dropoutGenerator(model: Module): Generator | null {
  for (const [, m] of model.namedModules()) if (m instanceof Dropout && m.generator) return m.generator;
  return null;
}

function makeSchedule(config: TrainConfig, totalSteps: number): Schedule {
  const o = { warmupSteps: config.warmup, totalSteps, maxLr: config.lr, minLr: config.minLr };
  if (config.decay === 'cosine') return cosineWithWarmup(o);
  if (config.decay === 'linear') return linearWithWarmup(o);
  const flat = constantLr(config.lr);
  return (step) => (step < config.warmup ? (config.lr * step) / Math.max(1, config.warmup) : flat(step));
}

/** AdamW with weight decay on matrices only (nanoGPT's and Hugging Face's grouping). */
function makeOptimizer(config: TrainConfig, model: Module): AdamW {
  const decay: Tensor[] = [];
  const noDecay: Tensor[] = [];
  for (const [, p] of model.namedParameters()) (p.rank >= 2 ? decay : noDecay).push(p);
  return new AdamW(
    [
      { params: decay, options: { weightDecay: config.weightDecay } },
      { params: noDecay, options: { weightDecay: 0 } },
    ],
    { lr: config.lr, betas: [config.beta1, config.beta2], eps: 1e-8 },
  );
}

/** One line of a run's `log.jsonl` (start, train, eval and end records). */
export interface LogRecord {
  type: string;
  step: number;
  [key: string]: unknown;
}

/** The records of a `log.jsonl` (none if it is missing), those after `upToStep` left out when it is given. */
export function readLog(path: string, upToStep?: number): LogRecord[] {
  if (!existsSync(path)) return [];
  const records = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as LogRecord);
  return upToStep === undefined ? records : records.filter((r) => r.step <= upToStep);
}

export async function runTraining(
  initial: TrainConfig,
  options: TrainOptions,
  io: TrainIO,
): Promise<TrainResult> {
  const out = resolve(io.cwd, initial.out);
  let config = initial;
  let state: TrainerState | null = null;
  let checkpointDir: string | null = null;

  if (options.resume) {
    checkpointDir = recoverCheckpoint(out);
    if (checkpointDir === null)
      throw new CheckpointError(
        `--resume: ${out} holds no checkpoint to resume (drop --resume to start a new run)`,
      );
    state = readTrainerState(checkpointDir);
    if (state.model !== config.model) {
      throw new UsageError(
        `--resume: ${out} holds a ${state.model} run; resume it with \`pnpm train ${state.model} --resume --out ${initial.out}\``,
      );
    }
    const diffs = configDifferences(state.config, config, options.fromFlags);
    if (diffs.length > 0) {
      throw new UsageError(
        `--resume: the options disagree with the run in ${out}:\n  ${diffs.join('\n  ')}\nLeave them out (the run keeps its own), or start a new run with another --out.`,
      );
    }
    const kept: Partial<TrainConfig> = {};
    for (const k of RESUMABLE_CHANGES)
      if (options.fromFlags.has(k)) (kept as Record<string, unknown>)[k] = config[k];
    config = { ...state.config, ...kept, out: initial.out };
  } else {
    const existing = findCheckpoint(out);
    if (existing !== null && existsSync(join(existing, 'trainer_state.json'))) {
      let step = '?';
      try {
        step = String(readTrainerState(existing).step);
      } catch {}
      throw new UsageError(
        `${out} already holds a run (checkpoint at step ${step}): continue it with --resume, or start a new one with another --out (or delete the folder)`,
      );
    }
  }

  if (config.device !== 'cpu') setBackend(await gpuBackend(config.device));
  else if (config.threads > 0) setBackend(createCpuBackend({ threads: config.threads }));
  // gpu.js WebGPU reads only asynchronously: then the step is `trainStepAsync` (everything else here awaits anyway)
  const readAsync = (getBackend() as { syncReads?: boolean }).syncReads === false;
  const docs = loadCorpus(config.corpus.map((p) => resolve(io.cwd, p)));
  const split = splitCorpus(docs, config.valDocs);
  const tokenizer = checkpointDir
    ? loadTokenizer(checkpointDir)
    : buildTokenizer(config, split, (p) => resolve(io.cwd, p));
  const objective: Objective<unknown> =
    config.model === 'gpt'
      ? (gptObjective(config, split, tokenizer) as Objective<unknown>)
      : (bertObjective(config, split, tokenizer as WordPieceTokenizer) as Objective<unknown>);
  const model = objective.model;
  const optimizer = makeOptimizer(config, model);
  const dataRng = new Generator(config.seed + 1_000_003);
  const dropoutRng = dropoutGenerator(model);

  if (state && checkpointDir) {
    const weights = fromSafetensors(readBytes(join(checkpointDir, 'model.safetensors')), {
      fileName: 'model.safetensors',
    });
    const { missing } = model.loadStateDict(weights, { strict: false });
    for (const t of Object.values(weights)) t.dispose(); // the parameters hold their own references
    if (missing.length > 0)
      throw new CheckpointError(`${checkpointDir}/model.safetensors lacks ${missing.join(', ')}`);
    const moments = fromSafetensors(readBytes(join(checkpointDir, 'optimizer.safetensors')), {
      fileName: 'optimizer.safetensors',
    });
    const opt = (state as TrainerState & { optimizer?: { step: number; steps: number[] } }).optimizer ?? {
      step: state.step,
      steps: [],
    };
    optimizer.loadStateDict({ step: opt.step, moments, steps: opt.steps });
    dataRng.setState(state.dataRng);
    if (dropoutRng) dropoutRng.setState(state.dropoutRng);
  }

  mkdirSync(out, { recursive: true });
  const logPath = join(out, 'log.jsonl');
  const chartPath = join(out, 'loss.svg');
  const history = readLog(logPath, state?.step ?? -1);
  writeFileSync(logPath, history.map((r) => `${JSON.stringify(r)}\n`).join(''));
  const log = (r: LogRecord) => {
    history.push(r);
    appendFileSync(logPath, `${JSON.stringify(r)}\n`);
  };

  let step = state?.step ?? 0;
  let trainTime = state?.trainTime ?? 0;
  let tokensSeen = state?.tokensSeen ?? 0;
  let sequencesSeen = state?.sequencesSeen ?? 0;
  let totalSteps: number | null = state?.totalSteps ?? config.maxSteps;
  let evalEvery: number | null = state?.evalEvery ?? null;
  let secPerStep: number | null =
    (state as (TrainerState & { secPerStep?: number }) | null)?.secPerStep ?? null;
  const resolveEvalEvery = () => {
    if (typeof config.evalInterval === 'number') evalEvery = Math.max(1, config.evalInterval);
    else if (secPerStep !== null)
      evalEvery = Math.max(1, Math.round(parseDuration(config.evalInterval) / secPerStep));
  };
  if (evalEvery === null || options.fromFlags.has('evalInterval')) resolveEvalEvery();

  const params = model.numParameters();
  io.print(
    `${state ? 'Resuming' : 'Training'} ${objective.title}: ${(params / 1e6).toFixed(2)}M parameters, batch ${config.batchSize}, lr ${config.lr} (${config.decay}), ${
      config.maxSteps ? `${config.maxSteps} steps` : `${formatTime(config.maxTime ?? 0)} budget`
    }`,
  );
  io.print(
    `Corpus: ${config.corpus.length ? config.corpus.join(', ') : 'Moby-Dick (embedded)'}, ${split.train.length} training / ${split.validation.length} validation documents (${split.trainText.length.toLocaleString('en-US')} / ${split.validationText.length.toLocaleString('en-US')} characters). Output: ${out}`,
  );
  if (state) io.print(`Continuing from step ${step}${totalSteps ? ` of ${totalSteps}` : ''}.`);
  else
    log({
      type: 'start',
      step: 0,
      config,
      parameters: params,
      vocabSize: tokenizer.vocabSize,
      time: new Date().toISOString(),
    });

  const trainPoints = (): [number, number][] =>
    history.filter((r) => r.type === 'train').map((r) => [r.step, r.loss as number] as [number, number]);
  const drawChart = () => {
    const evals = history.filter((r) => r.type === 'eval');
    const last = evals[evals.length - 1];
    const notes = [
      `${(params / 1e6).toFixed(2)}M parameters · batch ${config.batchSize} · lr ${config.lr} ${config.decay} · seed ${config.seed} · ${formatTime(trainTime)} of training`,
    ];
    if (last) notes.push(`step ${last.step}: ${objective.describe(last as unknown as Metrics)}`);
    writeFileSync(
      chartPath,
      lineChartSvg({
        title: `${objective.title}: loss`,
        xLabel: 'step',
        yLabel: config.model === 'gpt' ? 'cross-entropy (nats/token)' : 'MLM + NSP loss',
        notes,
        series: [
          { name: 'train (smoothed)', color: '#1f77b4', points: smooth(trainPoints(), 0.95) },
          {
            name: 'validation',
            color: '#d62728',
            points: evals.map((r) => [r.step, r.valLoss as number] as [number, number]),
            dots: true,
          },
        ],
      }),
    );
  };

  const save = async () => {
    const sd = optimizer.stateDict();
    // WebGPU: read the weights and moments first, so that the synchronous writers below find host copies
    // (immediate where reads are synchronous)
    await prefetch([...Object.values(model.stateDict()), ...Object.values(sd.moments)]);
    const files: Record<string, string | Uint8Array> = {};
    const pretrained = model.toPretrainedBytes();
    files['config.json'] = pretrained.configJson;
    files['model.safetensors'] = pretrained.safetensors;
    // a complete Hugging Face folder: tokenizer_config.json and special_tokens_map.json too (AutoTokenizer), and
    // generation_config.json for GPT-2, as @tsformer/pipelines writes them
    Object.assign(
      files,
      tokenizerFiles(tokenizer),
      pipelineTokenizerFiles(tokenizer, { modelMaxLength: config.context }),
    );
    if (config.model === 'gpt')
      files['generation_config.json'] = generationConfigJson(model as GPT2LMHeadModel);
    files['optimizer.safetensors'] = toSafetensors(sd.moments);
    const st: TrainerState & { optimizer: { step: number; steps: number[] }; secPerStep: number | null } = {
      format: 'tsformer-trainer/1',
      model: config.model,
      step,
      totalSteps,
      evalEvery,
      trainTime,
      tokensSeen,
      sequencesSeen,
      dataRng: dataRng.state() as GeneratorState,
      dropoutRng: (dropoutRng?.state() ?? { seed: 0, offset: 0 }) as GeneratorState,
      config,
      savedAt: new Date().toISOString(),
      optimizer: { step: sd.step, steps: sd.steps },
      secPerStep,
    };
    files['trainer_state.json'] = `${JSON.stringify(st, null, 2)}\n`;
    saveCheckpoint(out, files);
  };

  const evaluate = async (full: boolean) => {
    io.progress.clear();
    const t0 = performance.now();
    const m = await objective.evaluate(full);
    const record: LogRecord = {
      type: 'eval',
      step,
      trainTime,
      full,
      ...m,
      evalSeconds: (performance.now() - t0) / 1000,
    };
    io.print(
      `eval step ${step} (${formatTime(trainTime)}): ${objective.describe(m)}${full ? ' [full split]' : ''}`,
    );
    if (objective.sample && !full) {
      const s = await objective.sample();
      record.sample = s;
      io.print(`  sample: ${JSON.stringify(config.prompt + s)}`);
    }
    log(record);
    drawChart();
    return m;
  };

  // Ctrl-C (and the test hook TSFORMER_TRAINER_STOP_AT=<step>): finish the step, save, stop.
  const interrupts = watchInterrupts(io.signal, () => {
    io.progress.clear();
    io.print('Second Ctrl-C: stopping without saving (the last checkpoint is intact).');
    process.exit(130);
  });
  const stopAt = Number(process.env.TSFORMER_TRAINER_STOP_AT ?? Number.NaN);

  const measureFrom = 3;
  const measureAt = Math.max(8, Math.min(config.warmup, 25));
  let measureStart: number | null = null;
  let rate = 0;
  let stepEma = 0;
  let lossAvg = Number.NaN;
  let lastMetrics: Metrics | undefined;

  try {
    let schedule: Schedule | null = totalSteps !== null ? makeSchedule(config, totalSteps) : null;
    const provisional = makeSchedule(config, Math.max(config.warmup * 10, 1000));
    while (totalSteps === null || step < totalSteps) {
      const batch = objective.makeBatch(dataRng);
      const lr = (schedule ?? provisional)(step);
      const t0 = performance.now();
      const stepOptions = { model, lossFn: objective.lossFn, optimizer, batch, gradClip: config.clip, lr };
      const r = readAsync ? await trainStepAsync(stepOptions) : trainStep(stepOptions);
      const dt = (performance.now() - t0) / 1000;
      if (!r.finite) {
        io.progress.clear();
        const what = Number.isFinite(r.loss) ? `the gradient norm is ${r.gradNorm}` : `the loss is ${r.loss}`;
        io.print(
          `Stopped at step ${step + 1}: ${what} (lr ${lr.toExponential(2)}). No update was made and the last checkpoint is intact. Hint: lower --lr, raise --warmup, or keep --clip at 1; check the corpus for odd text.`,
        );
        log({ type: 'nan', step: step + 1, loss: r.loss, lr });
        return { exitCode: 1, out, step };
      }
      step++;
      trainTime += dt;
      tokensSeen += objective.unit === 'tok' ? objective.unitsPerStep : 0;
      sequencesSeen += config.batchSize;
      rate = rate === 0 ? objective.unitsPerStep / dt : 0.9 * rate + (0.1 * objective.unitsPerStep) / dt;
      lossAvg = Number.isNaN(lossAvg) ? r.loss : 0.95 * lossAvg + 0.05 * r.loss;
      log({
        type: 'train',
        step,
        loss: r.loss,
        ...r.parts,
        lr,
        gradNorm: r.gradNorm,
        trainTime,
        stepSeconds: dt,
      });

      // the time budget becomes a step count once, from the speed of steps measureFrom … measureAt
      if (step === measureFrom) measureStart = trainTime;
      if (secPerStep === null && step === measureAt && measureStart !== null) {
        secPerStep = (trainTime - measureStart) / (measureAt - measureFrom);
        if (evalEvery === null) resolveEvalEvery();
      }
      if (totalSteps === null && config.maxTime !== null) {
        if (trainTime >= config.maxTime) totalSteps = step;
        else if (secPerStep !== null)
          totalSteps = step + Math.max(0, Math.floor((config.maxTime - trainTime) / secPerStep));
        if (totalSteps !== null) {
          schedule = makeSchedule(config, totalSteps);
          log({ type: 'budget', step, totalSteps, secPerStep, maxTime: config.maxTime });
        }
      }

      stepEma = stepEma === 0 ? dt : 0.9 * stepEma + 0.1 * dt;
      const eta = totalSteps !== null && secPerStep !== null ? (totalSteps - step) * stepEma : null;
      io.progress.update({
        step,
        totalSteps,
        loss: lossAvg,
        lr,
        rate,
        rateUnit: objective.unit,
        trainTime,
        eta,
      });

      const done = totalSteps !== null && step >= totalSteps;
      if (!done && evalEvery !== null && step % evalEvery === 0) {
        lastMetrics = await evaluate(false);
        if (config.saveInterval === 0) await save();
      }
      if (!done && config.saveInterval > 0 && step % config.saveInterval === 0) await save();
      await new Promise((r) => setImmediate(r)); // lets Ctrl-C in
      if (step === stopAt) interrupts.set();
      if (interrupts.interrupted && !done) {
        io.progress.clear();
        await save();
        io.print(
          `Interrupted at step ${step}${totalSteps ? ` of ${totalSteps}` : ''}: checkpoint saved in ${join(out, 'checkpoint')}. Continue with: pnpm train ${config.model} --resume --out ${initial.out}`,
        );
        log({ type: 'interrupted', step });
        return { exitCode: 130, out, step };
      }
    }
    io.progress.clear();
    lastMetrics = await evaluate(true);
    await save();
    log({ type: 'end', step, trainTime, ...lastMetrics });
    drawChart();
    await objective.finalReport(io.print);
    io.print('');
    io.print(
      `Done: ${step} steps in ${formatTime(trainTime)} of training. ${objective.describe(lastMetrics)}`,
    );
    io.print(`Checkpoint: ${join(out, 'checkpoint')} · log: ${logPath} · chart: ${chartPath}`);
    return { exitCode: 0, out, step, final: lastMetrics };
  } finally {
    interrupts.dispose();
  }
}

/** generation_config.json as transformers writes it for a GPT-2 saved from its config. */
function generationConfigJson(model: GPT2LMHeadModel): string {
  const c = model.config;
  const gen: Record<string, unknown> = { _from_model_config: true };
  if (c.bosTokenId !== null) gen.bos_token_id = c.bosTokenId;
  if (c.eosTokenId !== null) gen.eos_token_id = c.eosTokenId;
  if (c.padTokenId !== null) gen.pad_token_id = c.padTokenId;
  gen.transformers_version = '5.17.0';
  return `${JSON.stringify(gen, null, 2)}\n`;
}
