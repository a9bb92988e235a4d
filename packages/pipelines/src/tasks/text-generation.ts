// text-generation: continue a prompt with a GPT-2 (GPT2LMHeadModel), every sampling option of @tsformer/gpt's
// generate, text streamed as it comes, and an AbortSignal that ends the run with what it had.
import { type FinishReason, type GPT2Config, type GPT2LMHeadModel, generate } from '@tsformer/gpt';
import { describe, type PipelineParts, positiveInt } from './common.ts';

export interface TextGenerationOptions {
  /** tokens to add (default generation_config.json's max_new_tokens, else 20) */
  max_new_tokens?: number;
  /** sample (true) or take the most likely token (false); default true when temperature, top_k or top_p is given */
  do_sample?: boolean;
  /** divides the logits before sampling (0 = greedy) */
  temperature?: number;
  /** sample among the k most likely tokens (0 = all) */
  top_k?: number;
  /** sample from the smallest set of tokens whose probability reaches p */
  top_p?: number;
  /** > 1 discourages tokens already in the text (CTRL) */
  repetition_penalty?: number;
  /** token(s) that end the text (default the model's eos_token_id); null = none */
  eos_token_id?: number | readonly number[] | null;
  /** more token ids that end the text */
  stop_tokens?: readonly number[];
  /** the token that pads finished rows (num_return_sequences > 1) */
  pad_token_id?: number | null;
  /** how many continuations of the prompt (default 1); each draws its own samples */
  num_return_sequences?: number;
  /** put the prompt in front of the generated text (default true, as transformers) */
  return_full_text?: boolean;
  /** seed of the sampler (default 0): the same seed gives the same text */
  seed?: number;
  /** ends the generation between two tokens; the result holds what was generated */
  signal?: AbortSignal;
  /** use the key/value cache (default true) */
  use_cache?: boolean;
}

export interface TextGenerationResult {
  /** the prompt followed by the generated text (only the generated text with return_full_text: false) */
  generated_text: string;
  /** why it ended: 'eos', 'stop' (a stop token), 'length' (max_new_tokens), or 'cancelled' (the signal) */
  finish_reason: FinishReason;
}

interface Prepared {
  prompt: string;
  ids: number[];
  options: Parameters<typeof generate>[2] & object;
  eos: Set<number>;
  eosIds: Set<number>;
  fullText: boolean;
}

function prepare(parts: PipelineParts, prompt: string, o: TextGenerationOptions): Prepared {
  if (typeof prompt !== 'string')
    throw new TypeError(`text-generation: expected a string prompt, got ${describe(prompt)}`);
  const config = parts.config as GPT2Config;
  const gen = parts.generationConfig;
  const tok = parts.tokenizer;
  const n = config.nPositions;
  let maxNew = positiveInt(
    'text-generation',
    'max_new_tokens',
    o.max_new_tokens,
    typeof gen.max_new_tokens === 'number' ? gen.max_new_tokens : 20,
  );
  if (maxNew >= n) {
    parts.warn(
      `text-generation: max_new_tokens ${maxNew} does not fit the model's ${n} positions; generating ${n - 1}`,
    );
    maxNew = n - 1;
  }
  let ids = tok.encodeText(prompt);
  if (ids.length === 0) {
    const start = tok.bosTokenId ?? tok.eosTokenId ?? config.bosTokenId ?? config.eosTokenId;
    if (start === undefined || start === null || start >= config.vocabSize) {
      throw new Error(
        'text-generation: the prompt is empty and the tokenizer has no BOS/EOS token to start from',
      );
    }
    ids = [start];
  }
  if (ids.length + maxNew > n) {
    const keep = n - maxNew;
    parts.warn(
      `text-generation: the prompt has ${ids.length} tokens; only its last ${keep} are read, so that ${maxNew} new tokens fit the model's ${n} positions`,
    );
    ids = ids.slice(-keep);
  }
  const pick = <T>(mine: T | undefined, key: string): T | undefined => mine ?? (gen[key] as T | undefined);
  const temperature = pick(o.temperature, 'temperature');
  const topK = pick(o.top_k, 'top_k');
  const topP = pick(o.top_p, 'top_p');
  const doSample =
    o.do_sample ??
    (o.temperature !== undefined || o.top_k !== undefined || o.top_p !== undefined
      ? true
      : ((gen.do_sample as boolean | undefined) ?? false));
  const eosOption =
    o.eos_token_id !== undefined ? o.eos_token_id : (gen.eos_token_id as number | number[] | undefined);
  const eosList =
    eosOption === undefined
      ? config.eosTokenId === null
        ? []
        : [config.eosTokenId]
      : eosOption === null
        ? []
        : typeof eosOption === 'number'
          ? [eosOption]
          : [...eosOption];
  return {
    prompt,
    ids,
    eos: new Set([...eosList, ...(o.stop_tokens ?? [])]),
    eosIds: new Set(eosList),
    fullText: o.return_full_text ?? true,
    options: {
      maxNewTokens: maxNew,
      doSample,
      temperature: temperature ?? 1,
      topK: topK ?? 0,
      topP: topP ?? 1,
      repetitionPenalty: pick(o.repetition_penalty, 'repetition_penalty') ?? 1,
      eosTokenId: eosOption === undefined ? undefined : eosList,
      stopTokens: o.stop_tokens,
      padTokenId: o.pad_token_id ?? (gen.pad_token_id as number | undefined) ?? undefined,
      seed: o.seed ?? 0,
      signal: o.signal,
      useCache: o.use_cache ?? true,
    },
  };
}

