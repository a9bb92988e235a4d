// Writes the unlabelled pretraining corpus of the fine-tuning runs (RESULTS.md, "Fine-tuning"): the TRAINING
// parts only of the spam emails and of the Brown corpus, then Moby-Dick's 138 chapters in order, so that
// `--val-docs 14` holds out exactly the trainer's Moby-Dick validation chapters. No test email or test Brown file
// is in it. Usage: tsx --conditions=@tsformer/source scripts/pretrain-corpus.ts [out folder]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadMobyDick } from '../src/data.ts';
import { brownTrainText, spamTrainTexts } from '../src/finetune/datasets.ts';

const out = resolve(process.env.INIT_CWD ?? process.cwd(), process.argv[2] ?? 'runs/corpus');
mkdirSync(out, { recursive: true });

/** Email text for a language model: lines of base64/uuencoded noise (long, no spaces) dropped, 6,000 chars at most. */
function cleanEmail(text: string): string {
  return text
    .split('\n')
    .filter((l) => !(l.length > 50 && !/\s/.test(l.trim())))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .slice(0, 6000)
    .trim();
}

const jsonl = (texts: string[]) =>
  `${texts
    .filter((t) => t.trim() !== '')
    .map((text) => JSON.stringify({ text }))
    .join('\n')}\n`;
const spam = spamTrainTexts().map(cleanEmail);
// Brown's training text in documents of about 20,000 characters, cut at paragraph breaks
const brown: string[] = [];
let doc = '';
for (const para of brownTrainText().split(/\n\s*\n/)) {
  doc = doc ? `${doc}\n\n${para}` : para;
  if (doc.length >= 20_000) {
    brown.push(doc);
    doc = '';
  }
}
if (doc) brown.push(doc);
const moby = loadMobyDick().map((d) => d.text);
writeFileSync(join(out, '01-spam-train.jsonl'), jsonl(spam));
writeFileSync(join(out, '02-brown-train.jsonl'), jsonl(brown));
writeFileSync(join(out, '03-moby-dick.jsonl'), jsonl(moby));
const chars = (a: string[]) => a.reduce((s, t) => s + t.length, 0).toLocaleString('en-US');
console.log(
  `${out}: ${spam.length} emails (${chars(spam)} chars), ${brown.length} Brown documents (${chars(brown)}), ${moby.length} Moby-Dick chapters (${chars(moby)}); train with --val-docs 14`,
);
