import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError } from '../data.ts';
import { loadUserTask, parseCsv, readTaskFile, readTextsFile, splitIndices } from './readers.ts';
import { FinetuneDataError } from './types.ts';

const dir = mkdtempSync(join(tmpdir(), 'tsformer-finetune-readers-'));
let counter = 0;
/** Writes `content` to a fresh file named `name` (in its own folder, so names can repeat) and returns its path. */
function file(name: string, content: string | Uint8Array): string {
  const sub = join(dir, String(counter++));
  const path = join(sub, name);
  mkdirSync(sub);
  writeFileSync(path, content);
  return path;
}

/** The FinetuneDataError message of `f`. */
function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FinetuneDataError);
    return (e as Error).message;
  }
  throw new Error('expected a FinetuneDataError');
}

describe('parseCsv', () => {
  it('reads quoted fields, doubled quotes, separators and line breaks inside quotes, CRLF, and counts lines', () => {
    const text = 'text,label\r\n"hello, world",pos\r\n"say ""hi""\r\nthere",neg\r\n\r\nplain,pos\r\n';
    expect(parseCsv(text, 'x.csv')).toEqual([
      { fields: ['text', 'label'], line: 1 },
      { fields: ['hello, world', 'pos'], line: 2 },
      { fields: ['say "hi"\r\nthere', 'neg'], line: 3 },
      // line 4 ends the quoted record's second line; line 5 is blank
      { fields: ['plain', 'pos'], line: 6 },
    ]);
  });

  it('keeps empty fields, a quote inside an unquoted field, and a last record without a line break', () => {
    expect(parseCsv('a,b,c\n,x"y,""\nz,,', 'x.csv').map((r) => r.fields)).toEqual([
      ['a', 'b', 'c'],
      ['', 'x"y', ''],
      ['z', '', ''],
    ]);
  });

  it('splits on tabs for TSV', () => {
    expect(parseCsv('text\tlabel\na, b\t"c\td"\n', 'x.tsv', '\t').map((r) => r.fields)).toEqual([
      ['text', 'label'],
      ['a, b', 'c\td'],
    ]);
  });

  it('names the line of an unterminated quote and of text after a closing quote', () => {
    expect(errorOf(() => parseCsv('text,label\nok,pos\n"never\nclosed,neg\n', 'f.csv'))).toMatch(
      /^f\.csv:3: unterminated quoted field/,
    );
    expect(errorOf(() => parseCsv('text,label\n"a"b,pos\n', 'f.csv'))).toMatch(
      /^f\.csv:2: unexpected "b" after/,
    );
  });
});

