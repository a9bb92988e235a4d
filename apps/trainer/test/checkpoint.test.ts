import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { GPT2LMHeadModel } from '@tsformer/gpt';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CHECKPOINT,
  isCompleteCheckpoint,
  PREVIOUS,
  recoverCheckpoint,
  saveCheckpoint,
} from '../src/checkpoint.ts';
import { loadCheckpointFolder } from '../src/inference.ts';
import { APP, cliProcess, smallCorpus, tempDir, trainLosses } from './helpers.ts';

const files = (tag: string) => ({
  'config.json': `{"tag":"${tag}"}`,
  'model.safetensors': new Uint8Array([1, 2, 3]),
  'tokenizer.json': '{}',
  'optimizer.safetensors': new Uint8Array([4]),
  'trainer_state.json': `{"tag":"${tag}"}`,
});

describe('saveCheckpoint / recoverCheckpoint', () => {
  it('swaps the new checkpoint in and removes the previous one', () => {
    const out = tempDir();
    saveCheckpoint(out, files('a'));
    saveCheckpoint(out, files('b'));
    expect(fs.readdirSync(out).sort()).toEqual([CHECKPOINT]);
    expect(fs.readFileSync(join(out, CHECKPOINT, 'config.json'), 'utf8')).toBe('{"tag":"b"}');
  });

  it('recovers checkpoint-prev when checkpoint/ is missing, and drops half-written temporary folders', () => {
    const out = tempDir();
    saveCheckpoint(out, files('a'));
    fs.renameSync(join(out, CHECKPOINT), join(out, PREVIOUS)); // a crash between the two renames
    fs.mkdirSync(join(out, `${CHECKPOINT}.tmp-999`));
    fs.writeFileSync(join(out, `${CHECKPOINT}.tmp-999`, 'config.json'), '{"tag":"half"}');
    expect(recoverCheckpoint(out)).toBe(join(out, CHECKPOINT));
    expect(fs.readdirSync(out)).toEqual([CHECKPOINT]);
    expect(fs.readFileSync(join(out, CHECKPOINT, 'config.json'), 'utf8')).toBe('{"tag":"a"}');
  });
});

describe('kill -9 during a save (child processes)', () => {
  let corpus: string;
  beforeAll(() => {
    corpus = smallCorpus(6, 2000);
  });

  // tiny-gpt saves at step 4 (evaluation) and step 8 (end); the crash hits the second save
  for (const point of ['mid-write', 'mid-swap'] as const) {
    it(`at ${point}: the previous checkpoint stays loadable and --resume finishes the run`, async () => {
      const out = join(tempDir(), 'run');
      const args = ['gpt', '--preset', 'tiny-gpt', '--corpus', corpus, '--out', out];
      const crashed = cliProcess(args, { TSFORMER_TRAINER_CRASH: `${point}:2` });
      expect(crashed.code).toBe(137);
      const left = fs.readdirSync(out).sort();
      if (point === 'mid-swap') expect(left).toContain(PREVIOUS);
      else expect(left).toContain(CHECKPOINT);
      // loadable as it is, before any recovery: the last complete checkpoint is step 4
      const loaded = await loadCheckpointFolder(out);
      expect(loaded.kind).toBe('gpt');
      expect(JSON.parse(fs.readFileSync(join(loaded.folder, 'trainer_state.json'), 'utf8')).step).toBe(4);
      await GPT2LMHeadModel.fromPretrained(loaded.folder);
      const resumed = cliProcess(['gpt', '--resume', '--out', out]);
      expect(resumed.stderr).not.toMatch(/error/);
      expect(resumed.code).toBe(0);
      expect(isCompleteCheckpoint(join(out, CHECKPOINT))).toBe(true);
      expect(fs.readdirSync(out).sort()).toEqual([CHECKPOINT, 'log.jsonl', 'loss.svg']);
      expect(trainLosses(join(out, 'log.jsonl'), fs).map(([s]) => s)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    });
  }
});

describe('Ctrl-C', () => {
  it('saves a checkpoint at the step it stopped and exits with 130', async () => {
    const corpus = smallCorpus(6, 2000);
    const out = join(tempDir(), 'run');
    const args = [
      'gpt',
      '--preset',
      'tiny-gpt',
      '--corpus',
      corpus,
      '--out',
      out,
      '--steps',
      '100000',
      '--eval-interval',
      '5',
    ];
    const child = spawn(
      process.execPath,
      ['--conditions=@tsformer/source', '--import', 'tsx', join(APP, 'src', 'cli.ts'), ...args],
      {
        cwd: APP,
        env: { ...process.env, INIT_CWD: APP },
      },
    );
    let stdout = '';
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        // twice at once, as one Ctrl-C reaches node directly and again through pnpm's and tsx's relays
        if (/eval step 5 /.test(stdout) && !child.killed) {
          child.kill('SIGINT');
          child.kill('SIGINT');
        }
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(code).toBe(130);
    expect(stdout).toMatch(/Interrupted at step (\d+) of 100000: checkpoint saved/);
    const step = Number(/Interrupted at step (\d+)/.exec(stdout)![1]);
    const state = JSON.parse(fs.readFileSync(join(out, CHECKPOINT, 'trainer_state.json'), 'utf8'));
    expect(state.step).toBe(step);
    expect(isCompleteCheckpoint(join(out, CHECKPOINT))).toBe(true);
  });
});
