import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli.ts';
import { loadMobyDick } from '../src/data.ts';
import { Progress } from '../src/progress.ts';

export const APP = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export function tempDir(prefix = 'tsformer-trainer-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A small corpus folder: the opening of the first `docs` Moby-Dick chapters, `chars` characters each. */
export function smallCorpus(docs = 8, chars = 2500): string {
  const dir = tempDir('tsformer-corpus-');
  mkdirSync(join(dir, 'texts'));
  loadMobyDick()
    .slice(3, 3 + docs)
    .forEach((d, i) => {
      const text = d.text.slice(0, chars);
      writeFileSync(
        join(dir, 'texts', `doc-${String(i).padStart(2, '0')}.txt`),
        text.slice(0, text.lastIndexOf('.') + 1),
      );
    });
  return join(dir, 'texts');
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process. */
export async function cli(args: string[], cwd = process.cwd()): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    cwd,
    progress: new Progress(process.stderr, { quiet: true }),
  });
  return { code, stdout, stderr };
}

/** Runs the CLI in a child process (for crashes), with extra environment variables. */
export function cliProcess(args: string[], env: Record<string, string> = {}): Run {
  const r = spawnSync(
    process.execPath,
    ['--conditions=@tsformer/source', '--import', 'tsx', join(APP, 'src', 'cli.ts'), ...args],
    { cwd: APP, env: { ...process.env, ...env, INIT_CWD: APP }, encoding: 'utf8', timeout: 120_000 },
  );
  return { code: r.status ?? (r.signal === 'SIGKILL' ? 137 : -1), stdout: r.stdout, stderr: r.stderr };
}

export function trainLosses(logPath: string, fs: typeof import('node:fs')): [number, number][] {
  return fs
    .readFileSync(logPath, 'utf8')
    .split('\n')
    .filter((l) => l)
    .map((l) => JSON.parse(l) as { type: string; step: number; loss: number })
    .filter((r) => r.type === 'train')
    .map((r) => [r.step, r.loss]);
}
