// Readers of user fine-tuning data: CSV/TSV (RFC 4180) and JSONL files of labelled examples for `finetune`,
// the seeded train/validation split, and files of unlabelled texts for `predict`.
//
// Columns (CSV header) or keys (JSONL objects), matched case-insensitively after trimming; other columns are
// ignored:
//   text,label                               → sequence
//   text_a,text_b,label                      → pair
//   tokens,tags                              → token (CSV: space-separated; JSONL: arrays or space-separated)
//   question,context,answer[,answer_start]   → qa (answer_start: the answer's character offset in context)
// When several sets are present the kind is the first of qa, token, pair, sequence whose columns are all there.
import { basename, extname } from 'node:path';
import { readTextFile } from '../data.ts';
import type { ExampleOf, PairExample, QaExample, TaskData, TaskKind, TokenExample } from './types.ts';
import { FinetuneDataError } from './types.ts';

/** One example of any kind. */
export type Example = ExampleOf<TaskKind>;

/** What a task file holds. */
export interface TaskFile {
  kind: TaskKind;
  examples: Example[];
  /** the sorted distinct labels (sequence, pair) or tags (token); empty for qa */
  labels: string[];
  /** the 1-based line where each example starts, parallel to `examples` */
  lines: number[];
}

/** Unlabelled inputs for `predict`: texts, or [text_a, text_b] pairs, and the line each came from. */
export interface TextsFile {
  texts: Array<string | [string, string]>;
  lines: number[];
}

export interface LoadUserTaskOptions {
  /** the training file (.csv, .tsv, .jsonl, .ndjson, .json-lines) */
  train: string;
  /** a validation file of the same kind; without one, `validationFraction` of the training file is split off */
  validation?: string;
  /** the kind of task; inferred from the columns when not given */
  kind?: TaskKind;
  /** the share of the training file held out when there is no validation file (default 0.1; at least 1 example) */
  validationFraction?: number;
  /** the seed of the split's shuffle (default 0) */
  seed?: number;
}

/** One CSV record: its fields and the 1-based line where it starts. */
export interface CsvRecord {
  fields: string[];
  line: number;
}

const REQUIRED: Record<TaskKind, readonly string[]> = {
  sequence: ['text', 'label'],
  pair: ['text_a', 'text_b', 'label'],
  token: ['tokens', 'tags'],
  qa: ['question', 'context', 'answer'],
};
const INFERENCE_ORDER: readonly TaskKind[] = ['qa', 'token', 'pair', 'sequence'];
const ACCEPTED =
  'accepted: text,label (sequence); text_a,text_b,label (pair); tokens,tags (token); ' +
  'question,context,answer[,answer_start] (qa)';

const JSONL_EXTENSIONS = new Set(['.jsonl', '.ndjson', '.json-lines']);

function fail(path: string, line: number | null, message: string): never {
  throw new FinetuneDataError(line === null ? `${path}: ${message}` : `${path}:${line}: ${message}`);
}

/** A value quoted for a message, cut to 60 characters. */
function show(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}…` : s);
}

function readText(path: string): string {
  try {
    return readTextFile(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT') fail(path, null, 'no such file');
    if (code === 'EISDIR') fail(path, null, 'is a folder: give a file');
    throw e;
  }
}

function countBreaks(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 10 || (c === 13 && s.charCodeAt(i + 1) !== 10)) n++;
  }
  return n;
}

/**
 * Splits CSV text into records (RFC 4180): fields separated by `separator`, records by CRLF, LF or CR; a field
 * that starts with `"` is quoted and may hold separators, line breaks and doubled quotes (`""`). A quote inside
 * an unquoted field is kept as a character. Blank lines are skipped. Throws a FinetuneDataError naming `path`
 * and the line for an unterminated quote or text after a closing quote.
 */
