import * as fs from 'node:fs';
import { join } from 'node:path';
import { BertForPreTraining } from '@tsformer/bert';
import { GPT2LMHeadModel } from '@tsformer/gpt';
import { loadTokenizer } from '@tsformer/tokenizer/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { isCompleteCheckpoint } from '../src/checkpoint.ts';
import { TRAIN_OPTIONS } from '../src/config.ts';
import { cli, smallCorpus, tempDir, trainLosses } from './helpers.ts';

let corpus: string;
beforeAll(() => {
  corpus = smallCorpus();
});

const tinyGpt = (out: string, ...more: string[]) => [
  'gpt',
  '--preset',
  'tiny-gpt',
  '--corpus',
  corpus,
  '--out',
  out,
  ...more,
];

describe('pnpm train gpt (tiny)', () => {
  it('trains, evaluates, writes a Hugging Face checkpoint folder, a log and a chart, and ends with a sample', async () => {
    const out = join(tempDir(), 'run');
    const r = await cli(tinyGpt(out));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/eval step 4 .*bits\/char/);
    expect(r.stdout).toMatch(/Sample \(prompt "Call me"/);
    const ckpt = join(out, 'checkpoint');
    expect(isCompleteCheckpoint(ckpt)).toBe(true);
    for (const f of [
      'config.json',
      'model.safetensors',
      'tokenizer.json',
      'tokenizer_config.json',
      'special_tokens_map.json',
      'generation_config.json',
      'optimizer.safetensors',
      'trainer_state.json',
    ]) {
      expect(fs.existsSync(join(ckpt, f))).toBe(true);
    }
    const config = JSON.parse(fs.readFileSync(join(ckpt, 'config.json'), 'utf8'));
    expect(config.model_type).toBe('gpt2');
    expect(config.architectures).toEqual(['GPT2LMHeadModel']);
    const model = await GPT2LMHeadModel.fromPretrained(ckpt);
    const tok = loadTokenizer(ckpt);
    expect(model.config.vocabSize).toBe(tok.vocabSize);
    const log = fs
      .readFileSync(join(out, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(log.filter((r) => r.type === 'train')).toHaveLength(8);
    const end = log.find((r) => r.type === 'end');
    expect(end.bitsPerChar).toBeGreaterThan(1);
    expect(end.perplexity).toBeCloseTo(Math.exp(end.valLoss), 6);
    expect(fs.readFileSync(join(out, 'loss.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<polyline[\s\S]*<\/svg>\n$/);
    // generate over the checkpoint
    const g = await cli([
      'generate',
      '--checkpoint',
      out,
      '--prompt',
      'The',
      '--max-new-tokens',
      '10',
      '--seed',
      '3',
    ]);
    expect(g.code).toBe(0);
    expect(g.stdout.startsWith('The')).toBe(true);
    expect(g.stdout.length).toBeGreaterThan(5);
  });

  it('--resume continues so that the losses equal an uninterrupted run step for step', async () => {
    const dir = tempDir();
    const whole = await cli(tinyGpt(join(dir, 'whole'), '--dropout', '0.2'));
    expect(whole.code).toBe(0);
    process.env.TSFORMER_TRAINER_STOP_AT = '3';
    let first: Awaited<ReturnType<typeof cli>>;
    try {
      first = await cli(tinyGpt(join(dir, 'parts'), '--dropout', '0.2'));
    } finally {
      delete process.env.TSFORMER_TRAINER_STOP_AT;
    }
    expect(first.code).toBe(130);
    expect(first.stdout).toMatch(/Interrupted at step 3 of 8: checkpoint saved/);
    const second = await cli(['gpt', '--resume', '--out', join(dir, 'parts')]);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/Continuing from step 3 of 8/);
    const a = trainLosses(join(dir, 'whole', 'log.jsonl'), fs);
    const b = trainLosses(join(dir, 'parts', 'log.jsonl'), fs);
    expect(b).toEqual(a);
    expect(a).toHaveLength(8);
  });

  it('turns a time budget into a step count once and stores it', async () => {
    const out = join(tempDir(), 'run');
    const r = await cli(tinyGpt(out, '--max-time', '3s', '--eval-interval', '1000'));
    expect(r.code).toBe(0);
    const state = JSON.parse(fs.readFileSync(join(out, 'checkpoint', 'trainer_state.json'), 'utf8'));
    // the budget became a step count, stored with the run; how many steps fit in 3 s depends on the machine's
    // load, so only the bookkeeping is asserted here (speed lives in benchmarks, not in unit tests)
    expect(Number.isInteger(state.totalSteps) && state.totalSteps >= 1).toBe(true);
    expect(state.step).toBe(state.totalSteps);
    expect(state.trainTime).toBeGreaterThan(0);
  });

  it('stops on a NaN or infinite loss with the step and a hint, leaving the checkpoint intact', async () => {
    const out = join(tempDir(), 'run');
    const r = await cli(
      tinyGpt(out, '--lr', '1e12', '--clip', '0', '--warmup', '0', '--steps', '30', '--eval-interval', '1'),
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /Stopped at step \d+: the (loss|gradient norm) is (NaN|Infinity|-Infinity).*lower --lr/,
    );
    expect(isCompleteCheckpoint(join(out, 'checkpoint'))).toBe(true);
  });
});

describe('pnpm train bert (tiny)', () => {
  it('pretrains with MLM + NSP, reports both accuracies, and fill-mask reads the checkpoint', async () => {
    const out = join(tempDir(), 'bert');
    // half the training pairs as multi-sentence segments (--nsp-segments), the rest single sentences
    const r = await cli([
      'bert',
      '--preset',
      'tiny-bert',
      '--corpus',
      corpus,
      '--out',
      out,
      '--nsp-segments',
      '0.5',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/MLM acc [\d.]+% \| NSP loss [\d.]+ \| NSP acc [\d.]+%/);
    expect(r.stdout).toMatch(/Fill-mask on held-out sentences/);
    expect(r.stdout).toMatch(/Next-sentence judgements/);
    const ckpt = join(out, 'checkpoint');
    const config = JSON.parse(fs.readFileSync(join(ckpt, 'config.json'), 'utf8'));
    expect(config.model_type).toBe('bert');
    expect(fs.existsSync(join(ckpt, 'vocab.txt'))).toBe(true);
    const model = await BertForPreTraining.fromPretrained(ckpt);
    expect(model.config.vocabSize).toBe(loadTokenizer(ckpt).vocabSize);
    const f = await cli([
      'fill-mask',
      '-c',
      out,
      '--text',
      'the whale [MASK] the ship.',
      '--top-k',
      '3',
      '--next',
      'it sank.',
    ]);
    expect(f.code).toBe(0);
    expect(f.stdout).toMatch(/\[MASK\] #1:\n( {2}\S.*%\n){3}/);
    expect(f.stdout).toMatch(/P\(IsNext\) = 0\.\d+/);
  });
});

describe('--help', () => {
  it('documents every option', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const o of TRAIN_OPTIONS) expect(r.stdout).toContain(`--${o.flag}`);
    for (const w of [
      'generate',
      'fill-mask',
      'bert',
      '--max-new-tokens',
      '--temperature',
      '--top-p',
      '--text',
      'bits per character',
    ]) {
      expect(r.stdout).toContain(w);
    }
    expect((await cli(['bert', '-h'])).stdout).toBe(r.stdout);
  });
});
