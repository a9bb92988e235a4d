// `pnpm train finetune`: a task head on a pretrained body (or random weights), trained with AdamW under a linear
// warmup/decay schedule for some epochs, steps or a time budget; evaluated at intervals and at the end; saved as
// a Hugging Face folder with id2label/label2id, a log, loss and metric charts and a confusion matrix.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tokenizerFiles as pipelineTokenizerFiles } from '@tsformer/pipelines';
import { trainStep } from '@tsformer/pretraining-objectives';
import {
  createCpuBackend,
  Generator,
  noGrad,
  setBackend,
  softmax,
  type Tensor,
  tidy,
} from '@tsformer/tensor';
import type { Module } from '@tsformer/tensor/nn';
import { AdamW } from '@tsformer/tensor/optim';
import { lineChartSvg, smooth } from '../chart.ts';
import { FINETUNE_STATE_FILE, saveCheckpoint } from '../checkpoint.ts';
import { parseDuration, UsageError } from '../config.ts';
import { watchInterrupts } from '../interrupt.ts';
import { formatTime, type Progress } from '../progress.ts';
import { tokenizerFiles } from '../tokenize.ts';
import { confusionMatrixSvg } from './confusion.ts';
import {
  type Batch,
  disposeBatch,
  encodeExamples,
  epochBatches,
  evalBatches,
  type Feature,
  makeBatch,
} from './encode.ts';
import { classificationReport, squadMetrics, tokenReport } from './metrics.ts';
import { architectureOf, createHead, type HeadModel, type LoadedHead } from './model.ts';
import type { QaExample, TaskData, TaskKind, TokenExample } from './types.ts';

export interface FinetuneConfig {
  /** checkpoint folder of the body (trainer run, its checkpoint/, or a Hugging Face folder) */
  from: string;
  init: 'pretrained' | 'random';
  maxLength: number;
  batchSize: number;
  lr: number;
  /** warmup as a fraction of the run */
  warmup: number;
  weightDecay: number;
  clip: number;
  /** overrides the checkpoint's dropout when set */
  dropout: number | null;
  /** the run's length: the first of these that is set (epochs by default) */
  epochs: number | null;
  maxSteps: number | null;
  /** seconds of training */
  maxTime: number | null;
  /** steps, a duration such as "2m", or null for once an epoch */
  evalInterval: number | string | null;
  /** validation examples scored at intermediate evaluations (the final one scores all) */
  evalLimit: number;
  seed: number;
  threads: number;
  device: 'cpu' | 'gpu';
  out: string;
}

export interface FinetuneIO {
  print: (line: string) => void;
  progress: Progress;
  cwd: string;
  signal?: AbortSignal;
}

export type EvalMetrics = Record<string, number>;

export interface FinetuneResult {
  exitCode: number;
  out: string;
  step: number;
  trainTime: number;
  final: EvalMetrics;
  /** the model as trained (the saved folder holds the same weights) */
  head: LoadedHead;
}

interface Prepared {
  head: LoadedHead;
  train: Feature[];
  validation: Feature[];
  /** QA training examples left out because the length limit cut their answer off */
  cutAnswers: number;
  maxLength: number;
}

/** The figure a task is judged by, for summaries and charts. */
export function mainMetric(kind: TaskKind, labels: readonly string[]): { key: string; name: string } {
  if (kind === 'token') return { key: 'tokenAccuracy', name: 'token accuracy' };
  if (kind === 'qa') return { key: 'f1', name: 'F1' };
  if (labels.length === 2 && labels.includes('spam')) return { key: 'f1_spam', name: 'spam F1' };
  return { key: 'macroF1', name: 'macro-F1' };
}

function describe(kind: TaskKind, m: EvalMetrics, labels: readonly string[]): string {
  const pct = (v: number | undefined) => (v === undefined ? '?' : `${(100 * v).toFixed(2)}%`);
  const parts = [`loss ${m.loss?.toFixed(4) ?? '?'}`];
  if (kind === 'token')
    parts.push(`token accuracy ${pct(m.tokenAccuracy)}`, `macro-F1 ${m.macroF1?.toFixed(4)}`);
  else if (kind === 'qa') parts.push(`exact match ${pct(m.exactMatch)}`, `F1 ${pct(m.f1)}`);
  else {
    parts.push(`accuracy ${pct(m.accuracy)}`, `macro-F1 ${m.macroF1?.toFixed(4)}`);
    if (labels.includes('spam')) parts.push(`spam F1 ${m.f1_spam?.toFixed(4)}`);
  }
  return parts.join(', ');
}