describe('readTaskFile', () => {
  it('reads a sequence CSV and infers its kind; labels are sorted and distinct', () => {
    const p = file(
      'spam.csv',
      'Text , LABEL,id\n"Win money, now!",spam,1\nlunch?,ham,2\n"multi\nline",spam,3\n',
    );
    const t = readTaskFile(p);
    expect(t.kind).toBe('sequence');
    expect(t.examples).toEqual([
      { text: 'Win money, now!', label: 'spam' },
      { text: 'lunch?', label: 'ham' },
      { text: 'multi\nline', label: 'spam' },
    ]);
    expect(t.labels).toEqual(['ham', 'spam']);
    expect(t.lines).toEqual([2, 3, 4]);
  });

  it('reads TSV', () => {
    const p = file('a.tsv', 'text\tlabel\ngood film\tpos\nbad, bad film\tneg\n');
    expect(readTaskFile(p).examples).toEqual([
      { text: 'good film', label: 'pos' },
      { text: 'bad, bad film', label: 'neg' },
    ]);
  });

  it('reads pair JSONL with numeric labels as strings, skipping blank lines', () => {
    const p = file(
      'nli.jsonl',
      '{"text_a":"A man sleeps.","text_b":"A person rests.","label":1}\n\n' +
        '{"text_a":"A cat.","text_b":"A dog.","label":0}\r\n{"text_a":"x","text_b":"y","label":"2"}\n',
    );
    const t = readTaskFile(p);
    expect(t.kind).toBe('pair');
    expect(t.examples[0]).toEqual({ textA: 'A man sleeps.', textB: 'A person rests.', label: '1' });
    expect(t.labels).toEqual(['0', '1', '2']);
    expect(t.lines).toEqual([1, 3, 4]);
  });

  it('reads token tasks from CSV (space-separated) and JSONL (arrays or strings)', () => {
    const csv = file('pos.csv', 'tokens,tags\n"The cat sat",DET NOUN VERB\nDogs  bark,NOUN VERB\n');
    const t = readTaskFile(csv);
    expect(t.kind).toBe('token');
    expect(t.examples).toEqual([
      { tokens: ['The', 'cat', 'sat'], tags: ['DET', 'NOUN', 'VERB'] },
      { tokens: ['Dogs', 'bark'], tags: ['NOUN', 'VERB'] },
    ]);
    expect(t.labels).toEqual(['DET', 'NOUN', 'VERB']);
    const jsonl = file(
      'ner.ndjson',
      '{"tokens":["New York","is","big"],"tags":["B-LOC","O","O"]}\n{"tokens":"Paris","tags":[3]}\n',
    );
    expect(readTaskFile(jsonl).examples).toEqual([
      { tokens: ['New York', 'is', 'big'], tags: ['B-LOC', 'O', 'O'] },
      { tokens: ['Paris'], tags: ['3'] },
    ]);
  });

  it('reads qa with and without answer_start', () => {
    const p = file(
      'qa.csv',
      'question,context,answer,answer_start\n' + 'Who?,"Ann met Ann.",Ann,8\n' + 'Where?,In Paris.,Paris,\n',
    );
    const t = readTaskFile(p);
    expect(t.kind).toBe('qa');
    expect(t.labels).toEqual([]);
    expect(t.examples).toEqual([
      { question: 'Who?', context: 'Ann met Ann.', answer: { text: 'Ann', start: 8 } },
      { question: 'Where?', context: 'In Paris.', answer: { text: 'Paris', start: 3 } },
    ]);
    const j = file('qa.json-lines', '{"question":"Who?","context":"It was Bo.","answer":"Bo"}\n');
    expect(readTaskFile(j).examples[0]).toEqual({
      question: 'Who?',
      context: 'It was Bo.',
      answer: { text: 'Bo', start: 7 },
    });
  });

  it('checks answers against the context', () => {
    const missing = file('q.jsonl', '{"question":"q","context":"abc","answer":"x"}\n');
    expect(errorOf(() => readTaskFile(missing))).toMatch(
      /q\.jsonl:1: the answer "x" does not occur in the context/,
    );
    const wrong = file('q.csv', 'question,context,answer,answer_start\nq,abcb,b,0\n');
    expect(errorOf(() => readTaskFile(wrong))).toMatch(
      /q\.csv:2: the answer "b" is not at answer_start 0.*occurs at 1/,
    );
    const bad = file('q.csv', 'question,context,answer,answer_start\nq,abc,b,one\n');
    expect(errorOf(() => readTaskFile(bad))).toMatch(/q\.csv:2: "answer_start" must be a character offset/);
  });

  it('uses a given kind, and rejects one the columns disagree with', () => {
    const p = file('both.csv', 'text,text_a,text_b,label\nt,a,b,x\n');
    expect(readTaskFile(p).kind).toBe('pair');
    expect(readTaskFile(p, 'sequence').examples).toEqual([{ text: 't', label: 'x' }]);
    const pair = file('pair.csv', 'text_a,text_b,label\na,b,x\n');
    expect(errorOf(() => readTaskFile(pair, 'sequence'))).toMatch(
      /pair\.csv:1: the columns \(text_a,text_b,label\) are those of a pair task, not of a sequence task/,
    );
    const none = file('none.jsonl', '{"foo":1}\n');
    expect(errorOf(() => readTaskFile(none, 'token'))).toMatch(
      /a token task needs the keys tokens,tags; found foo/,
    );
  });

  it('names the accepted columns when none match', () => {
    const p = file('odd.csv', 'sentence,class\na,b\n');
    expect(errorOf(() => readTaskFile(p))).toBe(
      `${p}:1: the columns (sentence,class) match no kind of task; accepted: text,label (sequence); ` +
        'text_a,text_b,label (pair); tokens,tags (token); question,context,answer[,answer_start] (qa)',
    );
  });

  it('names the file and line of malformed rows and fields', () => {
    const cases: [string, string, RegExp][] = [
      ['a.csv', 'text,label\nok,pos\na,b,c\n', /a\.csv:3: expected 2 fields .* found 3 \(quote fields/],
      ['a.csv', 'text,label\nok,pos\nlonely\n', /a\.csv:3: expected 2 fields/],
      ['a.csv', 'text,label\nok,pos\n"  ",neg\n', /a\.csv:3: empty "text"/],
      ['a.csv', 'text,label\nok,\n', /a\.csv:2: empty "label"/],
      ['a.jsonl', '{"text":"a","label":"x"}\n{"text":"b"\n', /a\.jsonl:2: not valid JSON/],
      ['a.jsonl', '{"text":"a","label":"x"}\n[1]\n', /a\.jsonl:2: expected a JSON object/],
      ['a.jsonl', '{"text":"a","label":"x"}\n\n{"text":"b"}\n', /a\.jsonl:3: missing "label"/],
      [
        'a.jsonl',
        '{"text":"a","label":"x"}\n{"text":5,"label":"y"}\n',
        /a\.jsonl:2: "text" must be a string/,
      ],
      ['a.jsonl', '{"text":"a","label":true}\n', /a\.jsonl:1: "label" must be a string or a number/],
      ['t.csv', 'tokens,tags\na b,X\n', /t\.csv:2: 2 tokens but 1 tags/],
      [
        't.jsonl',
        '{"tokens":["a",""],"tags":["X","Y"]}\n',
        /t\.jsonl:1: "tokens" has an empty item at position 2/,
      ],
      ['t.jsonl', '{"tokens":[],"tags":[]}\n', /t\.jsonl:1: empty "tokens"/],
      ['dup.csv', 'text,label,Text\na,b,c\n', /dup\.csv:1: the header names the column "text" twice/],
    ];
    for (const [name, content, re] of cases)
      expect(errorOf(() => readTaskFile(file(name, content)))).toMatch(re);
  });

  it('rejects empty files, header-only files, other extensions, missing files', () => {
    expect(errorOf(() => readTaskFile(file('e.csv', '')))).toMatch(/e\.csv: the file is empty/);
    expect(errorOf(() => readTaskFile(file('e.jsonl', '\n  \n')))).toMatch(/e\.jsonl: no examples/);
    expect(errorOf(() => readTaskFile(file('h.csv', 'text,label\n')))).toMatch(
      /h\.csv: no examples: the file has only/,
    );
    expect(errorOf(() => readTaskFile(file('x.json', '[]')))).toMatch(/unsupported file type "\.json"/);
    expect(errorOf(() => readTaskFile(join(dir, 'absent.csv')))).toMatch(/absent\.csv: no such file/);
  });

  it('passes on readTextFile’s error for binary and non-UTF-8 files', () => {
    expect(() => readTaskFile(file('b.csv', new Uint8Array([116, 0, 1, 2])))).toThrow(DataError);
    expect(() => readTaskFile(file('l.csv', new Uint8Array([116, 101, 120, 116, 0xe9, 10])))).toThrow(
      /not UTF-8/,
    );
  });
});

describe('loadUserTask', () => {
  const rows = Array.from({ length: 10 }, (_, i) => `example ${i},${i % 2 ? 'odd' : 'even'}`);
  const train = file('numbers.csv', `text,label\n${rows.join('\n')}\n`);

  it('splits off a seeded validation part, deterministically, keeping file order in both parts', () => {
    const a = loadUserTask({ train });
    expect(a.kind).toBe('sequence');
    expect(a.name).toBe('numbers');
    expect(a.labels).toEqual(['even', 'odd']);
    // round(0.1 × 10) = 1 held out
    expect(a.validation).toHaveLength(1);
    expect(a.train).toHaveLength(9);
    expect(a.source).toContain(train);
    expect(loadUserTask({ train })).toEqual(a);
    const texts = (t: typeof a) =>
      [...t.train, ...t.validation].map((e) => (e as { text: string }).text).sort();
    expect(texts(a)).toEqual(rows.map((r) => r.split(',')[0]).sort());
    // round(0.3 × 10) = 3
    const b = loadUserTask({ train, validationFraction: 0.3, seed: 7 });
    expect(b.validation).toHaveLength(3);
    const order = b.train.map((e) => Number((e as { text: string }).text.split(' ')[1]));
    expect(order).toEqual([...order].sort((x, y) => x - y));
    const heldOut = new Set(
      [0, 1, 2, 3, 4, 5].map((seed) =>
        JSON.stringify(loadUserTask({ train, seed, validationFraction: 0.3 }).validation),
      ),
    );
    expect(heldOut.size).toBeGreaterThan(1);
  });

  it('holds out at least 1 and keeps at least 1 for training', () => {
    // round(0.1 × 2) = 0, raised to 1
    const two = splitIndices(2, 0.1, 0);
    expect([two.train.length, two.validation.length]).toEqual([1, 1]);
    expect([...two.train, ...two.validation].sort()).toEqual([0, 1]);
    expect(splitIndices(2, 0.01, 3).validation).toHaveLength(1);
    // round(0.9 × 3) = 3, capped at 3 − 1 = 2
    const s = splitIndices(3, 0.9, 1);
    expect(s.train).toHaveLength(1);
    expect(s.validation).toHaveLength(2);
    const one = file('one.jsonl', '{"question":"q","context":"c","answer":"c"}\n');
    expect(errorOf(() => loadUserTask({ train: one }))).toMatch(
      /one\.jsonl: only 1 example: a validation split/,
    );
    expect(errorOf(() => loadUserTask({ train, validationFraction: 1 }))).toMatch(/between 0 and 1/);
  });

  it('needs 2 classes', () => {
    const p = file('mono.csv', 'text,label\na,x\nb,x\n');
    expect(errorOf(() => loadUserTask({ train: p }))).toMatch(/mono\.csv: only one label \("x"\)/);
  });

  it('reads a validation file of the same kind whose labels all occur in training', () => {
    const val = file(
      'dev.jsonl',
      '{"text":"example 10","label":"even"}\n{"text":"example 11","label":"odd"}\n',
    );
    const t = loadUserTask({ train, validation: val });
    expect(t.train).toHaveLength(10);
    expect(t.validation).toEqual([
      { text: 'example 10', label: 'even' },
      { text: 'example 11', label: 'odd' },
    ]);
    expect(t.source).toBe(`${train} (train), ${val} (validation)`);
    const unknown = file('dev.jsonl', '{"text":"a","label":"odd"}\n\n{"text":"b","label":"prime"}\n');
    expect(errorOf(() => loadUserTask({ train, validation: unknown }))).toBe(
      `${unknown}:3: the label "prime" does not occur in the training file ${train}; known labels: even, odd`,
    );
    const pairs = file('dev.csv', 'text_a,text_b,label\na,b,odd\n');
    expect(errorOf(() => loadUserTask({ train, validation: pairs }))).toMatch(
      /dev\.csv:1: .* not of a sequence task/,
    );
  });

  it('checks validation tags, listing at most 20 known tags', () => {
    const tags = Array.from({ length: 25 }, (_, i) => `T${String(i).padStart(2, '0')}`);
    const tr = file('tags.jsonl', `${JSON.stringify({ tokens: tags, tags })}\n`);
    const va = file('tags-dev.jsonl', `${JSON.stringify({ tokens: ['a', 'b'], tags: ['T01', 'T99'] })}\n`);
    expect(errorOf(() => loadUserTask({ train: tr, validation: va }))).toMatch(
      /tags-dev\.jsonl:1: the tag "T99" does not occur .*known tags: T00, T01, .*T19, … \(25 in all\)$/,
    );
  });
});

describe('readTextsFile', () => {
  it('reads .txt lines, CSV text or text_a/text_b columns, and JSONL strings or objects', () => {
    expect(readTextsFile(file('in.txt', 'first text\r\n\n  second  \n'))).toEqual({
      texts: ['first text', 'second'],
      lines: [1, 3],
    });
    expect(readTextsFile(file('in.csv', 'id,text\n1,"a, b"\n2,c\n'))).toEqual({
      texts: ['a, b', 'c'],
      lines: [2, 3],
    });
    expect(readTextsFile(file('in.tsv', 'text_a\ttext_b\tlabel\nx\ty\tz\n')).texts).toEqual([['x', 'y']]);
    expect(
      readTextsFile(file('in.jsonl', '"plain"\n{"text":"obj"}\n\n{"text_a":"p","text_b":"q"}\n')),
    ).toEqual({ texts: ['plain', 'obj', ['p', 'q']], lines: [1, 2, 4] });
  });

  it('names what is missing', () => {
    expect(errorOf(() => readTextsFile(file('in.csv', 'sentence\na\n')))).toMatch(
      /in\.csv:1: needs a "text" column/,
    );
    expect(errorOf(() => readTextsFile(file('in.jsonl', '{"text":"a"}\n{"body":"b"}\n')))).toMatch(
      /in\.jsonl:2: expected a "text" key/,
    );
    expect(errorOf(() => readTextsFile(file('in.txt', '\n\n')))).toMatch(/in\.txt: no texts/);
    expect(errorOf(() => readTextsFile(file('in.md', 'x')))).toMatch(/unsupported file type "\.md"/);
  });
});
