// pnpm train finetune / predict on tiny pretrained checkpoints: every head learns a toy task (its loss falls and
// its validation figure rises), a fine-tuned folder reloads and predicts exactly as the trained model did, and
// bad input is named.
import * as fs from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeExamples } from '../src/finetune/encode.ts';
import { loadHead } from '../src/finetune/model.ts';
import { type FinetuneConfig, predictFeatures, runFinetune } from '../src/finetune/run.ts';
import { Progress } from '../src/progress.ts';
import { cli, smallCorpus, tempDir, trainLosses } from './helpers.ts';

let dir: string;
let bert: string;
let gpt: string;

// toy data over Moby-Dick words: the label is a property of the words that the model has to find
const WORDS = 'whale sea ship captain white boat harpoon deck crew night storm mast sail oil ahab'.split(' ');
const sentence = (i: number, n: number) =>
  Array.from({ length: n }, (_, k) => WORDS[(i * 7 + k * 5 + ((i * k) % 3)) % WORDS.length]).join(' ');

function writeToyFiles() {
  // sequence: does the text mention "whale"?
  const rows = Array.from({ length: 160 }, (_, i) => {
    const text = sentence(i, 4 + (i % 4));
    return { text, label: text.split(' ').includes('whale') ? 'whale' : 'none' };
  });
  fs.writeFileSync(
    join(dir, 'seq.csv'),
    `text,label\n${rows.map((r) => `${r.text},${r.label}`).join('\n')}\n`,
  );
  // tokens: tag = long / short word
  fs.writeFileSync(
    join(dir, 'tok.jsonl'),
    Array.from({ length: 120 }, (_, i) => {
      const tokens = sentence(i, 5 + (i % 3)).split(' ');
      return JSON.stringify({ tokens, tags: tokens.map((w) => (w.length > 4 ? 'LONG' : 'SHORT')) });
    }).join('\n'),
  );
  // qa: the answer is the word after "the"
  fs.writeFileSync(
    join(dir, 'qa.jsonl'),
    Array.from({ length: 120 }, (_, i) => {
      const w = WORDS[i % WORDS.length]!;
      const context = `${sentence(i, 3)} the ${w} ${sentence(i + 1, 3)}`;
      return JSON.stringify({
        question: 'which word follows the?',
        context,
        answer: w,
        answer_start: context.indexOf(` the ${w}`) + 5,
      });
    }).join('\n'),
  );
}

beforeAll(async () => {
  dir = tempDir('tsformer-finetune-');
  const corpus = smallCorpus();
  bert = join(dir, 'bert');
  gpt = join(dir, 'gpt');
  expect(
    (await cli(['bert', '--preset', 'tiny-bert', '--corpus', corpus, '--steps', '4', '--out', bert])).code,
  ).toBe(0);
  expect(
    (await cli(['gpt', '--preset', 'tiny-gpt', '--corpus', corpus, '--steps', '4', '--out', gpt])).code,
  ).toBe(0);
  writeToyFiles();
}, 120_000);

const quiet = () => new Progress(process.stderr, { quiet: true });

/** A fine-tuning config for in-process runs: the CLI's defaults at toy scale, with `overrides`. */
function ftConfig(overrides: Partial<FinetuneConfig> & Pick<FinetuneConfig, 'from' | 'out'>): FinetuneConfig {
  return {
    init: 'pretrained',
    maxLength: 64,
    batchSize: 16,
    lr: 3e-3,
    warmup: 0.1,
    weightDecay: 0.01,
    clip: 1,
    dropout: null,
    epochs: 2,
    maxSteps: null,
    maxTime: null,
    evalInterval: null,
    evalLimit: 1000,
    seed: 3,
    threads: 0,
    device: 'cpu',
    ...overrides,
  };
}

const ftIO = () => ({ print: () => {}, progress: quiet(), cwd: dir });

function meanLoss(points: [number, number][], from: number, to: number): number {
  const part = points.slice(from, to);
  return part.reduce((s, [, l]) => s + l, 0) / part.length;
}

