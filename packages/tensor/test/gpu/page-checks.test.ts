// The browser suite's checks (test/browser/checks.ts), run in Node on the headless-gl backend too, so a failing
// check is seen here first.
import { expect, it } from 'vitest';
import { createCpuBackend } from '../../src/backends/cpu/index.ts';
import { createGpuBackend, type GpuMode } from '../../src/backends/gpu/index.ts';
import { runChecks } from '../browser/checks.ts';

const mode = process.env.TSFORMER_GPU as GpuMode | 'auto' | undefined;

it.skipIf(!mode)(`[gpu] the browser suite's checks pass on ${mode}`, async () => {
  const results = await runChecks(
    createGpuBackend({ mode: mode! }),
    createCpuBackend({ wasm: false, threads: 1, fused: false }),
  );
  expect(results.filter((r) => !r.ok)).toEqual([]);
  expect(results.length).toBeGreaterThan(10);
});
