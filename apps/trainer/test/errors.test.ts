import * as fs from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, cliProcess, smallCorpus, tempDir } from './helpers.ts';

let corpus: string;
beforeAll(() => {
  corpus = smallCorpus(4, 1500);
});

const tiny = (...more: string[]) => ['gpt', '--preset', 'tiny-gpt', '--out', join(tempDir(), 'run'), ...more];

describe('bad input gets a clear message', () => {
  it('a missing corpus', async () => {
    const r = await cli(tiny('--corpus', '/no/such/corpus'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: --corpus /no/such/corpus: no such file or folder\n');
  });

  it('an empty corpus', async () => {
    const dir = tempDir();
    fs.writeFileSync(join(dir, 'empty.txt'), '  \n\n');
    const r = await cli(tiny('--corpus', join(dir, 'empty.txt')));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the corpus .* is empty: it has no text/);
  });

  it('a binary corpus', async () => {
    const dir = tempDir();
    fs.writeFileSync(join(dir, 'data.bin'), new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 0xff, 0xfe, 1, 2]));
    const r = await cli(tiny('--corpus', join(dir, 'data.bin')));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/data\.bin looks binary/);
    fs.writeFileSync(join(dir, 'latin1.txt'), new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x20, 0x61]));
    expect((await cli(tiny('--corpus', join(dir, 'latin1.txt')))).stderr).toMatch(
      /latin1\.txt is not UTF-8 text/,
    );
  });

  it('a corpus shorter than one block', async () => {
    const dir = tempDir();
    fs.writeFileSync(join(dir, 'a.txt'), 'Call me Ishmael.');
    fs.writeFileSync(join(dir, 'b.txt'), 'Some years ago.');
    const r = await cli(tiny('--corpus', dir, '--context', '64'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/shorter than one block: 16 tokens, but --context is 64/);
  });

  it('a resume whose config disagrees, a resume with nothing to resume, a new run over an old one', async () => {
    const out = join(tempDir(), 'run');
    expect(
      (await cli(['gpt', '--preset', 'tiny-gpt', '--corpus', corpus, '--out', out, '--steps', '2'])).code,
    ).toBe(0);
    const before = fs.readFileSync(join(out, 'checkpoint', 'model.safetensors'));
    const r = await cli(['gpt', '--resume', '--out', out, '--lr', '0.1', '--layers', '3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--resume: the options disagree with the run/);
    expect(r.stderr).toMatch(/lr: the run has 0\.003, the command gives 0\.1/);
    expect(r.stderr).toMatch(/nLayer: the run has 1, the command gives 3/);
    const again = await cli(['gpt', '--preset', 'tiny-gpt', '--corpus', corpus, '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds a run \(checkpoint at step 2\): continue it with --resume/);
    expect(fs.readFileSync(join(out, 'checkpoint', 'model.safetensors'))).toEqual(before);
    const bert = await cli(['bert', '--resume', '--out', out]);
    expect(bert.stderr).toMatch(/holds a gpt run/);
    const none = await cli(['gpt', '--resume', '--out', join(tempDir(), 'nothing')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/holds no checkpoint to resume/);
  });

  it('flags: unknown ones, bad numbers, bad durations, --device gpu', async () => {
    expect((await cli(['--frobnicate'])).stderr).toMatch(/^error: Unknown option '--frobnicate'/);
    expect((await cli(['--lr', 'fast'])).stderr).toMatch(/--lr needs a number, got "fast"/);
    expect((await cli(['--max-time', '10 minutes'])).stderr).toMatch(/not a duration: "10 minutes"/);
    expect((await cli(['--width', '100', '--heads', '3'])).stderr).toMatch(
      /--width 100 is not divisible by --heads 3/,
    );
    expect((await cli(['bert', '--nsp-segments', '1.5'])).stderr).toMatch(
      /--nsp-segments must be in \[0, 1\], got 1.5/,
    );
    expect((await cli(['train'])).stderr).toMatch(/unknown command "train"/);
    const gl = await cli(['--device', 'headlessgl']);
    expect(gl.code).toBe(2);
    // no display here (xvfb-run is not used by this test): the error names the path tried and the fix
    expect(gl.stderr).toMatch(
      /--device headlessgl: no GPU path works here \(headless-gl: .*headlessgl.*xvfb-run -a pnpm train --device gpu/s,
    );
    // --device gpu tries WebGPU (Dawn, in a child process: it loads a native module) and then headless-gl
    const gpu = cliProcess(['--device', 'gpu'], { VK_ICD_FILENAMES: '/nonexistent/icd.json', DISPLAY: '' });
    expect(gpu.code).toBe(2);
    expect(gpu.stderr).toMatch(
      /--device gpu: no GPU path works here \(WebGPU: .*; headless-gl: .*VK_ICD_FILENAMES/s,
    );
    expect((await cli(['generate'])).stderr).toMatch(/generate needs --checkpoint/);
    expect((await cli(['generate', '-c', tempDir()])).stderr).toMatch(/holds no checkpoint/);
  });
});
