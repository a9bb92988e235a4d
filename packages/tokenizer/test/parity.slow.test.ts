// Whole corpora: Moby-Dick, the State of the Union addresses, and every SpamAssassin email, decoded and as raw
// latin-1 bytes, in GPT-2 and bert-base-uncased modes. Run with `pnpm test:slow` (SLOW=1).
import { describe, expect, it } from 'vitest';
import { bertParity, corpora, gpt2Parity } from './parity.ts';

const sets = corpora(1);

describe('GPT-2 ids equal tiktoken on whole corpora', () => {
  it.each(sets.map((c) => [c.name, c] as const))('%s', (_, c) => {
    expect(gpt2Parity(c)).toBeGreaterThan(100_000);
  });
});

describe('bert-base-uncased ids equal Hugging Face tokenizers on whole corpora', () => {
  it.each(sets.map((c) => [c.name, c] as const))(
    '%s',
    async (_, c) => {
      expect(await bertParity(c)).toBeGreaterThan(100_000);
    },
    600_000,
  );
});