describe('pnpm train finetune: each head learns a toy task', () => {
  const cases = [
    {
      name: 'BERT sequence classification',
      from: () => bert,
      data: 'seq.csv',
      arch: 'BertForSequenceClassification',
      metric: /accuracy (\d+\.\d+)%/,
      min: 80,
    },
    {
      name: 'BERT token classification',
      from: () => bert,
      data: 'tok.jsonl',
      arch: 'BertForTokenClassification',
      metric: /token accuracy (\d+\.\d+)%/,
      min: 90,
    },
    {
      name: 'BERT question answering',
      from: () => bert,
      data: 'qa.jsonl',
      arch: 'BertForQuestionAnswering',
      metric: /exact match (\d+\.\d+)%/,
      min: 50,
    },
    {
      name: 'GPT sequence classification',
      from: () => gpt,
      data: 'seq.csv',
      arch: 'GPT2ForSequenceClassification',
      metric: /accuracy (\d+\.\d+)%/,
      min: 80,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: the loss falls, the validation figure rises, and the folder is a ${c.arch}`, async () => {
      const out = join(dir, `ft-${c.data}-${c.name.split(' ')[0]}-${c.arch}`);
      const r = await cli([
        'finetune',
        '--from',
        c.from(),
        '--train',
        join(dir, c.data),
        '--epochs',
        '30',
        '--lr',
        '3e-3',
        '--batch-size',
        '16',
        '--out',
        out,
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const losses = trainLosses(join(out, 'log.jsonl'), fs);
      expect(meanLoss(losses, -10, losses.length)).toBeLessThan(0.5 * meanLoss(losses, 0, 5));
      const final = r.stdout.split('\n').find((l) => l.startsWith('Done:'))!;
      expect(Number(final.match(c.metric)![1])).toBeGreaterThanOrEqual(c.min);
      const config = JSON.parse(fs.readFileSync(join(out, 'checkpoint', 'config.json'), 'utf8'));
      expect(config.architectures).toEqual([c.arch]);
      if (c.arch !== 'BertForQuestionAnswering') {
        expect(Object.values(config.id2label).sort()).toEqual(Object.keys(config.label2id).sort());
      }
      for (const f of ['model.safetensors', 'tokenizer.json', 'finetune_state.json', 'eval_results.json'])
        expect(fs.existsSync(join(out, 'checkpoint', f))).toBe(true);
      for (const f of ['log.jsonl', 'loss.svg', 'metric.svg', 'report.json'])
        expect(fs.existsSync(join(out, f))).toBe(true);
      if (c.arch !== 'BertForQuestionAnswering')
        expect(fs.readFileSync(join(out, 'confusion.svg'), 'utf8')).toMatch(/^<svg/);
    }, 120_000);
  }
});

describe('a fine-tuned folder', () => {
  it('reloads and predicts exactly as the model that was trained', async () => {
    const { loadUserTask } = await import('../src/finetune/readers.ts');
    const task = loadUserTask({ train: join(dir, 'seq.csv') });
    const out = join(dir, 'reload');
    const r = await runFinetune(task, ftConfig({ from: bert, out }), ftIO());
    expect(r.exitCode).toBe(0);
    const reloaded = loadHead(out);
    expect(reloaded.labels).toEqual(task.labels);
    const o = { family: 'bert' as const, maxLength: 64, labels: task.labels };
    const features = encodeExamples('sequence', task.validation as never[], reloaded.tokenizer, o);
    const a = predictFeatures(r.head, features, null);
    const b = predictFeatures(reloaded, features, null);
    expect(Array.from(b.classes!)).toEqual(Array.from(a.classes!));
    for (const [i, p] of b.probs!.entries()) expect(Array.from(p)).toEqual(Array.from(a.probs![i]!));
    // and the saved evaluation is what the reloaded model scores
    const saved = JSON.parse(fs.readFileSync(join(out, 'checkpoint', 'eval_results.json'), 'utf8'));
    const gold = features.map((f) => f.label!);
    const acc = gold.filter((g, i) => g === b.classes![i]).length / gold.length;
    expect(acc).toBeCloseTo(saved.accuracy, 10);
  }, 120_000);

  for (const c of [
    {
      name: 'BERT token classification',
      data: 'tok.jsonl',
      kind: 'token' as const,
      body: () => bert,
      family: 'bert' as const,
      fresh: ['classifier.bias', 'classifier.weight'],
    },
    {
      name: 'GPT sequence classification',
      data: 'seq.csv',
      kind: 'sequence' as const,
      body: () => gpt,
      family: 'gpt' as const,
      fresh: ['score.weight'],
    },
  ]) {
    it(`${c.name}: only the head starts new, and the reloaded folder predicts as trained`, async () => {
      const { loadUserTask } = await import('../src/finetune/readers.ts');
      const task = loadUserTask({ train: join(dir, c.data) });
      const out = join(dir, `reload-${c.kind}-${c.family}`);
      const r = await runFinetune(task, ftConfig({ from: c.body(), epochs: 1, out }), ftIO());
      expect(r.exitCode).toBe(0);
      expect([...r.head.report.missing].sort()).toEqual(c.fresh);
      const reloaded = loadHead(out);
      expect(reloaded.kind).toBe(c.kind);
      expect(reloaded.padId).toBe(r.head.padId);
      const features = encodeExamples(c.kind, task.validation as never[], reloaded.tokenizer, {
        family: c.family,
        maxLength: Math.min(64, reloaded.maxPositions),
        labels: task.labels,
      });
      const a = predictFeatures(r.head, features, null);
      const b = predictFeatures(reloaded, features, null);
      if (c.kind === 'token') expect(b.tags).toEqual(a.tags);
      else for (const [i, p] of b.probs!.entries()) expect(Array.from(p)).toEqual(Array.from(a.probs![i]!));
    }, 120_000);
  }

  it('random init starts from the same shape with other weights', async () => {
    const { loadUserTask } = await import('../src/finetune/readers.ts');
    const task = loadUserTask({ train: join(dir, 'seq.csv') });
    const base = {
      from: bert,
      lr: 1e-9,
      warmup: 0,
      weightDecay: 0,
      epochs: null,
      maxSteps: 1,
      evalLimit: 10,
    };
    const pre = await runFinetune(
      task,
      ftConfig({ ...base, init: 'pretrained', out: join(dir, 'pre') }),
      ftIO(),
    );
    const rnd = await runFinetune(task, ftConfig({ ...base, init: 'random', out: join(dir, 'rnd') }), ftIO());
    const pw = (
      pre.head.model as unknown as {
        bert: { embeddings: { word_embeddings: { weight: { dataSync(): Float32Array; shape: number[] } } } };
      }
    ).bert.embeddings.word_embeddings.weight;
    const rw = (
      rnd.head.model as unknown as typeof pre.head.model & {
        bert: { embeddings: { word_embeddings: { weight: { dataSync(): Float32Array; shape: number[] } } } };
      }
    ).bert.embeddings.word_embeddings.weight;
    expect(rw.shape).toEqual(pw.shape);
    expect(Array.from(rw.dataSync().slice(0, 16))).not.toEqual(Array.from(pw.dataSync().slice(0, 16)));
  }, 120_000);
});

describe('pnpm train predict', () => {
  let seqModel: string;
  let tokModel: string;
  let qaModel: string;
  beforeAll(async () => {
    seqModel = join(dir, 'p-seq');
    tokModel = join(dir, 'p-tok');
    qaModel = join(dir, 'p-qa');
    for (const [data, out] of [
      ['seq.csv', seqModel],
      ['tok.jsonl', tokModel],
      ['qa.jsonl', qaModel],
    ] as const)
      expect(
        (await cli(['finetune', '--from', bert, '--train', join(dir, data), '--steps', '3', '--out', out]))
          .code,
      ).toBe(0);
  }, 120_000);

  it('prints labels with probabilities for a file of texts and for one text', async () => {
    fs.writeFileSync(join(dir, 'texts.txt'), 'the whale sank\n\nno ship at all\n');
    const r = await cli(['predict', '-c', seqModel, '--input', join(dir, 'texts.txt'), '--top', '2']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      const m = l.match(/^(whale|none) (\d\.\d{4}) {2}(whale|none) (\d\.\d{4})\t/)!;
      expect(m).not.toBeNull();
      expect(Number(m[2]) + Number(m[4])).toBeCloseTo(1, 3);
      expect(Number(m[2])).toBeGreaterThanOrEqual(Number(m[4]));
    }
    const one = await cli(['predict', '-c', seqModel, '--text', 'the whale sank']);
    expect(one.stdout.split('  ')[0]).toBe(lines[0]!.split('  ')[0]);
  });

  it('tags words, and answers a question from a context', async () => {
    const t = await cli(['predict', '-c', tokModel, '--text', 'the white whale']);
    expect(t.stdout.trim()).toMatch(/^the\/(LONG|SHORT) white\/(LONG|SHORT) whale\/(LONG|SHORT)$/);
    const q = await cli([
      'predict',
      '-c',
      qaModel,
      '--text',
      'which word follows the?',
      '--text-b',
      'ship the whale sea',
    ]);
    expect(q.code).toBe(0);
    const answer = JSON.parse(q.stdout.split('→ ')[1]!);
    expect(answer).not.toBe('');
    expect('ship the whale sea').toContain(answer);
  });

  it('reads token and QA input files', async () => {
    fs.writeFileSync(join(dir, 'words.jsonl'), `${JSON.stringify({ tokens: ['the', 'white', 'whale'] })}\n`);
    const t = await cli(['predict', '-c', tokModel, '--input', join(dir, 'words.jsonl')]);
    expect(t.stderr).toBe('');
    expect(t.stdout.trim()).toMatch(/^the\/(LONG|SHORT) white\/(LONG|SHORT) whale\/(LONG|SHORT)$/);
    fs.writeFileSync(
      join(dir, 'questions.csv'),
      'question,context\nwhich word follows the?,ship the whale sea\n',
    );
    const q = await cli(['predict', '-c', qaModel, '--input', join(dir, 'questions.csv')]);
    expect(q.stderr).toBe('');
    expect(q.stdout).toMatch(/^which word follows the\?\t→ "[^"]+"\n$/);
  });

  it('names what is wrong', async () => {
    expect((await cli(['predict', '-c', join(dir, 'nothing-here'), '--text', 'x'])).stderr).toMatch(
      /nothing-here holds no checkpoint/,
    );
    expect((await cli(['predict', '-c', bert, '--text', 'x'])).stderr).toMatch(/not a fine-tuned head/);
    const q = await cli(['predict', '-c', qaModel, '--text', 'only a question']);
    expect(q.code).toBe(2);
    expect(q.stderr).toMatch(/needs a question and a context/);
  });
});

describe('pnpm train finetune: bad input', () => {
  it('names the file and line of a malformed row, an unknown validation label, and an empty file', async () => {
    fs.writeFileSync(join(dir, 'bad.csv'), 'text,label\n"fine",a\n"broken,b\n');
    let r = await cli(['finetune', '--from', bert, '--train', join(dir, 'bad.csv')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('bad.csv');
    expect(r.stderr).toMatch(/line 3|:3/);
    fs.writeFileSync(join(dir, 'val.csv'), 'text,label\nthe sea,whale\nthe ship,kraken\n');
    r = await cli([
      'finetune',
      '--from',
      bert,
      '--train',
      join(dir, 'seq.csv'),
      '--validation',
      join(dir, 'val.csv'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/val\.csv.*3.*kraken|kraken.*val\.csv/s);
    fs.writeFileSync(join(dir, 'empty.csv'), '');
    r = await cli(['finetune', '--from', bert, '--train', join(dir, 'empty.csv')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/empty\.csv.*empty|no examples/);
  });

  it('rejects what cannot work, with the reason', async () => {
    let r = await cli(['finetune', '--task', 'spam']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs --from/);
    r = await cli([
      'finetune',
      '--from',
      gpt,
      '--train',
      join(dir, 'tok.jsonl'),
      '--out',
      join(dir, 'gpt-tok'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/GPT fine-tunes on sequence classification only/);
    r = await cli(['finetune', '--from', bert, '--task', 'spam', '--train', join(dir, 'seq.csv')]);
    expect(r.stderr).toMatch(/either --task .* or --train/);
    r = await cli(['finetune', '--from', bert, '--train', join(dir, 'seq.csv'), '--lr', 'fast']);
    expect(r.stderr).toMatch(/--lr needs a number/);
  });

  it('--help documents the data formats and the built-in tasks', async () => {
    const r = await cli(['finetune', '--help']);
    expect(r.code).toBe(0);
    for (const s of [
      'text,label',
      'text_a,text_b,label',
      'tokens,tags',
      'question,context,answer',
      'spam',
      'pos',
      '--init',
    ])
      expect(r.stdout).toContain(s);
  });
});