export function parseCsv(text: string, path: string, separator = ','): CsvRecord[] {
  const records: CsvRecord[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  while (i < n) {
    const start = line;
    if (text[i] === '\n' || text[i] === '\r') {
      i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      continue;
    }
    const fields: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        const opened = line;
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) fail(path, opened, 'unterminated quoted field: the " that opens it is never closed');
          line += countBreaks(text, i, q);
          field += text.slice(i, q);
          i = q + 1;
          if (text[i] === '"') {
            field += '"';
            i++;
          } else break;
        }
        if (i < n && text[i] !== separator && text[i] !== '\n' && text[i] !== '\r')
          fail(
            path,
            line,
            `unexpected ${show(text[i]!)} after a closing quote (write a quote inside a field as "")`,
          );
      } else {
        let j = i;
        while (j < n && text[j] !== separator && text[j] !== '\n' && text[j] !== '\r') j++;
        field = text.slice(i, j);
        i = j;
      }
      fields.push(field);
      if (i < n && text[i] === separator) {
        i++;
        continue;
      }
      if (i < n) {
        i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1;
        line++;
      }
      break;
    }
    if (fields.length === 1 && fields[0]!.trim() === '') continue;
    records.push({ fields, line: start });
  }
  return records;
}

/** A row of named values (CSV: strings; JSONL: JSON values), looked up by lower-case name. */
interface Row {
  get(name: string): unknown;
  line: number;
}

interface Table {
  /** the lower-cased column names or keys that decide the kind, and where they were read */
  columns: string[];
  columnsLine: number;
  what: 'columns' | 'keys';
  rows: Row[];
}

function csvTable(path: string, text: string, separator: string): Table {
  const records = parseCsv(text, path, separator);
  const header = records[0];
  if (!header) fail(path, null, 'the file is empty: it needs a header row and examples');
  const columns = header.fields.map((f) => f.trim().toLowerCase());
  const index = new Map<string, number>();
  columns.forEach((c, k) => {
    if (c === '') return;
    if (index.has(c)) fail(path, header.line, `the header names the column ${show(c)} twice`);
    index.set(c, k);
  });
  const rows = records.slice(1).map((r): Row => {
    if (r.fields.length !== columns.length)
      fail(
        path,
        r.line,
        `expected ${columns.length} fields as in the header (${columns.join(',')}), found ${r.fields.length}` +
          (r.fields.length > columns.length ? ' (quote fields that contain the separator)' : ''),
      );
    return {
      get: (name) => {
        const k = index.get(name);
        return k === undefined ? undefined : r.fields[k];
      },
      line: r.line,
    };
  });
  return { columns: columns.filter((c) => c !== ''), columnsLine: header.line, what: 'columns', rows };
}

/** JSONL rows (keys trimmed and lower-cased); with `strings`, a line that is a JSON string reads as {"text": …}. */
function jsonlTable(path: string, text: string, strings = false): Table {
  const rows: Row[] = [];
  let columns: string[] | null = null;
  let columnsLine = 1;
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      fail(path, i + 1, `not valid JSON (${(e as Error).message})`);
    }
    if (strings && typeof value === 'string') value = { text: value };
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      fail(path, i + 1, `expected a JSON ${strings ? 'string or object' : 'object'}, one per line`);
    const map = new Map<string, unknown>();
    for (const [k, v] of Object.entries(value)) map.set(k.trim().toLowerCase(), v);
    if (columns === null) {
      columns = [...map.keys()];
      columnsLine = i + 1;
    }
    rows.push({ get: (name) => map.get(name), line: i + 1 });
  });
  return { columns: columns ?? [], columnsLine, what: 'keys', rows };
}

function tableOf(path: string): Table {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv' || ext === '.tsv') return csvTable(path, readText(path), ext === '.tsv' ? '\t' : ',');
  if (JSONL_EXTENSIONS.has(ext)) return jsonlTable(path, readText(path));
  return fail(
    path,
    null,
    `unsupported file type ${show(ext || '(none)')}: give a .csv, .tsv or .jsonl (.ndjson, .json-lines) file`,
  );
}

function kindOfColumns(columns: ReadonlySet<string>): TaskKind | undefined {
  return INFERENCE_ORDER.find((k) => REQUIRED[k].every((c) => columns.has(c)));
}

