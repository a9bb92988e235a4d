import { beforeEach, describe } from 'vitest';
import type { Backend } from '../backend.ts';
import { createCpuBackend } from '../backends/cpu/index.ts';
import { setBackend } from '../engine.ts';

export type BackendName = 'cpu' | 'cpu-js' | 'gpu';

/** How to make each backend for a test run; the gpu entry is filled in by the gpu.js backend's own package entry. */
const factories: Partial<Record<BackendName, () => Backend | null>> = {
  cpu: () => createCpuBackend(),
  'cpu-js': () => createCpuBackend({ wasm: false, threads: 1, fused: false }),
};

/** Registers a factory (the gpu backend's tests call this with their mode). */
export function registerTestBackend(name: BackendName, factory: () => Backend | null): void {
  factories[name] = factory;
}

/**
 * Runs one suite on every named backend (like tfjs ALL_ENVS): `suite(name)` is called inside a `describe`
 * whose tests run with that backend current. A backend that cannot run here is skipped with the reason.
 */
export function describeBackends(names: readonly BackendName[], suite: (name: BackendName) => void): void {
  for (const name of names) {
    const factory = factories[name];
    let backend: Backend | null = null;
    let reason = '';
    try {
      backend = factory ? factory() : null;
      if (!backend) reason = `no ${name} backend is registered in this process`;
    } catch (e) {
      reason = (e as Error).message;
    }
    if (!backend) {
      describe.skip(`[${name}] skipped: ${reason}`, () => {});
      continue;
    }
    const b = backend;
    describe(`[${name}]`, () => {
      beforeEach(() => {
        setBackend(b);
      });
      suite(name);
    });
  }
}
