// Every task on the hf-tiny fixtures, whose expected outputs come from transformers (atol 1e-4).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pipeline } from '../src/index.ts';
import {
  charsOf,
  charTokenizer,
  FIXTURES,
  fixtureFolder,
  fixtureTensor,
  softmax,
  warnings,
  wordsOf,
  wordTokenizer,
} from './helpers.ts';

const ATOL = 1e-4;

function rows(flat: number[], n: number): number[][] {
  return Array.from({ length: flat.length / n }, (_, i) => flat.slice(i * n, (i + 1) * n));
}

describe('bert/ (BertForPreTraining)', async () => {
  const tok = wordTokenizer(37);
  const folder = fixtureFolder('bert', tok);
  afterAll(folder.done);
  const ref = join(FIXTURES, 'bert/reference.safetensors');
  const ids = rows((await fixtureTensor(ref, 'input_ids')).data, 16);
  const types = rows((await fixtureTensor(ref, 'token_type_ids')).data, 16);
  const mask = rows((await fixtureTensor(ref, 'attention_mask')).data, 16);
  // each row is sentence A (type 0) then sentence B (type 1), padded at the end
  const pairs = ids.map((r, b) => {
    const a = r.filter((_, j) => mask[b]![j] === 1 && types[b]![j] === 0);
    const bb = r.filter((_, j) => mask[b]![j] === 1 && types[b]![j] === 1);
    return { text: wordsOf(tok, a), text_pair: wordsOf(tok, bb), length: a.length + bb.length };
  });

  it('fill-mask: the [MASK] at row 0 position 5 has the probabilities of prediction_logits', async () => {
    const unmasker = await pipeline('fill-mask', folder.dir);
    const logits = (await fixtureTensor(ref, 'prediction_logits')).data;
    const expected = softmax(logits.slice((0 * 16 + 5) * 99, (0 * 16 + 6) * 99));
    const out = (await unmasker({ text: pairs[0]!.text, text_pair: pairs[0]!.text_pair }, { top_k: 5 })) as {
      score: number;
      token: number;
      token_str: string;
      sequence: string;
    }[];
    expect(out).toHaveLength(5);
    const order = expected.map((p, i) => [p, i] as const).sort((a, b) => b[0] - a[0]);
    out.forEach((r, k) => {
      expect(r.token).toBe(order[k]![1]);
      expect(Math.abs(r.score - order[k]![0])).toBeLessThan(ATOL);
      expect(r.token_str).toBe(tok.tokens[r.token]);
    });
    expect(out[0]!.sequence).toContain(tok.tokens[out[0]!.token]!);
    expect(out[0]!.sequence).not.toContain('[MASK]');
  });

  it('next-sentence-prediction: P(IsNext) = softmax(seq_relationship_logits)[0]', async () => {
    const nsp = await pipeline('next-sentence-prediction', folder.dir);
    const logits = rows((await fixtureTensor(ref, 'seq_relationship_logits')).data, 2);
    for (let b = 0; b < 2; b++) {
      const r = await nsp(pairs[b]!.text, pairs[b]!.text_pair);
      const p = softmax(logits[b]!)[0]!;
      expect(Math.abs(r.score - p)).toBeLessThan(ATOL);
      expect(r.is_next).toBe(p >= 0.5);
    }
    const both = await nsp(pairs.map((p) => ({ text: p.text, text_pair: p.text_pair })));
    expect(both).toHaveLength(2);
  });

  it('feature-extraction: last_hidden_state per token, CLS and mean pooling, normalisation', async () => {
    const extractor = await pipeline('feature-extraction', folder.dir);
    const hs = (await fixtureTensor(ref, 'last_hidden_state')).data;
    const out = await extractor(pairs.map((p) => ({ text: p.text, text_pair: p.text_pair })));
    expect(out.dims).toEqual([2, 16, 32]);
    for (let b = 0; b < 2; b++) {
      for (let j = 0; j < pairs[b]!.length; j++) {
        for (let c = 0; c < 32; c++) {
          expect(Math.abs(out.data[(b * 16 + j) * 32 + c]! - hs[(b * 16 + j) * 32 + c]!)).toBeLessThan(ATOL);
        }
      }
    }
    const cls = await extractor({ text: pairs[1]!.text, text_pair: pairs[1]!.text_pair }, { pooling: 'cls' });
    expect(cls.dims).toEqual([1, 32]);
    for (let c = 0; c < 32; c++) expect(Math.abs(cls.data[c]! - hs[(16 + 0) * 32 + c]!)).toBeLessThan(ATOL);
    const mean = await extractor(
      { text: pairs[1]!.text, text_pair: pairs[1]!.text_pair },
      { pooling: 'mean', normalize: true },
    );
    const n = pairs[1]!.length;
    const want = Array.from({ length: 32 }, (_, c) => {
      let s = 0;
      for (let j = 0; j < n; j++) s += hs[(16 + j) * 32 + c]!;
      return s / n;
    });
    const norm = Math.hypot(...want);
    for (let c = 0; c < 32; c++) expect(Math.abs(mean.data[c]! - want[c]! / norm)).toBeLessThan(ATOL);
    expect((mean.tolist() as number[][])[0]).toHaveLength(32);
  });

  it('a task the architecture cannot do names the architectures it needs', async () => {
    await expect(pipeline('question-answering', folder.dir)).rejects.toThrow(
      /BertForQuestionAnswering.*BertForPreTraining/,
    );
    await expect(pipeline('text-generation', folder.dir)).rejects.toThrow(/GPT2LMHeadModel/);
  });
});

