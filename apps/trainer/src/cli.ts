#!/usr/bin/env node
// `pnpm train [gpt|bert|generate|fill-mask] [options]`: the command line of the trainer (node:util parseArgs,
// presets from configs/*.json overridden by flags). Run from source with tsx (see package.json).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pipeline } from '@tsformer/pipelines';
import { CheckpointError } from './checkpoint.ts';
import {
  convert,
  helpText,
  INFERENCE_OPTIONS,
  type ModelKind,
  parseArgsOptions,
  resolveTrainConfig,
  TRAIN_OPTIONS,
  UsageError,
} from './config.ts';
import { DataError } from './data.ts';
import { finetuneCommand, predictCommand } from './finetune/cli.ts';
import { FinetuneDataError } from './finetune/types.ts';
import { InferenceError, loadCheckpointFolder } from './inference.ts';
import { Progress } from './progress.ts';
import { runTraining, type TrainIO } from './train.ts';

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** where relative paths are read from (pnpm sets INIT_CWD to the folder `pnpm train` was run in) */
  cwd: string;
  progress?: Progress;
  signal?: AbortSignal;
}

const COMMANDS = ['gpt', 'bert', 'finetune', 'predict', 'generate', 'fill-mask', 'help'] as const;

function parse(specs: typeof TRAIN_OPTIONS, args: string[]) {
  try {
    return parseArgs({ args, options: parseArgsOptions(specs), allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
  }
}

async function inference(command: 'generate' | 'fill-mask', args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(INFERENCE_OPTIONS, args);
  if (values.help) {
    io.stdout(`${helpText()}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const get = (flag: string): unknown => {
    const spec = INFERENCE_OPTIONS.find((s) => s.flag === flag)!;
    const raw = (values as Record<string, unknown>)[flag];
    return raw === undefined ? undefined : convert(spec, raw as string);
  };
  const checkpoint = get('checkpoint') as string | undefined;
  if (!checkpoint)
    throw new UsageError(`${command} needs --checkpoint <folder> (a run folder or its checkpoint/)`);
  // the checkpoint is validated here (clear errors for run folders), then read by @tsformer/pipelines
  const loaded = await loadCheckpointFolder(resolve(io.cwd, checkpoint));
  const source = { model: loaded.model, tokenizer: loaded.tokenizer };
  if (command === 'generate') {
    if (loaded.kind !== 'gpt') throw new UsageError(`${loaded.folder} is a BERT checkpoint: use fill-mask`);
    const prompt = (get('prompt') as string | undefined) ?? '';
    const temperature = (get('temperature') as number | undefined) ?? 0.8;
    const generator = await pipeline('text-generation', source);
    io.stdout(prompt);
    const stream = generator.stream(prompt, {
      max_new_tokens: (get('max-new-tokens') as number | undefined) ?? 100,
      do_sample: temperature > 0,
      temperature: temperature > 0 ? temperature : 1,
      top_k: (get('top-k') as number | undefined) ?? 40,
      top_p: (get('top-p') as number | undefined) ?? 1,
      repetition_penalty: (get('repetition-penalty') as number | undefined) ?? 1,
      seed: (get('seed') as number | undefined) ?? 0,
      signal: io.signal,
    });
    for await (const piece of stream) io.stdout(piece);
    io.stdout('\n');
    return 0;
  }
  if (loaded.kind !== 'bert') throw new UsageError(`${loaded.folder} is a GPT checkpoint: use generate`);
  const text = get('text') as string | undefined;
  if (!text) throw new UsageError('fill-mask needs --text "a sentence with [MASK] in it"');
  const topK = (get('top-k') as number | undefined) ?? 5;
  const unmasker = await pipeline('fill-mask', source);
  const result = await unmasker(text, { top_k: topK });
  const perMask = (Array.isArray(result[0]) ? result : [result]) as { token_str: string; score: number }[][];
  perMask.forEach((candidates, m) => {
    io.stdout(`[MASK] #${m + 1}:\n`);
    for (const c of candidates) io.stdout(`  ${c.token_str.padEnd(16)} ${(100 * c.score).toFixed(2)}%\n`);
  });
  const next = get('next') as string | undefined;
  if (next !== undefined) {
    const nsp = await pipeline('next-sentence-prediction', source);
    // score = P(IsNext) (label 0, Hugging Face's convention)
    const prob = ((await nsp(text.replaceAll('[MASK]', ''), next)) as { score: number }).score;
    io.stdout(`next sentence: P(IsNext) = ${prob.toFixed(3)} → ${prob >= 0.5 ? 'IsNext' : 'NotNext'}\n`);
  }
  return 0;
}

/** Runs the command line `args` (without node and the script) and returns the exit code. */
export async function main(args: string[], io: CliIO): Promise<number> {
  try {
    const first = args[0] !== undefined && !args[0].startsWith('-') ? args[0] : undefined;
    const command = first ?? 'gpt';
    if (!(COMMANDS as readonly string[]).includes(command)) {
      throw new UsageError(
        `unknown command ${JSON.stringify(command)}: use one of ${COMMANDS.join(', ')} (or --help)`,
      );
    }
    const rest = first ? args.slice(1) : args;
    if (command === 'help') {
      io.stdout(`${helpText()}\n`);
      return 0;
    }
    if (command === 'generate' || command === 'fill-mask') return await inference(command, rest, io);
    if (command === 'finetune') return await finetuneCommand(rest, io);
    if (command === 'predict') return await predictCommand(rest, io);
    const { values, positionals } = parse(TRAIN_OPTIONS, rest);
    if (values.help) {
      io.stdout(`${helpText()}\n`);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
    const { config, fromFlags, resume } = resolveTrainConfig(
      command as ModelKind,
      values as Record<string, unknown>,
    );
    const trainIO: TrainIO = {
      print: (line) => io.stdout(`${line}\n`),
      progress: io.progress ?? new Progress(process.stderr),
      cwd: io.cwd,
      signal: io.signal,
    };
    const result = await runTraining(config, { resume, fromFlags }, trainIO);
    return result.exitCode;
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`error: ${e.message}\nRun \`pnpm train --help\` for every option.\n`);
      return 2;
    }
    if (
      e instanceof DataError ||
      e instanceof CheckpointError ||
      e instanceof InferenceError ||
      e instanceof FinetuneDataError
    ) {
      io.stderr(`error: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

const isMain = process.argv[1] !== undefined && /cli\.(ts|js|mjs)$/.test(process.argv[1]);
if (isMain) {
  const code = await main(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    cwd: process.env.INIT_CWD ?? process.cwd(),
  });
  process.exit(code);
}
