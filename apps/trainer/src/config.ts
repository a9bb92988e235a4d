// The training configuration: presets in configs/*.json, overridden by command-line flags. One table below
// drives parseArgs, the --help text and the checks, so every option is documented where it is defined.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ModelKind = 'gpt' | 'bert';

export interface TrainConfig {
  model: ModelKind;
  /** the preset the run started from (a name in configs/ or a .json path) */
  preset: string;
  /** text files, folders and .jsonl files; empty = the embedded Moby-Dick */
  corpus: string[];
  /** documents held out for validation (null: the last tenth, 14 of Moby-Dick's 138) */
  valDocs: number | null;
  /** 'bpe', 'wordpiece' or 'char' (learned on the training split), or a folder with tokenizer files */
  tokenizer: string;
  vocabSize: number;
  nLayer: number;
  nEmbd: number;
  nHead: number;
  /** FFN width (null: 4 × width) */
  nInner: number | null;
  /** GPT: tokens per block; BERT: the most tokens per pair */
  context: number;
  dropout: number;
  batchSize: number;
  lr: number;
  minLr: number;
  warmup: number;
  decay: 'cosine' | 'linear' | 'constant';
  weightDecay: number;
  beta1: number;
  beta2: number;
  /** max global gradient norm (0 = no clipping) */
  clip: number;
  maxSteps: number | null;
  /** seconds of training (evaluation excluded), turned into a step count once at the start */
  maxTime: number | null;
  /** evaluate every N steps (a number) or every so much training time ("60s", "2m") */
  evalInterval: number | string;
  /** GPT: validation tokens scored at intermediate evaluations (0 = all; the final one always scores all) */
  evalTokens: number;
  /** BERT: fixed validation pairs */
  evalPairs: number;
  sampleTokens: number;
  prompt: string;
  mlmProb: number;
  wholeWordMask: boolean;
  /** BERT: weight of the NSP loss in the pretraining loss (1: MLM + NSP, as Hugging Face's BertForPreTraining) */
  nspWeight: number;
  /** BERT: share of training pairs drawn as multi-sentence segments filling the context (validation: sentences) */
  nspSegments: number;
  /** share of training pairs cropped at random (A to a suffix, B to a prefix), against memorising pairs */
  nspCrop: number;
  seed: number;
  /** worker threads of the CPU backend (0 = all cores) */
  threads: number;
  device: 'cpu' | 'gpu' | 'headlessgl' | 'webgpu';
  out: string;
  /** save every N steps (0 = at each evaluation and at the end) */
  saveInterval: number;
}

/** Options that may differ on --resume without changing the run's results. */
export const RESUMABLE_CHANGES: ReadonlySet<keyof TrainConfig> = new Set<keyof TrainConfig>([
  'threads',
  'evalInterval',
  'evalTokens',
  'saveInterval',
  'sampleTokens',
  'prompt',
  'out',
  'device',
]);

export type Kind = 'string' | 'number' | 'int' | 'boolean' | 'duration' | 'list' | 'interval';

/** What parsing a flag needs to know (the fine-tuning commands' tables have these fields too). */
export type FlagSpec = Pick<OptionSpec, 'flag' | 'kind' | 'short' | 'choices'>;

interface OptionSpec {
  key:
    | keyof TrainConfig
    | 'help'
    | 'resume'
    | 'checkpoint'
    | 'text'
    | 'maxNewTokens'
    | 'temperature'
    | 'topK'
    | 'topP'
    | 'repetitionPenalty'
    | 'next';
  flag: string;
  kind: Kind;
  group: string;
  help: string;
  short?: string;
  choices?: readonly string[];
}