describe('gpt2/ (GPT2LMHeadModel)', async () => {
  const folder = fixtureFolder('gpt2', charTokenizer());
  afterAll(folder.done);
  const ref = join(FIXTURES, 'gpt2/reference.safetensors');

  it('text-generation: greedy continuation = transformers generate() ids', async () => {
    const generator = await pipeline('text-generation', folder.dir);
    const prompt = charsOf((await fixtureTensor(ref, 'generate.prompt_ids')).data);
    const greedy = charsOf((await fixtureTensor(ref, 'generate.greedy_ids')).data);
    const [out] = await generator(prompt, { max_new_tokens: 12, do_sample: false });
    expect(out!.generated_text).toBe(prompt + greedy);
    expect(out!.finish_reason).toBe('length');
    const [only] = await generator(prompt, { max_new_tokens: 12, return_full_text: false });
    expect(only!.generated_text).toBe(greedy);
    let streamed = '';
    for await (const piece of generator.stream(prompt, { max_new_tokens: 12 })) streamed += piece;
    expect(streamed).toBe(greedy);
  });

  it('text-generation: sampling is seeded, and num_return_sequences gives different samples', async () => {
    const generator = await pipeline('text-generation', folder.dir);
    const prompt = charsOf([5, 6, 7]);
    const a = await generator(prompt, {
      max_new_tokens: 8,
      temperature: 1.5,
      top_k: 20,
      top_p: 0.95,
      seed: 3,
    });
    const b = await generator(prompt, {
      max_new_tokens: 8,
      temperature: 1.5,
      top_k: 20,
      top_p: 0.95,
      seed: 3,
    });
    expect(a).toEqual(b);
    const many = await generator(prompt, {
      max_new_tokens: 8,
      do_sample: true,
      temperature: 2,
      num_return_sequences: 3,
      seed: 1,
    });
    expect(many).toHaveLength(3);
    expect(new Set(many.map((r) => r.generated_text)).size).toBeGreaterThan(1);
    const batch = await generator([prompt, charsOf([9])], { max_new_tokens: 2 });
    expect(batch).toHaveLength(2);
  });

  it('feature-extraction: last_hidden_state of the GPT-2 body', async () => {
    const extractor = await pipeline('feature-extraction', folder.dir);
    const ids = rows((await fixtureTensor(ref, 'input_ids')).data, 16);
    const hs = (await fixtureTensor(ref, 'last_hidden_state')).data;
    const out = await extractor(charsOf(ids[1]!));
    expect(out.dims).toEqual([1, 16, 32]);
    for (let i = 0; i < 16 * 32; i++) expect(Math.abs(out.data[i]! - hs[16 * 32 + i]!)).toBeLessThan(ATOL);
  });

  it('a prompt longer than the context keeps its end, with a warning', async () => {
    const w = warnings();
    const generator = await pipeline('text-generation', folder.dir, { onWarning: w.onWarning });
    const long = charsOf(Array.from({ length: 200 }, (_, i) => (i * 7) % 99));
    const [out] = await generator(long, { max_new_tokens: 10 });
    expect(out!.generated_text.startsWith(long)).toBe(true);
    expect(out!.generated_text.length).toBe(210);
    expect(w.list.join('\n')).toMatch(/200 tokens; only its last 54/);
    // an empty prompt starts from the BOS token (98 here); too many new tokens are capped at the context
    const [fromBos] = await generator('', { max_new_tokens: 500 });
    expect(fromBos!.generated_text).toHaveLength(63);
    expect(w.list.join('\n')).toMatch(
      /max_new_tokens 500 does not fit the model's 64 positions; generating 63/,
    );
  });
});

