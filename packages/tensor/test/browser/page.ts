// The browser suite's page: `?mode=webgl2` or `?mode=webgpu` picks the gpu.js mode; the results go to
// `window.__tsformerResults` for scripts/test-gpu.mjs to collect.
import { createCpuBackend } from '../../src/backends/cpu/index.ts';
import { createGpuBackend, type GpuMode } from '../../src/backends/gpu/index.ts';
import { type CheckResult, runChecks } from './checks.ts';

declare global {
  interface Window {
    __tsformerResults?: { mode: string; results: CheckResult[]; error?: string };
  }
}

async function main(): Promise<void> {
  const mode = (new URLSearchParams(location.search).get('mode') ?? 'auto') as GpuMode | 'auto';
  try {
    const gpu = createGpuBackend({ mode });
    await gpu.ready;
    const results = await runChecks(gpu, createCpuBackend({ wasm: false, threads: 1, fused: false }));
    window.__tsformerResults = { mode: gpu.mode, results };
  } catch (e) {
    window.__tsformerResults = { mode, results: [], error: String((e as Error).stack ?? e) };
  }
}
// after the load event has been delivered: on WebGL2 the checks read synchronously, so once started they hold
// the page's only thread (and a page still loading would time out the driver's page.goto)
const start = (): void => void setTimeout(() => void main(), 50);
if (document.readyState === 'complete') start();
else addEventListener('load', start);
