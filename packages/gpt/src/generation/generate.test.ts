import { Generator, tensor } from '@tsformer/tensor';
import { describe, expect, it } from 'vitest';
import { GPT2Config } from '../config.ts';
import { GPT2LMHeadModel } from '../modeling-gpt2.ts';
import { generate } from './generate.ts';
import { applyRepetitionPenalty, argmaxOf, sampleFrom, topKFilter, topPFilter } from './sampling.ts';

const config = new GPT2Config({
  nLayer: 2,
  nHead: 2,
  nEmbd: 32,
  nPositions: 64,
  vocabSize: 50,
  eosTokenId: 49,
  bosTokenId: 49,
});
const model = new GPT2LMHeadModel(config, { seed: 5 }).eval();
// a sharper model, so greedy paths are not decided by rounding
for (const [, p] of model.namedParameters()) p.assign(p.mul(6));

describe('generate', () => {
  it('greedy: cache and no cache agree, prompt + new tokens in sequences', async () => {
    const a = await generate(model, [1, 2, 3], { maxNewTokens: 10, eosTokenId: null });
    const b = await generate(model, [1, 2, 3], { maxNewTokens: 10, eosTokenId: null, useCache: false });
    expect(a.newTokens[0]).toHaveLength(10);
    expect(a.newTokens).toEqual(b.newTokens);
    expect(a.sequences[0]).toEqual([1, 2, 3, ...a.newTokens[0]!]);
    expect(a.finishReasons).toEqual(['length']);
  });

  it('a batch of prompts of different lengths (left padding) gives each prompt its own greedy output', async () => {
    const prompts = [
      [4, 5],
      [6, 7, 8, 9, 10],
      [11, 12, 13],
    ];
    const batch = await generate(model, prompts, { maxNewTokens: 8, eosTokenId: null, padTokenId: 0 });
    for (const [i, p] of prompts.entries()) {
      const alone = await generate(model, p, { maxNewTokens: 8, eosTokenId: null });
      expect(batch.newTokens[i], `prompt ${i}`).toEqual(alone.newTokens[0]);
      expect(batch.sequences[i]).toEqual([...p, ...alone.newTokens[0]!]);
    }
    const noCache = await generate(model, prompts, {
      maxNewTokens: 8,
      eosTokenId: null,
      padTokenId: 0,
      useCache: false,
    });
    expect(noCache.newTokens).toEqual(batch.newTokens);
  });

  it('a pre-padded [B,T] tensor with its attention mask', async () => {
    const ids = tensor(
      [
        [0, 0, 4, 5],
        [6, 7, 8, 9],
      ],
      undefined,
      { dtype: 'int32' },
    );
    const r = await generate(model, ids, {
      maxNewTokens: 4,
      eosTokenId: null,
      attentionMask: [
        [0, 0, 1, 1],
        [1, 1, 1, 1],
      ],
    });
    const alone = await generate(model, [4, 5], { maxNewTokens: 4, eosTokenId: null });
    expect(r.newTokens[0]).toEqual(alone.newTokens[0]);
    expect(r.sequences[0]).toEqual([4, 5, ...alone.newTokens[0]!]);
  });

  it('stops at EOS and at stop tokens (kept), and pads finished rows', async () => {
    const free = await generate(
      model,
      [
        [1, 2, 3],
        [20, 21],
      ],
      { maxNewTokens: 6, eosTokenId: null, padTokenId: 0 },
    );
    const third = free.newTokens[0]![2]!;
    const r = await generate(
      model,
      [
        [1, 2, 3],
        [20, 21],
      ],
      { maxNewTokens: 6, eosTokenId: third, padTokenId: 0 },
    );
    const cut = free.newTokens[0]!.indexOf(third);
    expect(r.newTokens[0]).toEqual(free.newTokens[0]!.slice(0, cut + 1));
    expect(r.finishReasons[0]).toBe('eos');
    const s = await generate(model, [1, 2, 3], { maxNewTokens: 6, eosTokenId: null, stopTokens: [third] });
    expect(s.finishReasons[0]).toBe('stop');
    expect(s.newTokens[0]!.at(-1)).toBe(third);
  });

  it('sampling is reproducible from a seed and differs between seeds; topK 1 is greedy', async () => {
    const opts = { maxNewTokens: 12, eosTokenId: null, temperature: 1.5 } as const;
    const a = await generate(model, [1, 2], { ...opts, seed: 1 });
    const b = await generate(model, [1, 2], { ...opts, seed: 1 });
    const c = await generate(model, [1, 2], { ...opts, seed: 2 });
    expect(a.newTokens).toEqual(b.newTokens);
    expect(a.newTokens).not.toEqual(c.newTokens);
    const greedy = await generate(model, [1, 2], { maxNewTokens: 12, eosTokenId: null });
    const top1 = await generate(model, [1, 2], { maxNewTokens: 12, eosTokenId: null, topK: 1, seed: 9 });
    expect(top1.newTokens).toEqual(greedy.newTokens);
    const tinyP = await generate(model, [1, 2], { maxNewTokens: 12, eosTokenId: null, topP: 1e-6, seed: 9 });
    expect(tinyP.newTokens).toEqual(greedy.newTokens);
  });

  it('a strong repetition penalty avoids tokens already present', async () => {
    const r = await generate(model, [1, 2, 3], {
      maxNewTokens: 10,
      eosTokenId: null,
      repetitionPenalty: 1e6,
    });
    const all = r.sequences[0]!;
    expect(new Set(all).size).toBe(all.length);
  });

  it('streams through a callback and an async iterator, and the run still resolves', async () => {
    const seen: number[][] = [];
    const want = await generate(model, [1, 2, 3], { maxNewTokens: 5, eosTokenId: null });
    const run = generate(model, [1, 2, 3], {
      maxNewTokens: 5,
      eosTokenId: null,
      onToken: (t) => seen.push(t),
    });
    const streamed: number[] = [];
    for await (const id of run) streamed.push(id);
    expect(streamed).toEqual(want.newTokens[0]);
    expect(seen.map((t) => t[0])).toEqual(streamed);
    expect((await run).newTokens).toEqual(want.newTokens);

    const batch: number[][] = [];
    for await (const step of generate(model, [[1], [2]], { maxNewTokens: 3, eosTokenId: null }))
      batch.push(step);
    expect(batch).toHaveLength(3);
    expect(batch[0]).toHaveLength(2);
  });

  it('breaking out of the iterator ends the run with what was generated', async () => {
    const run = generate(model, [1, 2, 3], { maxNewTokens: 20, eosTokenId: null });
    let n = 0;
    for await (const _ of run) if (++n === 3) break;
    const r = await run;
    expect(r.newTokens[0]).toHaveLength(3);
    expect(r.finishReasons).toEqual(['cancelled']);
  });

  it('an AbortSignal stops it between tokens', async () => {
    const controller = new AbortController();
    const run = generate(model, [1, 2, 3], {
      maxNewTokens: 30,
      eosTokenId: null,
      signal: controller.signal,
      onToken: (_t, step) => {
        if (step === 2) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(/abort/i);
    await expect(generate(model, [1], { signal: AbortSignal.abort() })).rejects.toThrow();
  });

  it('names what is wrong with a request', async () => {
    await expect(generate(model, new Array(60).fill(1), { maxNewTokens: 5 })).rejects.toThrow(
      /60 prompt \+ 5 new tokens exceed the model's 64 positions/,
    );
    await expect(generate(model, [], {})).rejects.toThrow(/empty/);
  });

  it('pads with an id inside the vocabulary when the pad / EOS id is outside it (HF default 50256)', async () => {
    const small = new GPT2LMHeadModel(
      new GPT2Config({ nLayer: 1, nHead: 2, nEmbd: 16, nPositions: 32, vocabSize: 40 }),
    );
    const r = await generate(
      small,
      [
        [1, 2],
        [3, 4, 5],
      ],
      { maxNewTokens: 3 },
    );
    expect(r.newTokens.map((t) => t.length)).toEqual([3, 3]);
    expect(r.sequences[0]!.slice(0, 2)).toEqual([1, 2]);
  });

  it('restores training mode afterwards', async () => {
    const m = new GPT2LMHeadModel(config, { seed: 1 });
    expect(m.training).toBe(true);
    const a = await generate(m, [1, 2], { maxNewTokens: 4 });
    const b = await generate(m, [1, 2], { maxNewTokens: 4 });
    expect(a.newTokens).toEqual(b.newTokens); // dropout was off
    expect(m.training).toBe(true);
  });
});

describe('sampling helpers', () => {
  it('top-k keeps the k largest (ties included), top-p the nucleus', () => {
    const l = Float32Array.from([1, 3, 2, 3, 0]);
    topKFilter(l, 2);
    expect(Array.from(l)).toEqual([-Infinity, 3, -Infinity, 3, -Infinity]);
    const p = Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)]);
    topPFilter(p, 0.7);
    expect(Array.from(p).map(Number.isFinite)).toEqual([true, true, false, false]);
  });

  it('repetition penalty divides positive and multiplies negative scores', () => {
    const l = Float32Array.from([2, -2, 1]);
    applyRepetitionPenalty(l, [0, 1, 1], 2);
    expect(Array.from(l)).toEqual([1, -4, 1]);
  });

  it('sampleFrom follows the probabilities; argmaxOf takes the first maximum', () => {
    const g = new Generator(3);
    const counts = [0, 0, 0];
    const l = Float32Array.from([Math.log(0.2), Math.log(0.5), Math.log(0.3)]);
    for (let i = 0; i < 4000; i++) counts[sampleFrom(l, g)]!++;
    expect(counts[0]! / 4000).toBeCloseTo(0.2, 1);
    expect(counts[1]! / 4000).toBeCloseTo(0.5, 1);
    expect(argmaxOf(Float32Array.from([1, 5, 5]))).toBe(1);
  });
});