describe('heads/ (transformers fine-tuning classes)', () => {
  const load = (name: string) => ({
    inputs: JSON.parse(readFileSync(join(FIXTURES, 'heads', name, 'inputs.json'), 'utf8')) as Record<
      string,
      number[][]
    >,
    outputs: JSON.parse(readFileSync(join(FIXTURES, 'heads', name, 'outputs.json'), 'utf8')) as Record<
      string,
      number[][]
    >,
  });

  it('BertForSequenceClassification: text and text-pair scores, id2label', async () => {
    const tok = wordTokenizer();
    const folder = fixtureFolder('heads/BertForSequenceClassification', tok);
    try {
      const { inputs, outputs } = load('BertForSequenceClassification');
      const classifier = await pipeline('text-classification', folder.dir);
      const row0 = inputs.input_ids![0]!;
      const inputs0 = { text: wordsOf(tok, row0.slice(0, 3)), text_pair: wordsOf(tok, row0.slice(3, 6)) };
      const inputs1 = wordsOf(tok, inputs.input_ids![1]!);
      for (const [b, input] of [
        [0, inputs0],
        [1, inputs1],
      ] as const) {
        const out = await classifier(input, { top_k: null });
        const want = softmax(outputs.logits![b]!);
        expect(out.map((r) => r.label).sort()).toEqual(['a', 'b', 'c']);
        for (const r of out) expect(Math.abs(r.score - want['abc'.indexOf(r.label)]!)).toBeLessThan(ATOL);
      }
      const best = await classifier([inputs0, inputs1]);
      expect(best).toHaveLength(2);
      expect((best[0] as { label: string }).label).toBe(
        'abc'[softmax(outputs.logits![0]!).indexOf(Math.max(...softmax(outputs.logits![0]!)))],
      );
    } finally {
      folder.done();
    }
  });

  it('GPT2ForSequenceClassification: the last non-pad token is read', async () => {
    const folder = fixtureFolder('heads/GPT2ForSequenceClassification', charTokenizer());
    try {
      const { inputs, outputs } = load('GPT2ForSequenceClassification');
      const classifier = await pipeline('sentiment-analysis', folder.dir);
      for (let b = 0; b < 2; b++) {
        const ids = inputs.input_ids![b]!.filter((_, j) => inputs.attention_mask![b]![j] === 1);
        const out = await classifier(charsOf(ids), { top_k: 3 });
        const want = softmax(outputs.logits![b]!);
        for (const r of out) expect(Math.abs(r.score - want[Number(r.label.slice(6))]!)).toBeLessThan(ATOL);
      }
    } finally {
      folder.done();
    }
  });

  it('BertForTokenClassification: per-token labels and scores, grouping', async () => {
    const tok = wordTokenizer();
    const folder = fixtureFolder('heads/BertForTokenClassification', tok);
    try {
      const { inputs, outputs } = load('BertForTokenClassification');
      const ner = await pipeline('ner', folder.dir);
      const text = wordsOf(tok, inputs.input_ids![1]!); // row 1: one segment, no padding
      const out = (await ner(text, { ignore_labels: [] })) as {
        entity: string;
        score: number;
        index: number;
        word: string;
        start: number;
        end: number;
      }[];
      const logits = outputs.logits as unknown as number[][][];
      expect(out).toHaveLength(8);
      out.forEach((r, j) => {
        const p = softmax(logits[1]![j]!);
        const k = p.indexOf(Math.max(...p));
        expect(r.entity).toBe('abc'[k]);
        expect(Math.abs(r.score - p[k]!)).toBeLessThan(ATOL);
        expect(r.index).toBe(j);
        expect(text.slice(r.start, r.end)).toBe(r.word);
      });
      const groups = (await ner(text, { aggregation_strategy: 'simple', ignore_labels: [] })) as {
        entity_group: string;
        word: string;
        start: number;
        end: number;
      }[];
      for (const g of groups) expect(text.slice(g.start, g.end)).toBe(g.word);
      expect(groups.map((g) => g.word).join(' ')).toBe(text);
    } finally {
      folder.done();
    }
  });

  it('BertForQuestionAnswering: best spans and scores from start/end logits', async () => {
    const tok = wordTokenizer();
    const folder = fixtureFolder('heads/BertForQuestionAnswering', tok);
    try {
      const { inputs, outputs } = load('BertForQuestionAnswering');
      const qa = await pipeline('question-answering', folder.dir);
      const row = inputs.input_ids![0]!; // question = 3 tokens (type 0), context = 3 tokens (type 1)
      const question = wordsOf(tok, row.slice(0, 3));
      const context = wordsOf(tok, row.slice(3, 6));
      const mask = (l: number[]) => l.slice(0, 6).map((x, i) => (i >= 3 ? x : -10000));
      const ps = softmax(mask(outputs.start_logits![0]!));
      const pe = softmax(mask(outputs.end_logits![0]!));
      const spans: { s: number; e: number; score: number }[] = [];
      for (let s = 3; s < 6; s++) for (let e = s; e < 6; e++) spans.push({ s, e, score: ps[s]! * pe[e]! });
      spans.sort((a, b) => b.score - a.score);
      const words = context.split(' ');
      const out = (await qa(question, context, { top_k: 3 })) as { answer: string; score: number }[];
      out.forEach((r, k) => {
        expect(r.answer).toBe(words.slice(spans[k]!.s - 3, spans[k]!.e - 2).join(' '));
        expect(Math.abs(r.score - spans[k]!.score)).toBeLessThan(ATOL);
      });
      const one = await qa({ question, context });
      expect(one).toEqual(out[0]);
    } finally {
      folder.done();
    }
  });
});
