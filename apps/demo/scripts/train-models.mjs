#!/usr/bin/env node
// Trains the two models the demo ships (a tiny GPT and a tiny BERT on Moby-Dick) with apps/trainer, then writes
// each checkpoint as float16 safetensors into public/models/{gpt,bert}/ with its config.json and tokenizer.json.
//
//   node scripts/train-models.mjs [--max-time 3m] [--bert-time 8m] [--only gpt|bert] [--seed 1]
//
// Each run takes --max-time (GPT, default 3m) or --bert-time (BERT, default 8m) of training plus evaluation. The float16 files are committed, so a
// fresh checkout shows real models with no set-up step; run this again to refresh them.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const app = resolve(import.meta.dirname, '..');
const root = resolve(app, '../..');
const { values } = parseArgs({
  options: {
    'max-time': { type: 'string', default: '3m' },
    'bert-time': { type: 'string', default: '8m' },
    only: { type: 'string' },
    seed: { type: 'string', default: '1' },
  },
});

// Shapes: small enough to stay under ~3 MB in float16 and to answer in well under a second in a browser. GPT's
// 3-minute budget is only a few hundred steps here, so its warm-up is short; BERT keeps the `bert` preset's
// recipe (batch 32, lr 1e-3, 200 warm-up steps: the one whose next-sentence head learns) and needs a longer
// budget for it: `--bert-time` (default 8m).
const MODELS = {
  gpt: [
    'gpt',
    '--preset',
    'gpt',
    '--vocab-size',
    '4096',
    '--layers',
    '4',
    '--width',
    '128',
    '--heads',
    '4',
    '--context',
    '128',
    '--warmup',
    '10',
  ],
  bert: [
    'bert',
    '--preset',
    'bert',
    '--vocab-size',
    '4096',
    '--layers',
    '2',
    '--width',
    '128',
    '--heads',
    '2',
    '--ffn',
    '512',
    '--context',
    '64',
  ],
};

/** float32 → IEEE half bits, round to nearest even. */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
function halfBits(x) {
  f32[0] = x;
  const u = u32[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

/** Rewrites a safetensors file with every F32 tensor stored as F16 (other dtypes copied). */
function toFloat16(src, dst) {
  const bytes = readFileSync(src);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
  const base = 8 + n;
  const out = {};
  const chunks = [];
  let offset = 0;
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  names.sort((a, b) => header[a].data_offsets[0] - header[b].data_offsets[0]);
  for (const name of names) {
    const {
      dtype,
      shape,
      data_offsets: [s, e],
    } = header[name];
    let data = bytes.subarray(base + s, base + e);
    let type = dtype;
    if (dtype === 'F32') {
      const f = new Float32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
      const h = new Uint16Array(f.length);
      for (let i = 0; i < f.length; i++) h[i] = halfBits(f[i]);
      data = Buffer.from(h.buffer);
      type = 'F16';
    }
    out[name] = { dtype: type, shape, data_offsets: [offset, offset + data.length] };
    chunks.push(data);
    offset += data.length;
  }
  out.__metadata__ = {
    ...(header.__metadata__ ?? {}),
    format: 'pt',
    converted: 'float32 → float16 by apps/demo/scripts/train-models.mjs',
  };
  let json = JSON.stringify(out);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  writeFileSync(dst, Buffer.concat([head, Buffer.from(json), ...chunks]));
}

// tokenizer.json holds the whole tokenizer: the trainer's vocab.txt / vocab.json + merges.txt copies stay out
const KEEP = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'generation_config.json',
];

for (const [name, args] of Object.entries(MODELS)) {
  if (values.only && values.only !== name) continue;
  const run = join(app, 'runs', name);
  rmSync(run, { recursive: true, force: true });
  const time = name === 'bert' ? values['bert-time'] : values['max-time'];
  const cmd = ['train', ...args, '--max-time', time, '--seed', values.seed, '--out', run];
  console.log(`\n=== pnpm ${cmd.join(' ')}`);
  const r = spawnSync('pnpm', cmd, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`train-models: the ${name} run failed (exit ${r.status})`);
    process.exit(1);
  }
  const ckpt = join(run, 'checkpoint');
  const dest = join(app, 'public', 'models', name);
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  for (const f of KEEP) if (existsSync(join(ckpt, f))) copyFileSync(join(ckpt, f), join(dest, f));
  toFloat16(join(ckpt, 'model.safetensors'), join(dest, 'model.safetensors'));
  // the training log's last evaluation goes beside the model, so the page can say how good it is
  const log = readFileSync(join(run, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const evals = log.filter((e) => e.type === 'eval' || e.event === 'eval');
  const end = log.findLast((e) => e.type === 'end' || e.event === 'end');
  writeFileSync(
    join(dest, 'training.json'),
    `${JSON.stringify({ args: cmd.slice(1).map((a) => (a === run ? `runs/${name}` : a)), lastEval: evals.at(-1) ?? null, end: end ?? null }, null, 2)}\n`,
  );
  const size = statSync(join(dest, 'model.safetensors')).size;
  console.log(
    `train-models: ${dirname(dest)}/${name}: model.safetensors ${(size / 2 ** 20).toFixed(2)} MiB (float16)`,
  );
}