export const TRAIN_OPTIONS: readonly OptionSpec[] = [
  {
    key: 'preset',
    flag: 'preset',
    kind: 'string',
    group: 'Run',
    help: "preset in configs/ (gpt, gpt-char, bert, tiny-gpt, tiny-bert) or a .json file; flags override it (default: the command's own)",
  },
  {
    key: 'out',
    flag: 'out',
    kind: 'string',
    group: 'Run',
    short: 'o',
    help: 'output folder: checkpoint/, log.jsonl, loss.svg (default runs/<command>)',
  },
  {
    key: 'resume',
    flag: 'resume',
    kind: 'boolean',
    group: 'Run',
    help: 'continue the run in --out from its checkpoint, step for step as if never stopped',
  },
  {
    key: 'maxSteps',
    flag: 'steps',
    kind: 'int',
    group: 'Run',
    help: 'training steps (wins over --max-time)',
  },
  {
    key: 'maxTime',
    flag: 'max-time',
    kind: 'duration',
    group: 'Run',
    help: 'training time budget, e.g. 600s, 10m, 1h (evaluation excluded); turned into a step count once, from the measured speed, and stored',
  },
  {
    key: 'seed',
    flag: 'seed',
    kind: 'int',
    group: 'Run',
    help: 'seed of initialisation, batches, masks and dropout',
  },
  { key: 'threads', flag: 'threads', kind: 'int', group: 'Run', help: 'CPU worker threads (0 = all cores)' },
  {
    key: 'device',
    flag: 'device',
    kind: 'string',
    group: 'Run',
    choices: ['cpu', 'gpu', 'headlessgl', 'webgpu'],
    help: 'cpu, or the gpu.js backend: gpu (the first of webgpu and headlessgl that works), webgpu (WebGPU through the optional webgpu package: on a headless GPU server, the path to the GPU) or headlessgl (WebGL through the gl package: run under `xvfb-run -a`; on a headless server that is Mesa on the CPU)',
  },
  {
    key: 'evalInterval',
    flag: 'eval-interval',
    kind: 'interval',
    group: 'Run',
    help: 'evaluate every N steps, or every so much training time (30s, 2m)',
  },
  {
    key: 'saveInterval',
    flag: 'save-interval',
    kind: 'int',
    group: 'Run',
    help: 'checkpoint every N steps (0 = at each evaluation)',
  },
  {
    key: 'corpus',
    flag: 'corpus',
    kind: 'list',
    group: 'Data',
    help: 'text file, folder (read recursively) or .jsonl ({"text": …} per line); repeatable; default: the embedded Moby-Dick',
  },
  {
    key: 'valDocs',
    flag: 'val-docs',
    kind: 'int',
    group: 'Data',
    help: 'documents held out for validation (default: the last tenth; Moby-Dick: its last 14 chapters)',
  },
  {
    key: 'tokenizer',
    flag: 'tokenizer',
    kind: 'string',
    group: 'Data',
    help: 'bpe | wordpiece | char (learned on the training split) or a folder with tokenizer.json / vocab.txt / vocab.json+merges.txt',
  },
  {
    key: 'vocabSize',
    flag: 'vocab-size',
    kind: 'int',
    group: 'Data',
    help: 'vocabulary size of a learned bpe or wordpiece tokenizer',
  },
  { key: 'nLayer', flag: 'layers', kind: 'int', group: 'Model', help: 'transformer layers' },
  { key: 'nEmbd', flag: 'width', kind: 'int', group: 'Model', help: 'hidden width (n_embd / hidden_size)' },
  { key: 'nHead', flag: 'heads', kind: 'int', group: 'Model', help: 'attention heads' },
  { key: 'nInner', flag: 'ffn', kind: 'int', group: 'Model', help: 'feed-forward width (default 4 × width)' },
  {
    key: 'context',
    flag: 'context',
    kind: 'int',
    group: 'Model',
    help: 'GPT: block length in tokens; BERT: the most tokens per pair',
  },
  {
    key: 'dropout',
    flag: 'dropout',
    kind: 'number',
    group: 'Model',
    help: 'dropout of embeddings, attention and residuals',
  },
  {
    key: 'batchSize',
    flag: 'batch-size',
    kind: 'int',
    group: 'Optimisation',
    short: 'b',
    help: 'sequences per step',
  },
  { key: 'lr', flag: 'lr', kind: 'number', group: 'Optimisation', help: 'peak learning rate (AdamW)' },
  {
    key: 'minLr',
    flag: 'min-lr',
    kind: 'number',
    group: 'Optimisation',
    help: 'learning rate at the end of the decay',
  },
  { key: 'warmup', flag: 'warmup', kind: 'int', group: 'Optimisation', help: 'linear warmup steps' },
  {
    key: 'decay',
    flag: 'decay',
    kind: 'string',
    group: 'Optimisation',
    choices: ['cosine', 'linear', 'constant'],
    help: 'decay after warmup: cosine | linear | constant',
  },
  {
    key: 'weightDecay',
    flag: 'weight-decay',
    kind: 'number',
    group: 'Optimisation',
    help: 'AdamW weight decay (matrices only; biases and LayerNorms get none)',
  },
  { key: 'beta1', flag: 'beta1', kind: 'number', group: 'Optimisation', help: 'AdamW β1' },
  { key: 'beta2', flag: 'beta2', kind: 'number', group: 'Optimisation', help: 'AdamW β2' },
  {
    key: 'clip',
    flag: 'clip',
    kind: 'number',
    group: 'Optimisation',
    help: 'clip the global gradient norm to this (0 = off)',
  },
  {
    key: 'evalTokens',
    flag: 'eval-tokens',
    kind: 'int',
    group: 'Evaluation',
    help: 'GPT: validation tokens scored at intermediate evaluations (0 = all; the final one scores all)',
  },
  {
    key: 'evalPairs',
    flag: 'eval-pairs',
    kind: 'int',
    group: 'Evaluation',
    help: 'BERT: fixed validation pairs for MLM and NSP accuracy',
  },
  {
    key: 'sampleTokens',
    flag: 'sample-tokens',
    kind: 'int',
    group: 'Evaluation',
    help: 'GPT: tokens of the sample printed at each evaluation and at the end',
  },
  {
    key: 'prompt',
    flag: 'prompt',
    kind: 'string',
    group: 'Evaluation',
    help: 'GPT: prompt of those samples',
  },
  {
    key: 'mlmProb',
    flag: 'mlm-prob',
    kind: 'number',
    group: 'BERT',
    help: 'share of tokens masked (80 % [MASK], 10 % random, 10 % kept)',
  },
  {
    key: 'wholeWordMask',
    flag: 'whole-word-mask',
    kind: 'boolean',
    group: 'BERT',
    help: 'mask all pieces of a word together',
  },
  {
    key: 'nspWeight',
    flag: 'nsp-weight',
    kind: 'number',
    group: 'BERT',
    help: "weight of the next-sentence loss: loss = MLM + w · NSP (1 is Hugging Face's sum)",
  },
  {
    key: 'nspSegments',
    flag: 'nsp-segments',
    kind: 'number',
    group: 'BERT',
    help: "share of training pairs whose A and B are runs of sentences filling the context, cut at a random sentence boundary (Google's BERT data); the rest, and the validation pairs, are single sentences",
  },
  {
    key: 'nspCrop',
    flag: 'nsp-crop',
    kind: 'number',
    group: 'BERT',
    help: 'share of training pairs cropped at random, A to a suffix and B to a prefix of at least half their tokens, so that the model cannot memorise which training pairs follow each other; the junction stays',
  },
  { key: 'help', flag: 'help', kind: 'boolean', group: 'Run', short: 'h', help: 'show this help' },
];