/** A batch as the input object of every head (each reads the fields it knows). */
function headInputs(batch: Batch): object {
  const { inputIds, attentionMask, tokenTypeIds, labels, startPositions, endPositions } = batch;
  return { inputIds, attentionMask, tokenTypeIds, labels, startPositions, endPositions };
}

function lossOf(model: HeadModel, batch: Batch): Tensor {
  const out = (model as unknown as { forward(i: object): { loss?: Tensor } }).forward(headInputs(batch));
  return out.loss!;
}

/** QA spans longer than this are not considered unless the training answers were longer (see runFinetune). */
export const DEFAULT_MAX_ANSWER_TOKENS = 64;

export interface Predictions {
  /** sequence/pair: class ids; probabilities per row */
  classes?: Int32Array;
  probs?: Float32Array[];
  /** token: predicted tag per word ("" for words cut off by the length limit) */
  tags?: string[][];
  /** qa: the answer text per example */
  answers?: string[];
  loss: number;
}

/**
 * Runs the head over features in evaluation mode and decodes its outputs: class probabilities, a tag per word
 * (from each word's first piece), or the best answer span (start ≤ end, at most `maxAnswerTokens` tokens, inside
 * the context).
 */
export function predictFeatures(
  head: LoadedHead,
  features: readonly Feature[],
  contexts: readonly string[] | null,
  batchSize = 64,
  maxAnswerTokens: number = DEFAULT_MAX_ANSWER_TOKENS,
): Predictions {
  const model = head.model as unknown as Module & { forward(i: object): Record<string, Tensor> };
  const wasTraining = model.training;
  model.eval();
  const n = features.length;
  const out: Predictions = { loss: 0 };
  if (head.kind === 'sequence' || head.kind === 'pair') {
    out.classes = new Int32Array(n);
    out.probs = new Array(n);
  }
  if (head.kind === 'token') out.tags = new Array(n);
  if (head.kind === 'qa') out.answers = new Array(n);
  let lossSum = 0;
  let lossRows = 0;
  try {
    for (const rows of evalBatches(features, batchSize)) {
      const batch = makeBatch(head.kind, features, rows, head.padId);
      noGrad(() =>
        tidy(() => {
          const r = model.forward(headInputs(batch));
          if (r.loss) {
            lossSum += r.loss.item() * rows.length;
            lossRows += rows.length;
          }
          if (head.kind === 'sequence' || head.kind === 'pair') {
            const p = softmax(r.logits!, -1).dataSync() as Float32Array;
            const l = head.labels.length;
            rows.forEach((row, i) => {
              const pr = p.slice(i * l, (i + 1) * l);
              let best = 0;
              for (let k = 1; k < l; k++) if (pr[k]! > pr[best]!) best = k;
              out.classes![row] = best;
              out.probs![row] = pr;
            });
          } else if (head.kind === 'token') {
            const logits = r.logits!.dataSync() as Float32Array;
            const t = batch.length;
            const l = head.labels.length;
            rows.forEach((row, i) => {
              const f = features[row]!;
              out.tags![row] = Array.from(f.wordStarts!, (pos) => {
                if (pos < 0) return '';
                const base = (i * t + pos) * l;
                let best = 0;
                for (let k = 1; k < l; k++) if (logits[base + k]! > logits[base + best]!) best = k;
                return head.labels[best]!;
              });
            });
          } else {
            const s = r.startLogits!.dataSync() as Float32Array;
            const e = r.endLogits!.dataSync() as Float32Array;
            const t = batch.length;
            rows.forEach((row, i) => {
              const f = features[row]!;
              const off = f.contextOffsets!;
              let best = Number.NEGATIVE_INFINITY;
              let span: [number, number] | null = null;
              for (let a = 0; a < f.ids.length; a++) {
                if (off[a * 2]! < 0) continue;
                for (let b = a; b < Math.min(f.ids.length, a + maxAnswerTokens); b++) {
                  if (off[b * 2]! < 0) break;
                  const v = s[i * t + a]! + e[i * t + b]!;
                  if (v > best) {
                    best = v;
                    span = [off[a * 2]!, off[b * 2 + 1]!];
                  }
                }
              }
              out.answers![row] = span && contexts ? contexts[row]!.slice(span[0], span[1]) : '';
            });
          }
        }),
      );
      disposeBatch(batch);
    }
  } finally {
    if (wasTraining) model.train();
  }
  out.loss = lossRows > 0 ? lossSum / lossRows : Number.NaN;
  return out;
}

