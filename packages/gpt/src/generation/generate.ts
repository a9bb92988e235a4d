import { Generator, type Tensor } from '@tsformer/tensor';
import { type CausalLM, Decoder } from './kv-cache.ts';
import { pickToken, type SamplingOptions } from './sampling.ts';

export interface GenerateOptions {
  /** tokens to add after the prompt (default 20) */
  maxNewTokens?: number;
  /** sample (true) or take the argmax (false); default: true when temperature, topK or topP is given */
  doSample?: boolean;
  /** divides the logits before sampling (default 1; 0 means greedy) */
  temperature?: number;
  /** sample only among the k most likely tokens (0 = off) */
  topK?: number;
  /** sample only from the smallest set of tokens whose probability reaches p (1 = off) */
  topP?: number;
  /** > 1 discourages tokens already in the row (prompt included), CTRL-style (default 1) */
  repetitionPenalty?: number;
  /** end-of-sequence token(s); default the model's `eosTokenId`; null = none */
  eosTokenId?: number | readonly number[] | null;
  /** more tokens that end a row (kept in the output, like EOS) */
  stopTokens?: readonly number[];
  /** the token that left-pads short prompts and fills finished rows (default pad, else EOS, else 0) */
  padTokenId?: number | null;
  /** for a [B,T] tensor of already left-padded prompts: its attention mask (1 = token, 0 = padding) */
  attentionMask?: Tensor | readonly (readonly number[])[];
  /** seed of the sampling generator (default 0), or a generator to draw from */
  seed?: number;
  generator?: Generator;
  /** use the key/value cache (default true); the output is the same without it, only slower */
  useCache?: boolean;
  /** stops generation between two tokens; the run rejects with the signal's reason */
  signal?: AbortSignal;
  /** called with each step's tokens (one per row; finished rows get the pad token) as they come */
  onToken?: (tokens: number[], step: number) => void;
  /** keep each step's raw next-token logits (before any processing) in the result */
  outputLogits?: boolean;
}

export type FinishReason = 'eos' | 'stop' | 'length' | 'cancelled';

export interface GenerateResult {
  /** per row, the generated tokens (ending with the EOS or stop token when one came) */
  newTokens: number[][];
  /** per row, the prompt (without padding) followed by `newTokens` */
  sequences: number[][];
  finishReasons: FinishReason[];
  /** with `outputLogits`: per step, the logits [B·V] (row-major: row b at b·V) */
  logits?: Float32Array[];
}

/**
 * A generation in progress: `await` it for the result, or iterate it with `for await` to get tokens as they
 * are produced (a number per step for a single prompt, an array of one token per row for a batch). One run
 * is consumed once; after iterating, `await run` still gives the full result.
 */
export class GenerationRun<T> implements AsyncIterable<T>, PromiseLike<GenerateResult> {
  private readonly steps: AsyncGenerator<number[], GenerateResult>;
  private readonly partial: () => GenerateResult;
  private readonly single: boolean;
  private started = false;
  private readonly done: Promise<GenerateResult>;
  private settle!: (r: GenerateResult) => void;
  private fail!: (e: unknown) => void;

  /** @internal */
  constructor(
    steps: AsyncGenerator<number[], GenerateResult>,
    partial: () => GenerateResult,
    single: boolean,
  ) {
    this.steps = steps;
    this.partial = partial;
    this.single = single;
    this.done = new Promise<GenerateResult>((resolve, reject) => {
      this.settle = resolve;
      this.fail = reject;
    });
    this.done.catch(() => {}); // a failure is reported to whoever consumes the run, never as unhandled
  }

  private start(): void {
    if (this.started) throw new Error('generate: this run is already being consumed');
    this.started = true;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    this.start();
    let finished = false;
    try {
      while (true) {
        const r = await this.steps.next();
        if (r.done) {
          finished = true;
          this.settle(r.value);
          return;
        }
        yield (this.single ? r.value[0] : r.value) as T;
      }
    } catch (e) {
      finished = true;
      this.fail(e);
      throw e;
    } finally {
      if (!finished) {
        // the consumer stopped early: end the run and resolve with what was generated
        await this.steps.return(undefined as never);
        this.settle(this.partial());
      }
    }
  }

