// Loading from Files, ArrayBuffer maps and URLs; and bad input: missing files, wrong tasks, long texts, aborts.
import { readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MissingFileError, pipeline } from '../src/index.ts';
import { charsOf, charTokenizer, fixtureFolder, warnings, wordsOf, wordTokenizer } from './helpers.ts';

const gpt = fixtureFolder('gpt2', charTokenizer());
const qaTok = wordTokenizer();
const qaFolder = fixtureFolder('heads/BertForQuestionAnswering', qaTok);
afterAll(() => {
  gpt.done();
  qaFolder.done();
});
const prompt = charsOf([3, 1, 4, 1, 5]);

async function greedy(source: Parameters<typeof pipeline>[1]): Promise<string> {
  const g = await pipeline('text-generation', source);
  return (await g(prompt, { max_new_tokens: 6 }))[0]!.generated_text;
}

describe('sources', () => {
  it('Files, { name → ArrayBuffer } maps and URLs load the same model as the folder', async () => {
    const want = await greedy(gpt.dir);
    const names = readdirSync(gpt.dir);
    const files = names.map((n) => new File([readFileSync(join(gpt.dir, n))], n));
    expect(await greedy(files)).toBe(want);
    const map = Object.fromEntries(
      names.map((n) => [n, new Uint8Array(readFileSync(join(gpt.dir, n))).buffer]),
    );
    expect(await greedy(map)).toBe(want);
    const ranges: string[] = [];
    const server = createServer((req, res) => {
      const name = decodeURIComponent((req.url ?? '/').slice('/model/'.length));
      let body: Buffer;
      try {
        body = readFileSync(join(gpt.dir, name));
      } catch {
        res.writeHead(404).end();
        return;
      }
      const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      if (range) {
        ranges.push(name);
        res.writeHead(206, { 'content-length': Number(range[2]) - Number(range[1]) + 1 });
        res.end(body.subarray(Number(range[1]), Number(range[2]) + 1));
        return;
      }
      res.writeHead(200, { 'content-length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/model/`;
      expect(await greedy(url)).toBe(want);
      expect(ranges).toContain('model.safetensors'); // weights read by range, not whole
    } finally {
      server.close();
    }
  });
});

describe('bad input', () => {
  it('a missing file names the file and the task', async () => {
    const f = fixtureFolder('gpt2', charTokenizer());
    try {
      unlinkSync(join(f.dir, 'tokenizer.json'));
      await expect(pipeline('text-generation', f.dir)).rejects.toThrow(
        /text-generation needs a tokenizer: tokenizer\.json is missing/,
      );
      await expect(pipeline('text-generation', f.dir)).rejects.toBeInstanceOf(MissingFileError);
      const g = fixtureFolder('gpt2', charTokenizer());
      unlinkSync(join(g.dir, 'model.safetensors'));
      await expect(pipeline('feature-extraction', g.dir)).rejects.toThrow(
        /feature-extraction needs the weights in model\.safetensors/,
      );
      unlinkSync(join(g.dir, 'config.json'));
      await expect(pipeline('feature-extraction', g.dir)).rejects.toThrow(
        /feature-extraction needs config\.json/,
      );
      g.done();
      await expect(pipeline('fill-mask', join(f.dir, 'nowhere'))).rejects.toThrow(/config\.json/);
    } finally {
      rmSync(f.dir, { recursive: true, force: true });
    }
  });

  it('unknown tasks and wrong architectures say what is needed', async () => {
    // @ts-expect-error an unknown task
    await expect(pipeline('summarization', gpt.dir)).rejects.toThrow(/unknown task "summarization"/);
    await expect(pipeline('token-classification', gpt.dir)).rejects.toThrow(
      /token-classification needs a model with one of the architectures BertForTokenClassification; .* is GPT2LMHeadModel/,
    );
  });

  it('long texts are truncated with a warning; long contexts are read in windows', async () => {
    const w = warnings();
    const qa = await pipeline('question-answering', qaFolder.dir, { onWarning: w.onWarning });
    const ids = Array.from({ length: 150 }, (_, i) => 2 + (i % 90));
    const context = wordsOf(qaTok, ids);
    const short = (await qa(wordsOf(qaTok, [5, 6, 7]), context, { top_k: 3 })) as {
      answer: string;
      start: number;
      end: number;
    }[];
    expect(short).toHaveLength(3); // 150 context tokens, 64 positions: several windows, no crash
    for (const a of short) expect(context.slice(a.start, a.end)).toBe(a.answer);
    const extractor = await pipeline('feature-extraction', qaFolder.dir, { onWarning: w.onWarning });
    const out = await extractor(context);
    expect(out.dims).toEqual([1, 64, 32]);
    expect(w.list.join('\n')).toMatch(/150 tokens but the model reads at most 64; it was truncated/);
  });

  it('fill-mask without a mask, and non-text input, are clear errors', async () => {
    const f = fixtureFolder('bert', wordTokenizer());
    try {
      const unmasker = await pipeline('fill-mask', f.dir);
      await expect(unmasker('w5 w6')).rejects.toThrow(/no \[MASK\] token/);
      // @ts-expect-error not a string
      await expect(unmasker(42)).rejects.toThrow(/expected a string/);
    } finally {
      f.done();
    }
  });

  it('an aborted generation returns what it had', async () => {
    const generator = await pipeline('text-generation', gpt.dir);
    const controller = new AbortController();
    const pieces: string[] = [];
    const it = generator.stream(prompt, { max_new_tokens: 40, signal: controller.signal });
    let r = await it.next();
    while (!r.done) {
      pieces.push(r.value);
      if (pieces.length === 3) controller.abort();
      r = await it.next();
    }
    expect(r.value.finish_reason).toBe('cancelled');
    expect(r.value.generated_text).toBe(prompt + pieces.join(''));
    expect(pieces.join('').length).toBeLessThan(40);
    const [before] = await generator(prompt, { signal: AbortSignal.abort() });
    expect(before).toEqual({ generated_text: prompt, finish_reason: 'cancelled' });
  });
});