function resolveKind(path: string, table: Table, given: TaskKind | undefined): TaskKind {
  const cols = new Set(table.columns);
  const inferred = kindOfColumns(cols);
  const found = table.columns.length ? table.columns.join(',') : 'none';
  if (given !== undefined) {
    if (REQUIRED[given].every((c) => cols.has(c))) return given;
    if (inferred !== undefined)
      fail(
        path,
        table.columnsLine,
        `the ${table.what} (${found}) are those of a ${inferred} task, not of a ${given} task (which needs ${REQUIRED[given].join(',')})`,
      );
    fail(
      path,
      table.columnsLine,
      `a ${given} task needs the ${table.what} ${REQUIRED[given].join(',')}; found ${found}`,
    );
  }
  if (inferred === undefined)
    fail(path, table.columnsLine, `the ${table.what} (${found}) match no kind of task; ${ACCEPTED}`);
  return inferred;
}

function required(path: string, row: Row, name: string): unknown {
  const v = row.get(name);
  if (v === undefined || v === null) fail(path, row.line, `missing ${show(name)}`);
  return v;
}

function textField(path: string, row: Row, name: string): string {
  const v = required(path, row, name);
  if (typeof v !== 'string') fail(path, row.line, `${show(name)} must be a string`);
  if (v.trim() === '') fail(path, row.line, `empty ${show(name)}`);
  return v;
}

function labelField(path: string, row: Row, name: string): string {
  const v = required(path, row, name);
  if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v)))
    fail(path, row.line, `${show(name)} must be a string or a number`);
  const s = String(v).trim();
  if (s === '') fail(path, row.line, `empty ${show(name)}`);
  return s;
}

/** A space-separated string, or (JSONL) an array of strings (and numbers, for tags). */
function listField(path: string, row: Row, name: string, numbers: boolean): string[] {
  const v = required(path, row, name);
  let items: string[];
  if (typeof v === 'string') items = v.trim() === '' ? [] : v.trim().split(/\s+/u);
  else if (Array.isArray(v)) {
    items = v.map((x, k) => {
      if (typeof x === 'string' || (numbers && typeof x === 'number' && Number.isFinite(x))) {
        const s = typeof x === 'string' ? x : String(x);
        if (s.trim() === '') fail(path, row.line, `${show(name)} has an empty item at position ${k + 1}`);
        return numbers ? s.trim() : s;
      }
      return fail(
        path,
        row.line,
        `${show(name)} must be an array of strings${numbers ? ' or numbers' : ''} (item ${k + 1} is not)`,
      );
    });
  } else fail(path, row.line, `${show(name)} must be a space-separated string or an array of strings`);
  if (items.length === 0) fail(path, row.line, `empty ${show(name)}`);
  return items;
}

function answerStart(path: string, row: Row): number | undefined {
  const v = row.get('answer_start');
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) return undefined;
  const n = typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
    fail(
      path,
      row.line,
      `"answer_start" must be a character offset (an integer ≥ 0), not ${show(String(v))}`,
    );
  return n;
}

function exampleOf(path: string, kind: TaskKind, row: Row): Example {
  switch (kind) {
    case 'sequence':
      return { text: textField(path, row, 'text'), label: labelField(path, row, 'label') };
    case 'pair':
      return {
        textA: textField(path, row, 'text_a'),
        textB: textField(path, row, 'text_b'),
        label: labelField(path, row, 'label'),
      } satisfies PairExample;
    case 'token': {
      const tokens = listField(path, row, 'tokens', false);
      const tags = listField(path, row, 'tags', true);
      if (tokens.length !== tags.length)
        fail(path, row.line, `${tokens.length} tokens but ${tags.length} tags: give one tag per token`);
      return { tokens, tags } satisfies TokenExample;
    }
    case 'qa': {
      const question = textField(path, row, 'question');
      const context = textField(path, row, 'context');
      const text = required(path, row, 'answer');
      if (typeof text !== 'string') fail(path, row.line, '"answer" must be a string');
      if (text === '') fail(path, row.line, 'empty "answer"');
      const given = answerStart(path, row);
      const found = context.indexOf(text);
      if (given === undefined) {
        if (found < 0) fail(path, row.line, `the answer ${show(text)} does not occur in the context`);
        return { question, context, answer: { text, start: found } } satisfies QaExample;
      }
      if (context.slice(given, given + text.length) !== text)
        fail(
          path,
          row.line,
          `the answer ${show(text)} is not at answer_start ${given} of the context` +
            (found >= 0 ? ` (it occurs at ${found})` : ' (it does not occur in the context)'),
        );
      return { question, context, answer: { text, start: given } } satisfies QaExample;
    }
  }
}