/** Scores predictions against the task's gold labels. */
export function scoreTask(
  task: TaskData,
  examples: readonly unknown[],
  features: readonly Feature[],
  p: Predictions,
): { metrics: EvalMetrics; report: unknown } {
  if (task.kind === 'sequence' || task.kind === 'pair') {
    const gold = features.map((f) => f.label!);
    const r = classificationReport(gold, Array.from(p.classes!), task.labels);
    const metrics: EvalMetrics = { loss: p.loss, accuracy: r.accuracy, macroF1: r.macroF1 };
    for (const c of r.perClass) {
      metrics[`precision_${c.label}`] = c.precision;
      metrics[`recall_${c.label}`] = c.recall;
      metrics[`f1_${c.label}`] = c.f1;
    }
    return { metrics, report: r };
  }
  if (task.kind === 'token') {
    const gold = (examples as TokenExample[]).map((e) => e.tags);
    const r = tokenReport(gold, p.tags!);
    return { metrics: { loss: p.loss, tokenAccuracy: r.tokenAccuracy, macroF1: r.macroF1 }, report: r };
  }
  const answers = (examples as QaExample[]).map((e) => e.answer.text);
  const r = squadMetrics(p.answers!, answers);
  return { metrics: { loss: p.loss, exactMatch: r.exactMatch, f1: r.f1 }, report: r };
}

function prepare(task: TaskData, config: FinetuneConfig, io: FinetuneIO): Prepared {
  const head = createHead(resolve(io.cwd, config.from), {
    kind: task.kind,
    labels: task.labels,
    init: config.init,
    seed: config.seed,
    dropout: config.dropout,
  });
  const maxLength = Math.min(config.maxLength, head.maxPositions);
  const o = { family: head.family, maxLength, labels: task.labels };
  let train = encodeExamples(task.kind, task.train as never[], head.tokenizer, o);
  let cutAnswers = 0;
  if (task.kind === 'qa') {
    // answers the length limit cut off would teach "point at [CLS]", which decoding never picks: leave them out
    const kept = train.filter((f) => f.start! > 0);
    cutAnswers = train.length - kept.length;
    train = kept;
    if (train.length === 0)
      throw new UsageError(`every answer of ${task.name} lies beyond --max-length ${maxLength}: raise it`);
  }
  return {
    head,
    train,
    validation: encodeExamples(task.kind, task.validation as never[], head.tokenizer, o),
    cutAnswers,
    maxLength,
  };
}