export const INFERENCE_OPTIONS: readonly OptionSpec[] = [
  {
    key: 'checkpoint',
    flag: 'checkpoint',
    kind: 'string',
    group: 'Inference',
    short: 'c',
    help: 'a checkpoint folder, or a run folder (its checkpoint/ is used)',
  },
  { key: 'prompt', flag: 'prompt', kind: 'string', group: 'generate', help: 'text to continue' },
  {
    key: 'maxNewTokens',
    flag: 'max-new-tokens',
    kind: 'int',
    group: 'generate',
    help: 'tokens to generate (default 100)',
  },
  {
    key: 'temperature',
    flag: 'temperature',
    kind: 'number',
    group: 'generate',
    help: 'sampling temperature (default 0.8; 0 = greedy)',
  },
  {
    key: 'topK',
    flag: 'top-k',
    kind: 'int',
    group: 'generate',
    help: 'generate: sample among the k most likely (default 40); fill-mask: predictions shown (default 5)',
  },
  {
    key: 'topP',
    flag: 'top-p',
    kind: 'number',
    group: 'generate',
    help: 'nucleus sampling threshold (default 1 = off)',
  },
  {
    key: 'repetitionPenalty',
    flag: 'repetition-penalty',
    kind: 'number',
    group: 'generate',
    help: 'CTRL-style penalty for repeated tokens (default 1)',
  },
  { key: 'seed', flag: 'seed', kind: 'int', group: 'generate', help: 'sampling seed (default 0)' },
  {
    key: 'text',
    flag: 'text',
    kind: 'string',
    group: 'fill-mask',
    help: 'text with one or more [MASK] tokens',
  },
  {
    key: 'next',
    flag: 'next',
    kind: 'string',
    group: 'fill-mask',
    help: 'a second sentence: also print the NSP judgement of text → next',
  },
  { key: 'help', flag: 'help', kind: 'boolean', group: 'Inference', short: 'h', help: 'show this help' },
];

