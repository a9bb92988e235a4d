// Corpus parity: our ids against the references' on real text, document by document.
import { expect } from 'vitest';
import { ByteLevelBpeTokenizer } from '../src/byte-level-bpe.ts';
import { WordPieceTokenizer } from '../src/wordpiece.ts';
import { bertVocabText, gpt2Files, mobyDick, sample, sotu, spamAssassin } from './data.ts';
import { hfBert, tiktokenGpt2 } from './references.ts';

export interface Corpus {
  name: string;
  texts: string[];
}

/** The corpora of the issue: every `step`-th document of each (1 = whole corpora). */
export function corpora(step: number): Corpus[] {
  const spam = spamAssassin(step);
  return [
    { name: 'Moby-Dick', texts: sample(mobyDick(), step) },
    { name: 'State of the Union', texts: sample(sotu(), step) },
    { name: 'SpamAssassin (decoded)', texts: spam.decoded },
    { name: 'SpamAssassin (raw bytes as latin-1)', texts: spam.latin1 },
  ];
}

let gpt2: ByteLevelBpeTokenizer | undefined;
let bert: WordPieceTokenizer | undefined;

function firstDifference(a: readonly number[], b: ArrayLike<number>): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Asserts GPT-2 ids equal tiktoken's on every text; returns the number of ids compared. */
export function gpt2Parity(c: Corpus): number {
  if (!gpt2) {
    const { encoderJson, vocabBpe } = gpt2Files();
    gpt2 = ByteLevelBpeTokenizer.fromFiles(encoderJson, vocabBpe);
  }
  const ref = tiktokenGpt2();
  let compared = 0;
  const bad: string[] = [];
  c.texts.forEach((t, i) => {
    const ours = gpt2!.encode(t);
    const theirs = ref.encode_ordinary(t);
    const at = firstDifference(ours, theirs);
    if (at >= 0) bad.push(`${c.name} #${i}: first difference at id ${at}`);
    compared += theirs.length;
  });
  expect(bad).toEqual([]);
  return compared;
}

/** Asserts bert-base-uncased ids equal Hugging Face tokenizers' on every text. */
export async function bertParity(c: Corpus): Promise<number> {
  bert ??= WordPieceTokenizer.fromVocabText(bertVocabText(), { lowercase: true });
  const ref = hfBert({ specials: false });
  let compared = 0;
  const bad: string[] = [];
  for (let s = 0; s < c.texts.length; s += 64) {
    const chunk = c.texts.slice(s, s + 64);
    const refs = await ref.encodeBatch(chunk, { addSpecialTokens: false });
    chunk.forEach((t, k) => {
      const theirs = refs[k]!.getIds();
      const at = firstDifference(bert!.encode(t), theirs);
      if (at >= 0) bad.push(`${c.name} #${s + k}: first difference at id ${at}`);
      compared += theirs.length;
    });
  }
  expect(bad).toEqual([]);
  return compared;
}
