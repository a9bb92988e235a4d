// A sample of each corpus (every 25th document); parity.slow.test.ts runs them whole (pnpm test:slow).
import { describe, expect, it } from 'vitest';
import { bertParity, corpora, gpt2Parity } from './parity.ts';

const sets = corpora(25);

describe('GPT-2 ids equal tiktoken on corpus samples', () => {
  it.each(sets.map((c) => [c.name, c] as const))('%s', (_, c) => {
    expect(gpt2Parity(c)).toBeGreaterThan(10_000);
  });
});

describe('bert-base-uncased ids equal Hugging Face tokenizers on corpus samples', () => {
  it.each(sets.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    expect(await bertParity(c)).toBeGreaterThan(10_000);
  });
});