export const CONFIGS_DIR: string = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'configs');

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Seconds from "600", "600s", "10m", "1h30m", "1.5h". */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    const n = Number(m[1]);
    total += m[2] === 'h' ? n * 3600 : m[2] === 'm' ? n * 60 : m[2] === 's' ? n : n / 1000;
    matched = re.lastIndex;
  }
  if (matched !== s.length || matched === 0)
    throw new UsageError(`not a duration: ${JSON.stringify(text)} (try 600s, 10m or 1h)`);
  return total;
}

export function listPresets(): string[] {
  return readdirSync(CONFIGS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => basename(f, '.json'))
    .sort();
}

/** A preset by name (configs/<name>.json) or path. */
export function loadPreset(nameOrPath: string): { name: string; values: Partial<TrainConfig> } {
  const path = nameOrPath.endsWith('.json') ? resolve(nameOrPath) : join(CONFIGS_DIR, `${nameOrPath}.json`);
  if (!existsSync(path)) {
    throw new UsageError(
      `no preset ${JSON.stringify(nameOrPath)}: choose one of ${listPresets().join(', ')} or give a .json file`,
    );
  }
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`preset ${path} is not valid JSON: ${(e as Error).message}`);
  }
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k.startsWith('$')) continue;
    if (k === 'maxTime' && typeof v === 'string') values[k] = parseDuration(v);
    else values[k] = v;
  }
  return { name: nameOrPath.endsWith('.json') ? path : nameOrPath, values: values as Partial<TrainConfig> };
}

const BASE: TrainConfig = {
  model: 'gpt',
  preset: 'gpt',
  corpus: [],
  valDocs: null,
  tokenizer: 'bpe',
  vocabSize: 4096,
  nLayer: 4,
  nEmbd: 192,
  nHead: 4,
  nInner: null,
  context: 128,
  dropout: 0.1,
  batchSize: 16,
  lr: 1e-3,
  minLr: 1e-4,
  warmup: 100,
  decay: 'cosine',
  weightDecay: 0.1,
  beta1: 0.9,
  beta2: 0.99,
  clip: 1,
  maxSteps: null,
  maxTime: 600,
  evalInterval: '60s',
  evalTokens: 8192,
  evalPairs: 512,
  sampleTokens: 48,
  prompt: 'Call me Ishmael.',
  mlmProb: 0.15,
  wholeWordMask: false,
  nspWeight: 1,
  nspSegments: 0,
  nspCrop: 0,
  seed: 1337,
  threads: 0,
  device: 'cpu',
  out: 'runs/gpt',
  saveInterval: 0,
};

/** parseArgs `options` for a table. */
export function parseArgsOptions(
  specs: readonly FlagSpec[],
): Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> {
  const out: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const s of specs) {
    out[s.flag] = { type: s.kind === 'boolean' ? 'boolean' : 'string' };
    if (s.short) out[s.flag]!.short = s.short;
    if (s.kind === 'list') out[s.flag]!.multiple = true;
  }
  return out;
}

