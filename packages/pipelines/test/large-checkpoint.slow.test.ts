// SLOW=1: a gpt2-large-shaped checkpoint (774M parameters, a 3.1 GB float32 file, over 2 GiB) written to
// os.tmpdir(), then loaded in a fresh process through a file handle: the load must peak at no more than 1.2x the
// weights' float32 size above the process's baseline. Skipped, with the reason, when disk or memory is short.
import { mkdtempSync, rmSync, statfsSync, statSync } from 'node:fs';
import { freemem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gpt2Presets } from '@tsformer/gpt';
import { describe, expect, it } from 'vitest';
import { measureLoad, writeRandomGpt2 } from '../bench/checkpoint.ts';

const NEED_DISK = 3.5 * 2 ** 30;
const NEED_RAM = 4.5 * 2 ** 30;
const fs = statfsSync(tmpdir());
const freeDisk = fs.bavail * fs.bsize;
const reason =
  freeDisk < NEED_DISK
    ? `only ${(freeDisk / 2 ** 30).toFixed(1)} GiB free in ${tmpdir()} (needs 3.5)`
    : freemem() < NEED_RAM
      ? `only ${(freemem() / 2 ** 30).toFixed(1)} GiB of free memory (needs 4.5)`
      : null;
if (reason) console.warn(`large-checkpoint.slow.test: skipped: ${reason}`);

describe.skipIf(reason !== null)('a gpt2-large-shaped checkpoint over 2 GiB', () => {
  it('loads through a file handle, peaking at <= 1.2x its float32 size', { timeout: 600_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsformer-pipelines-large-'));
    try {
      await writeRandomGpt2(dir, gpt2Presets['gpt2-large']);
      const size = statSync(join(dir, 'model.safetensors')).size;
      expect(size).toBeGreaterThan(2 ** 31);
      const m = measureLoad(dir);
      expect(m.params).toBe(774_030_080);
      const f32Mb = (m.params * 4) / 2 ** 20;
      console.log(
        `gpt2-large load: ${(m.ms / 1000).toFixed(1)} s, peak ${m.peakMb - m.baseMb} MiB above baseline for ${f32Mb.toFixed(0)} MiB of float32 (${((m.peakMb - m.baseMb) / f32Mb).toFixed(3)}x)`,
      );
      expect(m.peakMb - m.baseMb).toBeLessThanOrEqual(1.2 * f32Mb);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
