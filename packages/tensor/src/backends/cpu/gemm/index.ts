import { gemmJs } from './gemm-js.ts';
import type { GemmArgs, GemmEngine } from './types.ts';
import { defaultThreads, WasmGemmEngine, type WasmGemmOptions, wasmSimdSupported } from './wasm-engine.ts';

export { gemmJs } from './gemm-js.ts';
export type { GemmArgs, GemmEngine } from './types.ts';

export interface GemmEngineOptions extends Partial<WasmGemmOptions> {
  /** Threads including the calling one (default: all cores in Node; in browsers, only when cross-origin isolated). */
  threads?: number;
  /** false: use the plain TypeScript engine (default true where WebAssembly SIMD is available). */
  wasm?: boolean;
}

/**
 * Creates a matrix-multiply engine: the WebAssembly SIMD kernel (with a worker pool when threads > 1)
 * where available, else plain TypeScript. `gemm` is synchronous; call `dispose()` when done.
 */
export function createGemmEngine(options: GemmEngineOptions = {}): GemmEngine {
  if (options.wasm !== false && wasmSimdSupported()) {
    return new WasmGemmEngine({ ...options, threads: options.threads ?? defaultThreads() });
  }
  return jsEngine();
}

function jsEngine(): GemmEngine {
  return {
    kind: 'js',
    threads: 1,
    gemm: (args: GemmArgs) => gemmJs(args),
    ready: Promise.resolve(),
    dispose: () => {},
  };
}