function labelsOf(kind: TaskKind, examples: readonly Example[]): string[] {
  const set = new Set<string>();
  if (kind === 'sequence' || kind === 'pair')
    for (const e of examples) set.add((e as { label: string }).label);
  else if (kind === 'token') for (const e of examples) for (const t of (e as TokenExample).tags) set.add(t);
  return [...set].sort();
}

/**
 * Reads a task file: CSV (.csv), TSV (.tsv; the same quoting rules with a tab separator) or JSONL (.jsonl,
 * .ndjson, .json-lines; one object a line, blank lines skipped). The kind is inferred from the header or the
 * first object's keys unless given; a given kind the columns disagree with is an error. Throws a
 * FinetuneDataError naming the file and line; a binary or non-UTF-8 file throws readTextFile's DataError.
 */
export function readTaskFile(path: string, kind?: TaskKind): TaskFile {
  const table = tableOf(path);
  if (table.rows.length === 0)
    fail(
      path,
      null,
      table.what === 'columns' ? 'no examples: the file has only a header row' : 'no examples',
    );
  const resolved = resolveKind(path, table, kind);
  const examples = table.rows.map((r) => exampleOf(path, resolved, r));
  return {
    kind: resolved,
    examples,
    labels: labelsOf(resolved, examples),
    lines: table.rows.map((r) => r.line),
  };
}

/** A small seeded PRNG (mulberry32): uniform numbers in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The indices of a seeded hold-out: round(fraction × n) items (at least 1, and at most n − 1) chosen by a
 * Fisher–Yates shuffle under mulberry32(seed); both parts keep the items' original order.
 */
export function splitIndices(
  n: number,
  fraction: number,
  seed: number,
): { train: number[]; validation: number[] } {
  if (n < 2) throw new RangeError(`cannot split ${n} item(s) into training and validation parts`);
  const order = Array.from({ length: n }, (_, i) => i);
  const rand = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const k = Math.min(n - 1, Math.max(1, Math.round(fraction * n)));
  const held = new Set(order.slice(0, k));
  const train: number[] = [];
  const validation: number[] = [];
  for (let i = 0; i < n; i++) (held.has(i) ? validation : train).push(i);
  return { train, validation };
}

const MAX_LISTED = 20;

/**
 * A user's task: the training file, and the validation file or a seeded split of the training file. Every label
 * (tag) of a validation file must occur in the training file; sequence, pair and token tasks need at least
 * 2 labels (tags). The labels are the training file's, sorted.
 */
export function loadUserTask(opts: LoadUserTaskOptions): TaskData {
  const fraction = opts.validationFraction ?? 0.1;
  const seed = opts.seed ?? 0;
  if (!(fraction > 0 && fraction < 1))
    throw new FinetuneDataError(
      `the validation fraction must be between 0 and 1 (exclusive), not ${fraction}`,
    );
  const train = readTaskFile(opts.train, opts.kind);
  const kind = train.kind;
  const labels = train.labels;
  if (kind !== 'qa' && labels.length < 2) {
    const what = kind === 'token' ? 'tag' : 'label';
    fail(
      opts.train,
      null,
      `only one ${what} (${labels.map(show).join(', ')}): a ${kind} task needs at least 2 distinct ${what}s`,
    );
  }
  const name = basename(opts.train, extname(opts.train));
  if (opts.validation !== undefined) {
    const val = readTaskFile(opts.validation, kind);
    if (kind !== 'qa') {
      const known = new Set(labels);
      const what = kind === 'token' ? 'tag' : 'label';
      val.examples.forEach((e, i) => {
        const seen = kind === 'token' ? (e as TokenExample).tags : [(e as { label: string }).label];
        const unknown = seen.find((l) => !known.has(l));
        if (unknown === undefined) return;
        const list =
          labels.length > MAX_LISTED
            ? `${labels.slice(0, MAX_LISTED).join(', ')}, … (${labels.length} in all)`
            : labels.join(', ');
        fail(
          opts.validation!,
          val.lines[i]!,
          `the ${what} ${show(unknown)} does not occur in the training file ${opts.train}; known ${what}s: ${list}`,
        );
      });
    }
    return {
      kind,
      name,
      train: train.examples,
      validation: val.examples,
      labels,
      source: `${opts.train} (train), ${opts.validation} (validation)`,
    };
  }
  const n = train.examples.length;
  if (n < 2)
    fail(
      opts.train,
      null,
      `only ${n} example: a validation split needs at least 2 (or give a validation file)`,
    );
  const split = splitIndices(n, fraction, seed);
  return {
    kind,
    name,
    train: split.train.map((i) => train.examples[i]!),
    validation: split.validation.map((i) => train.examples[i]!),
    labels,
    source: `${opts.train}, validation = ${split.validation.length} of its ${n} examples (fraction ${fraction}, seed ${seed})`,
  };
}

