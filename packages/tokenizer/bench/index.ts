// Encode throughput (MB/s of UTF-16 text, i.e. millions of characters per second) on real text, ours beside the
// references, in one process, after the same warm-up, on the same input. `pnpm bench` prints a table;
// `pnpm -s bench --json` prints one JSON document (STYLE.md §10).
//
// GPT-2 byte-level BPE: ours, tiktoken (Rust → WebAssembly), js-tiktoken, gpt-tokenizer.
// WordPiece (bert-base-uncased): ours, Hugging Face tokenizers (native), one document at a time and as one
// encodeBatch (which uses every core).
// Corpus: the State of the Union addresses (233 speeches, 10.8 MB) plus Moby-Dick (1.2 MB); warm-up on the
// first 2 MB. Our tokenizer is timed with a fresh instance (an empty word cache), warmed on other text.
import { availableParallelism, cpus } from 'node:os';
import { encode as gptTokenizerEncode } from 'gpt-tokenizer/encoding/r50k_base';
import { getEncoding } from 'js-tiktoken';
import { get_encoding } from 'tiktoken';
import { ByteLevelBpeTokenizer, WordPieceTokenizer } from '../src/index.ts';
import { bertVocabText, gpt2Files, mobyDick, sotu } from '../test/data.ts';
import { hfBert } from '../test/references.ts';

const json = process.argv.includes('--json');
const log = (s: string): void => {
  if (!json) console.log(s);
};

interface Result {
  name: string;
  impl: string;
  threads?: number;
  unit: string;
  value: number;
}
const results: Result[] = [];
const round = (x: number): number => Math.round(x * 100) / 100;

const docs = [...sotu(), ...mobyDick()];
const totalChars = docs.reduce((n, d) => n + d.length, 0);
const warm: string[] = [];
for (let n = 0, i = docs.length - 1; n < 2e6; i--) {
  warm.push(docs[i]!.slice(0, 200_000));
  n += warm.at(-1)!.length;
}

async function time(fn: () => unknown | Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

async function measure(
  name: string,
  impl: string,
  run: (texts: string[]) => unknown | Promise<unknown>,
  threads = 1,
) {
  await run(warm);
  const s = await time(() => run(docs));
  const value = round(totalChars / 1e6 / s);
  results.push({ name, impl, threads, unit: 'MB/s', value });
  log(`${name.padEnd(28)} ${impl.padEnd(28)} ${value.toFixed(2).padStart(8)} MB/s`);
  return value;
}

function ratio(name: string, ours: string, theirs: string): void {
  const a = results.find((r) => r.name === name && r.impl === ours)!.value;
  const b = results.find((r) => r.name === name && r.impl === theirs)!.value;
  results.push({ name, impl: `${ours}/${theirs}`, unit: 'ratio', value: round(a / b) });
  log(`${name.padEnd(28)} ${`${ours}/${theirs}`.padEnd(28)} ${(a / b).toFixed(2).padStart(8)} ×`);
}

log(`corpus: ${docs.length} documents, ${(totalChars / 1e6).toFixed(1)} M characters`);

// Loading GPT-2's files (encoder.json + vocab.bpe, already read into strings): the first load in this process
// (cold JIT) and the median of the next five.
{
  const { encoderJson, vocabBpe } = gpt2Files();
  const loads: number[] = [];
  for (let i = 0; i < 6; i++)
    loads.push((await time(() => ByteLevelBpeTokenizer.fromFiles(encoderJson, vocabBpe))) * 1000);
  const warmLoads = loads.slice(1).sort((a, b) => a - b);
  results.push({
    name: 'GPT-2 vocabulary load',
    impl: 'tsformer (first)',
    unit: 'ms',
    value: round(loads[0]!),
  });
  results.push({
    name: 'GPT-2 vocabulary load',
    impl: 'tsformer (median)',
    unit: 'ms',
    value: round(warmLoads[2]!),
  });
  log(
    `GPT-2 vocabulary load        first ${loads[0]!.toFixed(1)} ms, median of next 5 ${warmLoads[2]!.toFixed(1)} ms`,
  );
}

{
  const name = 'GPT-2 BPE encode';
  const { encoderJson, vocabBpe } = gpt2Files();
  ByteLevelBpeTokenizer.fromFiles(encoderJson, vocabBpe).encode(warm.join(''));
  const ours = ByteLevelBpeTokenizer.fromFiles(encoderJson, vocabBpe);
  await measure(name, 'tsformer', (texts) => {
    for (const t of texts) ours.encode(t);
  });
  const tk = get_encoding('gpt2');
  await measure(name, 'tiktoken', (texts) => {
    for (const t of texts) tk.encode_ordinary(t);
  });
  const js = getEncoding('gpt2');
  await measure(name, 'js-tiktoken', (texts) => {
    for (const t of texts) js.encode(t);
  });
  await measure(name, 'gpt-tokenizer', (texts) => {
    for (const t of texts) gptTokenizerEncode(t);
  });
  ratio(name, 'tsformer', 'tiktoken');
  ratio(name, 'tsformer', 'js-tiktoken');
  ratio(name, 'tsformer', 'gpt-tokenizer');
}

{
  const name = 'WordPiece encode (bert-base-uncased)';
  const vocab = bertVocabText();
  WordPieceTokenizer.fromVocabText(vocab).encode(warm.join(''));
  const ours = WordPieceTokenizer.fromVocabText(vocab);
  await measure(name, 'tsformer', (texts) => {
    for (const t of texts) ours.encode(t);
  });
  const hf = hfBert({ specials: false });
  await measure(name, 'hf-tokenizers', async (texts) => {
    for (const t of texts) await hf.encode(t, null, { addSpecialTokens: false });
  });
  await measure(
    name,
    'hf-tokenizers (encodeBatch)',
    (texts) => hf.encodeBatch(texts, { addSpecialTokens: false }),
    availableParallelism(),
  );
  ratio(name, 'tsformer', 'hf-tokenizers');
  ratio(name, 'tsformer', 'hf-tokenizers (encodeBatch)');
}

if (json) {
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    node: process.versions.node,
    date: new Date().toISOString().slice(0, 10),
  };
  console.log(JSON.stringify({ machine, results }, null, 2));
}
