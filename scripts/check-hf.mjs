#!/usr/bin/env node
// What the trainer writes is what transformers loads: train a tiny GPT and a tiny BERT with the trainer (a few
// steps), then run ../shared/tools/hf-check.py on each checkpoint folder: transformers' layout rules (required
// config keys, architectures, tensor names and shapes, tied weights) plus an independent PyTorch forward pass,
// compared with our own logits (apps/trainer/scripts/hf-reference.ts) within 1e-4.
// Needs Debian's python3-torch: installed when run as root; otherwise named as missing (a failure with CI=true).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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
  for (const preset of ['tiny-gpt', 'tiny-bert']) {
    const out = join(dir, preset);
    const train = sh(
      'pnpm',
      [
        'exec',
        'tsx',
        '--conditions=@tsformer/source',
        'src/cli.ts',
        ...(preset === 'tiny-bert' ? ['bert'] : []),
        '--preset',
        preset,
        '--steps',
        '3',
        '--out',
        out,
      ],
      { cwd: trainer },
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
      `${ok ? 'ok  ' : 'FAIL'} ${preset}: ${(check.stdout + check.stderr).trim().split('\n').join(' | ')}`,
    );
    if (!ok) console.log(`${train.stderr}\n${ref.stderr}`.trim().slice(0, 3000));
    if (ok) passed++;
    else failed++;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