  // biome-ignore lint/suspicious/noThenProperty: a run is awaitable (the result) and async-iterable (the tokens) on purpose
  then<A = GenerateResult, B = never>(
    onFulfilled?: ((value: GenerateResult) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    if (!this.started) {
      this.started = true;
      void (async () => {
        try {
          let r = await this.steps.next();
          while (!r.done) r = await this.steps.next();
          this.settle(r.value);
        } catch (e) {
          this.fail(e);
        }
      })();
    }
    return this.done.then(onFulfilled, onRejected);
  }
}

const yieldToEventLoop: () => Promise<void> =
  typeof setImmediate === 'function'
    ? () => new Promise((resolve) => setImmediate(resolve))
    : () => new Promise((resolve) => setTimeout(resolve, 0));

/** Rows of token ids from arrays or a [B,T] tensor (read with `await data()`, so a WebGPU tensor works too). */
async function promptRows(prompts: readonly (readonly number[])[] | Tensor): Promise<number[][]> {
  if (Array.isArray(prompts)) return prompts.map((p) => [...p]);
  const t = prompts as Tensor;
  if (t.rank !== 2) throw new Error(`generate: prompt ids must be [B,T], got [${t.shape.join(',')}]`);
  const [b, n] = t.shape as [number, number];
  const data = await t.data();
  return Array.from({ length: b }, (_, i) => Array.from(data.subarray(i * n, (i + 1) * n)));
}

/**
 * Autoregressive generation from a causal LM (`GPT2LMHeadModel`): greedy or sampled (temperature, top-k,
 * top-p), repetition penalty, EOS / stop tokens, a seed, streaming, cancellation, and batches of prompts of
 * different lengths (left-padded; positions = cumsum(attention mask) − 1, as transformers' `generate`).
 * Runs without gradients and frees every step's tensors; the model's dropout is off while it runs.
 */
export function generate(
  model: CausalLM,
  prompt: readonly number[],
  options?: GenerateOptions,
): GenerationRun<number>;
export function generate(
  model: CausalLM,
  prompts: readonly (readonly number[])[] | Tensor,
  options?: GenerateOptions,
): GenerationRun<number[]>;
export function generate(
  model: CausalLM,
  prompts: readonly number[] | readonly (readonly number[])[] | Tensor,
  options: GenerateOptions = {},
): GenerationRun<number> | GenerationRun<number[]> {
  const single = Array.isArray(prompts) && (prompts.length === 0 || typeof prompts[0] === 'number');
  const batch = single
    ? [prompts as readonly number[]]
    : (prompts as readonly (readonly number[])[] | Tensor);
  const sink: { partial: () => GenerateResult } = {
    partial: () => ({ newTokens: [], sequences: [], finishReasons: [] }),
  };
  const run = steps(model, batch, options, sink);
  return single
    ? new GenerationRun<number>(run, () => sink.partial(), true)
    : new GenerationRun<number[]>(run, () => sink.partial(), false);
}

async function* steps(
  model: CausalLM,
  prompts: readonly (readonly number[])[] | Tensor,
  options: GenerateOptions,
  sink: { partial: () => GenerateResult },
): AsyncGenerator<number[], GenerateResult> {
  const config = model.config;
  const maxNewTokens = options.maxNewTokens ?? 20;
  const eos = options.eosTokenId === undefined ? config.eosTokenId : options.eosTokenId;
  const eosIds = new Set(eos === null ? [] : typeof eos === 'number' ? [eos] : eos);
  const stopIds = new Set(options.stopTokens ?? []);
  const padId = options.padTokenId ?? config.padTokenId ?? (eosIds.size > 0 ? [...eosIds][0]! : 0);
  // what the model is fed at padded and finished positions (masked or ignored): an id its table has
  const fillId = padId >= 0 && padId < config.vocabSize ? padId : 0;
  const temperature = options.temperature ?? 1;
  const sampling: SamplingOptions = {
    doSample:
      (options.doSample ??
        (options.temperature !== undefined || options.topK !== undefined || options.topP !== undefined)) &&
      temperature !== 0,
    temperature: temperature === 0 ? 1 : temperature,
    topK: options.topK ?? 0,
    topP: options.topP ?? 1,
    repetitionPenalty: options.repetitionPenalty ?? 1,
  };
  const generator = options.generator ?? new Generator(options.seed ?? 0);

  // the prompts, left-padded to one length, with their attention masks
  let rows = await promptRows(prompts);
  let mask: number[][] | null = null;
  if (options.attentionMask) {
    const m = options.attentionMask;
    mask = Array.isArray(m) ? m.map((r) => [...r]) : await promptRows(m as Tensor);
  } else if (new Set(rows.map((r) => r.length)).size > 1) {
    const len = Math.max(...rows.map((r) => r.length));
    mask = rows.map((r) => [...new Array<number>(len - r.length).fill(0), ...r.map(() => 1)]);
    rows = rows.map((r) => [...new Array<number>(len - r.length).fill(fillId), ...r]);
  }
  if (!rows[0]?.length) throw new Error('generate: the prompt is empty');
  if (mask?.every((r) => r.every((x) => x === 1))) mask = null;
  const promptLength = rows[0]!.length;
  if (promptLength + maxNewTokens > config.nPositions) {
    throw new Error(
      `generate: ${promptLength} prompt + ${maxNewTokens} new tokens exceed the model's ${config.nPositions} positions`,
    );
  }
  const unpadded = rows.map((r, i) => (mask ? r.filter((_, j) => mask![i]![j] === 1) : [...r]));

  const b = rows.length;
  const v = config.vocabSize;
  const newTokens: number[][] = rows.map(() => []);
  const finishReasons: FinishReason[] = rows.map(() => 'length');
  const finished = rows.map(() => false);
  const logits: Float32Array[] = [];
  const decoder = new Decoder(model, options.useCache ?? true);
  const result = (): GenerateResult => {
    const r: GenerateResult = {
      newTokens,
      sequences: unpadded.map((p, i) => [...p, ...newTokens[i]!]),
      finishReasons,
    };
    if (options.outputLogits) r.logits = logits;
    return r;
  };
  sink.partial = result;
  let completed = false;
  try {
    for (let step = 0; step < maxNewTokens; step++) {
      await yieldToEventLoop();
      options.signal?.throwIfAborted();
      const next = await decoder.next(rows, mask); // [B·V]
      if (options.outputLogits) logits.push(next);
      const tokens: number[] = [];
      for (let i = 0; i < b; i++) {
        if (finished[i]) {
          tokens.push(padId);
          continue;
        }
        const seen = [...unpadded[i]!, ...newTokens[i]!];
        const id = pickToken(next.subarray(i * v, (i + 1) * v), seen, sampling, generator);
        tokens.push(id);
        newTokens[i]!.push(id);
        if (eosIds.has(id) || stopIds.has(id)) {
          finished[i] = true;
          finishReasons[i] = eosIds.has(id) ? 'eos' : 'stop';
        }
      }
      rows = rows.map((r, i) => [...r, finished[i] && newTokens[i]!.length <= step ? fillId : tokens[i]!]);
      if (mask) mask = mask.map((r) => [...r, 1]);
      options.onToken?.(tokens, step);
      yield tokens;
      if (finished.every(Boolean)) break;
    }
    completed = true;
    return result();
  } finally {
    decoder.dispose();
    if (!completed) for (let i = 0; i < b; i++) if (!finished[i]) finishReasons[i] = 'cancelled';
  }
}