/**
 * Inputs for `predict`: a .txt file (one text per non-blank line, trimmed), a .csv/.tsv file with a `text`
 * column (or `text_a,text_b` for pairs, `question,context` for QA, `tokens` for taggers; other columns ignored),
 * or a JSONL file of strings or objects with those keys (`tokens` may be an array of words).
 */
export function readTextsFile(path: string): TextsFile {
  const ext = extname(path).toLowerCase();
  const texts: Array<string | [string, string]> = [];
  const lines: number[] = [];
  if (ext === '.txt') {
    readText(path)
      .split('\n')
      .forEach((raw, i) => {
        const t = raw.trim();
        if (t === '') return;
        texts.push(t);
        lines.push(i + 1);
      });
  } else if (ext === '.csv' || ext === '.tsv' || JSONL_EXTENSIONS.has(ext)) {
    const text = readText(path);
    if (JSONL_EXTENSIONS.has(ext)) {
      for (const row of jsonlTable(path, text, true).rows) {
        if (row.get('text') !== undefined) texts.push(textField(path, row, 'text'));
        else if (row.get('text_a') !== undefined || row.get('text_b') !== undefined)
          texts.push([textField(path, row, 'text_a'), textField(path, row, 'text_b')]);
        else if (row.get('question') !== undefined || row.get('context') !== undefined)
          texts.push([textField(path, row, 'question'), textField(path, row, 'context')]);
        else if (Array.isArray(row.get('tokens')))
          texts.push((row.get('tokens') as unknown[]).map(String).join(' '));
        else if (row.get('tokens') !== undefined) texts.push(textField(path, row, 'tokens'));
        else
          fail(
            path,
            row.line,
            'expected a "text" key (or "text_a" and "text_b", "question" and "context", or "tokens")',
          );
        lines.push(row.line);
      }
    } else {
      const table = csvTable(path, text, ext === '.tsv' ? '\t' : ',');
      const cols = new Set(table.columns);
      const pair: [string, string] | null = cols.has('text')
        ? null
        : cols.has('text_a') && cols.has('text_b')
          ? ['text_a', 'text_b']
          : cols.has('question') && cols.has('context')
            ? ['question', 'context']
            : null;
      const single = cols.has('text') ? 'text' : cols.has('tokens') ? 'tokens' : null;
      if (!single && !pair)
        fail(
          path,
          table.columnsLine,
          `needs a "text" column (or "text_a" and "text_b", "question" and "context", or "tokens"); found ${table.columns.join(',') || 'none'}`,
        );
      for (const row of table.rows) {
        texts.push(
          pair
            ? [textField(path, row, pair[0]), textField(path, row, pair[1])]
            : textField(path, row, single!),
        );
        lines.push(row.line);
      }
    }
  } else
    fail(
      path,
      null,
      `unsupported file type ${show(ext || '(none)')}: give a .txt, .csv, .tsv or .jsonl file`,
    );
  if (texts.length === 0) fail(path, null, 'no texts: the file is empty');
  return { texts, lines };
}