/** Converts one flag's text to its value, with a message naming the flag when it does not parse. */
export function convert(spec: FlagSpec, raw: string | boolean | string[]): unknown {
  const flag = `--${spec.flag}`;
  if (spec.kind === 'boolean') return raw === true;
  if (spec.kind === 'list') return (raw as string[]).flatMap((x) => x.split(',')).filter((x) => x !== '');
  const text = String(raw);
  if (spec.choices && !spec.choices.includes(text)) {
    throw new UsageError(`${flag} must be one of ${spec.choices.join(', ')}, got ${JSON.stringify(text)}`);
  }
  if (spec.kind === 'number' || spec.kind === 'int') {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n))
      throw new UsageError(`${flag} needs a number, got ${JSON.stringify(text)}`);
    if (spec.kind === 'int' && !Number.isInteger(n))
      throw new UsageError(`${flag} needs a whole number, got ${text}`);
    return n;
  }
  if (spec.kind === 'duration') return parseDuration(text);
  if (spec.kind === 'interval') {
    if (/^\d+$/.test(text.trim())) return Number(text);
    parseDuration(text);
    return text;
  }
  return text;
}

/** The config of a training command: BASE ← preset ← flags. Also returns which keys the flags set. */
export function resolveTrainConfig(
  command: ModelKind,
  values: Record<string, unknown>,
): { config: TrainConfig; fromFlags: Set<keyof TrainConfig>; resume: boolean } {
  const presetName = typeof values.preset === 'string' ? values.preset : command;
  const preset = loadPreset(presetName);
  if (preset.values.model !== undefined && preset.values.model !== command) {
    throw new UsageError(
      `preset ${presetName} is a ${preset.values.model} preset, not ${command}: run \`pnpm train ${preset.values.model} --preset ${presetName}\``,
    );
  }
  const config: TrainConfig = {
    ...BASE,
    ...preset.values,
    model: command,
    preset: preset.name,
    out: `runs/${command}`,
  };
  const fromFlags = new Set<keyof TrainConfig>();
  for (const spec of TRAIN_OPTIONS) {
    const raw = values[spec.flag];
    if (raw === undefined || spec.key === 'help' || spec.key === 'resume' || spec.key === 'preset') continue;
    (config as unknown as Record<string, unknown>)[spec.key] = convert(
      spec,
      raw as string | boolean | string[],
    );
    fromFlags.add(spec.key as keyof TrainConfig);
  }
  if (fromFlags.has('maxSteps')) config.maxTime = null;
  else if (fromFlags.has('maxTime')) config.maxSteps = null;
  validate(config);
  return { config, fromFlags, resume: values.resume === true };
}

export function validate(c: TrainConfig): void {
  const positive: (keyof TrainConfig)[] = ['nLayer', 'nEmbd', 'nHead', 'context', 'batchSize', 'vocabSize'];
  for (const k of positive) {
    const v = c[k] as number;
    if (!Number.isInteger(v) || v < 1) throw new UsageError(`${k} must be a positive whole number, got ${v}`);
  }
  if (c.nEmbd % c.nHead !== 0)
    throw new UsageError(`--width ${c.nEmbd} is not divisible by --heads ${c.nHead}`);
  if (c.dropout < 0 || c.dropout >= 1) throw new UsageError(`--dropout must be in [0, 1), got ${c.dropout}`);
  if (!(c.lr > 0)) throw new UsageError(`--lr must be positive, got ${c.lr}`);
  if (c.minLr < 0 || c.minLr > c.lr) throw new UsageError(`--min-lr must be in [0, lr], got ${c.minLr}`);
  if (c.warmup < 0) throw new UsageError(`--warmup must be ≥ 0, got ${c.warmup}`);
  if (c.maxSteps === null && c.maxTime === null) throw new UsageError('give --steps or --max-time');
  if (c.maxSteps !== null && c.maxSteps < 1) throw new UsageError(`--steps must be ≥ 1, got ${c.maxSteps}`);
  if (c.maxTime !== null && !(c.maxTime > 0))
    throw new UsageError(`--max-time must be positive, got ${c.maxTime}`);
  if (c.model === 'bert' && c.context < 8)
    throw new UsageError(`--context ${c.context} is too short for a BERT pair`);
  if (c.mlmProb <= 0 || c.mlmProb >= 1)
    throw new UsageError(`--mlm-prob must be in (0, 1), got ${c.mlmProb}`);
  if (!(c.nspWeight >= 0)) throw new UsageError(`--nsp-weight must be ≥ 0, got ${c.nspWeight}`);
  if (!(c.nspCrop >= 0 && c.nspCrop <= 1))
    throw new UsageError(`--nsp-crop must be in [0, 1], got ${c.nspCrop}`);
  if (!(c.nspSegments >= 0 && c.nspSegments <= 1))
    throw new UsageError(`--nsp-segments must be in [0, 1], got ${c.nspSegments}`);
  if (c.valDocs !== null && c.valDocs < 1) throw new UsageError(`--val-docs must be ≥ 1, got ${c.valDocs}`);
}