function finalText(parts: PipelineParts, p: Prepared, newIds: readonly number[]): string {
  const tok = parts.tokenizer;
  const promptText = tok.decode(p.ids, true);
  const all = tok.decode([...p.ids, ...newIds], true);
  const added = all.startsWith(promptText) ? all.slice(promptText.length) : tok.decode(newIds, true);
  return p.fullText ? p.prompt + added : added;
}

/** Streams the text of one continuation; returns the result when done (or cancelled). */
export async function* streamText(
  parts: PipelineParts,
  prompt: string,
  options: TextGenerationOptions = {},
): AsyncGenerator<string, TextGenerationResult, undefined> {
  if ((options.num_return_sequences ?? 1) !== 1)
    throw new Error(
      'text-generation: stream() makes one sequence; call the pipeline for num_return_sequences',
    );
  const p = prepare(parts, prompt, options);
  const model = parts.model as GPT2LMHeadModel;
  const tok = parts.tokenizer;
  const newIds: number[] = [];
  let shown = '';
  let reason: FinishReason = 'length';
  const run = generate(model, p.ids, p.options);
  const promptText = tok.decode(p.ids, true);
  const piece = (final: boolean): string => {
    const all = tok.decode([...p.ids, ...newIds], true);
    let text = all.startsWith(promptText) ? all.slice(promptText.length) : tok.decode(newIds, true);
    // hold back a trailing replacement character: a multi-byte character may be half generated
    if (!final && text.endsWith('\ufffd')) text = text.slice(0, -1);
    if (text.length > shown.length && text.startsWith(shown)) {
      const out = text.slice(shown.length);
      shown = text;
      return out;
    }
    return '';
  };
  try {
    for await (const id of run) {
      newIds.push(id);
      if (p.eos.has(id)) reason = p.eosIds.has(id) ? 'eos' : 'stop';
      const s = piece(false);
      if (s) yield s;
    }
  } catch (e) {
    if (!options.signal?.aborted) throw e;
    reason = 'cancelled';
  }
  const rest = piece(true);
  if (rest) yield rest;
  return { generated_text: finalText(parts, p, newIds), finish_reason: reason };
}

/** One prompt → num_return_sequences results. */
export async function generateText(
  parts: PipelineParts,
  prompt: string,
  options: TextGenerationOptions = {},
): Promise<TextGenerationResult[]> {
  const count = positiveInt('text-generation', 'num_return_sequences', options.num_return_sequences, 1);
  if (count === 1) {
    const it = streamText(parts, prompt, options);
    let r = await it.next();
    while (!r.done) r = await it.next();
    return [r.value];
  }
  const p = prepare(parts, prompt, options);
  const model = parts.model as GPT2LMHeadModel;
  const rows: number[][] = Array.from({ length: count }, () => []);
  const done = rows.map(() => false);
  const run = generate(
    model,
    rows.map(() => p.ids),
    p.options,
  );
  let reasons: FinishReason[] = rows.map(() => 'length');
  try {
    for await (const step of run) {
      step.forEach((id, i) => {
        if (done[i]) return;
        rows[i]!.push(id);
        if (p.eos.has(id)) done[i] = true;
      });
    }
    reasons = (await run).finishReasons;
  } catch (e) {
    if (!options.signal?.aborted) throw e;
    reasons = rows.map((_, i) => (done[i] ? 'eos' : 'cancelled'));
  }
  return rows.map((ids, i) => ({
    generated_text: finalText(parts, p, ids),
    finish_reason: reasons[i] ?? 'length',
  }));
}
