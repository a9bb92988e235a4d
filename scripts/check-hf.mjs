#!/usr/bin/env node
// What the trainer writes is what transformers loads: train a tiny GPT and a tiny BERT with the trainer (a few
// steps), then run ../shared/tools/hf-check.py on each checkpoint folder: transformers' layout rules (required
// config keys, architectures, tensor names and shapes, tied weights) plus an independent PyTorch forward pass,
// compared with our own logits (apps/trainer/scripts/hf-reference.ts) within 1e-4.
// Needs Debian's python3-torch: installed when run as root; otherwise named as missing (a failure with CI=true).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const trainer = join(root, 'apps/trainer');
const tool = process.env.TSFORMER_HF_CHECK ?? resolve(root, '../shared/tools/hf-check.py');
// Debian's python3 (where apt puts python3-torch), not a pyenv one that may come first on PATH
const python = () => (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const ci = process.env.CI === 'true';
const sh = (cmd, args, opts = {}) => spawnSync(cmd, args, { encoding: 'utf8', ...opts });

const hasTorch = () => sh(python(), ['-c', 'import torch']).status === 0;
if (!hasTorch()) {
  if (process.getuid?.() === 0) {
    console.log('hf-check: installing Debian python3-torch');
    sh('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    sh('apt-get', ['install', '-y', '-qq', 'python3-torch'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
  if (!hasTorch()) {
    const msg =
      'hf-check: python3 cannot import torch; install Debian python3-torch (apt-get install python3-torch)';
    console.log(ci ? `FAIL ${msg}` : `skipped: ${msg}`);
    process.exit(ci ? 1 : 0);
  }
}
if (!existsSync(tool)) {
  console.log(`${ci ? 'FAIL' : 'skipped:'} hf-check: ${tool} not found`);
  process.exit(ci ? 1 : 0);
}

const dir = mkdtempSync(join(tmpdir(), 'tsformer-hf-check-'));
let passed = 0;
let failed = 0;
try {
  // small labelled files for the fine-tuned heads (BertForSequenceClassification, …ForTokenClassification,
  // …ForQuestionAnswering, GPT2ForSequenceClassification)
  const words = 'the whale sea ship captain white boat harpoon deck crew night storm'.split(' ');
  const line = (i, n) => Array.from({ length: n }, (_, k) => words[(i * 7 + k * 3) % words.length]).join(' ');
  const rows = Array.from({ length: 24 }, (_, i) => line(i, 5 + (i % 4)));
  writeFileSync(
    join(dir, 'seq.csv'),
    `text,label\n${rows.map((r, i) => `${r},${i % 3 === 0 ? 'a' : 'b'}`).join('\n')}\n`,
  );
  writeFileSync(
    join(dir, 'tok.jsonl'),
    rows
      .map((r) =>
        JSON.stringify({ tokens: r.split(' '), tags: r.split(' ').map((w) => (w.length > 4 ? 'L' : 'S')) }),
      )
      .join('\n'),
  );
  writeFileSync(
    join(dir, 'qa.jsonl'),
    rows
      .map((r, i) =>
        JSON.stringify({
          question: `where is ${words[i % words.length]}?`,
          context: `${r}. ${rows[(i + 1) % rows.length]}.`,
          answer: rows[(i + 1) % rows.length],
        }),
      )
      .join('\n'),
  );
  const runs = [
    { name: 'tiny-gpt', args: ['--preset', 'tiny-gpt', '--steps', '3'] },
    { name: 'tiny-bert', args: ['bert', '--preset', 'tiny-bert', '--steps', '3'] },
    { name: 'tiny-bert → BertForSequenceClassification', from: 'tiny-bert', data: 'seq.csv' },
    { name: 'tiny-bert → BertForTokenClassification', from: 'tiny-bert', data: 'tok.jsonl' },
    { name: 'tiny-bert → BertForQuestionAnswering', from: 'tiny-bert', data: 'qa.jsonl' },
    { name: 'tiny-gpt → GPT2ForSequenceClassification', from: 'tiny-gpt', data: 'seq.csv' },
  ];
  for (const [i, run] of runs.entries()) {
    const out = join(dir, `run-${i}`);
    const args = run.from
      ? [
          'finetune',
          '--from',
          join(dir, `run-${run.from === 'tiny-gpt' ? 0 : 1}`),
          '--train',
          join(dir, run.data),
          '--steps',
          '3',
        ]
      : run.args;
    const train = sh(
      'pnpm',
      ['exec', 'tsx', '--conditions=@tsformer/source', 'src/cli.ts', ...args, '--out', out],
      {
        cwd: trainer,
      },
    );
    const ckpt = join(out, 'checkpoint');
    const ref = sh(
      'pnpm',
      ['exec', 'tsx', '--conditions=@tsformer/source', 'scripts/hf-reference.ts', ckpt, out],
      { cwd: trainer },
    );
    const check = sh(python(), [
      tool,
      ckpt,
      '--ids',
      join(out, 'ids.json'),
      '--expect',
      join(out, 'out.json'),
      '--atol',
      '1e-4',
    ]);
    const ok = train.status === 0 && ref.status === 0 && check.status === 0;
    console.log(
      `${ok ? 'ok  ' : 'FAIL'} ${run.name}: ${(check.stdout + check.stderr).trim().split('\n').join(' | ')}`,
    );
    if (!ok)
      console.log(`${train.stdout.slice(-1500)}\n${train.stderr}\n${ref.stderr}`.trim().slice(0, 3000));
    if (ok) passed++;
    else failed++;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