/** The keys whose values differ between a stored run's config and a new one. */
export function configDifferences(
  stored: TrainConfig,
  current: TrainConfig,
  only?: ReadonlySet<keyof TrainConfig>,
): string[] {
  const diffs: string[] = [];
  for (const key of Object.keys(stored) as (keyof TrainConfig)[]) {
    if (RESUMABLE_CHANGES.has(key) || (only && !only.has(key))) continue;
    const a = JSON.stringify(stored[key]);
    const b = JSON.stringify(current[key]);
    if (a !== b) diffs.push(`${key}: the run has ${a}, the command gives ${b}`);
  }
  return diffs;
}

function flagText(s: OptionSpec): string {
  const arg =
    s.kind === 'boolean'
      ? ''
      : s.kind === 'list'
        ? ' <path>'
        : s.choices
          ? ` <${s.choices.join('|')}>`
          : s.kind === 'duration'
            ? ' <time>'
            : ' <value>';
  return `${s.short ? `-${s.short}, ` : '    '}--${s.flag}${arg}`;
}

function table(specs: readonly OptionSpec[], defaults?: Record<string, unknown>): string {
  const groups = new Map<string, OptionSpec[]>();
  for (const s of specs) groups.set(s.group, [...(groups.get(s.group) ?? []), s]);
  const lines: string[] = [];
  for (const [group, list] of groups) {
    lines.push(`${group}:`);
    for (const s of list) {
      const d = defaults?.[s.key];
      const shown =
        d === undefined || d === null || s.key === 'out'
          ? ''
          : ` [gpt preset: ${Array.isArray(d) ? d.join(',') || 'Moby-Dick' : String(d)}]`;
      const left = `  ${flagText(s)}`;
      lines.push(
        left.length < 34
          ? `${left.padEnd(34)}${s.help}${shown}`
          : `${left}\n${' '.repeat(34)}${s.help}${shown}`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** The --help text: commands, then every option with the default GPT preset's value. */
export function helpText(): string {
  let gptDefaults: Record<string, unknown> = {};
  try {
    gptDefaults = { ...BASE, ...loadPreset('gpt').values };
  } catch {}
  return `tsformer trainer: pretrain GPT (causal LM) or BERT (MLM + NSP) on a CPU, and use the checkpoints.

Usage:
  pnpm train [gpt] [options]          train a small GPT (default: the embedded Moby-Dick, ~10 minutes, ends with a sample)
  pnpm train bert [options]           pretrain a small BERT with masked LM + next sentence prediction
  pnpm train generate -c <run> --prompt <text> [options]    continue a prompt with a GPT checkpoint
  pnpm train fill-mask -c <run> --text <text with [MASK]>   fill [MASK] tokens with a BERT checkpoint
  pnpm train finetune --from <run> --task spam|pos|pairs|qa  fine-tune on a labelled task (--train <csv|jsonl> for yours)
  pnpm train predict -c <fine-tuned run> --input <file>     labels with probabilities (finetune --help for both)
  pnpm train --help

Presets (configs/*.json, overridden by flags): ${listPresets().join(', ')}.
A run writes <out>/checkpoint/ (config.json, model.safetensors, tokenizer.json and vocab files, as Hugging Face
loads them, plus optimizer.safetensors and trainer_state.json), <out>/log.jsonl and <out>/loss.svg.
Ctrl-C saves a checkpoint and exits; --resume continues it. Validation bits per character = total nats over
the held-out text cut into consecutive context windows ÷ the characters of the predicted tokens ÷ ln 2.

${table(TRAIN_OPTIONS, gptDefaults)}Inference (generate, fill-mask):
${table(INFERENCE_OPTIONS).split('\n').slice(1).join('\n')}`;
}