/** Fine-tunes on a task and writes the run folder; see the file comment. */
export async function runFinetune(
  task: TaskData,
  config: FinetuneConfig,
  io: FinetuneIO,
): Promise<FinetuneResult> {
  if (task.train.length === 0) throw new UsageError(`the task ${task.name} has no training examples`);
  if (task.validation.length === 0) throw new UsageError(`the task ${task.name} has no validation examples`);
  const out = resolve(io.cwd, config.out);
  if (config.device === 'gpu') {
    const { gpuBackend } = await import('../train.ts');
    // fine-tuning reads its steps and metrics synchronously: the GL path (pretraining also runs on WebGPU)
    setBackend(await gpuBackend('headlessgl', '--device gpu'));
  } else if (config.threads > 0) setBackend(createCpuBackend({ threads: config.threads }));

  const t0 = performance.now();
  const { head, train, validation, cutAnswers, maxLength } = prepare(task, config, io);
  // QA: spans up to the longest training answer are considered (at least the default)
  const maxAnswerTokens = Math.max(
    DEFAULT_MAX_ANSWER_TOKENS,
    ...train.map((f) => (f.end ?? 0) - (f.start ?? 0) + 1),
  );
  const model = head.model as unknown as Module;
  const prepSeconds = (performance.now() - t0) / 1000;
  const params = model.numParameters();
  const metric = mainMetric(task.kind, task.labels);
  io.print(
    `Fine-tuning ${architectureOf(model)} (${head.family === 'bert' ? 'BERT' : 'GPT'}, ${(params / 1e6).toFixed(2)}M parameters, ${config.init === 'random' ? 'random weights' : 'pretrained weights'} from ${head.folder}) on ${task.name}: ${task.train.length.toLocaleString('en-US')} training / ${task.validation.length.toLocaleString('en-US')} validation examples${task.labels.length ? `, ${task.labels.length} labels` : ''}. Encoded in ${prepSeconds.toFixed(1)} s.`,
  );
  if (config.init === 'pretrained' && head.report.missing.length > 0)
    io.print(`New (randomly initialised) parameters: ${head.report.missing.join(', ')}`);
  if (cutAnswers > 0)
    io.print(
      `${cutAnswers} training answers lie beyond --max-length ${maxLength} and are left out (validation ones count as misses).`,
    );
  io.print(`Source: ${task.source}. Output: ${out}`);

  mkdirSync(out, { recursive: true });
  const logPath = join(out, 'log.jsonl');
  writeFileSync(logPath, '');
  const history: Record<string, unknown>[] = [];
  const log = (r: Record<string, unknown>) => {
    history.push(r);
    appendFileSync(logPath, `${JSON.stringify(r)}\n`);
  };
  log({
    type: 'start',
    step: 0,
    task: task.name,
    kind: task.kind,
    labels: task.labels,
    config,
    parameters: params,
    trainExamples: task.train.length,
    validationExamples: task.validation.length,
    time: new Date().toISOString(),
  });

  // decay on matrices only, as the pretraining runs
  const decay: Tensor[] = [];
  const noDecay: Tensor[] = [];
  for (const [, p] of model.namedParameters()) (p.rank >= 2 ? decay : noDecay).push(p);
  const optimizer = new AdamW(
    [
      { params: decay, options: { weightDecay: config.weightDecay } },
      { params: noDecay, options: { weightDecay: 0 } },
    ],
    { lr: config.lr, betas: [0.9, 0.999], eps: 1e-8 },
  );
  const rng = new Generator(config.seed + 7919);
  const batchesPerEpoch = Math.ceil(train.length / config.batchSize);
  const totalSteps =
    config.maxSteps ??
    (config.maxTime !== null ? null : Math.max(1, Math.round((config.epochs ?? 3) * batchesPerEpoch)));
  // progress through the run, 0 … 1: by steps, or by training time under a time budget
  const progressOf = (step: number, time: number) =>
    totalSteps !== null ? step / totalSteps : time / (config.maxTime as number);
  const lrAt = (p: number) => {
    const w = config.warmup;
    const f = w > 0 && p < w ? p / w : (1 - p) / Math.max(1e-9, 1 - w);
    return config.lr * Math.max(0, Math.min(1, f));
  };

  const validationExamples = task.validation as unknown[];
  const contexts = task.kind === 'qa' ? (task.validation as QaExample[]).map((e) => e.context) : null;
  const evaluate = (full: boolean, step: number, trainTime: number) => {
    io.progress.clear();
    const te = performance.now();
    let feats = validation;
    let exs = validationExamples;
    let ctx = contexts;
    if (!full && validation.length > config.evalLimit) {
      // a fixed, evenly spread subset, the same at every evaluation
      const stride = validation.length / config.evalLimit;
      const pick = Array.from({ length: config.evalLimit }, (_, i) => Math.floor(i * stride));
      feats = pick.map((i) => validation[i]!);
      exs = pick.map((i) => validationExamples[i]);
      ctx = contexts ? pick.map((i) => contexts[i]!) : null;
    }
    const p = predictFeatures(head, feats, ctx, 64, maxAnswerTokens);
    const { metrics, report } = scoreTask({ ...task, validation: exs as never[] }, exs, feats, p);
    const seconds = (performance.now() - te) / 1000;
    io.print(
      `eval step ${step} (${formatTime(trainTime)}): ${describe(task.kind, metrics, task.labels)}${full ? ` [all ${feats.length} validation examples]` : ` [${feats.length} examples]`}`,
    );
    log({ type: 'eval', step, trainTime, full, examples: feats.length, ...metrics, evalSeconds: seconds });
    drawCharts();
    return { metrics, report, predictions: p };
  };

  const chartNote = () =>
    `${(params / 1e6).toFixed(2)}M parameters · ${config.init} · batch ${config.batchSize} · lr ${config.lr} · max length ${config.maxLength} · seed ${config.seed}`;
  const drawCharts = () => {
    const trains = history.filter((r) => r.type === 'train');
    const evals = history.filter((r) => r.type === 'eval');
    writeFileSync(
      join(out, 'loss.svg'),
      lineChartSvg({
        title: `${task.name}: loss`,
        xLabel: 'step',
        yLabel: 'cross-entropy',
        notes: [chartNote()],
        series: [
          {
            name: 'train (smoothed)',
            color: '#1f77b4',
            points: smooth(
              trains.map((r) => [r.step as number, r.loss as number]),
              0.9,
            ),
          },
          {
            name: 'validation',
            color: '#d62728',
            points: evals.map((r) => [r.step as number, r.loss as number]),
            dots: true,
          },
        ],
      }),
    );
    writeFileSync(
      join(out, 'metric.svg'),
      lineChartSvg({
        title: `${task.name}: validation ${metric.name}`,
        xLabel: 'minutes of training',
        yLabel: metric.name,
        notes: [chartNote()],
        series: [
          {
            name: metric.name,
            color: '#2ca02c',
            points: evals.map((r) => [(r.trainTime as number) / 60, r[metric.key] as number]),
            dots: true,
          },
        ],
      }),
    );
  };

  const save = (finalMetrics: EvalMetrics | null) => {
    const pretrained = (
      head.model as unknown as { toPretrainedBytes(): { configJson: string; safetensors: Uint8Array } }
    ).toPretrainedBytes();
    const files: Record<string, string | Uint8Array> = {
      'config.json': pretrained.configJson,
      'model.safetensors': pretrained.safetensors,
      ...tokenizerFiles(head.tokenizer),
      ...pipelineTokenizerFiles(head.tokenizer, {
        modelMaxLength: Math.min(config.maxLength, head.maxPositions),
      }),
    };
    if (finalMetrics) files['eval_results.json'] = `${JSON.stringify(finalMetrics, null, 2)}\n`;
    files[FINETUNE_STATE_FILE] = `${JSON.stringify(
      {
        format: 'tsformer-finetune/1',
        task: task.name,
        kind: task.kind,
        labels: task.labels,
        maxLength,
        maxAnswerTokens,
        step,
        trainTime,
        final: finalMetrics !== null,
        config,
        savedAt: new Date().toISOString(),
      },
      null,
      2,
    )}\n`;
    saveCheckpoint(out, files);
  };

  const interrupts = watchInterrupts(io.signal, () => process.exit(130));

  let evalEverySteps: number | null = typeof config.evalInterval === 'number' ? config.evalInterval : null;
  const evalEverySeconds =
    typeof config.evalInterval === 'string' ? parseDuration(config.evalInterval) : null;
  let nextEvalTime = evalEverySeconds ?? Number.POSITIVE_INFINITY;
  if (evalEverySteps === null && evalEverySeconds === null) evalEverySteps = batchesPerEpoch;

  let step = 0;
  let trainTime = 0;
  let lossAvg = Number.NaN;
  let rate = 0;
  let epoch = 0;
  let queue: number[][] = [];
  try {
    model.train();
    for (;;) {
      if (totalSteps !== null && step >= totalSteps) break;
      if (totalSteps === null && trainTime >= (config.maxTime as number)) break;
      if (queue.length === 0) {
        queue = epochBatches(train, config.batchSize, rng);
        epoch++;
      }
      const rows = queue.shift()!;
      const lr = lrAt(progressOf(step, trainTime));
      const ts = performance.now();
      const batch = makeBatch(task.kind, train, rows, head.padId);
      const r = trainStep({
        model,
        lossFn: (m: Module, b: Batch) => lossOf(m as unknown as HeadModel, b),
        optimizer,
        batch,
        gradClip: config.clip,
        lr,
      });
      disposeBatch(batch);
      const dt = (performance.now() - ts) / 1000;
      if (!r.finite) {
        io.progress.clear();
        io.print(
          `Stopped at step ${step + 1}: the loss or gradient is not finite (lr ${lr.toExponential(2)}). Hint: lower --lr.`,
        );
        log({ type: 'nan', step: step + 1, loss: r.loss, lr });
        return { exitCode: 1, out, step, trainTime, final: {}, head };
      }
      step++;
      trainTime += dt;
      lossAvg = Number.isNaN(lossAvg) ? r.loss : 0.95 * lossAvg + 0.05 * r.loss;
      rate = rate === 0 ? rows.length / dt : 0.95 * rate + (0.05 * rows.length) / dt;
      log({
        type: 'train',
        step,
        epoch,
        loss: r.loss,
        lr,
        gradNorm: r.gradNorm,
        trainTime,
        length: batch.length,
      });
      const p = Math.min(1, progressOf(step, trainTime));
      io.progress.update({
        step,
        totalSteps,
        loss: lossAvg,
        lr,
        rate,
        rateUnit: 'seq',
        trainTime,
        eta: p > 0.01 ? (trainTime * (1 - p)) / p : null,
      });
      const done = totalSteps !== null ? step >= totalSteps : trainTime >= (config.maxTime as number);
      if (!done) {
        if ((evalEverySteps !== null && step % evalEverySteps === 0) || trainTime >= nextEvalTime) {
          evaluate(false, step, trainTime);
          if (evalEverySeconds !== null) nextEvalTime = trainTime + evalEverySeconds;
          save(null);
        }
      }
      await new Promise((res) => setImmediate(res));
      if (interrupts.interrupted && !done) {
        io.progress.clear();
        save(null);
        io.print(`Interrupted at step ${step}: the model so far is saved in ${join(out, 'checkpoint')}.`);
        log({ type: 'interrupted', step });
        return { exitCode: 130, out, step, trainTime, final: {}, head };
      }
    }
    io.progress.clear();
    const { metrics, report, predictions } = evaluate(true, step, trainTime);
    const final = {
      ...metrics,
      trainSeconds: trainTime,
      steps: step,
      epochs: (step * config.batchSize) / train.length,
    };
    save(final);
    log({ type: 'end', step, trainTime, ...metrics });
    writeFileSync(join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    const rep = report as {
      confusion?: number[][];
      perClass?: { label: string; precision: number; recall: number; f1: number; support: number }[];
      perTag?: { tag: string; precision: number; recall: number; f1: number; support: number }[];
    };
    if (rep.confusion && task.kind !== 'token') {
      writeFileSync(
        join(out, 'confusion.svg'),
        confusionMatrixSvg({
          labels: task.labels,
          matrix: rep.confusion,
          title: `${task.name}: confusion matrix (validation)`,
        }),
      );
    }
    if (task.kind === 'token')
      writeTagConfusion(task, validationExamples as TokenExample[], predictions.tags!, out);
    const rowsOf = rep.perClass ?? rep.perTag ?? [];
    if (rowsOf.length > 0) {
      io.print('');
      io.print(`${'label'.padEnd(16)} precision  recall      F1  support`);
      const shown = [...rowsOf].sort((a, b) => b.support - a.support).slice(0, 20);
      for (const c of shown) {
        const name = 'label' in c ? c.label : (c as { tag: string }).tag;
        io.print(
          `${name.slice(0, 16).padEnd(16)} ${c.precision.toFixed(4).padStart(9)} ${c.recall.toFixed(4).padStart(7)} ${c.f1.toFixed(4).padStart(7)} ${String(c.support).padStart(8)}`,
        );
      }
      if (rowsOf.length > shown.length) io.print(`… ${rowsOf.length - shown.length} more in report.json`);
    }
    io.print('');
    io.print(
      `Done: ${step} steps (${((step * config.batchSize) / train.length).toFixed(2)} epochs) in ${formatTime(trainTime)} of training. ${describe(task.kind, metrics, task.labels)}`,
    );
    io.print(
      `Model: ${join(out, 'checkpoint')} · log: ${logPath} · charts: loss.svg, metric.svg${task.kind !== 'qa' ? ', confusion.svg' : ''}`,
    );
    return { exitCode: 0, out, step, trainTime, final, head };

    function writeTagConfusion(t: TaskData, exs: TokenExample[], p: string[][], dir: string) {
      // the tag confusion matrix of the final predictions, over the tags of the training set
      const index = new Map(t.labels.map((l, i) => [l, i]));
      const n = t.labels.length;
      const m = Array.from({ length: n }, () => new Array<number>(n).fill(0));
      exs.forEach((e, i) => {
        e.tags.forEach((g, w) => {
          const gi = index.get(g);
          const pi = index.get(p[i]![w] ?? '');
          if (gi !== undefined && pi !== undefined) m[gi]![pi]!++;
        });
      });
      writeFileSync(
        join(dir, 'confusion.svg'),
        confusionMatrixSvg({ labels: t.labels, matrix: m, title: `${t.name}: tag confusion (validation)` }),
      );
    }
  } finally {
    interrupts.dispose();
  }
}
